"""The AWS providers against moto behind the sandbox's fault-injecting front, over real
HTTP with unpatched boto3."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from dpn.canonical import canonical, diff
from dpn.errors import (
    AlreadyExists,
    InvalidRequest,
    NotEmpty,
    NotFound,
    PermissionDenied,
    ProviderError,
    Transient,
)
from dpn.model import GLUE_DATABASE, GLUE_TABLE, KEY_TAG, S3_BUCKET, STACK_TAG
from dpn.providers.aws import build
from dpn.providers.base import Observed, Provider, Spec
from dpn.sandbox.faults import FaultClient
from dpn.settings import PlatformSettings

pytestmark = pytest.mark.integration

STACK = "acme-dev-lake"
REGION = "us-east-1"  # the sandbox's region (its glue fixture reads there)
# botocore retries per call here (5 in production; its ``max_attempts`` does not count the
# first request): keeps retried faults quick
ATTEMPTS = 2


@pytest.fixture
def faults(clean_sandbox: Any, aws_faults: FaultClient) -> FaultClient:
    """The AWS front's fault admin, on an emptied sandbox."""
    return aws_faults


@pytest.fixture
def aws_url(sandbox: Any) -> str:
    return str(sandbox.aws_endpoint)


def _providers(url: str, region: str) -> dict[str, Provider]:
    settings = PlatformSettings(aws_endpoint_url=url, aws_access_key_id="testing",
                                aws_secret_access_key="testing")
    return build(settings, region, max_attempts=ATTEMPTS)


@pytest.fixture
def aws(aws_url: str, faults: FaultClient) -> dict[str, Provider]:
    return _providers(aws_url, REGION)


@pytest.fixture
def raw(faults: FaultClient, s3: Any, glue: Any) -> Any:
    """Plain boto3 clients, to look behind the providers' backs."""

    class Clients:
        pass

    Clients.s3, Clients.glue = s3, glue  # type: ignore[attr-defined]
    return Clients


def spec(rtype: str, key: str, name: str, **props: Any) -> Spec:
    field = {S3_BUCKET: "tags", GLUE_DATABASE: "tags", GLUE_TABLE: "parameters"}[rtype]
    props[field] = {STACK_TAG: STACK, KEY_TAG: key, "cost_center": "cc-1",
                    **props.get(field, {})}
    return Spec(key=key, type=rtype, name=name, props=props)


def table_spec(name: str, fmt: str | None = "parquet", **extra: Any) -> Spec:
    props: dict[str, Any] = {
        "database": "dev_sales_raw",
        "columns": [{"name": "order_id", "type": "bigint", "comment": "the id"},
                    {"name": "amount", "type": "decimal(10,2)"}],
        "partition_keys": [{"name": "dt", "type": "string"}],
        "location": f"s3://acme-dev-lake-raw-landing/sales/{name}/",
        **extra,
    }
    if fmt is not None:
        props["format"] = fmt
    return spec(GLUE_TABLE, name, name, **props)


def converged(observed: Observed, want: Spec) -> None:
    """What was read back is what was asked, in canonical form (the planner sees no-op)."""
    assert canonical(want.type, observed.props) == canonical(want.type, want.props), (
        observed.props)
    assert not diff(want.type, observed.props, want.props).changed


def writes(faults: FaultClient) -> list[str]:
    """The mutating calls the front saw since its log was cleared."""
    return [r["operation"] for r in faults.requests()
            if r["operation"].startswith(("Put", "Delete", "Create", "Update", "Tag", "Untag",
                                          "BatchDelete"))]


# -- S3 ------------------------------------------------------------------------------


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_bucket_create_read_diff_clean(aws_url: str, faults: FaultClient, raw: Any,
                                       region: str) -> None:
    s3p = _providers(aws_url, region)[S3_BUCKET]
    want = spec(S3_BUCKET, "landing", "acme-dev-lake-raw-landing")
    made = s3p.create(want)
    assert made.id == "acme-dev-lake-raw-landing"
    assert made.attrs == {"name": made.id, "id": made.id, "full_name": made.id,
                          "arn": f"arn:aws:s3:::{made.id}", "uri": f"s3://{made.id}"}
    assert made.props["versioning"] is True
    assert made.props["encryption"] == "AES256"
    assert made.props["block_public_access"] is True
    assert made.owned_by(STACK, "landing")
    converged(made, want)
    read = s3p.read(made.id)
    assert read is not None and read.props == made.props
    location = raw.s3.get_bucket_location(Bucket=made.id).get("LocationConstraint")
    assert (location or "us-east-1") == region
    with pytest.raises(AlreadyExists):
        s3p.create(want)
    found = s3p.find(want)
    assert found is not None and found.owned_by(STACK, "landing")


def test_bucket_kms_and_options_off(aws: dict[str, Provider], raw: Any) -> None:
    s3p = aws[S3_BUCKET]
    want = spec(S3_BUCKET, "logs", "acme-dev-lake-raw-logs", versioning=False,
                encryption="aws:kms", kms_key_id="arn:aws:kms:eu-west-1:123:key/abc",
                block_public_access=False)
    made = s3p.create(want)
    assert made.props["versioning"] is False
    assert made.props["encryption"] == "aws:kms"
    assert made.props["kms_key_id"] == "arn:aws:kms:eu-west-1:123:key/abc"
    assert made.props["block_public_access"] is False
    converged(made, want)
    assert "Status" not in raw.s3.get_bucket_versioning(Bucket=made.id)


