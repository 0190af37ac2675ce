"""Decisions of a resource's ``lifecycle`` (``dpn.model.Lifecycle``). Pure, no I/O.

``ignore_changes`` lists paths: ``field``, or ``field.key`` of a map (``tags.team``).

- ``keep_live(after, before, paths)``: the desired form with each path as it is live, so
  the planner compares, and an update sends, the live value there: never a diff, never
  repaired;
- ``ignored_drift(rtype, recorded, live, asked, paths)``: the drifted fields whose whole
  difference lies in ignored paths (reported, and ``dpn drift`` does not count them);
- ``refusals(changes, resources)``: the deletes and replaces of resources with
  ``prevent_destroy``, which make a plan fail before any call;
- ``effective(blueprint, changes)``: the blueprint a transaction builds its specs from,
  with the ignored paths of updated resources set to their live value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from dpn import model
from dpn.canonical import canonical, diff

_MISSING = object()


def _split(path: str) -> tuple[str, str | None]:
    field, dot, key = path.partition(".")
    return field, (key if dot else None)


def keep_live(after: Mapping[str, Any], before: Mapping[str, Any],
              paths: Iterable[str]) -> dict[str, Any]:
    """``after`` with every path in ``paths`` taken from ``before`` (absent there: left
    out)."""
    out = dict(after)
    for path in paths:
        field, key = _split(path)
        if key is None:
            if field in before:
                out[field] = before[field]
            else:
                out.pop(field, None)
            continue
        inner = dict(out.get(field) or {})
        live = before.get(field)
        value = live.get(key, _MISSING) if isinstance(live, Mapping) else _MISSING
        if value is _MISSING:
            inner.pop(key, None)
        else:
            inner[key] = value
        if inner:
            out[field] = inner
        else:
            out.pop(field, None)
    return out


def without(props: Mapping[str, Any], paths: Iterable[str]) -> dict[str, Any]:
    """``props`` with every path in ``paths`` removed."""
    return keep_live(props, {}, paths)


def ignored_drift(rtype: str, recorded: Mapping[str, Any], live: Mapping[str, Any],
                  asked: Mapping[str, Any], paths: Sequence[str],
                  drifted: Sequence[str]) -> tuple[str, ...]:
    """Of the ``drifted`` fields, those that differ only in ignored paths."""
    if not paths or not drifted:
        return ()
    rest = diff(rtype, without(recorded, paths), without(live, paths),
                asked=without(asked, paths)).fields
    return tuple(f for f in drifted if f not in rest)


def compared_after(rtype: str, after: Mapping[str, Any], before: Mapping[str, Any],
                   paths: Sequence[str]) -> dict[str, Any]:
    """The desired form the planner compares with ``before`` (canonical)."""
    if not paths:
        return dict(after)
    return canonical(rtype, keep_live(after, before, paths))


def refusals(changes: Iterable[Any], resources: Mapping[str, model.Resource],
             recorded: Mapping[str, model.ResourceState] | None = None) -> list[str]:
    """One line per planned delete or replace of a resource with ``prevent_destroy``
    (named by its ``recorded`` id where there is one)."""
    out = []
    for change in changes:
        res = resources.get(change.key)
        if res is None or not res.lifecycle.prevent_destroy:
            continue
        action = str(change.action)
        if action not in ("delete", "replace"):
            continue
        old = (recorded or {}).get(change.key)
        what = f"{change.type} {(old.id if old else change.id or change.name)!r}"
        if action == "delete":
            out.append(f"{change.key} ({what}) would be deleted")
        else:
            fields = ", ".join(change.diff_fields) or "a replace-forcing field"
            out.append(f"{change.key} ({what}) would be replaced (it changes {fields})")
    return out


def refusal_message(lines: Sequence[str]) -> str:
    return ("lifecycle.prevent_destroy: " + "; ".join(lines) + ". Nothing was changed: "
            "remove prevent_destroy from the blueprint to allow it, or leave the change out "
            "with --exclude")


def effective(blueprint: model.Blueprint, changes: Iterable[Any]) -> model.Blueprint:
    """``blueprint`` with, for each updated resource with ``ignore_changes``, the ignored
    paths set to their live value (the change's ``before``)."""
    resources = dict(blueprint.resources)
    touched = False
    for change in changes:
        res = resources.get(change.key)
        if res is None or not res.lifecycle.ignore_changes or change.before is None:
            continue
        action = str(change.action)
        if action != "update":
            continue
        props = keep_live(model.thaw(res.props), model.thaw(change.before),
                          res.lifecycle.ignore_changes)
        resources[change.key] = dataclasses.replace(res, props=model.freeze(props))
        touched = True
    if not touched:
        return blueprint
    return dataclasses.replace(blueprint, resources=MappingProxyType(resources))
