"""The comparison rules as data (``rules.json``): a type's rule node, shared nodes
expanded (``use``), and the fields dpn compares."""

from __future__ import annotations

import functools
import json
import pkgutil
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from dpn.model import NAMING_INPUTS

ALL = "*"
_NO_RULES: Mapping[str, Any] = MappingProxyType({})  # one object: compiled once (``_compiled``)
EMPTY: tuple[Any, ...] = (None, "", [], {})


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
    return merged(shared, {k: v for k, v in node.items() if k != "use"})


def rules(rtype: str) -> Mapping[str, Any]:
    """The rule node of a type (empty for a type without rules)."""
    node: Mapping[str, Any] = _rules().get(rtype, _NO_RULES)
    return node


@functools.cache
def managed_fields(rtype: str) -> tuple[str, ...]:
    """The properties dpn compares for a type: the schema's, minus naming inputs and
    write-time directives."""
    from dpn.schema import field_names

    skip = NAMING_INPUTS | set(rules(rtype).get("directives", ()))
    return tuple(f for f in field_names(rtype) if f not in skip)


def merged(node: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``node`` with the rules of ``extra`` laid over it, nested nodes merged."""
    out = dict(node)
    for kind, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(kind), Mapping):
            out[kind] = merged(out[kind], value)
        else:
            out[kind] = value
    return out
