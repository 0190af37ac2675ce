"""The forward phase's order (``dpn.engine.transaction.forward_graph``), from JSON cases:
the operations, what the state recorded each resource depended on, and what every node
of the graph waits for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dpn.engine.ops import Operation
from dpn.engine.transaction import forward_graph
from dpn.model import ResourceState, StackState, freeze

CASES = json.loads((Path(__file__).parent / "cases" / "forward_graph.json").read_text())


def _state(recorded: dict[str, list[str]]) -> StackState:
    return StackState("acme-dev-lake", 1, {
        key: ResourceState(key, "dbx.schema", key, key, freeze({}), freeze({}), tuple(deps))
        for key, deps in recorded.items()})


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_forward_graph(case: dict[str, Any]) -> None:
    ops = [Operation(key=o["key"], type="dbx.schema", name=o["key"], action=o["action"],
                     depends_on=tuple(o.get("depends_on", ()))) for o in case["ops"]]
    nodes, waits = forward_graph(ops, _state(case["state"]))
    assert sorted(nodes) == sorted(case["waits"])
    assert {n: sorted(w) for n, w in waits.items()} == {
        n: sorted(w) for n, w in case["waits"].items()}
