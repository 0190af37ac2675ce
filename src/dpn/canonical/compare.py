"""Comparing two sides through their canonical forms: ``diff``, ``diff_forms``, and the
``effects`` an in-place update has."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dpn.canonical.forms import canonical
from dpn.canonical.ruleset import ALL, managed_fields, merged, resolved, rules


@dataclass(frozen=True)
class Diff:
    """The properties that differ: ``update`` ones change in place, ``replace`` ones force
    a delete and re-create. Empty on both means no-op."""

    update: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.update or self.replace)

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(sorted({*self.update, *self.replace}))


def _asked_only(value: Any, want: Any, node: Mapping[str, Any]) -> Any:
    """``value`` without what the service computes that ``want`` (the blueprint's side)
    does not set: ``computed`` fields, ``platform_keys`` of maps, at every depth."""
    if not isinstance(value, dict):
        return value
    node = resolved(node)
    wanted = want if isinstance(want, dict) else {}
    for name, extra in node.get("when_present", {}).items():
        if name in value:
            node = merged(node, extra)
    unasked = (*node.get("computed", ()), *node.get("internal", ()))
    out = {k: v for k, v in value.items() if k not in unasked or k in wanted}
    for name, prefixes in node.get("platform_keys", {}).items():
        if isinstance(out.get(name), dict):
            keep = wanted.get(name) or {}
            out[name] = {k: v for k, v in out[name].items()
                         if k in keep or not k.startswith(tuple(prefixes))}
            if not out[name]:  # only keys the platform added: as if absent
                del out[name]
    for name, sub in node.get("fields", {}).items():
        if name in out:
            out[name] = _asked_only(out[name], wanted.get(name), sub)
    for name, sub in node.get("items", {}).items():
        if isinstance(out.get(name), list):
            given = wanted.get(name)
            others: list[Any] = given if isinstance(given, list) else []
            out[name] = [_asked_only(v, others[i] if i < len(others) else None, sub)
                         for i, v in enumerate(out[name])]
    return out


def diff(rtype: str, old: Mapping[str, Any], new: Mapping[str, Any], *,
         asked: Mapping[str, Any] | None = None) -> Diff:
    """The managed fields whose canonical values differ between ``old`` and ``new``.

    ``asked`` is what the blueprint asks (``new`` unless given: drift compares the state
    with the live object, both read back, in the light of the blueprint). A ``computed``
    field that ``asked`` leaves out and keys the platform adds (``platform_keys``) are not
    compared.
    """
    want = canonical(rtype, new if asked is None else asked)
    return diff_forms(rtype, canonical(rtype, old),
                      want if asked is None else canonical(rtype, new), want)


def diff_forms(rtype: str, old: Mapping[str, Any], new: Mapping[str, Any],
               asked: Mapping[str, Any]) -> Diff:
    """``diff`` of three canonical forms (a planner that has them already spares putting
    each through ``canonical`` again)."""
    node = rules(rtype)
    a = _asked_only(old, asked, node)
    b = _asked_only(new, asked, node)
    forcing = set(node.get("replace", ()))
    update: list[str] = []
    replace: list[str] = []
    for field in managed_fields(rtype):
        if a.get(field) == b.get(field):
            continue
        (replace if ALL in forcing or field in forcing else update).append(field)
    return Diff(update=tuple(update), replace=tuple(replace))


def effects(rtype: str, status: str | None) -> tuple[str, ...]:
    """What an in-place update does besides changing settings, given the object's live
    status (None when not read, as in an offline plan)."""
    out = []
    for effect in rules(rtype).get("update_effects", ()):
        if status is None:
            out.append(effect["unknown"])
        elif status in effect["status"]:
            out.append(effect["note"])
    return tuple(out)
