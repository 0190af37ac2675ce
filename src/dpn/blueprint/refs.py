"""References inside blueprint values: ``${key}`` (the resource's name) and
``${key.attr}`` (one of its attributes, ``dpn.model.REFERENCE_ATTRS``).

- ``references(value)``: every ``(key, attr)`` in a value, recursively, in order.
- ``resolve(value, lookup)``: the value with each reference replaced by
  ``lookup(key, attr)``, or by ``dpn.model.UNKNOWN`` where ``lookup`` returns None.
- ``resolve_pruned(value, lookup)``: the same, as ``dpn.canonical``'s plain form (empty
  values of mappings left out) in the same walk, for ``canonical.of_plain``.
- ``has_unknown(value)``: whether ``UNKNOWN`` appears anywhere in a value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from dpn.model import UNKNOWN

# Anything between ${ and the next }; ``parse`` says whether it is well formed.
REF = re.compile(r"\$\{([^}]*)\}")
_WELL_FORMED = re.compile(r"^([a-z][a-z0-9_]{0,62})(?:\.([a-z_]+))?$")

Lookup = Callable[[str, str], "str | None"]


def parse(inner: str) -> tuple[str, str] | None:
    """``(key, attr)`` of the text between ``${`` and ``}``, or None if malformed."""
    m = _WELL_FORMED.fullmatch(inner)
    if not m:
        return None
    return m.group(1), m.group(2) or "name"


def string_refs(text: str) -> list[tuple[str, str]]:
    """The well-formed references of one string."""
    if "${" not in text:
        return []
    out = []
    for inner in REF.findall(text):
        parsed = parse(inner)
        if parsed:
            out.append(parsed)
    return out


def references(value: Any) -> list[tuple[str, str]]:
    """Every well-formed reference in ``value`` (dicts, lists, strings), in order."""
    if isinstance(value, str):
        return string_refs(value)
    out: list[tuple[str, str]] = []
    if isinstance(value, Mapping):
        for v in value.values():
            out.extend(references(v))
    elif isinstance(value, list | tuple):
        for v in value:
            out.extend(references(v))
    return out


def resolve(value: Any, lookup: Lookup) -> Any:
    """A copy of ``value`` (plain dicts and lists) with references replaced."""
    kind = type(value)  # the common cases first, by type: a plan's hot path
    if kind is dict or kind is MappingProxyType:
        return {k: resolve(v, lookup) for k, v in value.items()}
    if kind is tuple or kind is list:
        return [resolve(v, lookup) for v in value]
    if kind is int or kind is bool or kind is float or value is None:
        return value
    if kind is str or isinstance(value, str):
        if "${" not in value:
            return value

        def sub(m: re.Match[str]) -> str:
            parsed = parse(m.group(1))
            if parsed is None:
                return m.group(0)
            found = lookup(*parsed)
            return UNKNOWN if found is None else found

        return REF.sub(sub, value)
    if isinstance(value, Mapping):
        return {k: resolve(v, lookup) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [resolve(v, lookup) for v in value]
    return value


_EMPTY: tuple[Any, ...] = (None, "", [], {})


def resolve_pruned(value: Any, lookup: Lookup) -> Any:
    """``resolve(value, lookup)`` without the empty values (``None``, ``""``, ``[]``,
    ``{}``) of mappings, at every depth: ``dpn.canonical``'s plain form of it, made in
    one walk (a plan puts every resource with references through it)."""
    kind = type(value)
    if kind is dict or kind is MappingProxyType:
        out = {}
        for k, v in value.items():
            v = resolve_pruned(v, lookup)
            if v not in _EMPTY:
                out[k] = v
        return out
    if kind is tuple or kind is list:
        return [resolve_pruned(v, lookup) for v in value]
    if kind is str:
        return resolve(value, lookup) if "${" in value else value
    if kind is int or kind is bool or kind is float or value is None:
        return value
    if isinstance(value, Mapping):
        return resolve_pruned(dict(value), lookup)
    return resolve(value, lookup)


def has_unknown(value: Any) -> bool:
    """Whether ``UNKNOWN`` appears in any string of ``value``."""
    if isinstance(value, str):
        return UNKNOWN in value
    if isinstance(value, Mapping):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(has_unknown(v) for v in value)
    return False