def test_bucket_update_applies_only_what_differs(aws: dict[str, Provider],
                                                 faults: FaultClient) -> None:
    s3p = aws[S3_BUCKET]
    want = spec(S3_BUCKET, "landing", "acme-dev-lake-raw-landing")
    s3p.create(want)
    faults.clear_requests()
    same = s3p.update(want.name, want)
    writes = [r["operation"] for r in faults.requests()
              if r["operation"].startswith(("Put", "Delete"))]
    assert writes == []
    converged(same, want)
    changed = spec(S3_BUCKET, "landing", want.name, versioning=False,
                   tags={"team": "data"})
    faults.clear_requests()
    after = s3p.update(want.name, changed)
    writes = [r["operation"] for r in faults.requests()
              if r["operation"].startswith(("Put", "Delete"))]
    assert sorted(writes) == ["PutBucketTagging", "PutBucketVersioning"]
    assert after.props["versioning"] is False
    assert after.tags["team"] == "data"
    converged(after, changed)
    restored = s3p.update(want.name, Spec(key="landing", type=S3_BUCKET, name=want.name,
                                          props=same.props))
    assert restored.props == same.props


def test_bucket_delete_missing_and_not_empty(aws: dict[str, Provider], raw: Any) -> None:
    s3p = aws[S3_BUCKET]
    assert s3p.read("acme-nothing-here") is None
    s3p.delete("acme-nothing-here")  # idempotent
    made = s3p.create(spec(S3_BUCKET, "landing", "acme-dev-lake-raw-landing"))
    for i in range(3):  # versioned: 3 versions of one key, then a delete marker
        raw.s3.put_object(Bucket=made.id, Key="a/data.csv", Body=f"v{i}".encode())
    raw.s3.put_object(Bucket=made.id, Key="b.csv", Body=b"x")
    raw.s3.delete_object(Bucket=made.id, Key="a/data.csv")
    with pytest.raises(NotEmpty) as info:
        s3p.delete(made.id)
    assert info.value.code == "BucketNotEmpty" and info.value.platform == "aws"
    assert s3p.read(made.id) is not None
    s3p.delete(made.id, force_empty=True)
    assert s3p.read(made.id) is None
    s3p.delete(made.id, force_empty=True)


def test_bucket_force_empty_paginates(aws: dict[str, Provider], raw: Any) -> None:
    s3p = aws[S3_BUCKET]
    made = s3p.create(spec(S3_BUCKET, "bulk", "acme-dev-lake-raw-bulk"))
    with ThreadPoolExecutor(8) as pool:  # more than one ListObjectVersions page of 1,000
        list(pool.map(lambda i: raw.s3.put_object(Bucket=made.id, Key=f"k/{i:05d}", Body=b""),
                      range(1003)))
    s3p.delete(made.id, force_empty=True)
    assert s3p.read(made.id) is None


def test_bucket_read_many_lists_once(aws: dict[str, Provider], faults: FaultClient) -> None:
    s3p = aws[S3_BUCKET]
    names = [f"acme-dev-lake-raw-b{i}" for i in range(4)]
    for n in names[:3]:
        s3p.create(spec(S3_BUCKET, n.replace("-", "_"), n))
    faults.clear_requests()
    seen = s3p.read_many(names)
    assert [seen[n] is not None for n in names] == [True, True, True, False]
    ops = [r["operation"] for r in faults.requests()]
    assert ops.count("ListBuckets") == 1
    assert "HeadBucket" not in ops
    assert len(ops) == 1 + 6 * 3


def test_bucket_create_cleans_up_after_a_later_step_fails(aws: dict[str, Provider],
                                                          faults: FaultClient) -> None:
    s3p = aws[S3_BUCKET]
    faults.add(method="PUT", operation="PutPublicAccessBlock", status=400,
               error_code="InvalidRequest", message="nope", count=1)
    with pytest.raises(InvalidRequest):
        s3p.create(spec(S3_BUCKET, "landing", "acme-dev-lake-raw-landing"))
    assert s3p.read("acme-dev-lake-raw-landing") is None


def test_bucket_create_500_after_effect_is_undone(aws: dict[str, Provider],
                                                  faults: FaultClient) -> None:
    """CreateBucket reaches moto but every answer is lost as a 500: botocore retries (the
    retry meets BucketAlreadyOwnedByYou... also lost), gives up; the provider removes what
    its own call made, so a raised create leaves nothing."""
    s3p = aws[S3_BUCKET]
    faults.add(method="PUT", operation="CreateBucket", status=500, after=True)
    with pytest.raises(ProviderError) as info:
        s3p.create(spec(S3_BUCKET, "landing", "acme-dev-lake-raw-landing"))
    assert not isinstance(info.value, Transient)
    assert info.value.code == "InternalError"
    faults.clear()
    assert s3p.read("acme-dev-lake-raw-landing") is None


