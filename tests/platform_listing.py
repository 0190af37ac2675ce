"""List what exists on both sandbox platforms, straight through boto3 and databricks-sdk,
to compare with dpn's state without trusting dpn."""

from __future__ import annotations

from typing import Any


def platform_inventory(s3: Any, glue: Any, workspace: Any,
                       iam: Any = None) -> set[tuple[str, str]]:
    """Every user object on both platforms as (type, physical id); IAM roles too when
    ``iam`` is given."""
    out: set[tuple[str, str]] = set()
    if iam is not None:
        for page in iam.get_paginator("list_roles").paginate():
            out |= {("aws.iam_role", r["RoleName"]) for r in page["Roles"]}
    out |= {("dbx.storage_credential", c.name) for c in workspace.storage_credentials.list()}
    out |= {("dbx.external_location", e.name) for e in workspace.external_locations.list()}
    for b in s3.list_buckets().get("Buckets", []):
        out.add(("aws.s3_bucket", b["Name"]))
    for page in glue.get_paginator("get_databases").paginate():
        for db in page["DatabaseList"]:
            if db["Name"] == "default":
                continue
            out.add(("aws.glue_database", db["Name"]))
            for tpage in glue.get_paginator("get_tables").paginate(DatabaseName=db["Name"]):
                for t in tpage["TableList"]:
                    out.add(("aws.glue_table", f"{db['Name']}.{t['Name']}"))
    for c in workspace.clusters.list():
        out.add(("dbx.cluster", c.cluster_id))
    for j in workspace.jobs.list():
        out.add(("dbx.job", str(j.job_id)))
    for cat in workspace.catalogs.list():
        if cat.name in ("main", "system", "hive_metastore", "samples"):
            continue
        out.add(("dbx.catalog", cat.name))
        for sch in workspace.schemas.list(catalog_name=cat.name):
            if sch.name == "information_schema":
                continue
            out.add(("dbx.schema", sch.full_name))
            for t in workspace.tables.list(catalog_name=cat.name, schema_name=sch.name):
                out.add(("dbx.table", t.full_name))
            for v in workspace.volumes.list(catalog_name=cat.name, schema_name=sch.name):
                out.add(("dbx.volume", v.full_name))
    return out


def access_snapshot(iam: Any, workspace: Any) -> dict[str, Any]:
    """What the storage chain is made of beyond object names: each IAM role's trust
    policy, inline and attached policies, and every principal's privileges on every
    securable (catalogs, schemas, tables, volumes, locations, credentials)."""
    roles = {}
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            name = role["RoleName"]
            inline = {p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
                      for p in iam.list_role_policies(RoleName=name)["PolicyNames"]}
            attached = sorted(a["PolicyArn"] for a in
                              iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"])
            roles[name] = {"trust": role["AssumeRolePolicyDocument"], "inline": inline,
                           "attached": attached}
    securables = [("storage_credential", c.name) for c in workspace.storage_credentials.list()]
    securables += [("external_location", e.name) for e in workspace.external_locations.list()]
    for kind, full in list(_uc_objects(workspace)):
        securables.append((kind, full))
    grants = {}
    for kind, full in securables:
        got = workspace.grants.get(kind, full)
        held = {a.principal: sorted(p.value for p in a.privileges or [])
                for a in got.privilege_assignments or [] if a.privileges}
        if held:
            grants[f"{kind}:{full}"] = held
    return {"roles": roles, "grants": grants}


def _uc_objects(workspace: Any) -> Any:
    for cat in workspace.catalogs.list():
        if cat.name in ("main", "system", "hive_metastore", "samples"):
            continue
        yield "catalog", cat.name
        for sch in workspace.schemas.list(catalog_name=cat.name):
            if sch.name == "information_schema":
                continue
            yield "schema", sch.full_name
            for t in workspace.tables.list(catalog_name=cat.name, schema_name=sch.name):
                yield "table", t.full_name
            for v in workspace.volumes.list(catalog_name=cat.name, schema_name=sch.name):
                yield "volume", v.full_name


def state_inventory(state: Any) -> set[tuple[str, str]]:
    if state is None:
        return set()
    return {(r.type, r.id) for r in state.resources.values()}
