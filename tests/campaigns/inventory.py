"""What one stack owns on both platforms, read straight through boto3 and databricks-sdk
(never through dpn), found two ways: by the ``dpn:stack`` ownership tag, and by name (every
name the campaign blueprints generate carries the project). Both must equal the state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dpn.engine.stores.state import StateStore

STACK_TAG = "dpn:stack"
SKIP_CATALOGS = ("main", "system", "hive_metastore", "samples")


@dataclass(frozen=True)
class Inventory:
    by_tag: frozenset[tuple[str, str]]
    by_name: frozenset[tuple[str, str]]

    @property
    def all(self) -> frozenset[tuple[str, str]]:
        return self.by_tag | self.by_name


def _s3_tags(s3: Any, bucket: str) -> dict[str, str]:
    from botocore.exceptions import ClientError

    try:
        tags = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    except ClientError:
        return {}
    return {t["Key"]: t["Value"] for t in tags}


# Other stacks' runs may delete objects while this one lists: a container that vanished
# between its listing and the listing of its content holds nothing of ours.

def _glue_tables(glue: Any, database: str) -> list[dict[str, Any]]:
    from botocore.exceptions import ClientError

    try:
        return [t for page in glue.get_paginator("get_tables").paginate(DatabaseName=database)
                for t in page["TableList"]]
    except ClientError:
        return []


def _glue_tags(glue: Any, arn: str) -> dict[str, str]:
    from botocore.exceptions import ClientError

    try:
        return dict(glue.get_tags(ResourceArn=arn).get("Tags") or {})
    except ClientError:
        return {}


def _gone_ok(listing: Any) -> list[Any]:
    from databricks.sdk.errors import NotFound

    try:
        return list(listing())
    except NotFound:
        return []


def list_stack(s3: Any, glue: Any, workspace: Any, stack: str, project: str) -> Inventory:
    """Every object of ``stack`` as (type, physical id), by tag and by name."""
    tagged: set[tuple[str, str]] = set()
    named: set[tuple[str, str]] = set()
    under = project.replace("-", "_")
    for b in s3.list_buckets().get("Buckets", []):
        name = b["Name"]
        if project in name:
            named.add(("aws.s3_bucket", name))
        if _s3_tags(s3, name).get(STACK_TAG) == stack:
            tagged.add(("aws.s3_bucket", name))
    for page in glue.get_paginator("get_databases").paginate():
        for db in page["DatabaseList"]:
            name = db["Name"]
            if name == "default":
                continue
            arn = f"arn:aws:glue:us-east-1:{db.get('CatalogId') or '123456789012'}:database/{name}"
            db_named = under in name
            db_tagged = _glue_tags(glue, arn).get(STACK_TAG) == stack
            if db_named:
                named.add(("aws.glue_database", name))
            if db_tagged:
                tagged.add(("aws.glue_database", name))
            for t in _glue_tables(glue, name):
                tid = ("aws.glue_table", f"{name}.{t['Name']}")
                if db_named or db_tagged:
                    named.add(tid)
                if (t.get("Parameters") or {}).get(STACK_TAG) == stack:
                    tagged.add(tid)
    for c in workspace.clusters.list():
        if project in (c.cluster_name or ""):
            named.add(("dbx.cluster", c.cluster_id))
        if (c.custom_tags or {}).get(STACK_TAG) == stack:
            tagged.add(("dbx.cluster", c.cluster_id))
    for j in workspace.jobs.list():
        settings = j.settings
        if settings is not None and project in (settings.name or ""):
            named.add(("dbx.job", str(j.job_id)))
        if settings is not None and (settings.tags or {}).get(STACK_TAG) == stack:
            tagged.add(("dbx.job", str(j.job_id)))
    for cat in workspace.catalogs.list():
        if cat.name in SKIP_CATALOGS:
            continue
        cat_named = under in (cat.name or "")
        if cat_named:
            named.add(("dbx.catalog", cat.name))
        if (cat.properties or {}).get(STACK_TAG) == stack:
            tagged.add(("dbx.catalog", cat.name))
        if not cat_named and (cat.properties or {}).get(STACK_TAG) != stack:
            continue
        for sch in _gone_ok(lambda c=cat.name: list(workspace.schemas.list(catalog_name=c))):
            if sch.name == "information_schema":
                continue
            if sch.name == "default" and STACK_TAG not in (sch.properties or {}):
                # the platform's own schema of a new catalog: dpn drops it when it can
                # (best effort), and deleting the catalog takes it along
                continue
            named.add(("dbx.schema", sch.full_name))
            if (sch.properties or {}).get(STACK_TAG) == stack:
                tagged.add(("dbx.schema", sch.full_name))
            for t in _gone_ok(lambda c=cat.name, s=sch.name: list(
                    workspace.tables.list(catalog_name=c, schema_name=s))):
                named.add(("dbx.table", t.full_name))
                if (t.properties or {}).get(STACK_TAG) == stack:
                    tagged.add(("dbx.table", t.full_name))
    return Inventory(frozenset(tagged), frozenset(named))


def state_set(home: Any, stack: str) -> frozenset[tuple[str, str]]:
    state = StateStore(home).load(stack)
    if state is None:
        return frozenset()
    return frozenset((r.type, r.id) for r in state.resources.values())


def compare(home: Any, stack: str, inv: Inventory) -> tuple[list[Any], list[Any]]:
    """(orphans, missing): objects on the platforms that the state does not record, and
    state records that do not exist, by tag or by name."""
    recorded = state_set(home, stack)
    orphans = sorted(inv.all - recorded)
    missing = sorted((recorded - inv.by_tag) | (recorded - inv.by_name))
    return orphans, missing