RULES: list[dict[str, Any]] = [
    {"id": "tmp", "prefix": "tmp/", "expiration_days": 7, "abort_incomplete_multipart_days": 2},
    {"id": "archive", "prefix": "archive/",
     "transitions": [{"days": 90, "storage_class": "GLACIER"},
                     {"days": 30, "storage_class": "STANDARD_IA"}],
     "noncurrent_expiration_days": 60},
]
RULES_V2: list[dict[str, Any]] = [
    {"id": "archive", "prefix": "archive/", "enabled": False,
     "transitions": [{"days": 60, "storage_class": "GLACIER_IR"}]},
    {"id": "all", "expiration_days": 365},
]


def raw_rules(s3: Any, bucket: str) -> list[dict[str, Any]]:
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    return sorted(rules, key=lambda r: r["ID"])


def test_bucket_lifecycle_rules_round_trip(aws: dict[str, Provider], raw: Any,
                                           faults: FaultClient) -> None:
    s3p = aws[S3_BUCKET]
    want = spec(S3_BUCKET, "landing", "acme-dev-lake-raw-landing", lifecycle_rules=RULES)
    made = s3p.create(want)
    assert raw_rules(raw.s3, made.id) == [
        {"ID": "archive", "Status": "Enabled", "Filter": {"Prefix": "archive/"},
         "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"},
                         {"Days": 90, "StorageClass": "GLACIER"}],
         "NoncurrentVersionExpiration": {"NoncurrentDays": 60}},
        {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"},
         "Expiration": {"Days": 7},
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}}]
    converged(made, want)
    read = s3p.read(made.id)
    assert read is not None
    converged(read, want)
    faults.clear_requests()
    s3p.update(made.id, want)
    assert writes(faults) == []

    changed = spec(S3_BUCKET, "landing", made.id, lifecycle_rules=RULES_V2)
    after = s3p.update(made.id, changed)
    assert raw_rules(raw.s3, made.id) == [
        {"ID": "all", "Status": "Enabled", "Filter": {"Prefix": ""},
         "Expiration": {"Days": 365}},
        {"ID": "archive", "Status": "Disabled", "Filter": {"Prefix": "archive/"},
         "Transitions": [{"Days": 60, "StorageClass": "GLACIER_IR"}]}]
    converged(after, changed)

    state = canonical(S3_BUCKET, after.props)
    raw.s3.put_bucket_lifecycle_configuration(Bucket=made.id, LifecycleConfiguration={
        "Rules": [{"ID": "all", "Status": "Enabled", "Filter": {"Prefix": ""},
                   "Expiration": {"Days": 30}}]})
    live = s3p.read(made.id)
    assert live is not None
    assert diff(S3_BUCKET, state, live.props, asked=changed.props).fields == (
        "lifecycle_rules",)

    none = spec(S3_BUCKET, "landing", made.id)
    faults.clear_requests()
    cleared = s3p.update(made.id, none)
    assert writes(faults) == ["DeleteBucketLifecycleConfiguration"]
    converged(cleared, none)
    with pytest.raises(Exception, match="NoSuchLifecycleConfiguration"):
        raw.s3.get_bucket_lifecycle_configuration(Bucket=made.id)


def test_bucket_lifecycle_keeps_what_dpn_does_not_manage(aws: dict[str, Provider],
                                                         raw: Any) -> None:
    """A rule edited outside dpn with a tag filter and noncurrent-version transitions
    (outside dpn's vocabulary) keeps them when dpn updates the rule."""
    s3p = aws[S3_BUCKET]
    want = spec(S3_BUCKET, "landing", "acme-dev-lake-raw-landing", lifecycle_rules=RULES)
    made = s3p.create(want)
    rules = raw_rules(raw.s3, made.id)
    rules[0]["Filter"] = {"And": {"Prefix": "archive/",
                                  "Tags": [{"Key": "class", "Value": "cold"}]}}
    rules[0]["NoncurrentVersionTransitions"] = [{"NoncurrentDays": 10,
                                                 "StorageClass": "GLACIER"}]
    raw.s3.put_bucket_lifecycle_configuration(Bucket=made.id,
                                              LifecycleConfiguration={"Rules": rules})
    seen = s3p.read(made.id)
    assert seen is not None
    converged(seen, want)  # outside dpn's vocabulary: not a difference
    changed = spec(S3_BUCKET, "landing", made.id, lifecycle_rules=[
        {**RULES[1], "noncurrent_expiration_days": 90}, RULES[0]])
    after = s3p.update(made.id, changed)
    converged(after, changed)
    archive = raw_rules(raw.s3, made.id)[0]
    assert archive["Filter"] == {"And": {"Prefix": "archive/",
                                         "Tags": [{"Key": "class", "Value": "cold"}]}}
    assert archive["NoncurrentVersionTransitions"] == [{"NoncurrentDays": 10,
                                                        "StorageClass": "GLACIER"}]
    assert archive["NoncurrentVersionExpiration"] == {"NoncurrentDays": 90}


