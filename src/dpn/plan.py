"""Desired (blueprint) vs recorded (state) vs live (providers' reads) -> changes. Pure.

``make_plan(blueprint, state, live=None)``:

- a resource not in state is created; one in state is compared, after resolving its
  references, with what was read live (``live[key].props``) when ``live`` has the key,
  else with the state's props, both in canonical form (``dpn.canonical``, the one
  comparison path): a new name or a replace-forcing field means replace, other
  differing fields update, nothing no-op. ``after`` is the canonical desired form, the
  documented defaults of fields the blueprint leaves out included. A key in state whose
  ``live[key]`` is None was deleted outside dpn: it is created again, with a warning. A
  key whose type changed is an ``InputError`` (a new type needs a new key);
- keys in state but not in the blueprint are deleted;
- order: creates, updates, replaces and no-ops in dependency batches, then deletes in
  reverse dependency order (from the state's ``depends_on``);
- values known only after apply (a new cluster's id) show as ``dpn.model.UNKNOWN``;
- drift (with ``live``): a change whose live props differ from the recorded ones lists
  those fields in ``drift``; one whose object is gone has ``deleted_outside`` set;
- an update that does more than change settings (an edit restarts a running cluster)
  says so in ``effects``, from the live status (or "if it is running" offline).
  ``Plan.drift_report()`` lists both, for ``dpn drift``;
- ``Plan.serial`` is the state serial the plan was made against and ``Plan.digest`` a
  fingerprint of the blueprint's resources: ``dpn update --plan`` refuses a saved plan
  when either moved;
- ``moved`` (``dpn.moved``): the state is planned with the blueprint's moves applied;
  ``Plan.moved`` lists the renames, a renamed change has ``moved_from``, and an object
  still tagged with its old key is compared as such (no update just to retag it);
- ``lifecycle`` (``dpn.lifecycle``): ignored paths are compared as they are live, and a
  drifted field whose difference lies only there is listed in ``ignored`` as well;
- ``Plan.selection``: what ``--only``/``--exclude`` chose (``dpn.selection``), set by
  the engine when it keeps only the selected changes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from dpn import followups, graph, lifecycle, model, moved
from dpn.blueprint.attrs import static_attrs
from dpn.blueprint.refs import resolve_pruned
from dpn.bulk import paused_gc
from dpn.canonical import canonical, diff, diff_forms, effects, of_plain
from dpn.errors import InputError
from dpn.providers.base import Observed
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
        props = _thaw if copy else _same
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


def blueprint_digest(blueprint: model.Blueprint) -> str:
    """A fingerprint of what the blueprint asks for: stack, keys, types, names, props and
    dependencies (not the file's layout)."""
    h = hashlib.sha256(blueprint.stack.encode())
    dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
    h.update("".join(dumps(_digest_item(key, res)) for key, res in blueprint.resources.items())
             .encode())
    if blueprint.moved:
        h.update(dumps([m.to_json() for m in blueprint.moved]).encode())
    return h.hexdigest()[:32]


def _digest_item(key: str, res: model.Resource) -> list[Any]:
    """What the digest takes of one resource, as plain data."""
    item = [key, res.type, res.name, _thaw(res.props), list(res.depends_on)]
    if not res.lifecycle.empty:
        item.append([res.lifecycle.prevent_destroy, list(res.lifecycle.ignore_changes)])
    return item


def _same(value: Any) -> Any:
    return value


def _as_dict(value: Any) -> dict[str, Any]:
    """A frozen mapping for the JSON encoder, one level at a time (it encodes tuples as
    lists itself)."""
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON data")


def _thaw(value: Any) -> Any:
    """Plain JSON data from frozen props (mappingproxies, tuples) or plain ones."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value
    if kind is MappingProxyType or kind is dict:
        return {k: _thaw(v) for k, v in value.items()}
    if kind is tuple or kind is list:
        return [_thaw(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    return value


def make_plan(blueprint: model.Blueprint, state: model.StackState | None,
              live: Mapping[str, Observed | None] | None = None) -> Plan:
    """Plan ``blueprint`` against ``state`` (and ``live`` reads, if given, keyed by the
    state's keys before or after its moves); raises ``InputError`` for a key whose type
    changed or a move that cannot apply, and ``graph.CycleError`` for a state whose
    dependencies form a cycle."""
    with paused_gc():
        return _make_plan(blueprint, state, live)


def _make_plan(blueprint: model.Blueprint, state: model.StackState | None,
               live: Mapping[str, Observed | None] | None) -> Plan:
    serial = state.serial if state else 0
    state, moves = moved.rename(state, blueprint)
    if live is not None and moves:
        new_key = {m.source: m.target for m in moves}
        live = {new_key.get(k, k): v for k, v in live.items()}
    moved_from = {m.target: m.source for m in moves}
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
            # props without references (no dependencies) need no resolving copy
            after = (of_plain(res.type, resolve_pruned(res.props, lookup)) if res.depends_on
                     else canonical(res.type, res.props))
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
            deleted = False
            if old is not None and live is not None and key in live and seen is None:
                warnings.append(f"{key}: {res.type} '{old.name}' was deleted outside dpn; "
                                "it will be created again")
                old, deleted = None, True
            if old is None:
                attrs[key] = static
                changes.append(Change(key, res.type, res.name, Action.CREATE, res.depends_on,
                                      None, after, (), static.get("id"),
                                      deleted_outside=deleted,
                                      effects=_follow_up_notes(blueprint, key),
                                      moved_from=moved_from.get(key)))
                continue
            changes.append(_compare(blueprint, res, old, seen, after, static, attrs,
                                    moved_from.get(key)))

    gone = {k: v for k, v in recorded.items() if k not in desired}
    for batch in graph.reverse_batches({k: v.depends_on for k, v in gone.items()}):
        for key in batch:
            old = recorded[key]
            gone_live = live is not None and key in live and live[key] is None
            changes.append(Change(key, old.type, old.name, Action.DELETE, tuple(old.depends_on),
                                  _thaw(old.props), None, (), old.id,
                                  drift=_drift(old.type, old, live.get(key) if live else None,
                                               old.props),
                                  deleted_outside=gone_live, moved_from=moved_from.get(key)))
    _cascade_container_replaces(changes, recorded)
    return Plan(stack=blueprint.stack, changes=tuple(changes), warnings=tuple(warnings),
                serial=serial, digest=blueprint_digest(blueprint), moved=moves)


def _compare(blueprint: model.Blueprint, res: model.Resource, old: model.ResourceState,
             seen: Observed | None, after: dict[str, Any], static: dict[str, str],
             attrs: dict[str, dict[str, str]], moved_from: str | None) -> Change:
    """The change of a resource the state records: update, replace or no-op."""
    key = res.key
    recorded_form = canonical(res.type, old.props)
    before = canonical(res.type, seen.props) if seen is not None else recorded_form
    drifted = (diff_forms(res.type, recorded_form, before, after).fields
               if seen is not None else ())
    paths = res.lifecycle.ignore_changes
    ignored = lifecycle.ignored_drift(res.type, old.props, seen.props, after, paths,
                                      drifted) if seen is not None else ()
    sent = lifecycle.compared_after(res.type, after, before, paths)
    compared = sent
    stale = moved.recorded_key(old)
    tag_field = model.TAG_FIELD.get(res.type)
    if stale and tag_field and (before.get(tag_field) or {}).get(model.KEY_TAG) == stale:
        # moved, still tagged with the old key: compared as it is, retagged with an update
        compared = {**sent, tag_field: {**sent.get(tag_field, {}), model.KEY_TAG: stale}}
    d = diff(res.type, before, compared)
    notes: tuple[str, ...] = ()
    if res.name != old.name or d.replace:
        action = Action.REPLACE
        fields = tuple(sorted({*d.fields, "name"})) if res.name != old.name else d.fields
        shown = after
        attrs[key] = static
        known_id = static.get("id")
        notes = _follow_up_notes(blueprint, key)
    elif d.update:
        action, shown = Action.UPDATE, sent
        fields = diff(res.type, before, sent).fields
        attrs[key] = {**dict(old.attrs), **static}
        known_id = old.id or static.get("id")
        notes = effects(res.type, seen.status if seen is not None else None)
        if compared is not sent:
            notes = (*notes, f"retags dpn:key from {stale} to {key}")
    else:
        action, shown, fields = Action.NOOP, compared, ()
        attrs[key] = {**dict(old.attrs), **static}
        known_id = old.id or static.get("id")
        if compared is not sent:
            notes = (f"still tagged dpn:key={stale}; retagged with its next update",)
    return Change(key, res.type, res.name, action, res.depends_on, before, shown, fields,
                  known_id, drift=drifted, effects=notes, moved_from=moved_from,
                  ignored=ignored)


_FOLLOWED = frozenset(f.after for f in followups.FOLLOW_UPS)  # types a create is followed up


def _follow_up_notes(blueprint: model.Blueprint, key: str) -> tuple[str, ...]:
    """What a create of ``key`` goes on to update elsewhere (``dpn.followups``)."""
    res = blueprint.resources.get(key)
    if res is None or res.type not in _FOLLOWED:
        return ()
    return tuple(follow.says.format(target=target)
                 for follow, target in followups.targets(blueprint, key))


def _cascade_container_replaces(changes: list[Change],
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


def _drift(rtype: str, old: model.ResourceState, seen: Observed | None,
           asked: Mapping[str, Any]) -> tuple[str, ...]:
    """The fields whose live value differs from the recorded one (empty without a read),
    compared in the light of what the blueprint ``asked``."""
    if seen is None:
        return ()
    return diff(rtype, old.props, seen.props, asked=asked).fields
