"""Which names a live plan may not create, driven by tests/unit/cases/name_conflicts.json:
a plan, the state and what holds each name -> the rounds of reads, errors, warnings."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from dpn import model
from dpn.conflicts import NameCheck, judge, name_checks, read_names
from dpn.plan import Action, Change, Plan
from dpn.providers.base import Observed

STACK = "acme-dev-lake"
CASES = json.loads((Path(__file__).parent / "cases" / "name_conflicts.json").read_text())[
    "cases"]


def plan_of(case: dict[str, Any]) -> Plan:
    changes = tuple(
        Change(c["key"], c["type"], c["name"], Action(c["action"]),
               tuple(c.get("depends_on", ())), None, c.get("after", {}), (), c.get("id"))
        for c in case["changes"])
    return Plan(STACK, changes)


def state_of(case: dict[str, Any]) -> model.StackState:
    resources = {k: model.ResourceState(k, r["type"], r["name"], r["id"], {}, {})
                 for k, r in case.get("state", {}).items()}
    return model.StackState(STACK, 1, resources)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_name_conflicts(case: dict[str, Any]) -> None:
    rounds: list[list[str]] = []

    def probe(checks: Sequence[NameCheck]) -> dict[str, Observed | None]:
        rounds.append([c.key for c in checks])
        held = case["platform"]
        return {c.key: Observed(id=c.id or c.name, name=c.name, props={}, tags=held[c.key])
                for c in checks if c.key in held}

    checks = name_checks(plan_of(case), state_of(case))
    verdict = judge(STACK, checks, read_names(checks, probe))
    assert rounds == case["rounds"]
    assert list(verdict.errors) == case["errors"]
    assert list(verdict.warnings) == case["warnings"]
