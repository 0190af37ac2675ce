"""Desired (blueprint) vs recorded (state) vs live (providers' reads) -> changes. Pure.

``make_plan(blueprint, state, live=None)``:

- a resource not in state is created; one in state is compared, after resolving its
  references, with what was read live (``live[key].props``) when ``live`` has the key,
  else with the state's props: a new name or a replace-forcing field means replace, other
  differing fields update, nothing no-op. A key in state whose ``live[key]`` is None was
  deleted outside dpn: it is created again, with a warning. A key whose type changed is
  an ``InputError`` (a new type needs a new key);
- keys in state but not in the blueprint are deleted;
- order: creates, updates, replaces and no-ops in dependency batches, then deletes in
  reverse dependency order (from the state's ``depends_on``);
- values known only after apply (a new cluster's id) show as ``dpn.model.UNKNOWN``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from dpn import graph, model
from dpn.blueprint.attrs import static_attrs
from dpn.blueprint.refs import resolve
from dpn.diffing import diff
from dpn.errors import InputError
from dpn.providers.base import Observed


class Action(StrEnum):
    CREATE = "create"    # not there yet
    UPDATE = "update"    # changed in place
    REPLACE = "replace"  # deleted and created again (new name or replace-forcing field)
    DELETE = "delete"    # left the blueprint
    NOOP = "no-op"       # in sync


@dataclass(frozen=True)
class Change:
    """One planned change. ``before``: the recorded (or live) props, None for a create;
    ``after``: the desired props with references resolved, None for a delete.
    ``diff_fields``: the fields that differ (``name`` included when it changes).
    ``id``: the physical id, when known."""

    key: str
    type: str
    name: str
    action: Action
    depends_on: tuple[str, ...]
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    diff_fields: tuple[str, ...] = ()
    id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "type": self.type, "name": self.name,
                "action": self.action.value, "depends_on": list(self.depends_on),
                "before": _thaw(self.before), "after": _thaw(self.after)}


@dataclass(frozen=True)
class Plan:
    stack: str
    changes: tuple[Change, ...]
    warnings: tuple[str, ...] = ()

    def summary(self) -> dict[str, int]:
        """How many changes of each action, every action present (SPEC section 5)."""
        counts = {a.value: 0 for a in Action}
        for change in self.changes:
            counts[change.action.value] += 1
        return counts

    @property
    def empty(self) -> bool:
        """True when nothing would change."""
        return all(c.action is Action.NOOP for c in self.changes)

    def to_json(self) -> dict[str, Any]:
        """The plan as JSON-ready data in the stable shape of SPEC section 5."""
        return {"stack": self.stack, "changes": [c.to_json() for c in self.changes],
                "summary": self.summary(), "warnings": list(self.warnings)}

    def to_json_text(self) -> str:
        """``to_json()`` as text: one change per line (the C encoder keeps it fast)."""
        data = self.to_json()
        dumps = json.dumps
        changes = ",\n    ".join(dumps(c) for c in data["changes"])
        if changes:
            changes = f"\n    {changes}\n  "
        return (f'{{\n  "stack": {dumps(data["stack"])},\n'
                f'  "changes": [{changes}],\n'
                f'  "summary": {dumps(data["summary"])},\n'
                f'  "warnings": {dumps(data["warnings"])}\n}}\n')


def _thaw(value: Any) -> Any:
    """Plain JSON data from frozen props (mappingproxies, tuples) or plain ones."""
    kind = type(value)
    if kind is MappingProxyType or kind is dict:
        return {k: _thaw(v) for k, v in value.items()}
    if kind is tuple or kind is list:
        return [_thaw(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    return value


def make_plan(blueprint: model.Blueprint, state: model.StackState | None,
              live: Mapping[str, Observed | None] | None = None) -> Plan:
    """Plan ``blueprint`` against ``state`` (and ``live`` reads, if given); raises
    ``InputError`` for a key whose type changed and ``graph.CycleError`` for a state whose
    dependencies form a cycle."""
    recorded: Mapping[str, model.ResourceState] = state.resources if state else {}
    region = blueprint.metadata.region
    attrs: dict[str, dict[str, str]] = {}
    changes: list[Change] = []
    warnings: list[str] = []

    def lookup(key: str, attr: str) -> str | None:
        return attrs.get(key, {}).get(attr)

    desired = blueprint.resources
    for batch in graph.batches({k: r.depends_on for k, r in desired.items()}):
        for key in batch:
            res = desired[key]
            after = resolve(res.props, lookup)
            static = static_attrs(res.type, res.name, after, region)
            if res.full_name != res.name:
                warnings.append(f"{key}: name '{res.full_name}' is longer than {res.type} "
                                f"allows; it is cut to '{res.name}'")
            old = recorded.get(key)
            if old is not None and old.type != res.type:
                raise InputError(f"resource '{key}' was of type {old.type} and is now {res.type}: "
                                 "give the new resource a new key (the old one is then "
                                 "deleted)")
            seen = live.get(key) if live is not None and old is not None else None
            if old is not None and live is not None and key in live and seen is None:
                warnings.append(f"{key}: {res.type} '{old.name}' was deleted outside dpn; "
                                "it will be created again")
                old = None
            if old is None:
                attrs[key] = static
                changes.append(Change(key, res.type, res.name, Action.CREATE, res.depends_on,
                                      None, after, (), static.get("id")))
                continue
            before = seen.props if seen is not None else old.props
            d = diff(res.type, before, after)
            fields = tuple(sorted({*d.update, *d.replace}))
            if res.name != old.name or d.replace:
                action = Action.REPLACE
                fields = tuple(sorted({*fields, "name"})) if res.name != old.name else fields
                attrs[key] = static
                known_id = static.get("id")
            else:
                action = Action.UPDATE if d.update else Action.NOOP
                attrs[key] = {**dict(old.attrs), **static}
                known_id = old.id or static.get("id")
            changes.append(Change(key, res.type, res.name, action, res.depends_on,
                                  _thaw(before), after, fields, known_id))

    gone = {k: v for k, v in recorded.items() if k not in desired}
    for batch in graph.reverse_batches({k: v.depends_on for k, v in gone.items()}):
        for key in batch:
            old = recorded[key]
            changes.append(Change(key, old.type, old.name, Action.DELETE, tuple(old.depends_on),
                                  _thaw(old.props), None, (), old.id))
    return Plan(stack=blueprint.stack, changes=tuple(changes), warnings=tuple(warnings))
