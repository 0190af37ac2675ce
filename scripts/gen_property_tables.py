#!/usr/bin/env python3
"""Generate the property tables of docs/user-guide.md from the blueprint JSON Schema.

Properties, types, required fields and descriptions come from
``src/dpn/schema.json``; defaults, the fields that force a replace, computed
fields and directives from ``src/dpn/canonical/rules.json`` (what dpn actually does). The
tables go between ``<!-- properties:begin -->`` and ``<!-- properties:end -->``.

    scripts/gen_property_tables.py           rewrite the guide
    scripts/gen_property_tables.py --check   exit 1 if the guide is out of date

A default the schema states and rules.json contradicts is an error: the guide would lie.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from dpn.canonical import resolved  # noqa: E402  (expands a rule node's shared "use")

SCHEMA = ROOT / "src" / "dpn" / "schema.json"
RULES = ROOT / "src" / "dpn" / "canonical" / "rules.json"
GUIDE = ROOT / "docs" / "user-guide.md"
BEGIN = "<!-- properties:begin -->"
END = "<!-- properties:end -->"
# Resource fields that feed the name pattern (dpn.model.NAMING_INPUTS), listed in prose.
NAMING = ("type", "name", "layer", "domain", "purpose", "entity")
# Resource options (dpn.model.RESOURCE_OPTIONS): how dpn manages the object, not a setting.
OPTIONS = ("lifecycle",)


class DocError(Exception):
    """The schema and the rules disagree, or the guide has no markers."""


def _code(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return f"`{text}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _ref(node: Mapping[str, Any]) -> str | None:
    ref = node.get("$ref")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


ANCHORS = {"task": "job-tasks", "column": "columns", "email_notifications": "email-notifications"}


def kind(node: Mapping[str, Any], rule: Mapping[str, Any] | None = None, depth: int = 0) -> str:
    """A short type for a schema node: enums spelt out, objects with their fields."""
    ref = _ref(node)
    if ref is not None:
        return f"[{ref}](#{ANCHORS.get(ref, ref)})"
    if "enum" in node:
        return " or ".join(_code(v) for v in node["enum"])
    if "const" in node:
        return _code(node["const"])
    typ = node.get("type")
    if isinstance(typ, list):
        return " or ".join(kind({**node, "type": t}, rule, depth) for t in typ)
    if typ == "array":
        items = node.get("items") or {}
        item_rule = (rule or {}).get("__items__")
        bound = f" (at most {node['maxItems']})" if "maxItems" in node else ""
        return f"list of {kind(items, item_rule, depth)}{bound}"
    if typ == "object":
        props = node.get("properties")
        extra = node.get("additionalProperties")
        if props and depth < 3:
            required = set(node.get("required", ()))
            defaults = (rule or {}).get("defaults", {})
            parts = []
            for name, sub in props.items():
                label = f"**`{name}`**" if name in required else f"`{name}`"
                sub_rule = _sub_rule(rule, name)
                text = f"{label} {kind(sub, sub_rule, depth + 1)}"
                if name in defaults:
                    text += f" (default {_code(defaults[name])})"
                parts.append(text)
            return "object {" + ", ".join(parts) + "}"
        if isinstance(extra, dict) and extra:
            bound = f" (at most {node['maxProperties']})" if "maxProperties" in node else ""
            return f"map of string to {kind(extra, None, depth + 1)}{bound}"
        return "object"
    if typ == "integer":
        lo, hi = node.get("minimum"), node.get("maximum")
        if lo is not None and hi is not None:
            return f"integer {lo}-{hi}"
        return f"integer >= {lo}" if lo is not None else "integer"
    if typ == "string":
        literal = re.fullmatch(r"\^(\w+)\$", str(node.get("pattern", "")))
        return _code(literal.group(1)) if literal else "string"
    if typ == "boolean":
        return "boolean"
    return str(typ or "any")


def _sub_rule(rule: Mapping[str, Any] | None, name: str) -> dict[str, Any] | None:
    """The rules.json node of field ``name`` below ``rule``: ``fields`` for an object,
    ``items`` for a list of objects (kept under ``__items__``)."""
    if not rule:
        return None
    if name in rule.get("fields", {}):
        return dict(resolved(rule["fields"][name]))
    if name in rule.get("items", {}):
        return {"__items__": dict(resolved(rule["items"][name]))}
    return None


def _update(name: str, rule: Mapping[str, Any]) -> str:
    """How a change of the property is applied and compared."""
    if name in rule.get("directives", ()):
        return "sent, never compared (a directive)"
    replace = rule.get("replace", ())
    how = "replace" if "*" in replace or name in replace else "in place"
    if name in rule.get("computed", ()):
        how += "; compared only when set"
    return how


def _default(name: str, node: Mapping[str, Any], rule: Mapping[str, Any], where: str) -> str:
    defaults = rule.get("defaults", {})
    if "default" in node and name in defaults and node["default"] != defaults[name]:
        raise DocError(f"{where}.{name}: the schema's default {node['default']!r} is not "
                       f"rules.json's {defaults[name]!r}")
    if name in defaults:
        return _code(defaults[name])
    if "default" in node:
        raise DocError(f"{where}.{name}: the schema states default {node['default']!r}, "
                       "rules.json has none (dpn would not fill it in)")
    return ""


def table(where: str, node: Mapping[str, Any], rule: Mapping[str, Any],
          skip: tuple[str, ...] = ()) -> list[str]:
    required = set(node.get("required", ()))
    rule = resolved(rule)
    lines = ["| property | type | default | update | description |", "|---|---|---|---|---|"]
    for name, sub in node["properties"].items():
        if name in skip:
            continue
        label = f"**`{name}`**" if name in required else f"`{name}`"
        lines.append("| " + " | ".join(_cell(c) for c in (
            label, kind(sub, _sub_rule(rule, name)), _default(name, sub, rule, where),
            _update(name, rule), sub.get("description", ""))) + " |")
    return lines


def render(schema: Mapping[str, Any], rules: Mapping[str, Any]) -> str:
    defs = schema["$defs"]
    types = defs["resource"]["properties"]["type"]["enum"]
    out = [BEGIN, "<!-- Generated by scripts/gen_property_tables.py from "
           "src/dpn/schema.json and src/dpn/canonical/rules.json: edit those and "
           "re-run it, not this text. -->", ""]
    out.append("Required properties are in bold. A default is what dpn sends, and compares "
               "against, when the blueprint leaves the property out. *update* says how a "
               "change is applied: in place, or by a replace (delete and create again); "
               "\"compared only when set\" marks a property the service fills in when the "
               "blueprint leaves it out. Every resource also takes the naming inputs "
               + ", ".join(f"`{n}`" for n in NAMING[2:]) + ", an optional explicit `name` "
               "and an optional [`lifecycle`](#lifecycle).")
    for rtype in types:
        node, rule = defs[rtype], rules.get(rtype, {})
        out += ["", f"#### `{rtype}`", ""]
        if node.get("description"):
            out += [node["description"], ""]
        out += table(rtype, node, rule, skip=NAMING + OPTIONS)
    job = rules.get("dbx.job", {})
    items = {
        "task": ("Job tasks", "Each item of a `dbx.job`'s `tasks` (Jobs API 2.2 task "
                 "objects; references allowed inside).",
                 resolved(job.get("items", {}).get("tasks", {}))),
        "column": ("Columns", "Each item of `columns` (`aws.glue_table`, `dbx.table`) and "
                   "`partition_keys` (`aws.glue_table`).",
                   _common_column_rule(rules)),
        "email_notifications": ("Email notifications", "`email_notifications` of a job "
                                "and of a task.", {}),
    }
    for name, (title, intro, rule) in items.items():
        out += ["", f"#### {title}", "", intro, ""]
        out += table(name, defs[name], rule)
    out.append(END)
    return "\n".join(out)


def _common_column_rule(rules: Mapping[str, Any]) -> dict[str, Any]:
    """The column defaults, which must be the same wherever columns appear."""
    seen: dict[str, Any] = {}
    for rtype, field in (("aws.glue_table", "columns"), ("aws.glue_table", "partition_keys"),
                         ("dbx.table", "columns")):
        node = resolved(rules.get(rtype, {}).get("items", {}).get(field, {}))
        defaults = node.get("defaults", {})
        for name, value in defaults.items():
            if name in seen and seen[name] != value:
                raise DocError(f"column default {name}: {seen[name]!r} and {value!r} differ "
                               f"({rtype}.{field}); the guide has one column table")
            seen[name] = value
    return {"defaults": seen}


def updated_guide(text: str, tables: str) -> str:
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise DocError(f"{GUIDE}: no {BEGIN} ... {END} markers")
    return text[:start] + tables + text[end + len(END):]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if docs/user-guide.md is out of date; write nothing")
    parser.add_argument("--guide", type=Path, default=GUIDE)
    args = parser.parse_args(argv)
    try:
        tables = render(json.loads(SCHEMA.read_text()), json.loads(RULES.read_text())["types"])
        current = args.guide.read_text()
        new = updated_guide(current, tables)
    except DocError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.check:
        if new == current:
            return 0
        diff = difflib.unified_diff(current.splitlines(), new.splitlines(), str(args.guide),
                                    "generated", lineterm="", n=1)
        print(f"{args.guide} is out of date: run scripts/gen_property_tables.py", file=sys.stderr)
        print("\n".join(list(diff)[:80]), file=sys.stderr)
        return 1
    if new != current:
        args.guide.write_text(new)
        print(f"updated {args.guide}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