def test_bucket_object_ownership_round_trip(aws: dict[str, Provider], raw: Any,
                                            faults: FaultClient) -> None:
    s3p = aws[S3_BUCKET]

    def ownership(bucket: str) -> str:
        rules = raw.s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]
        return str(rules["Rules"][0]["ObjectOwnership"])

    default = spec(S3_BUCKET, "a", "acme-dev-lake-raw-default")
    made = s3p.create(default)
    assert ownership(made.id) == "BucketOwnerEnforced"
    assert made.props["object_ownership"] == "BucketOwnerEnforced"
    converged(made, default)

    want = spec(S3_BUCKET, "b", "acme-dev-lake-raw-writer", object_ownership="ObjectWriter")
    made = s3p.create(want)
    assert ownership(made.id) == "ObjectWriter"
    converged(made, want)
    changed = spec(S3_BUCKET, "b", made.id, object_ownership="BucketOwnerPreferred")
    faults.clear_requests()
    after = s3p.update(made.id, changed)
    assert writes(faults) == ["PutBucketOwnershipControls"]
    assert ownership(made.id) == "BucketOwnerPreferred"
    converged(after, changed)

    state = canonical(S3_BUCKET, after.props)
    raw.s3.put_bucket_ownership_controls(Bucket=made.id, OwnershipControls={
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    live = s3p.read(made.id)
    assert live is not None
    assert diff(S3_BUCKET, state, live.props, asked=changed.props).fields == (
        "object_ownership",)
    # no ownership controls at all (a bucket from before 2023) is S3's ObjectWriter
    raw.s3.delete_bucket_ownership_controls(Bucket=made.id)
    live = s3p.read(made.id)
    assert live is not None and live.props["object_ownership"] == "ObjectWriter"


def test_bucket_made_outside_dpn_reads_and_updates(aws: dict[str, Provider], raw: Any,
                                                   faults: FaultClient) -> None:
    """A bare bucket (no encryption rule, no ownership controls, no lifecycle, no tags)
    reads without error; an update sets what differs and keeps nothing stale."""
    s3p = aws[S3_BUCKET]
    raw.s3.create_bucket(Bucket="acme-dev-lake-raw-bare")
    seen = s3p.read("acme-dev-lake-raw-bare")
    assert seen is not None
    assert seen.props["object_ownership"] == "ObjectWriter"
    assert "encryption" not in seen.props and "lifecycle_rules" not in seen.props
    want = spec(S3_BUCKET, "bare", "acme-dev-lake-raw-bare", lifecycle_rules=RULES[:1])
    after = s3p.update(seen.id, want)
    converged(after, want)
    faults.clear_requests()
    s3p.update(seen.id, want)
    assert writes(faults) == []


# -- Glue databases ------------------------------------------------------------------


def test_database_lifecycle(aws: dict[str, Provider], raw: Any) -> None:
    gdb = aws[GLUE_DATABASE]
    want = spec(GLUE_DATABASE, "sales_db", "dev_sales_raw", description="Sales",
                location_uri="s3://acme-dev-lake-raw-landing/sales/",
                parameters={"owner": "data"})
    made = gdb.create(want)
    assert made.attrs["arn"].startswith(f"arn:aws:glue:{REGION}:")
    assert made.attrs["arn"].endswith(":database/dev_sales_raw")
    assert made.attrs["uri"] == "s3://acme-dev-lake-raw-landing/sales/"
    assert made.attrs["full_name"] == made.attrs["id"] == "dev_sales_raw"
    assert made.owned_by(STACK, "sales_db")
    converged(made, want)
    with pytest.raises(AlreadyExists):
        gdb.create(want)
    found = gdb.find(want)
    assert found is not None and found.props == made.props
    changed = spec(GLUE_DATABASE, "sales_db", "dev_sales_raw", description="Sales v2",
                   parameters={}, tags={"cost_center": "cc-2", "team": "x"})
    after = gdb.update("dev_sales_raw", changed)
    converged(after, changed)
    assert after.tags["cost_center"] == "cc-2" and "location_uri" not in after.props
    back = gdb.update("dev_sales_raw", Spec("sales_db", GLUE_DATABASE, "dev_sales_raw",
                                            made.props))
    assert back.props == made.props
    gdb.delete("dev_sales_raw")
    assert gdb.read("dev_sales_raw") is None
    gdb.delete("dev_sales_raw")


def test_database_delete_refuses_tables_unless_forced(aws: dict[str, Provider]) -> None:
    gdb, gtab = aws[GLUE_DATABASE], aws[GLUE_TABLE]
    gdb.create(spec(GLUE_DATABASE, "sales_db", "dev_sales_raw"))
    for i in range(3):
        gtab.create(table_spec(f"t{i}"))
    with pytest.raises(NotEmpty):
        gdb.delete("dev_sales_raw")
    assert gtab.read("dev_sales_raw.t0") is not None
    gdb.delete("dev_sales_raw", force_empty=True)
    assert gdb.read("dev_sales_raw") is None
    assert gtab.read("dev_sales_raw.t0") is None


def test_database_read_many(aws: dict[str, Provider], faults: FaultClient) -> None:
    gdb = aws[GLUE_DATABASE]
    names = [f"dev_d{i}" for i in range(5)]
    for n in names[:4]:
        gdb.create(spec(GLUE_DATABASE, n, n))
    faults.clear_requests()
    seen = gdb.read_many(names)
    assert [seen[n] is not None for n in names] == [True] * 4 + [False]
    assert seen["dev_d0"] is not None and seen["dev_d0"].owned_by(STACK, "dev_d0")
    ops = [r["operation"] for r in faults.requests()]
    assert ops.count("GetDatabases") == 1 and ops.count("GetTags") == 4
    assert "GetDatabase" not in ops


# -- Glue tables ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["parquet", "orc", "csv", "json", "delta", None])
def test_table_format_round_trip(aws: dict[str, Provider], raw: Any, fmt: str | None) -> None:
    aws[GLUE_DATABASE].create(spec(GLUE_DATABASE, "sales_db", "dev_sales_raw"))
    gtab = aws[GLUE_TABLE]
    want = table_spec("orders", fmt, description="Orders",
                      parameters={"quality": "gold"})
    assert gtab.physical_id(want) == "dev_sales_raw.orders"
    made = gtab.create(want)
    assert made.id == made.attrs["id"] == made.attrs["full_name"] == "dev_sales_raw.orders"
    assert made.attrs["arn"].endswith(":table/dev_sales_raw/orders")
    assert made.attrs["uri"] == want.props["location"]
    assert made.props.get("format") == fmt
    assert made.owned_by(STACK, "orders")
    converged(made, want)
    table = raw.glue.get_table(DatabaseName="dev_sales_raw", Name="orders")["Table"]
    assert table["TableType"] == "EXTERNAL_TABLE"
    assert table["Parameters"]["EXTERNAL"] == "TRUE"
    if fmt == "delta":
        assert table["Parameters"]["spark.sql.sources.provider"] == "delta"
    if fmt == "parquet":
        assert table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] == (
            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe")
    with pytest.raises(AlreadyExists):
        gtab.create(want)


def test_table_update_and_delete(aws: dict[str, Provider], faults: FaultClient) -> None:
    aws[GLUE_DATABASE].create(spec(GLUE_DATABASE, "sales_db", "dev_sales_raw"))
    gtab = aws[GLUE_TABLE]
    want = table_spec("orders")
    made = gtab.create(want)
    faults.clear_requests()
    gtab.update(made.id, want)
    assert "UpdateTable" not in [r["operation"] for r in faults.requests()]
    changed = table_spec("orders", "orc", columns=[{"name": "order_id", "type": "string"}],
                         parameters={"quality": "silver"})
    after = gtab.update(made.id, changed)
    assert after.props["format"] == "orc"
    assert after.props["columns"] == [{"name": "order_id", "type": "string", "nullable": True}]
    converged(after, changed)
    back = gtab.update(made.id, Spec("orders", GLUE_TABLE, "orders", made.props))
    assert back.props == made.props
    gtab.delete(made.id)
    assert gtab.read(made.id) is None
    gtab.delete(made.id)
    assert gtab.read("no_such_db.orders") is None
    with pytest.raises(NotFound):
        gtab.update(made.id, want)


def test_table_read_many_per_database(aws: dict[str, Provider], faults: FaultClient) -> None:
    """200 tables over 4 databases: a page or so per database, not a call per table."""
    gdb, gtab = aws[GLUE_DATABASE], aws[GLUE_TABLE]
    ids = []
    for d in range(4):
        db = f"dev_db{d}"
        gdb.create(spec(GLUE_DATABASE, db, db))
        for t in range(50):
            s = table_spec(f"t{t}", database=db)
            gtab.create(s)
            ids.append(f"{db}.t{t}")
    faults.clear_requests()
    seen = gtab.read_many(ids + ["dev_db0.missing", "gone_db.a", "gone_db.b", "gone_db.c"])
    assert all(seen[i] is not None for i in ids)
    assert seen["dev_db0.missing"] is None and seen["gone_db.a"] is None
    assert seen["dev_db3.t7"] is not None and seen["dev_db3.t7"].owned_by(STACK, "t7")
    ops = [r["operation"] for r in faults.requests()]
    # one GetTables page per database (4 live + the missing one), nothing per table
    assert ops == ["GetTables"] * 5


def raw_table(glue: Any, name: str = "orders") -> dict[str, Any]:
    table: dict[str, Any] = glue.get_table(DatabaseName="dev_sales_raw", Name=name)["Table"]
    return table


def outside_update(glue: Any, table: dict[str, Any]) -> None:
    """UpdateTable through boto3 with ``table`` (a GetTable answer, edited)."""
    keep = ("Name", "Description", "Owner", "Retention", "StorageDescriptor",
            "PartitionKeys", "ViewOriginalText", "ViewExpandedText", "TableType",
            "Parameters", "TargetTable")
    glue.update_table(DatabaseName="dev_sales_raw",
                      TableInput={k: v for k, v in table.items() if k in keep})


OPEN_CSV = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
LAZY = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"


def test_table_serde_round_trip(aws: dict[str, Provider], raw: Any,
                                faults: FaultClient) -> None:
    aws[GLUE_DATABASE].create(spec(GLUE_DATABASE, "sales_db", "dev_sales_raw"))
    gtab = aws[GLUE_TABLE]
    serde = {"library": OPEN_CSV, "parameters": {"separatorChar": ";", "quoteChar": "'"}}
    want = table_spec("orders", "csv", serde=serde)
    made = gtab.create(want)
    info = raw_table(raw.glue)["StorageDescriptor"]["SerdeInfo"]
    assert info == {"SerializationLibrary": OPEN_CSV, "Parameters": serde["parameters"]}
    assert made.props["serde"] == serde and made.props["format"] == "csv"
    converged(made, want)
    read = gtab.read(made.id)
    assert read is not None
    converged(read, want)

    serde2 = {"library": LAZY, "parameters": {"field.delim": "|"}}
    changed = table_spec("orders", "csv", serde=serde2)
    after = gtab.update(made.id, changed)
    info = raw_table(raw.glue)["StorageDescriptor"]["SerdeInfo"]
    assert info == {"SerializationLibrary": LAZY, "Parameters": {"field.delim": "|"}}
    converged(after, changed)
    faults.clear_requests()
    gtab.update(made.id, changed)
    assert writes(faults) == []

    state = canonical(GLUE_TABLE, after.props)
    table = raw_table(raw.glue)
    table["StorageDescriptor"]["SerdeInfo"]["Parameters"] = {"field.delim": "\t"}
    outside_update(raw.glue, table)
    live = gtab.read(made.id)
    assert live is not None
    assert diff(GLUE_TABLE, state, live.props, asked=changed.props).fields == ("serde",)

    plain = table_spec("orders", "csv")  # back to the format's own SerDe
    back = gtab.update(made.id, plain)
    assert "serde" not in back.props
    info = raw_table(raw.glue)["StorageDescriptor"]["SerdeInfo"]
    assert info["SerializationLibrary"] == LAZY
    assert info["Parameters"] == {"field.delim": ",", "serialization.format": ","}
    converged(back, plain)


def test_table_serde_that_would_not_read_back_is_refused(aws: dict[str, Provider]) -> None:
    aws[GLUE_DATABASE].create(spec(GLUE_DATABASE, "sales_db", "dev_sales_raw"))
    with pytest.raises(InvalidRequest, match="JSON SerDe"):
        aws[GLUE_TABLE].create(table_spec("orders", "json", serde={"library": LAZY}))
    assert aws[GLUE_TABLE].read("dev_sales_raw.orders") is None


def test_table_storage_parameters_round_trip(aws: dict[str, Provider], raw: Any,
                                             faults: FaultClient) -> None:
    aws[GLUE_DATABASE].create(spec(GLUE_DATABASE, "sales_db", "dev_sales_raw"))
    gtab = aws[GLUE_TABLE]
    want = table_spec("orders", "orc", storage_parameters={"orc.compress": "ZLIB"})
    made = gtab.create(want)
    assert raw_table(raw.glue)["StorageDescriptor"]["Parameters"] == {"orc.compress": "ZLIB"}
    converged(made, want)
    changed = table_spec("orders", "orc", storage_parameters={"orc.compress": "SNAPPY",
                                                              "orc.stripe.size": "64"})
    after = gtab.update(made.id, changed)
    assert raw_table(raw.glue)["StorageDescriptor"]["Parameters"] == {
        "orc.compress": "SNAPPY", "orc.stripe.size": "64"}
    converged(after, changed)
    state = canonical(GLUE_TABLE, after.props)
    table = raw_table(raw.glue)
    table["StorageDescriptor"]["Parameters"] = {"orc.compress": "NONE"}
    outside_update(raw.glue, table)
    live = gtab.read(made.id)
    assert live is not None
    assert diff(GLUE_TABLE, state, live.props, asked=changed.props).fields == (
        "storage_parameters",)
    restored = gtab.update(made.id, changed)
    converged(restored, changed)


def test_table_type_and_nullable_round_trip(aws: dict[str, Provider], raw: Any,
                                            faults: FaultClient) -> None:
    """table_type EXTERNAL_TABLE written out and the columns' nullable are sent, read
    back, compare equal to their defaults, and a change outside dpn shows."""
    aws[GLUE_DATABASE].create(spec(GLUE_DATABASE, "sales_db", "dev_sales_raw"))
    gtab = aws[GLUE_TABLE]
    want = table_spec("orders", table_type="EXTERNAL_TABLE",
                      columns=[{"name": "order_id", "type": "bigint", "nullable": False},
                               {"name": "amount", "type": "decimal(10,2)"}])
    made = gtab.create(want)
    table = raw_table(raw.glue)
    assert table["TableType"] == "EXTERNAL_TABLE"
    assert [c["Parameters"]["nullable"] for c in table["StorageDescriptor"]["Columns"]] == [
        "false", "true"]
    assert made.props["table_type"] == "EXTERNAL_TABLE"
    converged(made, want)
    implicit = table_spec("orders", columns=[
        {"name": "order_id", "type": "bigint", "nullable": False},
        {"name": "amount", "type": "decimal(10,2)", "nullable": True}])
    converged(made, implicit)
    faults.clear_requests()
    gtab.update(made.id, implicit)
    assert writes(faults) == []

    nullable = table_spec("orders", table_type="EXTERNAL_TABLE",
                          columns=[{"name": "order_id", "type": "bigint"},
                                   {"name": "amount", "type": "decimal(10,2)",
                                    "nullable": False}])
    after = gtab.update(made.id, nullable)
    converged(after, nullable)
    state = canonical(GLUE_TABLE, after.props)
    table = raw_table(raw.glue)
    table["StorageDescriptor"]["Columns"][1]["Parameters"] = {"nullable": "true"}
    outside_update(raw.glue, table)
    live = gtab.read(made.id)
    assert live is not None
    assert diff(GLUE_TABLE, state, live.props, asked=nullable.props).fields == ("columns",)

    view = table_spec("orders", table_type="VIRTUAL_VIEW")
    as_view = gtab.update(made.id, view)
    table = raw_table(raw.glue)
    assert table["TableType"] == "VIRTUAL_VIEW" and "EXTERNAL" not in table["Parameters"]
    converged(as_view, view)


def test_table_update_keeps_what_dpn_does_not_manage(aws: dict[str, Provider], raw: Any,
                                                     faults: FaultClient) -> None:
    aws[GLUE_DATABASE].create(spec(GLUE_DATABASE, "sales_db", "dev_sales_raw"))
    gtab = aws[GLUE_TABLE]
    want = table_spec("orders", storage_parameters={"mine": "1"})
    made = gtab.create(want)
    table = raw_table(raw.glue)
    table.update({"Owner": "alice", "Retention": 30, "ViewOriginalText": "/* kept */",
                  "TargetTable": {"CatalogId": "123456789012", "DatabaseName": "other",
                                  "Name": "orders"}})
    table["Parameters"]["numRows"] = "1000"  # added by a crawler
    sd = table["StorageDescriptor"]
    sd.update({"BucketColumns": ["order_id"], "NumberOfBuckets": 4,
               "SortColumns": [{"Column": "order_id", "SortOrder": 1}],
               "Parameters": {"mine": "1", "recordCount": "1000"}})
    sd["SerdeInfo"]["Name"] = "parquet-serde"
    sd["Columns"][0]["Parameters"]["comment.source"] = "upstream"
    outside_update(raw.glue, table)
    seen = gtab.read(made.id)
    assert seen is not None
    faults.clear_requests()
    gtab.update(made.id, want)  # platform keys and settings outside dpn: nothing to do
    assert writes(faults) == []

    changed = table_spec("orders", description="Orders, v2",
                         parameters={"quality": "silver"}, storage_parameters={"mine": "1"})
    after = gtab.update(made.id, changed)
    # the platform's keys are reported (and kept), compared only if the blueprint sets them
    assert after.props["parameters"]["numRows"] == "1000"
    assert not diff(GLUE_TABLE, after.props, changed.props).changed
    table = raw_table(raw.glue)
    assert table["Owner"] == "alice" and table["Retention"] == 30
    assert table["ViewOriginalText"] == "/* kept */"
    assert table["TargetTable"]["DatabaseName"] == "other"
    assert table["Parameters"]["numRows"] == "1000"
    assert table["Parameters"]["quality"] == "silver"
    sd = table["StorageDescriptor"]
    assert sd["BucketColumns"] == ["order_id"] and sd["NumberOfBuckets"] == 4
    assert sd["SortColumns"] == [{"Column": "order_id", "SortOrder": 1}]
    assert sd["Parameters"] == {"mine": "1", "recordCount": "1000"}
    assert sd["SerdeInfo"]["Name"] == "parquet-serde"
    assert sd["Columns"][0]["Parameters"] == {"comment.source": "upstream",
                                              "nullable": "true"}
    assert table["Description"] == "Orders, v2"


def test_table_made_outside_dpn_reads_and_updates(aws: dict[str, Provider], raw: Any) -> None:
    """A bare table (no storage descriptor, no type) reads without error, and an
    update gives it what the blueprint asks."""
    aws[GLUE_DATABASE].create(spec(GLUE_DATABASE, "sales_db", "dev_sales_raw"))
    raw.glue.create_table(DatabaseName="dev_sales_raw", TableInput={"Name": "bare"})
    gtab = aws[GLUE_TABLE]
    seen = gtab.read("dev_sales_raw.bare")
    assert seen is not None and seen.props == {"database": "dev_sales_raw"}
    want = table_spec("bare", serde={"library": "com.example.Custom"})
    after = gtab.update(seen.id, want)
    converged(after, want)


def test_database_update_keeps_what_dpn_does_not_manage(aws: dict[str, Provider],
                                                        raw: Any,
                                                        faults: FaultClient) -> None:
    gdb = aws[GLUE_DATABASE]
    want = spec(GLUE_DATABASE, "sales_db", "dev_sales_raw", description="Sales")
    made = gdb.create(want)
    permissions = [{"Principal": {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"},
                    "Permissions": ["ALL"]}]
    raw.glue.update_database(Name=made.id, DatabaseInput={
        "Name": made.id, "Description": "Sales", "CreateTableDefaultPermissions": permissions,
        "Parameters": {}})
    faults.clear_requests()
    gdb.update(made.id, want)
    assert writes(faults) == []
    state = canonical(GLUE_DATABASE, made.props)
    raw.glue.update_database(Name=made.id, DatabaseInput={
        "Name": made.id, "Description": "Edited", "CreateTableDefaultPermissions": permissions})
    live = gdb.read(made.id)
    assert live is not None
    assert diff(GLUE_DATABASE, state, live.props, asked=want.props).fields == (
        "description",)
    after = gdb.update(made.id, want)
    converged(after, want)
    db = raw.glue.get_database(Name=made.id)["Database"]
    assert db["Description"] == "Sales"
    assert db["CreateTableDefaultPermissions"] == permissions


# -- Errors through the fault front --------------------------------------------------


def test_permanent_403_is_permission_denied(aws: dict[str, Provider],
                                            faults: FaultClient) -> None:
    faults.add(x_amz_target="AWSGlue.GetDatabase", status=403,
               error_code="AccessDeniedException", message="no glue for you")
    with pytest.raises(PermissionDenied) as info:
        aws[GLUE_DATABASE].read("dev_sales_raw")
    assert info.value.code == "AccessDeniedException" and info.value.platform == "aws"
    assert "dev_sales_raw" in str(info.value) and "GetDatabase" in str(info.value)
    assert isinstance(info.value.__cause__, Exception)
    faults.add(operation="ListBuckets", status=403)
    with pytest.raises(PermissionDenied):
        aws[S3_BUCKET].read_many(["a-bucket", "b-bucket"])


def test_permanent_400_is_invalid_request_not_retried(aws: dict[str, Provider],
                                                      faults: FaultClient) -> None:
    faults.add(x_amz_target="AWSGlue.CreateTable", status=400,
               error_code="InvalidInputException", message="bad column type")
    aws[GLUE_DATABASE].create(spec(GLUE_DATABASE, "sales_db", "dev_sales_raw"))
    faults.clear_requests()
    with pytest.raises(InvalidRequest) as info:
        aws[GLUE_TABLE].create(table_spec("orders"))
    assert info.value.code == "InvalidInputException"
    assert [r["operation"] for r in faults.requests()].count("CreateTable") == 1


def test_500_retried_by_botocore_then_success(aws: dict[str, Provider],
                                              faults: FaultClient) -> None:
    faults.add(x_amz_target="AWSGlue.CreateDatabase", status=500, count=2)
    made = aws[GLUE_DATABASE].create(spec(GLUE_DATABASE, "sales_db", "dev_sales_raw"))
    assert made.owned_by(STACK, "sales_db")


def test_persistent_500_is_a_permanent_provider_error(aws: dict[str, Provider],
                                                      faults: FaultClient) -> None:
    """botocore already retried: the engine must not stack more retries on top."""
    faults.add(x_amz_target="AWSGlue.GetDatabase", status=500)
    faults.clear_requests()
    with pytest.raises(ProviderError) as info:
        aws[GLUE_DATABASE].read("dev_sales_raw")
    assert type(info.value) is ProviderError
    assert info.value.code == "InternalServiceException"
    assert [r["operation"] for r in faults.requests()].count("GetDatabase") == ATTEMPTS + 1


def test_create_outcome_unknown_and_unverifiable_is_transient(
        aws: dict[str, Provider], faults: FaultClient) -> None:
    """The create took effect, its answers are lost, and so is every later look: the
    outcome is unknown, which the contract spells ``Transient``."""
    faults.add(x_amz_target="AWSGlue.CreateDatabase", status=500, after=True)
    faults.add(x_amz_target="AWSGlue.GetDatabase", status=503)
    with pytest.raises(Transient):
        aws[GLUE_DATABASE].create(spec(GLUE_DATABASE, "sales_db", "dev_sales_raw"))
    faults.clear()
    found = aws[GLUE_DATABASE].find(spec(GLUE_DATABASE, "sales_db", "dev_sales_raw"))
    assert found is not None and found.owned_by(STACK, "sales_db")


def test_dropped_connection_on_create_is_resolved(aws: dict[str, Provider],
                                                  faults: FaultClient) -> None:
    faults.add(x_amz_target="AWSGlue.CreateTable", drop=True, after=True)
    aws[GLUE_DATABASE].create(spec(GLUE_DATABASE, "sales_db", "dev_sales_raw"))
    with pytest.raises(ProviderError) as info:
        aws[GLUE_TABLE].create(table_spec("orders"))
    assert not isinstance(info.value, Transient)
    faults.clear()
    assert aws[GLUE_TABLE].read("dev_sales_raw.orders") is None


def test_bad_bucket_name_is_invalid_request(aws: dict[str, Provider]) -> None:
    with pytest.raises(InvalidRequest):
        aws[S3_BUCKET].create(spec(S3_BUCKET, "x", "ab"))


def test_unreachable_endpoint_is_a_provider_error() -> None:
    providers = _providers("http://127.0.0.1:9", REGION)
    with pytest.raises(ProviderError) as info:
        providers[GLUE_DATABASE].read("x")
    assert info.value.code in ("EndpointConnectionError", "ConnectTimeoutError")


def test_missing_credentials_are_permission_denied(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path, aws_url: str) -> None:
    for var in [v for v in os.environ if v.startswith("AWS_")]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    providers = build(PlatformSettings(aws_endpoint_url=aws_url), REGION)
    with pytest.raises(PermissionDenied) as info:
        providers[S3_BUCKET].read("acme-dev-lake-raw-landing")
    assert info.value.code == "NoCredentialsError"
    with pytest.raises(PermissionDenied):
        build(PlatformSettings(aws_profile="no-such-profile"), REGION)


def test_find_a_bucket_of_another_account(aws: dict[str, Provider],
                                          faults: FaultClient) -> None:
    """HeadBucket 403: the name is taken by someone else; find says so (never ours)."""
    faults.add(method="HEAD", operation="HeadBucket", status=403)
    found = aws[S3_BUCKET].find(spec(S3_BUCKET, "landing", "acme-dev-lake-raw-landing"))
    assert found is not None and not found.owned_by(STACK, "landing")
    with pytest.raises(PermissionDenied):
        aws[S3_BUCKET].read("acme-dev-lake-raw-landing")
