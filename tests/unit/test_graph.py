"""Dependency batches and cycles."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dpn.graph import CycleError, batches, order, reverse_batches


def test_batches_are_sorted_and_layered() -> None:
    deps = {"job": ["cluster", "table"], "table": ["db", "bucket"], "db": ["bucket"],
            "cluster": [], "bucket": []}
    assert batches(deps) == [["bucket", "cluster"], ["db"], ["table"], ["job"]]
    assert reverse_batches(deps) == [["job"], ["table"], ["db"], ["bucket", "cluster"]]
    assert order(deps) == ["bucket", "cluster", "db", "table", "job"]


def test_dependencies_outside_the_mapping_are_ignored() -> None:
    assert batches({"a": ["outside"], "b": ["a"]}) == [["a"], ["b"]]


def test_empty() -> None:
    assert batches({}) == []


@pytest.mark.parametrize(("deps", "message"), [
    ({"a": ["a"]}, "a -> a"),
    ({"a": ["b"], "b": ["a"]}, "a -> b -> a"),
    ({"x": [], "b": ["c"], "c": ["d"], "d": ["b"], "e": ["b"]}, "b -> c -> d -> b"),
])
def test_cycles_are_spelled_out(deps: dict[str, list[str]], message: str) -> None:
    with pytest.raises(CycleError) as info:
        batches(deps)
    assert str(info.value) == message
    assert info.value.cycle[0] == info.value.cycle[-1]


@given(st.dictionaries(st.sampled_from("abcdefgh"), st.lists(st.sampled_from("abcdefghz"))))
def test_order_respects_every_edge_or_reports_a_real_cycle(deps: dict[str, list[str]]) -> None:
    try:
        result = batches(deps)
    except CycleError as exc:
        cycle = exc.cycle
        for a, b in zip(cycle, cycle[1:], strict=False):
            assert b in deps[a]
        return
    position = {k: i for i, batch in enumerate(result) for k in batch}
    assert sorted(position) == sorted(deps)
    for key, ds in deps.items():
        for d in ds:
            if d in deps:
                assert position[d] < position[key]
    assert all(batch == sorted(batch) for batch in result)
