"""The one comparison path: canonical forms and the diff between them. Pure, no I/O.

Providers map what they read into blueprint vocabulary; the planner, drift and import
map what the blueprint asks the same way, and then both sides go through ``canonical``,
so the only comparison dpn makes is between two canonical forms (SPEC section 10).

The per-type rules are data, in ``rules.json`` next to this module; ``docs/user-guide.md``
lists them. A rule node (the type itself, an object field, or each item of a list) may have:

- ``defaults``: ``{field: value}``, filled in when the field is absent: the value dpn sends
  when the blueprint leaves the field out (and the value the service reports then);
- ``aliases``: ``{field: {spelling: canonical}}``, the service's other spellings of a value
  (``null`` as the canonical value means "the platform's choice", as if absent);
- ``case``: ``{field: "upper"|"lower"}`` for values the service compares without case;
- ``trim_slash``: fields whose trailing slashes the service strips (storage paths);
- ``transform``: ``{field: name}``, a named pure function of ``TRANSFORMS`` (SQL types,
  IAM policy documents and lists compared as sets: ``dpn.canonical.policy``);
- ``fields``: ``{field: node}`` rules for a nested object; ``items``: ``{field: node}``
  rules for each object of a list; ``sort_by``: ``{field: key}`` lists the service returns
  sorted by that key;
- ``exclusive``: ``[[winner, loser], ...]``: when ``winner`` is present ``loser`` is dropped
  (a cluster's ``autoscale`` and ``num_workers``);
- ``when_present``: ``{field: node}``, rules merged into this node's when ``field`` is set
  (a job with ``git_source`` takes its tasks' files from Git by default);
- ``computed``: fields the service fills in when the blueprint leaves them out, compared
  only when the blueprint sets them; ``internal``: props outside the schema that the engine
  or the provider fills in (an IAM role's ``trust_external_id``), never asked for by a
  blueprint, so never compared; ``platform_keys``: ``{map field: [prefixes]}``, keys
  the service adds to a map, ignored unless the blueprint sets them (``""`` matches all);
- ``use``: the name of a shared node of the file's ``nodes`` (a cluster specification is
  the same inside a job as on its own), merged under this node's own rules;
- top level only: ``replace`` (fields that cannot change in place, ``"*"`` for all),
  ``directives`` (write-time instructions, sent but never compared: the service does not
  report them), ``update_effects`` (what an in-place update does besides).

Empty values (``None``, ``""``, ``[]``, ``{}``) mean the same as an absent field at every
depth: the platforms leave out, or answer ``{}`` for, fields never set.
"""

from __future__ import annotations

import functools
import json
import pkgutil
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from dpn.canonical import policy
from dpn.model import NAMING_INPUTS


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


ALL = "*"
_NO_RULES: Mapping[str, Any] = MappingProxyType({})  # one object: compiled once (``_compiled``)
_EMPTY: tuple[Any, ...] = (None, "", [], {})


@functools.cache
def _file() -> Mapping[str, Any]:
    raw = pkgutil.get_data("dpn.canonical", "rules.json")  # lighter than importlib.resources
    assert raw is not None
    text = raw.decode("utf-8")
    data: Mapping[str, Any] = json.loads(text)
    return data


def _rules() -> Mapping[str, Any]:
    types: Mapping[str, Any] = _file()["types"]
    return types


def resolved(node: Mapping[str, Any]) -> Mapping[str, Any]:
    """``node`` with its ``use`` of a shared node expanded."""
    if "use" not in node:
        return node
    shared = resolved(_file()["nodes"][node["use"]])
    return _merged(shared, {k: v for k, v in node.items() if k != "use"})


def rules(rtype: str) -> Mapping[str, Any]:
    """The rule node of a type (empty for a type without rules)."""
    node: Mapping[str, Any] = _rules().get(rtype, _NO_RULES)
    return node


@functools.cache
def managed_fields(rtype: str) -> tuple[str, ...]:
    """The properties dpn compares for a type: the schema's, minus naming inputs and
    write-time directives."""
    from dpn.blueprint.validation import field_names

    skip = NAMING_INPUTS | set(rules(rtype).get("directives", ()))
    return tuple(f for f in field_names(rtype) if f not in skip)


# -- named transforms ----------------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_AROUND = re.compile(r"\s*([(),<>:])\s*")
_SQL_ALIASES = {"LONG": "BIGINT", "INTEGER": "INT", "SHORT": "SMALLINT", "BYTE": "TINYINT",
                "REAL": "FLOAT", "BOOL": "BOOLEAN", "DEC": "DECIMAL", "NUMERIC": "DECIMAL",
                "TIMESTAMP_LTZ": "TIMESTAMP"}


def sql_type(value: Any) -> Any:
    """A Spark SQL type as Unity Catalog compares it: upper case, no spaces around
    punctuation, aliases spelt one way, ``DECIMAL`` with its default precision (10, 0)."""
    if not isinstance(value, str):
        return value
    text = _AROUND.sub(r"\1", _SPACES.sub(" ", value.strip())).upper()
    head, _, rest = text.partition("(")
    head = _SQL_ALIASES.get(head, head)
    if head == "DECIMAL" and not rest:
        return "DECIMAL(10,0)"
    if head == "DECIMAL" and rest.rstrip(")").isdigit():
        return f"DECIMAL({rest.rstrip(')')},0)"
    return f"{head}({rest}" if rest else head


TRANSFORMS: Mapping[str, Callable[[Any], Any]] = {
    "sql_type": sql_type, "policy_document": policy.policy_document,
    "policy_documents": policy.policy_documents, "string_set": policy.string_set,
    "privilege_sets": policy.privilege_sets,
}


# -- canonical form ------------------------------------------------------------------------

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
            if v not in _EMPTY:
                out[k] = v
        return out
    if kind is list or kind is tuple:
        return [_plain(v) for v in value]
    return value


def _sort_key(key: str, item: Mapping[str, Any]) -> str:
    return str(item.get(key, ""))


def _merged(node: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``node`` with the rules of ``extra`` laid over it, nested nodes merged."""
    out = dict(node)
    for kind, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(kind), Mapping):
            out[kind] = _merged(out[kind], value)
        else:
            out[kind] = value
    return out


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
                node = _merged(node, self.node["when_present"][name])
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
        if out.get(winner) not in _EMPTY:
            out.pop(loser, None)
    for name, default, mutable in rules.defaults:
        if out.get(name) in _EMPTY and not (exclusive and any(
                out.get(w) not in _EMPTY for w, lo in exclusive if lo == name)):
            out[name] = _plain(default) if mutable else default
    # every value is plain and pruned by now (``value`` was, and what replaced a part of
    # it went through ``_plain`` or ``_node``): only emptied fields are left to drop
    for k in [k for k, v in out.items() if v in _EMPTY]:
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


def _asked_only(value: Any, want: Any, node: Mapping[str, Any]) -> Any:
    """``value`` without what the service computes that ``want`` (the blueprint's side)
    does not set: ``computed`` fields, ``platform_keys`` of maps, at every depth."""
    if not isinstance(value, dict):
        return value
    node = resolved(node)
    wanted = want if isinstance(want, dict) else {}
    for name, extra in node.get("when_present", {}).items():
        if name in value:
            node = _merged(node, extra)
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
