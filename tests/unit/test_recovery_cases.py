"""Recovery's decisions as data: each case of ``cases/recovery.json`` is a transaction's
WAL records (as written on disk, before the sequence number, time and checksum the
writer adds), what the platform holds (served by ``FakePlatform``) and, optionally, the
stack's state; after ``dpn recover`` the outcome, the state's resources (key -> id, or
null for no state), every object left on the platform (``"type id"`` -> props it must
have) and what the recovery reports must be as expected."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from dpn.api.runner import Runner
from dpn.api.stacks import recover_stack
from dpn.engine.wal import Rec, WalWriter, wal_dir
from dpn.model import ResourceState, StackState, freeze

from .fake_platform import FakePlatform, fake_retry

STACK = "acme-dev-lake"
TX = "20260101T000000Z-0000beef"
CASES = json.loads((Path(__file__).parent / "cases" / "recovery.json").read_text())


def _state(records: dict) -> StackState:
    resources = {key: ResourceState(key=key, type=r["type"], name=r["name"], id=r["id"],
                                    props=freeze(r["props"]),
                                    attrs=freeze({"id": r["id"], "name": r["name"]}),
                                    depends_on=tuple(r.get("depends_on") or ()))
                 for key, r in records.items()}
    return StackState(STACK, 0, resources)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_recovery_case(case, tmp_path):
    platform = FakePlatform()
    for obj in case.get("platform", []):
        platform.objects[(obj["type"], obj["id"])] = {
            "name": obj["name"], "props": copy.deepcopy(obj["props"]), "children": 0}
    runner = Runner(home=tmp_path, providers=platform.providers, retry=fake_retry())
    if "state" in case:
        runner.store.save_state(_state(case["state"]))
    writer = WalWriter(wal_dir(tmp_path, STACK) / f"{TX}.jsonl")
    for record in case["wal"]:
        fields = dict(record)
        writer.append(Rec(fields.pop("record")), **fields)
    writer.close()

    [recovery] = recover_stack(runner, STACK)

    expect = case["expect"]
    assert recovery.outcome == expect["outcome"]
    state = runner.store.load_state(STACK)
    assert expect["state"] == (None if state is None else
                               {k: r.id for k, r in state.resources.items()})
    live = {f"{t} {i}": o["props"] for (t, i), o in platform.objects.items()}
    assert set(live) == set(expect["objects"])
    for name, props in expect["objects"].items():
        assert {k: live[name].get(k) for k in props} == props, name
    said = "\n".join(recovery.actions)
    for text in expect.get("actions", []):
        assert text in said
    for text in expect.get("no_actions", []):
        assert text not in said
    assert recovery.left == expect.get("left", [])
    assert runner.store.incomplete(STACK) == []


def test_every_case_says_what_it_shows():
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)) and all(c.get("doc") for c in CASES)
