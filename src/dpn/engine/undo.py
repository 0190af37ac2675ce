"""Undo what a transaction did, newest first, in parallel where independent.

Each entry is a ``done`` record: a create is undone by deleting what it created, an update
by restoring its before-image, the delete half of a replace by re-creating the old object
from its before-image (replaces only happen to types whose physical id is their name, so
the re-created object has the same id). Every undo is announced by an ``undo`` record and
confirmed by ``undone``, so a crash mid-rollback leaves ``dpn recover`` exactly what is left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from dpn.engine.events import UndoDone, UndoFailed, UndoStarted
from dpn.engine.scheduler import run_graph
from dpn.engine.wal import OLD, Rec
from dpn.model import UNTAGGED, freeze
from dpn.providers.base import Spec

if TYPE_CHECKING:
    from dpn.engine.stores import WalSink
    from dpn.engine.transaction import Engine


def undo_all(engine: Engine, wal: WalSink, stack: str, done: Mapping[str, Mapping[str, Any]],
             order: Sequence[str]) -> list[str]:
    """Undo every entry of ``done`` (keyed by node name, in completion ``order``).
    Returns what could not be undone (empty when everything was)."""
    nodes = list(order)
    # the new objects (creates, updates, the create half of replaces) go children first
    dependents: dict[str, set[str]] = {}
    for node in nodes:
        if not node.endswith(OLD):
            for dep in done[node].get("depends_on") or ():
                dependents.setdefault(dep, set()).add(node)
        if done[node].get("op") == "follow_up":  # restored before its object is undone
            dependents.setdefault(done[node]["key"], set()).add(node)
    olds = {done[node]["key"]: node for node in nodes if node.endswith(OLD)}
    waits: dict[str, set[str]] = {}
    for node in nodes:
        key = done[node]["key"]
        waits[node] = {d for d in dependents.get(key, ()) if d != node}
        if node.endswith(OLD):
            if key in done:
                waits[node].add(key)  # the new object goes before the old one comes back
            # old objects come back parents first (a container before what it held)
            waits[node] |= {olds[d] for d in done[node].get("depends_on") or () if d in olds}

    def undo_one(node: str) -> None:
        entry = done[node]
        kind = entry.get("op") or entry["action"]
        engine.events(UndoStarted(entry["key"], kind))
        wal.append(Rec.UNDO, node=node, key=entry["key"], op=kind)
        try:
            undo_entry(engine, stack, entry)
        except Exception as exc:
            engine.events(UndoFailed(entry["key"], kind, str(exc)))
            raise
        wal.append(Rec.UNDONE, node=node, key=entry["key"])
        engine.events(UndoDone(entry["key"], kind))

    run = run_graph(nodes, waits, undo_one, parallelism=engine.parallelism)
    problems = [f"{node}: {exc}" for node, exc in run.failed.items()]
    problems += [f"{node}: not undone" for node in run.not_started]
    return problems


def undo_entry(engine: Engine, stack: str, entry: Mapping[str, Any]) -> None:
    """Undo one done entry; idempotent, so recovery may repeat it."""
    from dpn.engine.transaction import create_or_adopt

    provider = engine.provider(entry["type"])
    key = entry["key"]
    kind = entry.get("op") or entry["action"]
    if kind == "replace_delete":
        before = entry["before"]
        spec = Spec(key=key, type=entry["type"], name=before["name"],
                    props=freeze(before["props"]))
        # an untagged object of that name can only be this undo's own, made by a try
        # that was interrupted
        create_or_adopt(engine, provider, spec, stack,
                        absent_before=entry["type"] in UNTAGGED)
    elif kind in ("update", "follow_up") or entry.get("before") is not None:
        # an update, or a create of settings of another object (model.ATTACHED)
        before = entry["before"]
        spec = Spec(key=key, type=entry["type"], name=before["name"],
                    props=freeze(before["props"]))
        engine.call(key, "undo", lambda: provider.update(entry["id"], spec))
    else:  # create, or the create half of a replace
        engine.call(key, "undo", lambda: provider.delete(entry["id"]))
