"""--only/--exclude closure, driven by tests/unit/cases/selection.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dpn.errors import InputError
from dpn.selection import Item, select

CASES = json.loads((Path(__file__).parent / "cases" / "selection.json").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_selection(case: dict[str, Any]) -> None:
    items = [Item(key, action, tuple(deps)) for key, action, deps in case["changes"]]
    recorded = case.get("recorded", {})
    if "error" in case:
        with pytest.raises(InputError) as info:
            select(items, recorded, case.get("only", ()), case.get("exclude", ()))
        assert case["error"] in str(info.value)
        return
    keys, chosen = select(items, recorded, case.get("only", ()), case.get("exclude", ()))
    assert keys == case["carried"]
    if "pulled_in" in case:
        assert {k: sorted(v) for k, v in chosen.pulled_in.items()} == case["pulled_in"]
    if "left_out" in case:
        assert {k: list(v) for k, v in chosen.left_out.items()} == case["left_out"]
    assert chosen.skipped == case.get("skipped", len(items) - len(keys))
