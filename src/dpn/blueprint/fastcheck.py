"""A compiled yes/no JSON Schema check for the keywords ``schema.json`` uses.

``compile_check(schema, defs)`` turns a (sub)schema into a function ``value -> bool`` that
agrees with jsonschema's Draft 2020-12 validator on the keywords listed in ``KEYWORDS``
and refuses, at compile time, any other keyword (so the schema cannot grow a keyword this
module would silently ignore). It is the fast path: a document it accepts is valid; one it
rejects is handed to jsonschema for the detailed errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]

ANNOTATIONS = frozenset({"description", "default", "title", "$schema", "$id", "$comment",
                         "examples"})
KEYWORDS = frozenset({"type", "properties", "additionalProperties", "required", "enum",
                      "const", "pattern", "minLength", "maxLength", "minimum", "maximum",
                      "items", "minItems", "maxItems", "uniqueItems", "maxProperties",
                      "minProperties",
                      "propertyNames", "$ref", "dependentSchemas", "not", "$defs"})


def _is_integer(v: Any) -> bool:
    return (isinstance(v, int) and not isinstance(v, bool)) or (
        isinstance(v, float) and v.is_integer())


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


TYPES: Mapping[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": _is_integer,
    "number": _is_number,
    "null": lambda v: v is None,
}


def _equal(a: Any, b: Any) -> bool:
    """jsonschema's equality: booleans never equal numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return bool(a == b) if type(a) is type(b) or (_is_number(a) and _is_number(b)) else False


def _pending(value: Any) -> bool:  # pragma: no cover - replaced before use
    raise AssertionError("unresolved $ref")


def compile_check(schema: Mapping[str, Any], defs: Mapping[str, Any]) -> Check:
    """A ``value -> bool`` check of ``schema``; ``$ref`` must be ``#/$defs/<name>``."""
    cache: dict[str, Check] = {}

    def ref(target: str) -> Check:
        if not target.startswith("#/$defs/"):
            raise ValueError(f"unsupported $ref {target!r}")
        name = target[len("#/$defs/"):]
        if name not in cache:
            cache[name] = _pending  # a recursive $ref resolves lazily below
            cache[name] = build(defs[name])
        if cache[name] is _pending:
            return lambda v: cache[name](v)
        return cache[name]

    def build(s: Mapping[str, Any]) -> Check:
        unknown = set(s) - KEYWORDS - ANNOTATIONS
        if unknown:
            raise ValueError(f"fastcheck does not support {sorted(unknown)}")
        checks: list[Check] = []
        if "$ref" in s:
            checks.append(ref(s["$ref"]))
        if "type" in s:
            names = s["type"] if isinstance(s["type"], list) else [s["type"]]
            fns = [TYPES[n] for n in names]
            checks.append(lambda v: any(f(v) for f in fns))
        if "enum" in s:
            options = list(s["enum"])
            checks.append(lambda v: any(_equal(v, o) for o in options))
        if "const" in s:
            const = s["const"]
            checks.append(lambda v: _equal(v, const))
        if "pattern" in s:
            search = re.compile(s["pattern"]).search
            checks.append(lambda v: not isinstance(v, str) or search(v) is not None)
        if "minLength" in s:
            lo = s["minLength"]
            checks.append(lambda v: not isinstance(v, str) or len(v) >= lo)
        if "maxLength" in s:
            hi = s["maxLength"]
            checks.append(lambda v: not isinstance(v, str) or len(v) <= hi)
        if "minimum" in s:
            lo_n = s["minimum"]
            checks.append(lambda v: not _is_number(v) or v >= lo_n)
        if "maximum" in s:
            hi_n = s["maximum"]
            checks.append(lambda v: not _is_number(v) or v <= hi_n)
        checks.extend(_object_checks(s, build))
        checks.extend(_array_checks(s, build))
        if "not" in s:
            inner = build(s["not"])
            checks.append(lambda v: not inner(v))
        if len(checks) == 1:
            return checks[0]
        return lambda v: all(c(v) for c in checks)

    return build(schema)


def _object_checks(s: Mapping[str, Any], build: Callable[[Any], Check]) -> list[Check]:
    out: list[Check] = []
    props = {k: build(v) for k, v in s.get("properties", {}).items()}
    extra = s.get("additionalProperties", True)
    extra_check: Check | None = None if extra is True else (
        (lambda v: False) if extra is False else build(extra))
    required = tuple(s.get("required", ()))
    if props or extra_check is not None or required:
        def obj(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            for r in required:
                if r not in v:
                    return False
            for k, item in v.items():
                check = props.get(k)
                if check is not None:
                    if not check(item):
                        return False
                elif extra_check is not None and not extra_check(item):
                    return False
            return True
        out.append(obj)
    if "propertyNames" in s:
        names = build(s["propertyNames"])
        out.append(lambda v: not isinstance(v, dict) or all(names(k) for k in v))
    if "maxProperties" in s:
        most = s["maxProperties"]
        out.append(lambda v: not isinstance(v, dict) or len(v) <= most)
    if "minProperties" in s:
        least = s["minProperties"]
        out.append(lambda v: not isinstance(v, dict) or len(v) >= least)
    if "dependentSchemas" in s:
        deps = {k: build(v) for k, v in s["dependentSchemas"].items()}
        out.append(lambda v: not isinstance(v, dict)
                   or all(c(v) for k, c in deps.items() if k in v))
    return out


def _array_checks(s: Mapping[str, Any], build: Callable[[Any], Check]) -> list[Check]:
    out: list[Check] = []
    if "items" in s:
        each = build(s["items"])
        out.append(lambda v: not isinstance(v, list) or all(each(x) for x in v))
    if "minItems" in s:
        lo = s["minItems"]
        out.append(lambda v: not isinstance(v, list) or len(v) >= lo)
    if "maxItems" in s:
        hi = s["maxItems"]
        out.append(lambda v: not isinstance(v, list) or len(v) <= hi)
    if s.get("uniqueItems"):
        out.append(lambda v: not isinstance(v, list) or all(
            not _equal(v[i], v[j]) for i in range(len(v)) for j in range(i + 1, len(v))))
    return out
