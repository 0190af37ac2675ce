"""``dpn recover``: resolve every incomplete transaction of a stack from its WAL.

An operation whose outcome is unknown (an ``intent`` with no ``done`` or ``failed``) is
resolved by reading the platform: a create by ``find`` (name and ownership tags; clusters
by their idempotency token), an update or delete by reading the object. Then a transaction
that had not reached its commit point is rolled back, and one that had is completed. After
it: no orphaned resource, and the state equals the platforms.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any

from dpn.canonical import canonical
from dpn.engine.deletes import delete_phase
from dpn.engine.operations import Engine, Entry, apply_done, settle_create, without
from dpn.engine.records import (
    Done,
    Failed,
    Intent,
    Recovered,
    Undone,
    begin_of,
    old_node,
    records_of,
    write,
)
from dpn.engine.stores import WalSink
from dpn.engine.undo import undo_all
from dpn.engine.wal import WalLog
from dpn.errors import RecoveryNeeded
from dpn.model import StackState


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
class Replay:
    """A log read back: what was done (by node, in order), undone, deleted, and the
    intents with no outcome."""

    entries: dict[str, Entry] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    undone: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)
    unknown: list[Intent] = field(default_factory=list)

    def add(self, entry: Entry) -> None:
        self.entries[entry.node] = entry
        if entry.node not in self.order:
            self.order.append(entry.node)


def _entry(done: Done, intent: Intent | None) -> Entry:
    before = intent.before if intent is not None else None
    if done.op == "replace_delete":
        return Entry(old_node(done.key), done.key, done.op,
                     intent.type if intent is not None else "", done.id or "",
                     done.action, before)
    # an update's, a follow-up's or an attached create's before-image comes with it
    return Entry(done.node or done.key, done.key, done.op, done.type or "", done.id or "",
                 done.action, before, tuple(done.depends_on or ()), done.name, done.props,
                 done.attrs)


def replay(log: WalLog) -> Replay:
    """Pair intents with their outcomes."""
    out = Replay()
    pending: dict[tuple[str, str], Intent] = {}
    for rec in records_of(log):
        if isinstance(rec, Intent):
            pending[(rec.node or rec.key, rec.op)] = rec
        elif isinstance(rec, Done):
            intent = pending.pop((rec.node or rec.key, rec.op), None)
            if rec.op == "delete":
                out.deleted.add(rec.key)
            else:
                out.add(_entry(rec, intent))
        elif isinstance(rec, Failed):
            for pk in [pk for pk in pending if pk[0] == rec.key]:
                pending.pop(pk)
        elif isinstance(rec, Undone):
            out.undone.add(rec.node)
    out.unknown = list(pending.values())
    return out


def recover(engine: Engine, log: WalLog, *, dry_run: bool = False) -> Recovery:
    """Resolve one incomplete transaction. The caller holds the stack lock."""
    begin = begin_of(log)
    result = Recovery(tx=log.tx, committed=log.committed)
    rp = replay(log)
    _resolve_unknown(engine, begin.stack, rp, result)
    # the state before the transaction (one without a commit has not changed it)
    base = engine.store.load_state(begin.stack) or StackState(stack=begin.stack)
    # undo order comes from the plan (a parent's undo waits for every child's); the old
    # objects of replaces come back after what they depended on when they were made
    planned = {op.key: op.depends_on for op in begin.ops}
    for node, entry in rp.entries.items():
        recorded = base.resources.get(entry.key)
        deps = (recorded.depends_on if entry.op == "replace_delete" and recorded
                else planned.get(entry.key, entry.depends_on))
        rp.entries[node] = dataclasses.replace(entry, depends_on=tuple(deps))
    if not dry_run:
        engine.store.truncate_torn(log)
    wal = None if dry_run else engine.store.wal_writer(begin.stack, log.tx,
                                                        start_seq=log.last_seq)
    try:
        if log.committed:
            _complete(engine, log, base, rp, result, wal)
        else:
            _roll_back(engine, begin.stack, rp, result, wal)
    finally:
        if wal is not None:
            wal.close()
    return result


def _resolve_unknown(engine: Engine, stack: str, rp: Replay, result: Recovery) -> None:
    for intent in rp.unknown:
        key, op = intent.key, intent.op
        provider = engine.provider(intent.type)
        if op == "create" and intent.before is not None:  # model.ATTACHED
            result.actions.append(f"{key}: create outcome unknown; what it changed is "
                                  "restored from its before-image")
            rp.add(Entry(key, key, "create", intent.type, intent.before.id, intent.action,
                         intent.before))
        elif op == "create":
            assert intent.spec is not None
            found = settle_create(engine, provider, intent.spec, stack,
                                  absent_before=intent.absent_before)
            if found is not None:
                result.actions.append(f"{key}: create had taken effect ({found.id})")
                rp.add(Entry(key, key, "create", intent.spec.type, found.id, intent.action,
                             name=found.name, attrs=dict(found.attrs),
                             props=canonical(intent.spec.type, found.props)))
            else:
                result.actions.append(f"{key}: create had not taken effect")
        elif op in ("update", "follow_up"):
            result.actions.append(f"{key}: update outcome unknown; its before-image is restored")
            rp.add(Entry(intent.node or key, key, op, intent.type, intent.id or "", "update",
                         intent.before))
        elif op == "replace_delete":
            live = engine.call(key, "read", functools.partial(provider.read, intent.id or ""))
            if live is None:
                result.actions.append(f"{key}: old object had been deleted for a replace")
                rp.add(Entry(old_node(key), key, op, intent.type, intent.id or "",
                             before=intent.before))
        # a delete intent is settled in the forward path


def _roll_back(engine: Engine, stack: str, rp: Replay, result: Recovery,
               wal: WalSink | None) -> None:
    todo = [n for n in rp.order if n not in rp.undone]
    for node in reversed(todo):
        entry = rp.entries[node]
        result.actions.append(f"{entry.key}: undo {entry.op or entry.action}")
    if wal is None:
        result.outcome = "would roll back"
        return
    problems = undo_all(engine, wal, stack, rp.entries, todo)
    if problems:
        raise_incomplete(result, "the rollback could not finish: " + "; ".join(problems))
    write(wal, Recovered("rolled_back"))
    result.outcome = "rolled_back"


def _complete(engine: Engine, log: WalLog, base: StackState, rp: Replay, result: Recovery,
              wal: WalSink | None) -> None:
    begin = begin_of(log)
    store = engine.store
    pre = [e for e in rp.entries.values() if e.op in ("create", "update", "follow_up")]
    state = apply_done(base, pre)
    dels = [op for op in begin.ops if op.action == "delete" and op.key not in rp.deleted]
    for op in dels:
        result.actions.append(f"{op.key}: finish delete of {op.id}")
    if wal is None:
        result.outcome = "would complete"
        return
    run = delete_phase(engine, wal, begin.stack, dels, base)
    deleted = rp.deleted | set(run.deleted)
    store.save_state(without(state, deleted), tx=log.tx)
    result.left = sorted({op.key for op in dels} - deleted)
    write(wal, Recovered("committed", tuple(result.left)))
    result.outcome = "committed"


def raise_incomplete(result: Recovery, why: str) -> None:
    raise RecoveryNeeded(f"transaction {result.tx}: {why}; fix the cause and run "
                         "'dpn recover' again")
