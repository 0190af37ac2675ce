"""Canonical forms: ``canonical(rtype, props)`` and ``of_plain``, each rule node compiled
once (``_Compiled``)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from dpn.canonical.ruleset import EMPTY, merged, resolved, rules
from dpn.canonical.transforms import TRANSFORMS


def _plain(value: Any) -> Any:
    """``value`` as plain JSON data (mappings as dicts, sequences as lists) without empty
    values at any depth: one pass, since a plan puts every resource through it."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value
    if kind is dict or kind is MappingProxyType or (
            kind is not list and kind is not tuple and isinstance(value, Mapping)):
        out = {}
        for k, v in value.items():
            v = _plain(v)
            if v not in EMPTY:
                out[k] = v
        return out
    if kind is list or kind is tuple:
        return [_plain(v) for v in value]
    return value


def _sort_key(key: str, item: Mapping[str, Any]) -> str:
    return str(item.get(key, ""))


class _Compiled:
    """A rule node (its ``use`` expanded) laid out for ``_node``: the rules as tuples,
    nested nodes compiled on first use, and one variant per set of ``when_present``
    fields found set. Compiled once per node of the (cached) rules file."""

    __slots__ = ("aliases", "case", "defaults", "exclusive", "fields", "items", "node",
                 "sort_by", "transform", "trim", "variants", "when_present")

    def __init__(self, node: Mapping[str, Any]) -> None:
        self.node = node
        self.when_present: tuple[str, ...] = tuple(node.get("when_present", {}))
        self.variants: dict[tuple[str, ...], _Compiled] = {}
        self.aliases = tuple(node.get("aliases", {}).items())
        self.case = tuple((name, how == "upper") for name, how in node.get("case", {}).items())
        self.trim: tuple[str, ...] = tuple(node.get("trim_slash", ()))
        self.transform = tuple((name, TRANSFORMS[fn])
                               for name, fn in node.get("transform", {}).items())
        self.fields = tuple(node.get("fields", {}).items())
        self.items = tuple(node.get("items", {}).items())
        self.sort_by = tuple(node.get("sort_by", {}).items())
        self.exclusive = tuple((w, lo) for w, lo in node.get("exclusive", ()))
        # a scalar default is shared; a list or object one is copied for each resource
        self.defaults = tuple((name, default, isinstance(default, dict | list))
                              for name, default in node.get("defaults", {}).items())

    def variant(self, present: tuple[str, ...]) -> _Compiled:
        """This node with the ``when_present`` rules of ``present`` merged in, in order."""
        found = self.variants.get(present)
        if found is None:
            node = self.node
            for name in present:
                node = merged(node, self.node["when_present"][name])
            found = self.variants[present] = _Compiled(node)
        return found


_COMPILED: dict[int, tuple[Mapping[str, Any], _Compiled]] = {}


def _compiled(node: Mapping[str, Any]) -> _Compiled:
    """The compiled form of a rule node. Nodes are those of the cached rules file or of a
    compiled variant, kept alive by this table (so an ``id`` names one node for good)."""
    found = _COMPILED.get(id(node))
    if found is None or found[0] is not node:
        found = _COMPILED[id(node)] = (node, _Compiled(resolved(node)))
    return found[1]


def _node(out: dict[str, Any], rules: _Compiled) -> dict[str, Any]:
    """The canonical form of ``out``: a plain, pruned dict of this call's own (made by
    ``_plain``), which is rewritten in place."""
    if rules.when_present:
        present = tuple(name for name in rules.when_present if name in out)
        if present:
            rules = rules.variant(present)
    for name, spellings in rules.aliases:
        value = out.get(name)
        if isinstance(value, str) and value in spellings:
            out[name] = spellings[value]
    for name, upper in rules.case:
        value = out.get(name)
        if isinstance(value, str):
            out[name] = value.upper() if upper else value.lower()
    for name in rules.trim:
        value = out.get(name)
        if isinstance(value, str) and value.rstrip("/"):
            out[name] = value.rstrip("/")
    for name, fn in rules.transform:
        if name in out:
            out[name] = _plain(fn(out[name]))
    for name, sub in rules.fields:
        value = out.get(name)
        if isinstance(value, dict):
            out[name] = _node(value, _compiled(sub))
    for name, sub in rules.items:
        value = out.get(name)
        if isinstance(value, list):
            each = _compiled(sub)
            out[name] = [_node(i, each) if isinstance(i, dict) else i for i in value]
    for name, key in rules.sort_by:
        value = out.get(name)
        if isinstance(value, list) and all(isinstance(i, dict) for i in value):
            out[name] = sorted(value, key=functools.partial(_sort_key, key))
    exclusive = rules.exclusive
    for winner, loser in exclusive:
        if out.get(winner) not in EMPTY:
            out.pop(loser, None)
    for name, default, mutable in rules.defaults:
        if out.get(name) in EMPTY and not (exclusive and any(
                out.get(w) not in EMPTY for w, lo in exclusive if lo == name)):
            out[name] = _plain(default) if mutable else default
    # every value is plain and pruned by now (``value`` was, and what replaced a part of
    # it went through ``_plain`` or ``_node``): only emptied fields are left to drop
    for k in [k for k, v in out.items() if v in EMPTY]:
        del out[k]
    return out


def canonical(rtype: str, props: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical form of ``props`` (frozen or plain) for ``rtype``: idempotent, and
    equal for two configurations the service treats as the same."""
    return _node(_plain(props), _compiled(rules(rtype)))


def of_plain(rtype: str, props: dict[str, Any]) -> dict[str, Any]:
    """``canonical(rtype, props)`` of props in plain form already (plain dicts and lists,
    no empty values: ``dpn.blueprint.refs.resolve_pruned`` makes them), which the caller
    gives up: they are rewritten in place and returned."""
    return _node(props, _compiled(rules(rtype)))
