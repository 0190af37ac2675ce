"""Every property the JSON Schema accepts is used by ``examples/every-property.json`` and
has a round-trip case in ``tests/integration/cases/roundtrip.json`` (SPEC section 10).

The property list comes from the schema itself: each resource type's properties minus the
naming inputs and the resource options (``lifecycle``, which is not a platform setting),
plus every property of ``$defs.task`` and ``$defs.column``. A property added to the
schema without a use and a case fails here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dpn.blueprint import from_dict
from dpn.model import NAMING_INPUTS, RESOURCE_OPTIONS
from tests.integration.test_every_property import (
    BLUEPRINT,
    apply_cases,
    directives,
    load_blueprint,
    load_cases,
    task_index,
)

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "src" / "dpn" / "schema.json"
ITEMS = ("task", "column")


def schema_properties() -> dict[str, list[str]]:
    """Per resource type, and for ``task`` and ``column``, the properties to cover."""
    defs = json.loads(SCHEMA.read_text())["$defs"]
    types = defs["resource"]["properties"]["type"]["enum"]
    out = {t: [p for p in defs[t]["properties"] if p not in NAMING_INPUTS | RESOURCE_OPTIONS]
           for t in types}
    for item in ITEMS:
        out[item] = list(defs[item]["properties"])
    return out


def _tasks(tasks: Any) -> Iterator[Mapping[str, Any]]:
    for task in tasks or []:
        yield task
        inner = (task.get("for_each_task") or {}).get("task")
        if isinstance(inner, dict):
            yield from _tasks([inner])


def used_properties(doc: Mapping[str, Any]) -> dict[str, set[str]]:
    """What a blueprint uses: per resource type, and in any task and any column."""
    used: dict[str, set[str]] = {}
    for resource in doc["resources"].values():
        rtype = resource["type"]
        used.setdefault(rtype, set()).update(resource)
        for task in _tasks(resource.get("tasks") if rtype == "dbx.job" else None):
            used.setdefault("task", set()).update(task)
        if rtype in ("aws.glue_table", "dbx.table"):
            for field in ("columns", "partition_keys"):
                for column in resource.get(field) or []:
                    used.setdefault("column", set()).update(column)
    return used


def case_properties(cases: Mapping[str, Any]) -> dict[str, set[str]]:
    out = {t: set(props) for t, props in cases["resources"].items()}
    for item in ITEMS:
        out[item] = set(cases[item])
    return out


def _counts(wanted: Mapping[str, list[str]], missing: list[str]) -> str:
    total = sum(len(v) for v in wanted.values())
    return f"{total} schema properties, {total - len(missing)} covered"


def test_every_property_example_uses_every_schema_property() -> None:
    wanted = schema_properties()
    used = used_properties(load_blueprint())
    missing = [f"{t}.{p}" for t, props in wanted.items() for p in props
               if p not in used.get(t, set())]
    assert not missing, (f"{BLUEPRINT.name}: {_counts(wanted, missing)}; not used "
                         f"({len(missing)}): {', '.join(missing)}")


def test_every_property_has_a_round_trip_case() -> None:
    skip = directives()
    wanted = {t: [p for p in props if p not in skip.get(t, set())]
              for t, props in schema_properties().items()}
    cases = case_properties(load_cases())
    missing = [f"{t}.{p}" for t, props in wanted.items() for p in props
               if p not in cases.get(t, set())]
    stale = [f"{t}.{p}" for t, props in cases.items() for p in sorted(props)
             if p not in wanted.get(t, [])]
    assert not missing and not stale, (
        f"roundtrip.json: {_counts(wanted, missing)} (directives excluded: "
        f"{sorted(f'{t}.{d}' for t, ds in skip.items() for d in ds)}); "
        f"without a case ({len(missing)}): {', '.join(missing) or '-'}; "
        f"cases for no schema property or for a directive ({len(stale)}): "
        f"{', '.join(stale) or '-'}")


def _all_cases(cases: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for rtype, props in cases["resources"].items():
        for prop, case in props.items():
            yield f"{rtype}.{prop}", case
    for item in ITEMS:
        for prop, case in cases[item].items():
            yield f"{item}.{prop}", case


def test_each_case_has_a_change_and_an_outside_value_or_says_why_not() -> None:
    problems = []
    for name, case in _all_cases(load_cases()):
        for which in ("change", "outside"):
            if which not in case:
                problems.append(f"{name}: no '{which}'")
            elif case[which] is None and not case.get("comment"):
                problems.append(f"{name}: '{which}' is null without a 'comment' saying why")
    assert not problems, "\n".join(problems)


def _targets(doc: Mapping[str, Any], original: Mapping[str, Any],
             cases: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(case name, property, the object of ``doc`` the case edits)."""
    res = doc["resources"]
    for rtype, props in cases["resources"].items():
        for prop, case in props.items():
            yield f"{rtype}.{prop} ({case['key']})", prop, res[case["key"]]
    for prop, case in cases["task"].items():
        index = task_index(original, case["key"], case["task_key"])
        yield f"task.{prop} ({case['key']}/{case['task_key']})", prop, \
            res[case["key"]]["tasks"][index]
    for prop, case in cases["column"].items():
        for key, field, index in case["at"]:
            yield f"column.{prop} ({key}.{field}[{index}])", prop, res[key][field][index]


def test_cases_change_something_and_outside_values_differ_from_the_change() -> None:
    cases = load_cases()
    original = load_blueprint()
    replaced = cases["resources"]["dbx.job"].get("tasks", {}).get("key")
    for prop, case in cases["task"].items():
        assert case["key"] != replaced, f"task.{prop}: job {replaced} also has its task " \
                                        "list replaced by the dbx.job.tasks case"
    changed, _ = apply_cases(original, "change", cases=cases)
    outside, _ = apply_cases(changed, "outside", original=original, cases=cases)
    problems = []
    before = dict(_targets_by_name(original, original, cases))
    after = dict(_targets_by_name(changed, original, cases))
    third = dict(_targets_by_name(outside, original, cases))
    for name, case in _all_cases_named(cases):
        if case["change"] is not None and after[name] == before[name]:
            problems.append(f"{name}: 'change' is the blueprint's own value {before[name]!r}")
        if case["outside"] is not None and third[name] == after[name]:
            problems.append(f"{name}: 'outside' equals the value after the change "
                            f"{after[name]!r}")
    assert not problems, "\n".join(problems)


def _targets_by_name(doc: Mapping[str, Any], original: Mapping[str, Any],
                     cases: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    for name, prop, target in _targets(doc, original, cases):
        yield name, target.get(prop)


def _all_cases_named(cases: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for rtype, props in cases["resources"].items():
        for prop, case in props.items():
            yield f"{rtype}.{prop} ({case['key']})", case
    for prop, case in cases["task"].items():
        yield f"task.{prop} ({case['key']}/{case['task_key']})", case
    for prop, case in cases["column"].items():
        for key, field, index in case["at"]:
            yield f"column.{prop} ({key}.{field}[{index}])", case


def test_changed_blueprint_is_valid() -> None:
    """The "change" values are valid blueprint values (the "outside" ones need not be:
    they are whatever the platform accepts, e.g. a Parquet table)."""
    doc, touched = apply_cases(load_blueprint(), "change")
    from_dict(doc, path="<every-property with the change values>")  # raises if invalid
    assert touched, "the cases change nothing"
