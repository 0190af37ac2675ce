"""Apply a list of operations as one transaction across both platforms.

Order: creates, updates and replaces in dependency order (independent ones in parallel);
the commit point; then deletes in reverse dependency order. Every platform call is
announced by an ``intent`` record that is durable before the call starts. A failure (or a
cancel) before the commit point rolls back everything done, in reverse order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from dpn.engine import undo
from dpn.engine.deletes import delete_phase
from dpn.engine.events import Committed, RollbackStarted, TxFinished, TxStarted
from dpn.engine.forward import Forward
from dpn.engine.operations import Engine, apply_done, without
from dpn.engine.ops import ApplyResult, Operation, OpResult, Outcome, Status, new_tx_id
from dpn.engine.records import Begin, Commit, End, RolledBack, old_node, write
from dpn.engine.scheduler import run_graph
from dpn.engine.stores import WalSink
from dpn.errors import DpnError, RecoveryNeeded, StateError, Transient
from dpn.model import Blueprint, StackState

__all__ = ["Engine", "Transaction"]


class Transaction:
    """One run of ``apply``. Use ``run()``; the caller holds the stack lock."""

    def __init__(self, engine: Engine, stack: str, state: StackState | None,
                 blueprint: Blueprint | None, operations: Sequence[Operation],
                 *, force_empty: bool = False) -> None:
        self.engine = engine
        self.stack = stack
        self.base = state or StackState(stack=stack)
        self.blueprint = blueprint
        self.ops = {op.key: op for op in operations}
        self.force_empty = force_empty
        self.tx = new_tx_id()

    def run(self) -> ApplyResult:
        pre = [op.key for op in self.ops.values() if op.action != "delete"]
        dels = [op for op in self.ops.values() if op.action == "delete"]
        wal = self.engine.store.wal_writer(self.stack, self.tx)
        try:
            write(wal, Begin(self.tx, self.stack, self.base.serial, tuple(self.ops.values())))
            self.engine.events(TxStarted(self.stack, self.tx, len(self.ops)))
            forward = Forward(self.engine, wal, self.tx, self.stack, self.base,
                              self.blueprint, self.ops)
            nodes, waits = self._forward_graph(pre)
            run = run_graph(nodes, waits, forward.node, parallelism=self.engine.parallelism,
                            stop=self.engine.cancel.is_set)
            if run.failed or run.stopped:
                result = self._rollback(wal, forward, run.failed, cancelled=run.stopped)
            else:
                write(wal, Commit())
                self.engine.events(Committed(self.tx))
                state = self._save(apply_done(self.base, forward.done.values()))
                result = self._delete_phase(wal, forward, dels, state)
            return dataclasses.replace(result, fsyncs=wal.fsyncs)
        finally:
            wal.close()

    def _save(self, state: StackState) -> StackState:
        """Write the state past the commit point. If that fails, the WAL still holds the
        truth: the transaction is left for ``dpn recover`` to complete (exit 4)."""
        try:
            return self.engine.store.save_state(state, tx=self.tx)
        except StateError:
            raise
        except Exception as exc:
            raise RecoveryNeeded(f"transaction {self.tx} committed but its state could not be "
                                 f"written ({exc}); fix the cause and run "
                                 f"'{self.engine.store.command('recover', self.stack)}'"
                                 ) from exc

    def _forward_graph(self, pre: list[str]) -> tuple[list[str], dict[str, set[str]]]:
        return forward_graph([self.ops[k] for k in pre], self.base)

    def _rollback(self, wal: WalSink, forward: Forward, failed: Mapping[str, BaseException],
                  *, cancelled: bool) -> ApplyResult:
        first = next(iter(failed.values()), None)
        reason = "cancelled" if cancelled and first is None else f"{first}"
        self.engine.events(RollbackStarted(reason, len(forward.done_order)))
        problems = undo.undo_all(self.engine, wal, self.stack, forward.done,
                                 forward.done_order)
        problems += [f"{key}: the create failed and whether it took effect could not be read"
                     for key in forward.unresolved]
        ok = not problems
        results = forward.results
        for key in self.ops:
            if key in results and results[key].status == Status.DONE:
                r = results[key]
                results[key] = OpResult(key, r.action, Status.UNDONE if ok else Status.PENDING,
                                        r.id)
            elif key not in results:
                results[key] = OpResult(key, self.ops[key].action, Status.NOT_STARTED)
        if ok:
            write(wal, RolledBack(reason))
            outcome = Outcome.ROLLED_BACK
        else:
            outcome = Outcome.NEEDS_RECOVERY
        self.engine.events(TxFinished(self.tx, outcome))
        error = None if first is None else str(first)
        if first is not None and not isinstance(first, DpnError | Transient):
            error = f"{type(first).__name__}: {first}"
        if problems:
            error = f"{error}; could not undo: " + "; ".join(problems)
        return ApplyResult(self.stack, self.tx, outcome, self._ordered(results), error=error,
                           cancelled=cancelled, error_exit=getattr(first, "exit_code", 1),
                           changed=bool(forward.done_order))

    def _delete_phase(self, wal: WalSink, forward: Forward, dels: list[Operation],
                      state: StackState) -> ApplyResult:
        run = delete_phase(self.engine, wal, self.stack, dels, self.base,
                           force_empty=self.force_empty, events=self.engine.events,
                           on_failed=forward.failed, stop=self.engine.cancel.is_set)
        if run.deleted:
            state = self._save(without(state, run.deleted))
        results = forward.results
        for key in run.deleted:
            results[key] = OpResult(key, "delete", Status.DONE, self.ops[key].id)
        for key in run.not_started:
            results[key] = OpResult(key, "delete", Status.NOT_STARTED, self.ops[key].id)
        first = next(iter(run.failed.values()), None)
        write(wal, End(tuple(run.deleted),
                       tuple(op.key for op in dels if op.key not in run.deleted)))
        self.engine.events(TxFinished(self.tx, Outcome.COMMITTED))
        return ApplyResult(self.stack, self.tx, Outcome.COMMITTED, self._ordered(results),
                           error=None if first is None else str(first),
                           cancelled=run.stopped)

    def _ordered(self, results: Mapping[str, OpResult]) -> tuple[OpResult, ...]:
        return tuple(results.get(k, OpResult(k, op.action, Status.NOT_STARTED, op.id))
                     for k, op in self.ops.items())


def forward_graph(ops: Sequence[Operation], base: StackState
                  ) -> tuple[list[str], dict[str, set[str]]]:
    """The forward phase as a graph of nodes and what each waits for. A replace is two
    nodes: ``old_node(key)`` deletes the old object and ``key`` creates the new one.
    Deletes go children first (a replaced container's objects are replaced with it, and
    it can only go once they have), and creates parents first, as for any create. An old
    object is held by what it depended on when it was made (the state's record), which
    the replace may change: a table moved to another schema leaves its old schema before
    that schema goes."""
    waits = {op.key: set(op.depends_on) for op in ops}
    replaced = [op for op in ops if op.action == "replace"]
    held_by = {op.key: {*op.depends_on, *(recorded.depends_on if (
        recorded := base.resources.get(op.key)) else ())} for op in replaced}
    for op in replaced:
        waits[op.key].add(old_node(op.key))
        waits[old_node(op.key)] = {old_node(c.key) for c in replaced
                                   if op.key in held_by[c.key]}
    return [*(op.key for op in ops), *(old_node(op.key) for op in replaced)], waits
