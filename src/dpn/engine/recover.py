"""``dpn recover``: resolve every incomplete transaction of a stack from its WAL.

An operation whose outcome is unknown (an ``intent`` with no ``done`` or ``failed``) is
resolved by reading the platform: a create by ``find`` (name and ownership tags; clusters
by their idempotency token), an update or delete by reading the object. Then a transaction
that had not reached its commit point is rolled back, and one that had is completed. After
it: no orphaned resource, and the state equals the platforms.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from dpn.canonical import canonical
from dpn.engine.ops import Operation
from dpn.engine.scheduler import reverse_edges, run_graph
from dpn.engine.stores import WalSink
from dpn.engine.transaction import (
    Engine,
    apply_done,
    delete_owned,
    freeze_resources,
    made_by_create,
)
from dpn.engine.undo import undo_all
from dpn.engine.wal import OLD, Rec, WalLog
from dpn.model import StackState
from dpn.providers.base import Observed, Spec


@dataclass
class Recovery:
    """What recovery found and did (or, with ``dry_run``, would do) for one transaction."""

    tx: str
    committed: bool
    outcome: str = ""
    actions: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"tx": self.tx, "outcome": self.outcome, "actions": self.actions,
                "left": self.left}


@dataclass
class _Replay:
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)  # node -> done entry
    order: list[str] = field(default_factory=list)
    undone: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)
    unknown: list[dict[str, Any]] = field(default_factory=list)       # intents, in order

    def add(self, node: str, entry: dict[str, Any]) -> None:
        self.entries[node] = entry
        if node not in self.order:
            self.order.append(node)


def replay(log: WalLog) -> _Replay:
    """Pair intents with their outcomes."""
    out = _Replay()
    pending: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in log.records:
        kind = rec["record"]
        if kind == Rec.INTENT:
            pending[(rec.get("node") or rec["key"], rec["op"])] = rec
        elif kind == Rec.DONE:
            op = rec.get("op", "create")
            intent = pending.pop((rec.get("node") or rec["key"], op), {})
            if op == "follow_up":
                out.add(rec["node"], {**rec, "before": intent.get("before")})
            elif op == "delete":
                out.deleted.add(rec["key"])
            elif op == "replace_delete":
                out.add(rec["key"] + OLD, {"key": rec["key"], "op": op, "id": rec["id"],
                                              "type": intent.get("type"),
                                              "before": intent.get("before")})
            else:
                entry = dict(rec)
                if intent.get("before") is not None:  # an update's, or an attached create's
                    entry["before"] = intent["before"]
                out.add(rec["key"], entry)
        elif kind == Rec.FAILED:
            for pk in [pk for pk in pending if pk[0] == rec["key"]]:
                pending.pop(pk)
        elif kind == Rec.UNDONE:
            out.undone.add(rec["node"])
    out.unknown = list(pending.values())
    return out


def recover(engine: Engine, log: WalLog, *, dry_run: bool = False) -> Recovery:
    """Resolve one incomplete transaction. The caller holds the stack lock."""
    stack = log.begin["stack"]
    result = Recovery(tx=log.tx, committed=log.committed)
    rp = replay(log)
    _resolve_unknown(engine, stack, rp, result)
    # undo order comes from the plan: a parent's undo waits for every child's
    planned = {o["key"]: list(o.get("depends_on") or ()) for o in log.begin.get("ops", [])}
    for entry in rp.entries.values():
        entry["depends_on"] = planned.get(entry["key"], entry.get("depends_on") or [])
    if not dry_run:
        engine.store.truncate_torn(log)
    wal = None if dry_run else engine.store.wal_writer(stack, log.tx, start_seq=log.last_seq)
    try:
        if log.committed:
            _complete(engine, log, rp, result, wal, dry_run=dry_run)
        else:
            _roll_back(engine, stack, rp, result, wal, dry_run=dry_run)
    finally:
        if wal is not None:
            wal.close()
    return result


def _resolve_unknown(engine: Engine, stack: str, rp: _Replay, result: Recovery) -> None:
    for intent in rp.unknown:
        key, op = intent["key"], intent["op"]
        provider = engine.provider(intent["type"])
        if op == "create" and intent.get("before") is not None:  # model.ATTACHED
            result.actions.append(f"{key}: create outcome unknown; what it changed is "
                                  "restored from its before-image")
            rp.add(key, {"key": key, "op": "create", "action": intent["action"],
                         "type": intent["type"], "id": intent["before"]["id"],
                         "before": intent["before"], "depends_on": []})
        elif op == "create":
            raw = intent["spec"]
            spec = Spec(key=key, type=raw["type"], name=raw["name"], props=raw["props"],
                        token=raw.get("token", ""))
            found: Observed | None = engine.call(
                key, "find", functools.partial(provider.find, spec))
            if found is not None and made_by_create(found, stack, key,
                                                    absent_before=intent.get("absent_before")):
                result.actions.append(f"{key}: create had taken effect ({found.id})")
                rp.add(key, {"key": key, "op": "create", "action": intent["action"],
                             "type": raw["type"], "name": found.name, "id": found.id,
                             "attrs": dict(found.attrs),
                             "props": canonical(raw["type"], found.props),
                             "depends_on": []})
            else:
                result.actions.append(f"{key}: create had not taken effect")
        elif op in ("update", "follow_up"):
            result.actions.append(f"{key}: update outcome unknown; its before-image is restored")
            rp.add(intent.get("node") or key,
                   {"key": key, "op": op, "action": "update", "type": intent["type"],
                    "id": intent["id"], "before": intent["before"], "depends_on": []})
        elif op == "replace_delete":
            live = engine.call(key, "read", functools.partial(provider.read, intent["id"]))
            if live is None:
                result.actions.append(f"{key}: old object had been deleted for a replace")
                rp.add(key + OLD, {"key": key, "op": op, "id": intent["id"],
                                      "type": intent["type"], "before": intent["before"]})
        # a delete intent is settled in the forward path


def _roll_back(engine: Engine, stack: str, rp: _Replay, result: Recovery,
               wal: WalSink | None, *, dry_run: bool) -> None:
    todo = [n for n in rp.order if n not in rp.undone]
    for node in reversed(todo):
        entry = rp.entries[node]
        result.actions.append(f"{entry['key']}: undo {entry.get('op') or entry['action']}")
    if dry_run:
        result.outcome = "would roll back"
        return
    assert wal is not None
    problems = undo_all(engine, wal, stack, rp.entries, todo)
    if problems:
        raise_incomplete(result, "the rollback could not finish: " + "; ".join(problems))
    wal.append(Rec.RECOVERED, outcome="rolled_back")
    result.outcome = "rolled_back"


def _complete(engine: Engine, log: WalLog, rp: _Replay, result: Recovery,
              wal: WalSink | None, *, dry_run: bool) -> None:
    stack = log.begin["stack"]
    store = engine.store
    base = store.load_state(stack) or StackState(stack=stack)
    pre = [e for e in rp.entries.values() if e.get("op") in ("create", "update", "follow_up")]
    state = apply_done(base, pre)
    ops = [Operation.from_json(o) for o in log.begin["ops"]]
    dels = [op for op in ops if op.action == "delete" and op.key not in rp.deleted]
    for op in dels:
        result.actions.append(f"{op.key}: finish delete of {op.id}")
    if dry_run:
        result.outcome = "would complete"
        return
    by_key = {op.key: op for op in dels}
    deleted = set(rp.deleted)
    failed: list[str] = []

    def delete_one(key: str) -> None:
        try:
            delete_owned(engine, wal, stack, by_key[key], force_empty=False,
                         recorded=base.resources.get(key))
        except Exception:
            failed.append(key)
            raise
        assert wal is not None
        wal.append(Rec.DONE, key=key, action="delete", op="delete", id=by_key[key].id)
        deleted.add(key)

    waits = reverse_edges(by_key, {k: v.depends_on for k, v in by_key.items()})
    run_graph(list(by_key), waits, delete_one, parallelism=engine.parallelism)
    remaining = {k: v for k, v in state.resources.items() if k not in deleted}
    store.save_state(StackState(stack, base.serial, freeze_resources(remaining)), tx=log.tx)
    result.left = sorted(set(by_key) - deleted)
    assert wal is not None
    wal.append(Rec.RECOVERED, outcome="committed", left=result.left)
    result.outcome = "committed"


def raise_incomplete(result: Recovery, why: str) -> None:
    from dpn.errors import RecoveryNeeded
    raise RecoveryNeeded(f"transaction {result.tx}: {why}; fix the cause and run "
                         "'dpn recover' again")
