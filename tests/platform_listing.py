"""List what exists on both sandbox platforms, straight through boto3 and databricks-sdk,
to compare with dpn's state without trusting dpn."""

from __future__ import annotations

from typing import Any


def platform_inventory(s3: Any, glue: Any, workspace: Any) -> set[tuple[str, str]]:
    """Every user object on both platforms as (type, physical id)."""
    out: set[tuple[str, str]] = set()
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
    return out


def state_inventory(state: Any) -> set[tuple[str, str]]:
    if state is None:
        return set()
    return {(r.type, r.id) for r in state.resources.values()}
