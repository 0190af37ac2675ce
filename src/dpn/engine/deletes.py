"""The delete phase, past the commit point, of a transaction and of its recovery: every
delete in reverse dependency order (what depends on an object goes before it), in
parallel where independent, each announced by an ``intent`` and confirmed by a ``done``.
A failed delete stops the scheduling of the others; the caller writes the state with
exactly what was deleted."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from dpn.engine.events import EventSink, OpDone, OpStarted, ignore
from dpn.engine.operations import Engine, delete_owned
from dpn.engine.ops import Operation
from dpn.engine.records import Done, write
from dpn.engine.scheduler import reverse_edges, run_graph
from dpn.engine.stores import WalSink
from dpn.model import StackState


@dataclass
class DeleteRun:
    deleted: list[str] = field(default_factory=list)   # in completion order
    failed: dict[str, BaseException] = field(default_factory=dict)
    not_started: list[str] = field(default_factory=list)
    stopped: bool = False                               # cancelled before the end


def delete_phase(engine: Engine, wal: WalSink, stack: str, ops: Sequence[Operation],
                 base: StackState, *, force_empty: bool = False, events: EventSink = ignore,
                 on_failed: Callable[[Operation, BaseException], None] | None = None,
                 stop: Callable[[], bool] = lambda: False) -> DeleteRun:
    """Delete ``ops`` (each checked to be the stack's first); ``base`` is the state they
    are recorded in, whose dependencies order them too."""
    by_key = {op.key: op for op in ops}
    waits = reverse_edges(by_key, {k: op.depends_on for k, op in by_key.items()})
    # a resource to delete also waits for its state dependents that are deleted
    for key, res in base.resources.items():
        for dep in res.depends_on:
            if dep in waits and key in waits:
                waits[dep].add(key)
    out = DeleteRun()
    lock = threading.Lock()

    def delete_one(key: str) -> None:
        op = by_key[key]
        events(OpStarted(key, op.type, op.name, "delete"))
        started = time.monotonic()
        try:
            gone_already = delete_owned(engine, wal, stack, op, force_empty=force_empty,
                                        recorded=base.resources.get(key))
        except Exception as exc:
            if on_failed is not None:
                on_failed(op, exc)
            raise
        write(wal, Done(key, "delete", "delete", op.id, gone_already=gone_already))
        with lock:
            out.deleted.append(key)
        events(OpDone(key, "delete", op.id or "", time.monotonic() - started))

    run = run_graph(list(by_key), waits, delete_one, parallelism=engine.parallelism,
                    stop=stop)
    out.failed, out.not_started, out.stopped = run.failed, run.not_started, run.stopped
    return out
