"""Replaces that carry what a replaced container holds (see
``cascade_container_replaces``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from dpn import model
from dpn.errors import InputError
from dpn.planning.changes import Action, Change


def cascade_container_replaces(changes: list[Change],
                               recorded: Mapping[str, model.ResourceState]) -> None:
    """A replace deletes the old object before it creates the new one, and a database,
    catalog or schema cannot be deleted while it holds objects. So the stack's objects
    inside a replaced container are replaced with it: deleted before it (deepest first)
    and created again after it; so are the stack's grants on any replaced object, which
    go with it. Changes are rewritten in place; an object inside that is
    leaving the blueprint cannot wait for the delete phase, so that plan is refused here,
    before any call."""
    held: dict[tuple[str, str], list[str]] = {}
    attached: dict[str, list[str]] = {}   # key -> the grants on it (gone with it)
    for key, res in recorded.items():
        parent = model.PARENT_FIELD.get(res.type)
        if parent is not None and res.props.get(parent[0]):
            held.setdefault((parent[1], str(res.props[parent[0]]).lower()), []).append(key)
        if res.type in model.ATTACHED:
            for dep in res.depends_on:
                attached.setdefault(dep, []).append(key)
    index = {c.key: i for i, c in enumerate(changes)}
    todo = [c.key for c in changes if c.action is Action.REPLACE]
    while todo:
        container = todo.pop()
        old = recorded.get(container)
        if old is None:
            continue
        inside = [*held.get((old.type, old.id.lower()), ()), *attached.get(container, ())]
        for key in sorted(k for k in inside if k in index):
            change = changes[index[key]]
            grants = change.type in model.ATTACHED
            if change.action is Action.DELETE and grants:
                continue   # taken away after the commit, from the new object: nothing there
            if change.action is Action.DELETE:
                raise InputError(
                    f"{container}: {old.type} {old.id!r} would be replaced, but it still "
                    f"holds {key}, which leaves the blueprint; a replace has to delete "
                    f"{key} first: run 'dpn update' once without {container}'s change "
                    "(deleting it), then again with it")
            if change.action is Action.REPLACE:
                continue
            why = (f"replaced with {container}, which it is granted on" if grants else
                   f"replaced with {container}, which holds it")
            changes[index[key]] = dataclasses.replace(
                change, action=Action.REPLACE, effects=(why,))
            todo.append(key)
