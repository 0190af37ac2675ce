"""Undo what a transaction did, newest first, in parallel where independent.

Each entry is a done operation (``operations.Entry``): a create is undone by deleting what
it created, an update by restoring its before-image, the delete half of a replace by
re-creating the old object from its before-image (replaces only happen to types whose
physical id is their name, so the re-created object has the same id). Every undo is
announced by an ``undo`` record and confirmed by ``undone``, so a crash mid-rollback
leaves ``dpn recover`` exactly what is left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dpn.engine.events import UndoDone, UndoFailed, UndoStarted
from dpn.engine.operations import Engine, Entry, create_or_adopt
from dpn.engine.records import Undo, Undone, is_old, write
from dpn.engine.scheduler import run_graph
from dpn.engine.stores import WalSink
from dpn.model import UNTAGGED


def undo_order(done: Mapping[str, Entry], nodes: Sequence[str]) -> dict[str, set[str]]:
    """What each node's undo waits for: the new objects (creates, updates, the create half
    of replaces) go children first, a follow-up before its object, and the old objects of
    replaces come back after their new ones, parents first."""
    dependents: dict[str, set[str]] = {}
    for node in nodes:
        if not is_old(node):
            for dep in done[node].depends_on:
                dependents.setdefault(dep, set()).add(node)
        if done[node].op == "follow_up":  # restored before its object is undone
            dependents.setdefault(done[node].key, set()).add(node)
    olds = {done[node].key: node for node in nodes if is_old(node)}
    waits: dict[str, set[str]] = {}
    for node in nodes:
        key = done[node].key
        waits[node] = {d for d in dependents.get(key, ()) if d != node}
        if is_old(node):
            if key in done:
                waits[node].add(key)  # the new object goes before the old one comes back
            # old objects come back parents first (a container before what it held)
            waits[node] |= {olds[d] for d in done[node].depends_on if d in olds}
    return waits


def undo_all(engine: Engine, wal: WalSink, stack: str, done: Mapping[str, Entry],
             order: Sequence[str]) -> list[str]:
    """Undo every entry of ``done`` (keyed by node name, in completion ``order``).
    Returns what could not be undone (empty when everything was)."""
    nodes = list(order)

    def undo_one(node: str) -> None:
        entry = done[node]
        engine.events(UndoStarted(entry.key, entry.op))
        write(wal, Undo(node, entry.key, entry.op))
        try:
            undo_entry(engine, stack, entry)
        except Exception as exc:
            engine.events(UndoFailed(entry.key, entry.op, str(exc)))
            raise
        write(wal, Undone(node, entry.key))
        engine.events(UndoDone(entry.key, entry.op))

    run = run_graph(nodes, undo_order(done, nodes), undo_one, parallelism=engine.parallelism)
    problems = [f"{node}: {exc}" for node, exc in run.failed.items()]
    problems += [f"{node}: not undone" for node in run.not_started]
    return problems


def undo_entry(engine: Engine, stack: str, entry: Entry) -> None:
    """Undo one done entry; idempotent, so recovery may repeat it."""
    provider = engine.provider(entry.type)
    if entry.op == "replace_delete":
        assert entry.before is not None
        # an untagged object of that name can only be this undo's own, made by a try
        # that was interrupted
        create_or_adopt(engine, provider, entry.before.spec(entry.key, entry.type), stack,
                        absent_before=entry.type in UNTAGGED)
    elif entry.op in ("update", "follow_up") or entry.before is not None:
        # an update, or a create of settings of another object (model.ATTACHED)
        assert entry.before is not None
        spec = entry.before.spec(entry.key, entry.type)
        engine.call(entry.key, "undo", lambda: provider.update(entry.id, spec))
    else:  # create, or the create half of a replace
        engine.call(entry.key, "undo", lambda: provider.delete(entry.id))
