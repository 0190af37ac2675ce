"""lifecycle decisions (prevent_destroy, ignore_changes), driven by
tests/unit/cases/lifecycle.json, through the planner as ``dpn plan`` runs it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dpn import lifecycle, model
from dpn.api.prepare import teardown_plan
from dpn.blueprint import from_dict
from dpn.blueprint.attrs import static_attrs
from dpn.blueprint.refs import resolve
from dpn.canonical import canonical
from dpn.errors import BlueprintError
from dpn.graph import order
from dpn.plan import make_plan
from dpn.providers.base import Observed

CASES = json.loads((Path(__file__).parent / "cases" / "lifecycle.json").read_text())["cases"]
META = {"org": "acme", "env": "dev", "project": "lake", "region": "us-east-1"}


def blueprint(resources: dict[str, Any]) -> model.Blueprint:
    return from_dict({"version": 1, "metadata": META, "resources": resources})


def applied(bp: model.Blueprint) -> model.StackState:
    """The state an apply of ``bp`` records (made-up ids for clusters and jobs)."""
    attrs: dict[str, dict[str, str]] = {}
    records = {}
    for key in order({k: r.depends_on for k, r in bp.resources.items()}):
        res = bp.resources[key]
        props = canonical(res.type, resolve(res.props, lambda k, a: attrs[k].get(a)))
        found = static_attrs(res.type, res.name, props)
        found.setdefault("id", f"id-{key}")
        attrs[key] = found
        records[key] = model.ResourceState(key, res.type, res.name, found["id"],
                                           model.freeze(props), found, res.depends_on)
    return model.StackState(bp.stack, 1, records)


def live(state: model.StackState, outside: dict[str, Any]) -> dict[str, Observed | None]:
    out: dict[str, Observed | None] = {}
    for key, rec in state.resources.items():
        props = model.thaw(rec.props)
        for field, value in outside.get(key, {}).items():
            props[field] = value if not isinstance(value, dict) else {
                **props.get(field, {}), **value}
        out[key] = Observed(rec.id, rec.name, model.freeze(props), rec.attrs)
    return out


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_lifecycle(case: dict[str, Any]) -> None:
    before = blueprint(case["applied"])
    resources = {**case["applied"], **case.get("now", {})}
    now = blueprint({k: v for k, v in resources.items() if v is not None})
    state = applied(before)
    if case.get("teardown"):
        plan = teardown_plan(now, state)
    else:
        plan = make_plan(now, state, live(state, case.get("outside", {})))
    changes = {c.key: c for c in plan.changes}
    for key, want in case["expect"].items():
        got = changes[key]
        assert got.action.value == want["action"], key
        for field in ("fields", "drift", "ignored"):
            if field in want:
                have = {"fields": got.diff_fields, "drift": got.drift,
                        "ignored": got.ignored}[field]
                assert sorted(have) == sorted(want[field]), (key, field)
    if "refused" in case:
        lines = lifecycle.refusals(plan.changes, now.resources, state.resources)
        assert sorted(line.split(" ", 1)[0] for line in lines) == sorted(case["refused"])
    effective = lifecycle.effective(now, plan.changes)
    attrs = {k: dict(r.attrs) for k, r in state.resources.items()}
    for key, fields in case.get("sent", {}).items():
        sent = canonical(effective.resources[key].type,
                         resolve(effective.resources[key].props,
                                 lambda k, a: attrs[k].get(a)))
        for field, value in fields.items():
            got_value = sent.get(field)
            if isinstance(value, dict):
                got_value = {k: v for k, v in (got_value or {}).items() if k in value}
            assert got_value == value, (key, field)
    if any(c.ignored for c in plan.changes) and not any(c.repairs for c in plan.changes):
        assert not plan.drifted  # dpn drift does not count what it leaves alone


@pytest.mark.parametrize(("entry", "message"), [
    ("num_wrkers", "dbx.cluster has no property 'num_wrkers' that dpn compares (did you mean "
                   "'num_workers'?)"),
    ("num_workers.x", "'num_workers' is not a map, so only the whole property can be ignored"),
    ("custom_tags.dpn:key", "dpn's ownership tags cannot be ignored"),
    ("purpose", "dbx.cluster has no property 'purpose' that dpn compares"),
    ("apply_policy_default_values", "has no property 'apply_policy_default_values'"),
])
def test_ignore_changes_names_a_compared_property(entry: str, message: str) -> None:
    res = {"type": "dbx.cluster", "purpose": "etl", "spark_version": "15.4.x-scala2.12",
           "node_type_id": "i3.xlarge", "num_workers": 1,
           "lifecycle": {"ignore_changes": [entry]}}
    with pytest.raises(BlueprintError) as info:
        blueprint({"etl": res})
    assert message in str(info.value)


def test_lifecycle_is_not_a_setting() -> None:
    bp = blueprint({"etl": {"type": "dbx.cluster", "purpose": "etl",
                            "spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge",
                            "num_workers": 1, "lifecycle": {"prevent_destroy": True}}})
    assert "lifecycle" not in bp.resources["etl"].props
    assert bp.resources["etl"].lifecycle == model.Lifecycle(prevent_destroy=True)
