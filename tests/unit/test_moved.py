"""moved: renames in the state (tests/unit/cases/moved.json through the planner), the
rename written as a transaction of its own, and the ownership of a moved object that
still carries its old key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dpn import model
from dpn.blueprint import from_dict
from dpn.engine.moves import owned_view, write_moves
from dpn.engine.stores import LocalStore
from dpn.engine.stores.history import history
from dpn.errors import BlueprintError, InputError
from dpn.moved import rename
from dpn.plan import make_plan
from dpn.providers.base import Observed
from tests.unit.test_lifecycle import applied, blueprint

CASES = json.loads((Path(__file__).parent / "cases" / "moved.json").read_text())["cases"]
META = {"org": "acme", "env": "dev", "project": "lake", "region": "us-east-1"}


def with_moves(resources: dict[str, Any], moves: list[dict[str, str]]) -> model.Blueprint:
    return from_dict({"version": 1, "metadata": META, "resources": resources, "moved": moves})


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_moved(case: dict[str, Any]) -> None:
    if "error" in case:
        with pytest.raises(BlueprintError) as info:
            with_moves(case["now"], case["moved"])
        assert case["error"] in str(info.value)
        return
    state = applied(blueprint(case["applied"]))
    now = with_moves(case["now"], case["moved"])
    if "plan_error" in case:
        with pytest.raises(InputError) as err:
            make_plan(now, state, None)
        assert case["plan_error"] in str(err.value)
        return
    live = {k: Observed(r.id, r.name, r.props, r.attrs) for k, r in state.resources.items()}
    plan = make_plan(now, state, live)
    renamed, moves = rename(state, now)
    assert renamed is not None
    if "renamed" in case:
        assert {m.target: m.source for m in moves} == case["renamed"]
        assert {m.target: m.source for m in plan.moved} == case["renamed"]
        for new, old in case["renamed"].items():
            assert renamed.resources[new].id == state.resources[old].id
            assert old not in renamed.resources
    for key, deps in case.get("deps", {}).items():
        assert list(renamed.resources[key].depends_on) == deps
    changes = {c.key: c for c in plan.changes}
    assert {k: changes[k].action.value for k in case["actions"]} == case["actions"]
    for key, fields in case.get("fields", {}).items():
        assert sorted(changes[key].diff_fields) == fields
    for key, note in case.get("notes", {}).items():
        assert any(note in e for e in changes[key].effects), changes[key].effects
    assert plan.serial == state.serial


def test_the_rename_is_a_transaction_of_its_own(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    old = applied(blueprint({"raw": {"type": "aws.s3_bucket", "layer": "raw",
                                     "purpose": "landing"}}))
    base = store.save_state(model.StackState(old.stack, 0, old.resources))
    now = with_moves({"landing": {"type": "aws.s3_bucket", "layer": "raw",
                                  "purpose": "landing"}}, [{"from": "raw", "to": "landing"}])
    renamed, moves = rename(base, now)
    assert renamed is not None
    written, result = write_moves(store, base.stack, base, renamed, moves)
    assert written.serial == base.serial + 1
    assert set(store.load_state(base.stack).resources) == {"landing"}  # type: ignore[union-attr]
    assert [(o.key, o.action, o.status) for o in result.operations] == [
        ("landing", "move", "done")]
    assert not store.incomplete(base.stack)
    (tx,) = history(store, base.stack)
    assert tx.outcome == "committed" and [(o.key, o.action, o.status)
                                          for o in tx.operations] == [("landing", "move",
                                                                       "done")]
    assert rename(store.load_state(base.stack), now)[1] == ()  # applied once


class _Fake:
    """A provider answering one object, tagged with its old key."""

    type = "aws.s3_bucket"
    access_scope = ""

    def __init__(self, tags: dict[str, str]) -> None:
        self.obs = Observed("b1", "b1", {"tags": tags}, {}, tags)

    def read(self, id: str) -> Observed | None:
        return self.obs if id == "b1" else None

    def read_many(self, ids: list[str]) -> dict[str, Observed | None]:
        return {i: self.read(i) for i in ids}


def _state(tag_key: str) -> model.StackState:
    tags = {model.STACK_TAG: "acme-dev-lake", model.KEY_TAG: tag_key}
    return model.StackState("acme-dev-lake", 2, {"landing": model.ResourceState(
        "landing", "aws.s3_bucket", "b1", "b1", model.freeze({"tags": tags}), {})})


def test_a_moved_object_is_owned_under_its_new_key_until_retagged() -> None:
    old_tags = {model.STACK_TAG: "acme-dev-lake", model.KEY_TAG: "raw"}
    view = owned_view({"aws.s3_bucket": _Fake(old_tags)}, _state("raw"),  # type: ignore[dict-item]
                      "acme-dev-lake")
    seen = view["aws.s3_bucket"].read("b1")
    assert seen is not None and seen.owned_by("acme-dev-lake", "landing")
    assert seen.props["tags"][model.KEY_TAG] == "raw"  # the before-image is the object's own
    # another stack's object, or one retagged to something else, is not taken
    other = {model.STACK_TAG: "acme-prd-lake", model.KEY_TAG: "raw"}
    view = owned_view({"aws.s3_bucket": _Fake(other)}, _state("raw"),  # type: ignore[dict-item]
                      "acme-dev-lake")
    seen = view["aws.s3_bucket"].read("b1")
    assert seen is not None and not seen.owned_by("acme-dev-lake", "landing")
    # once retagged, the state records the new key and nothing is wrapped
    plain: Any = _Fake(old_tags)
    assert owned_view({"aws.s3_bucket": plain}, _state("landing"), "acme-dev-lake")[
        "aws.s3_bucket"] is plain
