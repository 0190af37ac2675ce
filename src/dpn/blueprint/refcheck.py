"""The reference step of validation: every ``${...}`` of the resources checked (well
formed, to a known key and attribute, not to itself, terminated), the parent fields
(``${key}`` of the right type or a valid literal name) and the typed fields
(``dpn.blueprint.typed_refs``); the dependencies they make."""

from __future__ import annotations

from typing import Any

from dpn import model, naming
from dpn.blueprint import typed_refs, validation
from dpn.blueprint.attrs import ATTRS
from dpn.blueprint.refs import REF, parse
from dpn.blueprint.source import Path

Finding = tuple[Path, str]
# A resource's fields that are not its props: its type, name and naming inputs, options.
NOT_PROPS = frozenset((*model.NAMING_INPUTS, *model.RESOURCE_OPTIONS))


def _strings(value: dict[str, Any] | list[Any], path: Path,
             out: list[tuple[Path, str]]) -> None:
    """Every string holding ``${`` inside ``value`` (an object or array), with its path."""
    for k, v in value.items() if type(value) is dict else enumerate(value):
        if type(v) is str:  # most leaves: spare the call
            if "${" in v:
                out.append(((*path, k), v))
        elif type(v) is dict or type(v) is list:
            _strings(v, (*path, k), out)


def check_references(good: dict[str, dict[str, Any]], kinds: dict[str, str],
                     findings: list[Finding]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Dependency lists per key, and for parent fields given as ``${key}`` the parent key."""
    deps: dict[str, list[str]] = {}
    parent_refs: dict[str, str] = {}
    for key, res in good.items():
        rtype = kinds[key]
        found: list[tuple[Path, str]] = []
        for field, value in res.items():
            if field in NOT_PROPS:
                continue
            if type(value) is str:
                if "${" in value:
                    found.append((("resources", key, field), value))
            elif type(value) is dict or type(value) is list:
                _strings(value, ("resources", key, field), found)
        targets: set[str] = set()
        for path, text in found:
            inners = REF.findall(text)
            for inner in inners:
                parsed = parse(inner)
                if parsed is None:
                    findings.append((path, f"malformed reference '${{{inner}}}': use ${{key}} "
                                           f"or ${{key.attr}}"))
                    continue
                target, attr = parsed
                if target not in kinds:
                    findings.append((path, f"reference to unknown resource '{target}'"
                                           f"{validation.suggest(target, kinds)}"))
                elif target == key:
                    findings.append((path, f"resource '{key}' refers to itself"))
                elif attr not in ATTRS[kinds[target]]:
                    findings.append((path, f"unknown attribute '{attr}' of {kinds[target]} "
                                           f"'{target}' (attributes: "
                                           f"{', '.join(ATTRS[kinds[target]])})"))
                else:
                    targets.add(target)
            if text.count("${") != len(inners):
                findings.append((path, "unterminated reference: '${' without '}'"))
        parent = model.PARENT_FIELD.get(rtype)
        if parent is not None:
            _check_parent(key, res, parent, kinds, parent_refs, findings)
        typed_refs.check(key, rtype, res, kinds, findings)
        deps[key] = sorted(targets)
    return deps, parent_refs


def _check_parent(key: str, res: dict[str, Any], parent: tuple[str, str],
                  kinds: dict[str, str], parent_refs: dict[str, str],
                  findings: list[Finding]) -> None:
    field, ptype = parent
    value = res[field]
    path: Path = ("resources", key, field)
    refs = REF.findall(value)
    if not refs:
        literal_type = model.SCHEMA if ptype == model.SCHEMA else ptype
        parts = value.split(".") if ptype == model.SCHEMA else [value]
        if ptype == model.SCHEMA and len(parts) != 2:
            findings.append((path, f"'{field}' must be ${{key}} of a {ptype} or an existing "
                                   f"'catalog.schema', not {value!r}"))
            return
        kinds_of = [model.CATALOG, model.SCHEMA] if ptype == model.SCHEMA else [literal_type]
        for part, kind in zip(parts, kinds_of, strict=True):
            for problem in naming.check(kind, part):
                findings.append((path, f"'{field}': name {part!r} {problem}"))
        return
    parsed = parse(refs[0])
    if len(refs) != 1 or value != f"${{{refs[0]}}}" or parsed is None \
            or parsed[1] not in ("name", "full_name"):
        findings.append((path, f"'{field}' must be ${{key}} of a {ptype} or a literal name, "
                               f"not {value!r}"))
        return
    target = parsed[0]
    if target in kinds and kinds[target] != ptype:
        findings.append((path, f"'{field}' must refer to a resource of type {ptype}; "
                               f"'{target}' is of type {kinds[target]}"))
        return
    parent_refs[key] = target
