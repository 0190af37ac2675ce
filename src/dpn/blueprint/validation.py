"""JSON Schema checks of a blueprint document, dispatched per resource type.

The shipped schema (``dpn/schema.json``, draft 2020-12, read by ``dpn.schema``) is what
editors use. Here the top level
is checked with ``resources`` reduced to ``{"type": "object"}``, and each resource against
its own type's subschema with a cached validator, which is much faster than letting one
big schema try every type. Findings are ``(path, message)`` pairs; ``dpn.blueprint.source``
turns them into ``FILE:LINE:COL`` diagnostics.
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Iterable
from typing import Any

from dpn.blueprint import fastcheck
from dpn.blueprint.source import MAX_DEPTH, Path
from dpn.schema import schema

Finding = tuple[Path, str]

_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
               int: "an integer", float: "a number", type(None): "null"}
_WANT = {"object": "an object", "array": "an array", "string": "a string",
         "boolean": "true or false", "integer": "an integer", "number": "a number",
         "null": "null"}


def _subschema(name: str) -> dict[str, Any]:
    """The schema of one resource type, or ("") the top level without the resources'
    contents."""
    root = schema()
    if name == "":
        top = dict(root)
        props = dict(top["properties"])
        props["resources"] = {"type": "object"}
        top["properties"] = props
        return top
    return {"$ref": f"#/$defs/{name}", "$defs": root["$defs"]}


@functools.cache
def _fast(name: str) -> fastcheck.Check:
    return fastcheck.compile_check(_subschema(name), schema()["$defs"])


@functools.cache
def _validator(name: str) -> Any:
    from jsonschema import Draft202012Validator  # only when there is an error to explain

    return Draft202012Validator(_subschema(name))


def _kind(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = json.dumps(value) if isinstance(value, str | int | float | bool) else _kind(value)
    return text if len(text) <= 80 else text[:77] + "..."


def suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _messages(err: Any, where: Path) -> list[Finding]:
    """Readable findings for one jsonschema error at ``where`` (its absolute path)."""
    v, val, inst, sch = err.validator, err.validator_value, err.instance, err.schema
    field = next((str(p) for p in reversed(where) if isinstance(p, str)), "value")
    subject = f"'{field}'" if where else "the blueprint"
    if v == "additionalProperties" and isinstance(inst, dict):
        known = list(sch.get("properties", {}))
        return [((*where, k), f"unknown field '{k}'{suggest(k, known)}")
                for k in inst if k not in known]
    if "dependentSchemas" in err.schema_path:
        return [(where, "'kms_key_id' needs \"encryption\": \"aws:kms\"")]
    if v == "required":
        return [(where, f"missing required field '{k}'") for k in val
                if isinstance(inst, dict) and k not in inst]
    if v == "type":
        wants = val if isinstance(val, list) else [val]
        want = " or ".join(_WANT.get(str(w), str(w)) for w in wants)
        return [(where, f"{subject} must be {want}, not {_kind(inst)}")]
    if v == "enum":
        return [(where, f"{subject} must be one of {', '.join(json.dumps(x) for x in val)}"
                        f", not {_short(inst)}")]
    if v == "const":
        return [(where, f"{subject} must be {json.dumps(val)}, not {_short(inst)}")]
    if v == "pattern":
        return [(where, f"{subject}: {_short(inst)} does not match {val}")]
    if v == "propertyNames":
        return [((*where, inst), f"key {_short(inst)} must match "
                                 f"{sch['propertyNames'].get('pattern', 'the key rules')}")]
    if v == "not" and "propertyNames" in err.schema_path:
        return [(where, f"{subject}: the key {_short(inst)} is reserved")]
    if v == "not":
        return [(where, "set either 'num_workers' or 'autoscale', not both")]
    plural = "" if val == 1 else "s"
    limits = {"minLength": f"at least {{}} character{plural}",
              "maxLength": f"at most {{}} character{plural}",
              "minItems": f"at least {{}} item{plural}", "maxItems": f"at most {{}} item{plural}",
              "minimum": "at least {}", "maximum": "at most {}",
              "maxProperties": "at most {} entries",
              "minProperties": "at least {} entr" + ("y" if val == 1 else "ies"),
              "uniqueItems": "without duplicates"}
    if v in limits:
        return [(where, f"{subject} must have {limits[v].format(val)}"
                        if v in ("minItems", "maxItems", "maxProperties", "minProperties",
                                 "uniqueItems")
                        else f"{subject} must be {limits[v].format(val)}")]
    return [(where, f"{subject}: {err.message[:200]}")]


def check_top(doc: dict[str, Any]) -> list[Finding]:
    """Schema findings for everything except the resources' contents."""
    out: list[Finding] = []
    if _fast("")(doc):
        return out
    for err in _validator("").iter_errors(doc):
        out.extend(_messages(err, tuple(err.absolute_path)))
    return out


def check_resource(rtype: str, key: str, resource: dict[str, Any]) -> list[Finding]:
    """Schema findings for one resource of a known type."""
    base: Path = ("resources", key)
    out: list[Finding] = []
    if _fast(rtype)(resource):
        return out
    for err in _validator(rtype).iter_errors(resource):
        out.extend(_messages(err, (*base, *err.absolute_path)))
    return out


def too_deep(value: Any, limit: int = MAX_DEPTH) -> Path | None:
    """The path of the first container nested deeper than ``limit``, or None. Recursion
    stops at ``limit``, so it is safe on any depth."""

    def deepest(node: Any, depth: int) -> list[str | int] | None:
        if depth > limit:
            return []
        if type(node) is dict:
            items: Iterable[tuple[str | int, Any]] = node.items()
        elif type(node) is list:
            items = enumerate(node)
        else:
            return None
        for k, v in items:
            if type(v) is dict or type(v) is list:
                found = deepest(v, depth + 1)
                if found is not None:
                    found.append(k)
                    return found
        return None

    found = deepest(value, 0)
    return None if found is None else tuple(reversed(found))
