"""Drift in plans, the plan file round trip, and the pull-request Markdown."""

from __future__ import annotations

import json
from typing import Any

from dpn import model
from dpn.cli.render_plan import render_plan
from dpn.plan import Plan, blueprint_digest, make_plan
from dpn.providers.base import Observed
from tests.unit.test_plan import applied, blueprint


def live_of(state: model.StackState) -> dict[str, Observed | None]:
    return {k: Observed(id=r.id, name=r.name, props=r.props, attrs=r.attrs)
            for k, r in state.resources.items()}


def test_drift_lists_changed_fields_and_outside_deletes() -> None:
    bp = blueprint()
    state = applied(bp)
    live: dict[str, Any] = live_of(state)
    props = dict(state.resources["etl"].props)
    props["num_workers"], props["autotermination_minutes"] = 5, 10
    live["etl"] = Observed(id="id-etl", name="dev-lake-etl", props=props)
    live["landing"] = None
    plan = make_plan(bp, state, live)
    assert plan.drifted
    report = {d["key"]: d for d in plan.drift_report()}
    assert report["etl"] == {"key": "etl", "type": "dbx.cluster", "name": "dev-lake-etl",
                             "id": "id-etl", "kind": "changed", "action": "update",
                             "fields": ["autotermination_minutes", "num_workers"]}
    assert report["landing"]["kind"] == "deleted" and report["landing"]["action"] == "create"
    assert set(report) == {"etl", "landing"}
    etl = next(c for c in plan.to_json()["changes"] if c["key"] == "etl")
    assert etl["drift"] == {"fields": ["autotermination_minutes", "num_workers"],
                            "deleted": False}


def test_no_drift_when_live_matches_or_without_live() -> None:
    bp = blueprint()
    state = applied(bp)
    assert not make_plan(bp, state, live_of(state)).drifted
    assert make_plan(bp, state).drift_report() == []
    assert all("drift" not in c for c in make_plan(bp, state).to_json()["changes"])


def test_a_resource_that_left_the_blueprint_and_was_deleted_outside_is_drift() -> None:
    state = applied(blueprint())
    live: dict[str, Any] = live_of(state)
    live["job"] = None
    plan = make_plan(blueprint(job=None), state, live)
    (entry,) = plan.drift_report()
    assert entry["key"] == "job" and entry["kind"] == "deleted" and entry["action"] == "delete"


def test_plan_json_carries_serial_and_digest_and_round_trips() -> None:
    bp = blueprint()
    state = applied(blueprint(job=None))
    plan = make_plan(bp, state)
    data = json.loads(plan.to_json_text())
    assert data == plan.to_json()
    assert data["serial"] == 1 and data["digest"] == blueprint_digest(bp)
    again = Plan.from_json(data)
    assert again.to_json() == data
    assert blueprint_digest(blueprint(etl={
        "type": "dbx.cluster", "purpose": "etl", "spark_version": "15.4.x-scala2.12",
        "node_type_id": "i3.xlarge", "num_workers": 2})) != data["digest"]


def test_markdown_for_a_pull_request() -> None:
    bp = blueprint(job=None)
    state = applied(blueprint())
    live: dict[str, Any] = live_of(state)
    props = dict(state.resources["etl"].props)
    props["num_workers"] = 7
    live["etl"] = Observed(id="id-etl", name="dev-lake-etl", props=props)
    md = render_plan(make_plan(bp, state, live), "markdown")
    lines = md.splitlines()
    assert lines[0] == "### Plan for `acme-dev-lake`"
    assert "| 0 | 1 | 0 | 1 | 3 |" in lines
    assert "> **1 resource(s) will be deleted or replaced.**" in lines
    assert "| update | `etl` | `dbx.cluster` | `dev-lake-etl` | num_workers (changed outside " \
           "dpn: num_workers); restarts the cluster if it is running |" in lines
    assert "| delete | `job` | `dbx.job` | `dev-lake-nightly` |  |" in lines
    assert "**Drift: 1 resource(s) changed and 0 deleted outside dpn; 'dpn update' repairs " \
           "it.**" in lines
    assert "<details><summary>3 unchanged</summary>" in lines
    assert "| `landing` | `aws.s3_bucket` | `acme-dev-lake-raw-landing` |" in lines


def test_markdown_escapes_user_text_and_says_when_nothing_changes() -> None:
    bp = blueprint()
    md = render_plan(make_plan(bp, applied(bp)), "markdown")
    assert "No changes: the platforms match the blueprint." in md
    plan = Plan(stack="s", changes=(), warnings=("a | b\nc",))
    assert "- a \\| b c" in render_plan(plan, "markdown")
