"""Plan-time Unity Catalog checks, from JSON cases (tests/unit/cases/uc_access.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dpn.plan import Action, Change
from dpn.uc_access import Workspace, problems, securables_to_read

DATA = json.loads((Path(__file__).parent / "cases" / "uc_access.json").read_text())


def _changes(raw: list[dict[str, Any]]) -> list[Change]:
    return [Change(c["key"], c["type"], c["name"], Action(c["action"]), (), None,
                   c.get("after"), id=c.get("id")) for c in raw]


def _workspace(case: dict[str, Any]) -> Workspace:
    facts = {**DATA["defaults"], **case}
    return Workspace(frozenset(facts["principals"]), facts["locations"],
                     {s: {p: frozenset(v) for p, v in by.items()}
                      for s, by in facts["grants"].items()}, facts["metastore_root"])


@pytest.mark.parametrize("case", DATA["cases"], ids=[c["name"] for c in DATA["cases"]])
def test_uc_access_case(case: dict[str, Any]) -> None:
    found = problems(_changes(case["changes"]), _workspace(case))
    for key, wanted in case["expect"].items():
        mine = [p for p in found if p.startswith(f"{key}: ")]
        assert len(mine) == len(wanted), found
        for text, problem in zip(wanted, mine, strict=True):
            assert text in problem, problem
    assert all(p.split(":")[0] in case["expect"] for p in found), found


def test_only_existing_schemas_of_planned_tables_are_read() -> None:
    changes = _changes([
        {"key": "gold", "type": "dbx.schema", "name": "gold", "id": "sales.gold",
         "action": "create", "after": {}},
        {"key": "a", "type": "dbx.table", "name": "a", "action": "create",
         "after": {"schema": "sales.gold"}},
        {"key": "b", "type": "dbx.table", "name": "b", "action": "create",
         "after": {"schema": "sales.silver"}},
        {"key": "c", "type": "dbx.table", "name": "c", "action": "no-op",
         "after": {"schema": "sales.bronze"}}])
    assert securables_to_read(changes) == ["schema:sales.silver"]
