"""The naming step of validation: environments, layers, patterns, the per-type rules of
``dpn.naming.rules`` and duplicate names within each type's scope."""

from __future__ import annotations

from typing import Any

from dpn import model, naming
from dpn.blueprint.source import Path

Finding = tuple[Path, str]


def assign_names(doc: dict[str, Any], meta: model.Metadata, good: dict[str, dict[str, Any]],
                 parent_refs: dict[str, str], deps: dict[str, list[str]],
                 findings: list[Finding], dev_user: str | None = None
                 ) -> dict[str, naming.GeneratedName]:
    """The name of every resource in ``good``; problems are appended to ``findings``.
    With ``dev_user`` (normalised), every name gets ``naming.dev_prefix``."""
    del deps
    cfg = doc.get("naming") or {}
    envs = cfg.get("environments") or list(naming.DEFAULT_ENVIRONMENTS)
    layers = cfg.get("layers") or list(naming.DEFAULT_LAYERS)
    patterns = {**naming.DEFAULT_PATTERNS, **(cfg.get("patterns") or {})}
    if meta.env not in envs:
        findings.append((("metadata", "env"), f"environment '{meta.env}' is not one of "
                                              f"naming.environments ({', '.join(envs)})"))
    bad_patterns = set()
    for rtype, pattern in (cfg.get("patterns") or {}).items():
        for problem in naming.pattern_problems(pattern):
            findings.append((("naming", "patterns", rtype), f"pattern {pattern!r}: {problem}"))
            bad_patterns.add(rtype)
    values = {"org": meta.org, "env": meta.env, "project": meta.project, "region": meta.region}
    names: dict[str, naming.GeneratedName] = {}
    for key, res in good.items():
        rtype = res["type"]
        where: Path = ("resources", key)
        if rtype not in naming.RULES:  # not a named object (model.ATTACHED): its key
            names[key] = naming.GeneratedName(key, key)
            continue
        layer = res.get("layer")
        if layer is not None and layer not in layers:
            findings.append(((*where, "layer"), f"layer '{layer}' is not one of "
                                                f"naming.layers ({', '.join(layers)})"))
        prefix = naming.dev_prefix(rtype, dev_user) if dev_user else ""
        explicit = res.get("name")
        if explicit is not None:
            for problem in naming.check(rtype, explicit):
                findings.append(((*where, "name"), f"name {explicit!r} of {rtype}: {problem}"))
            if prefix:
                full = prefix + explicit
                names[key] = naming.GeneratedName(naming.truncate(rtype, full), full)
                for problem in naming.check(rtype, names[key].name):
                    findings.append(((*where, "name"), f"development name "
                                     f"'{names[key].name}' of {rtype}: {problem}"))
            else:
                names[key] = naming.GeneratedName(explicit, explicit)
            continue
        if rtype in bad_patterns:
            continue
        pattern = patterns[rtype]
        try:
            generated = naming.render(rtype, pattern, {
                **values, "domain": res.get("domain"), "layer": layer,
                "purpose": res.get("purpose"), "entity": res.get("entity")}, prefix)
        except naming.MissingToken as exc:
            findings.append((where, f"resource '{key}' has no '{exc.token}', which the "
                                    f"{rtype} name pattern '{pattern}' needs"))
            continue
        for problem in naming.check(rtype, generated.name):
            findings.append((where, f"generated name '{generated.name}' of {rtype} "
                                    f"'{key}': {problem}"))
        names[key] = generated
    _duplicates(good, names, parent_refs, findings)
    _same_securable(good, findings)
    return names


def _duplicates(good: dict[str, dict[str, Any]], names: dict[str, naming.GeneratedName],
                parent_refs: dict[str, str], findings: list[Finding]) -> None:
    full: dict[str, str | None] = {}

    def full_name(key: str) -> str | None:
        """catalog.schema for schemas, the name for catalogs and Glue databases."""
        if key in full:
            return full[key]
        full[key] = None  # guards against cycles, reported elsewhere
        res = good.get(key)
        if res is None or key not in names:
            return None
        parent = model.PARENT_FIELD.get(res["type"])
        if parent is None:
            result: str | None = names[key].name
        else:
            pkey = parent_refs.get(key)
            pname = full_name(pkey) if pkey else res[parent[0]]
            result = f"{pname}.{names[key].name}" if pname else None
        full[key] = result
        return result

    seen: dict[tuple[str, ...], str] = {}
    scope_of = {model.S3_BUCKET: "all of S3", model.GLUE_DATABASE: "the account and region",
                model.CATALOG: "the metastore", model.CLUSTER: "the blueprint",
                model.JOB: "the blueprint", model.IAM_ROLE: "the AWS account",
                model.STORAGE_CREDENTIAL: "the metastore",
                model.EXTERNAL_LOCATION: "the metastore"}
    for key, res in good.items():
        rtype = res["type"]
        if key not in names or rtype not in naming.RULES:
            continue
        name = names[key].name
        parent = model.PARENT_FIELD.get(rtype)
        if rtype == model.IAM_ROLE:  # IAM role names are unique without regard to case
            name = name.lower()
        if parent is None:
            scope: tuple[str, ...] = (rtype, name)
            where = scope_of[rtype]
        else:
            pkey = parent_refs.get(key)
            pname = full_name(pkey) if pkey else res[parent[0]]
            if pname is None:
                continue
            scope = (rtype, pname, name)
            where = f"{parent[0]} '{pname}'"
        first = seen.setdefault(scope, key)
        if first != key:
            findings.append((("resources", key), f"{rtype} name '{name}' of resource '{key}' "
                                                 f"is also the name of resource '{first}' "
                                                 f"(names are unique within {where})"))


def _same_securable(good: dict[str, dict[str, Any]], findings: list[Finding]) -> None:
    """Two dbx.grants on one securable would each manage its privileges (one physical id,
    ``securable_type/full_name``): the blueprint lists a securable's principals once."""
    seen: dict[str, str] = {}
    for key, res in good.items():
        if res["type"] != model.GRANTS:
            continue
        first = seen.setdefault(str(res["securable"]), key)
        if first != key:
            findings.append((("resources", key, "securable"),
                             f"dbx.grants '{key}' is on the same securable as '{first}' "
                             f"({res['securable']}): list its principals in one dbx.grants"))
