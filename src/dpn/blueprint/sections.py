"""What a blueprint says besides its resources' settings: each resource's ``lifecycle``,
the ``moved`` list and the ``outputs`` map. Each check appends ``(path, message)``
findings and returns what the model keeps."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from dpn import model
from dpn.blueprint import validation
from dpn.blueprint.attrs import ATTRS
from dpn.blueprint.refs import REF, parse
from dpn.blueprint.source import Path
from dpn.schema import schema

Finding = tuple[Path, str]


def lifecycle(key: str, rtype: str, res: Mapping[str, Any],
              findings: list[Finding]) -> model.Lifecycle:
    """The resource's ``lifecycle``; every ``ignore_changes`` entry names a compared
    property of the type, or ``field.key`` of one that is a map."""
    raw = res.get("lifecycle")
    if not isinstance(raw, dict):
        return model.NO_LIFECYCLE
    from dpn.canonical import managed_fields

    fields = managed_fields(rtype)
    props = schema()["$defs"][rtype]["properties"]
    where: Path = ("resources", key, "lifecycle", "ignore_changes")
    ignored: list[str] = []
    for i, entry in enumerate(raw.get("ignore_changes") or ()):
        field, dot, inner = entry.partition(".")
        if field not in fields:
            findings.append(((*where, i), f"'{entry}': {rtype} has no property '{field}' "
                                          f"that dpn compares{validation.suggest(field, fields)}"))
        elif dot and (props.get(field, {}).get("type") != "object" or not inner):
            findings.append(((*where, i), f"'{entry}': '{field}' is not a map, so only the "
                                          "whole property can be ignored"))
        elif dot and field == model.TAG_FIELD.get(rtype) and inner in (model.STACK_TAG,
                                                                         model.KEY_TAG):
            findings.append(((*where, i), f"'{entry}': dpn's ownership tags cannot be "
                                          "ignored"))
        else:
            ignored.append(entry)
    return model.Lifecycle(prevent_destroy=bool(raw.get("prevent_destroy")),
                           ignore_changes=tuple(ignored))


def elsewhere(doc: Mapping[str, Any]) -> set[str]:
    """The resource keys some environment's overrides name (a resource of the base that
    an environment leaves out, or one that an environment adds)."""
    envs = doc.get("environments")
    out: set[str] = set()
    for env in (envs.values() if isinstance(envs, dict) else ()):
        if isinstance(env, dict) and isinstance(env.get("resources"), dict):
            out.update(env["resources"])
    if isinstance(doc.get("resources"), dict):
        out.update(doc["resources"])
    return out


def moves(doc: Mapping[str, Any], kinds: Mapping[str, str],
          findings: list[Finding]) -> tuple[model.Move, ...]:
    """The ``moved`` entries: each ``from`` once and no longer a key of ``resources``;
    each ``to`` a key of ``resources`` or, for a key renamed again, the next ``from``;
    no cycles. An entry that ends at a resource this environment leaves out (another
    environment has it) does not apply here."""
    raw = doc.get("moved")
    if not isinstance(raw, list):
        return ()
    entries: dict[str, tuple[int, model.Move]] = {}   # source -> (index, move)
    for i, entry in enumerate(raw):
        where: Path = ("moved", i)
        source, target = entry["from"], entry["to"]
        if source in entries:
            findings.append(((*where, "from"), f"'{source}' is moved twice (first at "
                                               f"moved[{entries[source][0]}])"))
        elif source == target:
            findings.append((where, f"'{source}' is moved to itself"))
        elif source in kinds:
            findings.append(((*where, "from"), f"'{source}' is still a key of resources: "
                                               "a moved key leaves resources"))
        else:
            entries[source] = (i, model.Move(source, target))
    others = elsewhere(doc)
    kept: list[model.Move] = []
    for i, move in entries.values():
        chain = [move.source]
        target = move.target
        while target in entries and target not in chain:
            chain.append(target)
            target = entries[target][1].target
        if target in chain:
            findings.append((("moved", i), "moved entries form a cycle: "
                                           + " -> ".join([*chain, target])))
        elif target not in kinds and target not in others:
            findings.append((("moved", i, "to"), f"'{target}' is not a key of resources"
                                                 f"{validation.suggest(target, kinds)}; a "
                                                 "resource that leaves the blueprint takes "
                                                 "its moved entries with it"))
        elif target in kinds:
            kept.append(move)
    return tuple(kept)


def outputs(doc: Mapping[str, Any], kinds: Mapping[str, str],
            findings: list[Finding]) -> Mapping[str, str]:
    """The ``outputs``: every reference names a resource of the blueprint and one of its
    attributes. An output of a resource this environment leaves out (another environment
    has it) is not one of this environment's."""
    raw = doc.get("outputs")
    if not isinstance(raw, dict):
        return MappingProxyType({})
    others = elsewhere(doc)
    kept: dict[str, str] = {}
    for name, text in raw.items():
        where: Path = ("outputs", name)
        refs = REF.findall(text)
        targets = {p[0] for p in map(parse, refs) if p is not None}
        if any(t not in kinds and t in others for t in targets):
            continue
        kept[name] = text
        for inner in refs:
            parsed = parse(inner)
            if parsed is None:
                findings.append((where, f"malformed reference '${{{inner}}}': use ${{key}} "
                                        "or ${key.attr}"))
                continue
            target, attr = parsed
            if target not in kinds:
                findings.append((where, f"reference to unknown resource '{target}'"
                                        f"{validation.suggest(target, kinds)}"))
            elif attr not in ATTRS[kinds[target]]:
                findings.append((where, f"unknown attribute '{attr}' of {kinds[target]} "
                                        f"'{target}' (attributes: "
                                        f"{', '.join(ATTRS[kinds[target]])})"))
        if text.count("${") != len(refs):
            findings.append((where, "unterminated reference: '${' without '}'"))
    return MappingProxyType(kept)
