"""Property tests: mutated blueprints raise nothing but BlueprintError/InputError, and the
compiled schema check agrees with jsonschema."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dpn.blueprint import from_dict, load
from dpn.blueprint.validation import _fast, _validator
from dpn.errors import BlueprintError, InputError
from dpn.plan import make_plan
from dpn.schema import resource_types

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "lakehouse.json"
BASE = json.loads(EXAMPLE.read_text())

json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "x", "${landing}", "${landing.id}", "${nope}", "${etl.arn}",
                     "${", "Bad Name", "select", "prd", "aws:kms", "DELTA", "sys_x",
                     "${sales}", "${sales_gold}", "a.b", "1.2.3.4", "\n", "raw", "gold"]),
    st.text(max_size=12),
)
json_value = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths(v, (*prefix, i))
    return out


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 4))):
        targets = paths(doc)[1:]
        path = draw(st.sampled_from(targets))
        parent: Any = doc
        for part in path[:-1]:
            parent = parent[part]
        op = draw(st.sampled_from(["set", "delete", "rename", "add"]))
        last = path[-1]
        if op == "set":
            parent[last] = draw(json_value)
        elif op == "delete":
            del parent[last]
        elif op == "rename" and isinstance(parent, dict):
            parent[draw(st.text(max_size=10))] = parent.pop(last)
        elif op == "add" and isinstance(parent[last], dict):
            parent[last][draw(st.text(max_size=10))] = draw(json_value)
    return doc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_blueprints_fail_cleanly(doc: dict[str, Any]) -> None:
    try:
        bp = from_dict(doc)
    except (BlueprintError, InputError) as exc:
        assert str(exc)
        return
    make_plan(bp, None)  # a valid blueprint always plans


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=64), st.integers(0, 10_000))
def test_corrupted_files_fail_cleanly(tmp_path_factory: pytest.TempPathFactory,
                                      noise: bytes, at: int) -> None:
    text = EXAMPLE.read_bytes()
    at %= len(text)
    path = tmp_path_factory.mktemp("c") / "bp.json"
    path.write_bytes(text[:at] + noise + text[at + len(noise) // 2:])
    try:
        load(path)
    except BlueprintError as exc:
        assert all(d.line >= 1 and d.col >= 1 for d in exc.diagnostics), exc.diagnostics
    except InputError:
        pass


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_fast_check_agrees_with_jsonschema(doc: dict[str, Any]) -> None:
    plain = json.loads(json.dumps(doc))
    resources = plain.get("resources")
    for res in resources.values() if isinstance(resources, dict) else ():
        if isinstance(res, dict) and res.get("type") in resource_types():
            rtype = res["type"]
            expected = not any(True for _ in _validator(rtype).iter_errors(res))
            assert _fast(rtype)(res) == expected, res
    top = dict(plain)
    expected = not any(True for _ in _validator("").iter_errors(top))
    assert _fast("")(top) == expected


def _resource_values(rtype: str) -> st.SearchStrategy[dict[str, Any]]:
    """Resources of one type built from its own field names, with values of every kind."""
    from dpn.schema import field_names

    names = [*field_names(rtype), "extra"]
    return st.dictionaries(st.sampled_from(names), json_value, max_size=6).map(
        lambda d: {**d, "type": rtype})


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(resource_types())).flatmap(_resource_values))
def test_fast_check_agrees_with_jsonschema_per_type(res: dict[str, Any]) -> None:
    rtype = res["type"]
    expected = not any(True for _ in _validator(rtype).iter_errors(res))
    assert _fast(rtype)(res) == expected, res
