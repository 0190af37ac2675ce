"""A plan's data: ``Action``, ``Change`` and ``Plan``, frozen, with their JSON forms
(``to_json``, ``from_json``, ``Plan.to_json_text`` for ``dpn plan --format json`` and
``--out``) and the summaries the CLI and ``dpn drift`` show."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from dpn import model
from dpn.errors import InputError
from dpn.selection import Selection


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
    drift: tuple[str, ...] = ()      # fields changed outside dpn (live differs from state)
    deleted_outside: bool = False    # the recorded object no longer exists live
    effects: tuple[str, ...] = ()    # what an update does besides ("restarts the cluster")
    moved_from: str | None = None    # the key the state recorded it under (``moved``)
    ignored: tuple[str, ...] = ()    # drifted fields left alone (lifecycle.ignore_changes)

    def to_json(self, *, copy: bool = True) -> dict[str, Any]:
        """JSON-ready data; ``copy=False`` leaves ``before`` and ``after`` as they are
        (frozen parts included), for an encoder that takes those (``Plan.to_json_text``)."""
        props = thawed if copy else _same
        out = {"key": self.key, "type": self.type, "name": self.name,
               "action": self.action._value_, "depends_on": list(self.depends_on),
               "before": props(self.before), "after": props(self.after)}
        if self.drift or self.deleted_outside:
            out["drift"] = {"fields": list(self.drift), "deleted": self.deleted_outside}
            if self.ignored:
                out["drift"]["ignored"] = list(self.ignored)
        if self.effects:
            out["effects"] = list(self.effects)
        if self.moved_from:
            out["moved_from"] = self.moved_from
        return out

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Change:
        """A change as ``to_json`` wrote it (``dpn update --plan``)."""
        drift = raw.get("drift") or {}
        return cls(key=str(raw["key"]), type=str(raw["type"]), name=str(raw["name"]),
                   action=Action(raw["action"]),
                   depends_on=tuple(str(d) for d in raw.get("depends_on") or ()),
                   before=raw.get("before"), after=raw.get("after"),
                   drift=tuple(drift.get("fields") or ()),
                   deleted_outside=bool(drift.get("deleted")),
                   effects=tuple(str(e) for e in raw.get("effects") or ()),
                   moved_from=raw.get("moved_from"),
                   ignored=tuple(drift.get("ignored") or ()))

    @property
    def repairs(self) -> bool:
        """True when the change repairs drift: some drifted field is not ignored."""
        return self.deleted_outside or bool(set(self.drift) - set(self.ignored))


@dataclass(frozen=True)
class Plan:
    stack: str
    changes: tuple[Change, ...]
    warnings: tuple[str, ...] = ()
    serial: int = 0    # the state serial the plan was made against (0: no state yet)
    digest: str = ""   # blueprint_digest() of the planned blueprint
    moved: tuple[model.Move, ...] = ()   # state keys renamed by the blueprint's ``moved``
    selection: Selection | None = None   # what --only/--exclude chose

    @property
    def drifted(self) -> bool:
        """True when some recorded object was changed or deleted outside dpn, in a way
        dpn repairs (not only in fields that lifecycle.ignore_changes leaves alone)."""
        return any(c.repairs for c in self.changes)

    def drift_report(self) -> list[dict[str, Any]]:
        """One entry per drifted resource: ``kind`` is ``changed`` (``fields`` lists what
        differs live from state; ``ignored`` those that ``lifecycle.ignore_changes``
        leaves alone) or ``deleted`` (the object is gone)."""
        out = []
        for c in self.changes:
            if c.drift or c.deleted_outside:
                entry = {"key": c.key, "type": c.type, "name": c.name, "id": c.id,
                         "kind": "deleted" if c.deleted_outside else "changed",
                         "fields": list(c.drift), "action": c.action.value}
                if c.ignored:
                    entry["ignored"] = list(c.ignored)
                out.append(entry)
        return out

    def summary(self) -> dict[str, int]:
        """How many changes of each action, every action present (SPEC section 5)."""
        counts = {a.value: 0 for a in Action}
        for change in self.changes:
            counts[change.action._value_] += 1
        return counts

    @property
    def empty(self) -> bool:
        """True when nothing would change (no platform change, no key to rename)."""
        return not self.moved and all(c.action is Action.NOOP for c in self.changes)

    def to_json(self) -> dict[str, Any]:
        """The plan as JSON-ready data in the stable shape of SPEC section 5 (``moved``
        and ``selection`` only when there are any)."""
        return {"stack": self.stack, "changes": [c.to_json() for c in self.changes],
                **self._rest()}

    def _rest(self) -> dict[str, Any]:
        """``to_json()`` without its stack and changes."""
        out: dict[str, Any] = {"summary": self.summary(), "warnings": list(self.warnings),
                               "drift": self.drift_report(), "serial": self.serial,
                               "digest": self.digest}
        if self.moved:
            out["moved"] = [m.to_json() for m in self.moved]
        if self.selection is not None:
            out["selection"] = self.selection.to_json()
        return out

    @classmethod
    def from_json(cls, raw: Any) -> Plan:
        """A plan as ``to_json`` wrote it; raises ``InputError`` for anything else."""
        try:
            selection = raw.get("selection")
            return cls(stack=str(raw["stack"]),
                       changes=tuple(Change.from_json(c) for c in raw["changes"]),
                       warnings=tuple(str(w) for w in raw.get("warnings") or ()),
                       serial=int(raw["serial"]), digest=str(raw["digest"]),
                       moved=tuple(model.Move(str(m["from"]), str(m["to"]))
                                   for m in raw.get("moved") or ()),
                       selection=Selection.from_json(selection) if selection else None)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"not a plan written by 'dpn plan --out' ({type(exc).__name__}:"
                             f" {exc})") from None

    def to_json_text(self) -> str:
        """``to_json()`` as text: one change per line (the C encoder keeps it fast, and
        takes the changes' frozen props as they are)."""
        dumps = json.dumps
        encode = json.JSONEncoder(default=_as_dict).encode
        changes = ",\n    ".join(encode(c.to_json(copy=False)) for c in self.changes)
        if changes:
            changes = f"\n    {changes}\n  "
        data = self._rest()
        extra = "".join(f',\n  "{k}": {dumps(data[k])}' for k in ("moved", "selection")
                        if k in data)
        return (f'{{\n  "stack": {dumps(self.stack)},\n'
                f'  "changes": [{changes}],\n'
                f'  "summary": {dumps(data["summary"])},\n'
                f'  "warnings": {dumps(data["warnings"])},\n'
                f'  "drift": {dumps(data["drift"])},\n'
                f'  "serial": {dumps(data["serial"])},\n'
                f'  "digest": {dumps(data["digest"])}{extra}\n}}\n')


def _same(value: Any) -> Any:
    return value


def _as_dict(value: Any) -> dict[str, Any]:
    """A frozen mapping for the JSON encoder, one level at a time (it encodes tuples as
    lists itself)."""
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON data")


def thawed(value: Any) -> Any:
    """Plain JSON data from frozen props (mappingproxies, tuples) or plain ones."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value
    if kind is MappingProxyType or kind is dict:
        return {k: thawed(v) for k, v in value.items()}
    if kind is tuple or kind is list:
        return [thawed(v) for v in value]
    if isinstance(value, Mapping):
        return {k: thawed(v) for k, v in value.items()}
    return value
