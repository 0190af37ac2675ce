"""From a parsed blueprint document to a validated ``dpn.model.Blueprint``.

Order: nesting limit, schema (top level, then each resource against its type), references
(unknown key, unknown attribute, parent type, cycles), naming (patterns, rules, scoped
duplicates), then the ``Resource`` objects. Every finding is collected and raised at once
as one ``BlueprintError``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from dpn import model, naming
from dpn.blueprint import environments, sections, typed_refs, validation
from dpn.blueprint.dev import with_user
from dpn.blueprint.implied import implied_edges
from dpn.blueprint.naming_pass import assign_names
from dpn.blueprint.refcheck import NOT_PROPS, check_references
from dpn.blueprint.source import Locator, Path, dotted
from dpn.errors import BlueprintError
from dpn.graph import CycleError, batches
from dpn.schema import resource_types

RESERVED_TAGS = (model.STACK_TAG, model.KEY_TAG)
# Most tags each tag field may carry once dpn's own are merged in.
TAG_LIMITS: Mapping[str, int] = MappingProxyType({
    model.S3_BUCKET: 50, model.GLUE_DATABASE: 50, model.CLUSTER: 45, model.JOB: 25,
    model.IAM_ROLE: 50,
})

Finding = tuple[Path, str]
KEY = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def _metadata(doc: dict[str, Any]) -> model.Metadata | None:
    meta = doc.get("metadata")
    if not isinstance(meta, dict):
        return None
    try:
        return model.Metadata(org=meta["org"], env=meta["env"], project=meta["project"],
                              region=meta["region"], owner=meta.get("owner"),
                              tags=MappingProxyType(dict(meta.get("tags") or {})))
    except KeyError:
        return None


def compile_doc(doc: Any, locator: Locator, dev_user: str | None = None) -> model.Blueprint:
    """Validate ``doc`` and build the Blueprint; raise BlueprintError with every finding.
    ``dev_user`` (normalised, see ``dpn.blueprint.dev``) builds a development copy."""
    if not isinstance(doc, dict):
        raise BlueprintError(locator.locate([((), "a blueprint is a JSON object with "
                                                  "'version', 'metadata' and 'resources'")]))
    deep = validation.too_deep(doc)
    if deep is not None:
        raise BlueprintError(locator.locate(
            [(deep, f"nested deeper than {validation.MAX_DEPTH} levels")]))
    findings: list[Finding] = validation.check_top(doc)
    top_ok = not findings
    if top_ok:
        envs = (doc.get("naming") or {}).get("environments") or list(
            naming.DEFAULT_ENVIRONMENTS)
        findings.extend(environments.check(doc, envs))
    raw = doc.get("resources")
    resources: dict[str, Any] = raw if isinstance(raw, dict) else {}
    types = set(resource_types())

    kinds: dict[str, str] = {}      # key -> type, for every resource with a known type
    good: dict[str, dict[str, Any]] = {}   # resources that passed their schema
    for key, res in resources.items():
        where: Path = ("resources", key)
        if KEY.fullmatch(key) is None:
            findings.append((where, f"key {json.dumps(key)} must match {KEY.pattern}"))
            continue
        if not isinstance(res, dict):
            findings.append((where, f"resource '{key}' must be an object, not "
                                    f"{validation._kind(res)}"))
            continue
        rtype = res.get("type")
        if not isinstance(rtype, str) or rtype not in types:
            if "type" not in res:
                findings.append((where, f"resource '{key}' has no 'type'"))
            else:
                findings.append(((*where, "type"), f"unknown resource type {rtype!r}"
                                 f"{validation.suggest(str(rtype), types)} (types: "
                                 f"{', '.join(sorted(types))})"))
            continue
        kinds[key] = rtype
        errs = validation.check_resource(rtype, key, res) or _type_rules(key, res)
        if errs:
            findings.extend(errs)
        else:
            good[key] = res

    deps, parent_refs = check_references(good, kinds, findings)
    lifecycles = {key: sections.lifecycle(key, res["type"], res, findings)
                  for key, res in good.items()}
    moved = sections.moves(doc, kinds, findings) if top_ok else ()
    outputs = sections.outputs(doc, kinds, findings) if top_ok else MappingProxyType({})
    try:
        batches(deps)
    except CycleError as exc:
        findings.append((("resources", exc.cycle[0]), f"dependency cycle: {exc}"))

    meta = _metadata(doc) if top_ok else None
    if meta is not None and dev_user:
        meta = with_user(meta, dev_user)
    names: dict[str, naming.GeneratedName] = {}
    if meta is not None:
        names = assign_names(doc, meta, good, parent_refs, deps, findings, dev_user)
    if findings:
        raise BlueprintError(locator.locate(findings))
    assert meta is not None
    _add_implied(deps, good, kinds, names, parent_refs, findings)
    if findings:
        raise BlueprintError(locator.locate(findings))
    built = {key: _resource(key, typed_refs.spelt_out(res["type"], res, kinds, good),
                            names[key], meta, deps[key], parent_refs.get(key), findings,
                            lifecycles[key])
             for key, res in good.items()}
    if findings:
        raise BlueprintError(locator.locate(findings))
    declared = environments.declared(doc)
    return model.Blueprint(path=locator.file, metadata=meta,
                           resources=MappingProxyType(built), backend=doc.get("backend"),
                           moved=moved, outputs=outputs,
                           environment=meta.env if declared else None,
                           environments=declared)


def _add_implied(deps: dict[str, list[str]], good: dict[str, dict[str, Any]],
                 kinds: dict[str, str], names: dict[str, naming.GeneratedName],
                 parent_refs: dict[str, str], findings: list[Finding]) -> None:
    """Add the order that storage paths and grants imply (``dpn.blueprint.implied``)."""
    extra = implied_edges(good, kinds, {k: n.name for k, n in names.items()}, parent_refs)
    for key, edges in extra.items():
        deps[key] = sorted(set(deps[key]) | edges)
    if not extra:
        return  # the references alone were checked for cycles already
    try:
        batches(deps)
    except CycleError as exc:
        findings.append((("resources", exc.cycle[0]),
                         f"dependency cycle through the order that storage paths and grants "
                         f"imply (a path under an external location waits for it and its "
                         f"grants; what is inside a securable waits for its grants): {exc}"))


def _type_rules(key: str, res: dict[str, Any]) -> list[Finding]:
    """Rules the JSON Schema cannot say simply."""
    where: Path = ("resources", key)
    out: list[Finding] = []
    if res["type"] == model.CLUSTER:
        minutes = res.get("autotermination_minutes")
        if minutes is not None and 0 < minutes < 10:
            out.append(((*where, "autotermination_minutes"),
                        "'autotermination_minutes' must be 0 (never) or 10-10000"))
        scale = res.get("autoscale")
        if scale and scale["min_workers"] > scale["max_workers"]:
            out.append(((*where, "autoscale"), "'autoscale': min_workers is above max_workers"))
    return out


def _resource(key: str, res: dict[str, Any], name: naming.GeneratedName,
              meta: model.Metadata, deps: list[str], parent_key: str | None,
              findings: list[Finding], lifecycle: model.Lifecycle) -> model.Resource:
    rtype = res["type"]
    props = {k: _freeze(v) if type(v) is dict or type(v) is list else v
             for k, v in res.items() if k not in NOT_PROPS}   # frozen below the top level
    if parent_key is not None:  # parent fields resolve to the parent's full name
        props[model.PARENT_FIELD[rtype][0]] = f"${{{parent_key}.full_name}}"
    tag_field = model.TAG_FIELD.get(rtype)
    if tag_field is not None:
        props[tag_field] = MappingProxyType(_tags(key, rtype, tag_field,
                                                  props.get(tag_field) or {}, meta, findings))
    return model.Resource(key=key, type=rtype, name=name.name, full_name=name.full_name,
                          props=MappingProxyType(props), depends_on=tuple(deps),
                          lifecycle=lifecycle)


def _tags(key: str, rtype: str, tag_field: str, own: Mapping[str, Any], meta: model.Metadata,
          findings: list[Finding]) -> dict[str, Any]:
    """The tag field's content: metadata tags, the blueprint's own, and dpn's ownership
    tags (which the blueprint may not set), within the type's tag limit."""
    for reserved in RESERVED_TAGS:
        if reserved in own:
            findings.append((("resources", key, tag_field, reserved),
                             f"'{reserved}' is set by dpn and cannot be given"))
    tags = {**meta.tags, **own, model.STACK_TAG: meta.stack, model.KEY_TAG: key}
    limit = TAG_LIMITS.get(rtype)
    if limit is not None and len(tags) > limit:
        findings.append((("resources", key, tag_field),
                         f"{len(tags)} tags with metadata.tags and dpn's own; "
                         f"{rtype} allows at most {limit}"))
    return tags


def _freeze(value: Any) -> Any:
    """``dpn.model.freeze`` for parsed JSON (exact dict and list types): faster."""
    if type(value) is dict:
        return MappingProxyType({k: _freeze(v) if type(v) is dict or type(v) is list else v
                                 for k, v in value.items()})
    if type(value) is list:
        return tuple([_freeze(v) if type(v) is dict or type(v) is list else v
                      for v in value])
    return value


__all__ = ["compile_doc", "dotted"]
