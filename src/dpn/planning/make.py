"""``make_plan``: desired (blueprint) vs recorded (state) vs live (providers' reads) ->
a ``Plan``. Pure; ``dpn.plan`` documents what it decides."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dpn import followups, graph, lifecycle, model, moved
from dpn.blueprint.attrs import static_attrs
from dpn.blueprint.refs import resolve_pruned
from dpn.bulk import paused_gc
from dpn.canonical import canonical, diff, diff_forms, effects, of_plain
from dpn.errors import InputError
from dpn.planning.cascade import cascade_container_replaces
from dpn.planning.changes import Action, Change, Plan, thawed
from dpn.planning.digest import blueprint_digest

if TYPE_CHECKING:
    from dpn.providers.base import Observed


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
            static = static_attrs(res.type, res.name, after)
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
                                  thawed(old.props), None, (), old.id,
                                  drift=_drift(old.type, old, live.get(key) if live else None,
                                               old.props),
                                  deleted_outside=gone_live, moved_from=moved_from.get(key)))
    cascade_container_replaces(changes, recorded)
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


def _drift(rtype: str, old: model.ResourceState, seen: Observed | None,
           asked: Mapping[str, Any]) -> tuple[str, ...]:
    """The fields whose live value differs from the recorded one (empty without a read),
    compared in the light of what the blueprint ``asked``."""
    if seen is None:
        return ()
    return diff(rtype, old.props, seen.props, asked=asked).fields
