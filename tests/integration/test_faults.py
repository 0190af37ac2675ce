"""Fault injection on both fronts, observed through the real SDKs: transient faults are
retried to success (a 429 honours Retry-After), permanent ones are not."""

from __future__ import annotations

import time
import urllib.error

import pytest
from botocore.exceptions import ClientError
from databricks.sdk.errors import BadRequest, InvalidParameterValue

pytestmark = pytest.mark.integration

CATALOG_GET = r"^/api/2\.1/unity-catalog/catalogs/sales$"


def _hits(faults, path_part: str) -> list[dict]:
    return [r for r in faults.requests() if path_part in r["path"]]


def test_dbx_429_with_retry_after_is_retried(clean_sandbox, workspace, dbx_faults):
    workspace.catalogs.create(name="sales")
    dbx_faults.clear_requests()
    dbx_faults.add(method="GET", path=CATALOG_GET, status=429, count=1, retry_after=1)
    began = time.monotonic()
    assert workspace.catalogs.get("sales").name == "sales"
    assert time.monotonic() - began >= 1.0  # the SDK waited Retry-After
    log = _hits(dbx_faults, "/catalogs/sales")
    assert [r["status"] for r in log] == [429, 200]
    assert log[0]["fault"] and log[1]["fault"] is None


def test_dbx_400_is_not_retried(clean_sandbox, workspace, dbx_faults):
    workspace.catalogs.create(name="sales")
    dbx_faults.clear_requests()
    dbx_faults.add(path=CATALOG_GET, status=400, error_code="INVALID_PARAMETER_VALUE",
                   message="injected", count=1)
    with pytest.raises(InvalidParameterValue, match="injected"):
        workspace.catalogs.get("sales")
    assert len(_hits(dbx_faults, "/catalogs/sales")) == 1
    assert workspace.catalogs.get("sales").name == "sales"  # count exhausted


def test_dbx_fault_after_the_request_took_effect(clean_sandbox, workspace, dbx_faults):
    dbx_faults.add(method="POST", path=r"/unity-catalog/catalogs$", status=503, count=1,
                   retry_after=0, after=True)
    with pytest.raises(BadRequest) as info:  # the SDK's retry meets the created catalog
        workspace.catalogs.create(name="sales")
    assert info.value.error_code == "CATALOG_ALREADY_EXISTS"
    assert workspace.catalogs.get("sales").name == "sales"


def test_dbx_dropped_connection_is_retried(clean_sandbox, workspace, dbx_faults):
    workspace.catalogs.create(name="sales")
    dbx_faults.clear_requests()
    dbx_faults.add(path=CATALOG_GET, drop=True, count=1)
    assert workspace.catalogs.get("sales").name == "sales"
    assert [r["status"] for r in _hits(dbx_faults, "/catalogs/sales")] == [None, 200]


def test_dbx_latency(clean_sandbox, workspace, dbx_faults):
    dbx_faults.add(path=r"/clusters/spark-versions", latency_ms=300, count=1)
    began = time.monotonic()
    workspace.clusters.spark_versions()
    assert time.monotonic() - began >= 0.3


def test_glue_throttling_is_retried(clean_sandbox, glue, aws_faults):
    aws_faults.add(x_amz_target=r"AWSGlue\.CreateDatabase", status=400,
                   error_code="ThrottlingException", message="slow down", count=1)
    glue.create_database(DatabaseInput={"Name": "sales"})
    log = [r for r in aws_faults.requests() if r["operation"] == "CreateDatabase"]
    assert [r["status"] for r in log] == [400, 200]
    assert glue.get_database(Name="sales")["Database"]["Name"] == "sales"


def test_glue_permanent_error_is_not_retried(clean_sandbox, glue, aws_faults):
    aws_faults.add(operation="^CreateTable$", status=400, error_code="InvalidInputException",
                   message="bad table")
    glue.create_database(DatabaseInput={"Name": "sales"})
    with pytest.raises(ClientError) as info:
        glue.create_table(DatabaseName="sales", TableInput={"Name": "orders"})
    assert info.value.response["Error"]["Code"] == "InvalidInputException"
    assert info.value.response["Error"]["Message"] == "bad table"
    assert len([r for r in aws_faults.requests() if r["operation"] == "CreateTable"]) == 1


def test_s3_slowdown_and_drop_are_retried(clean_sandbox, s3, aws_faults):
    aws_faults.add(method="PUT", path="^/dpn-bucket-a$", status=503, error_code="SlowDown",
                   count=2)
    s3.create_bucket(Bucket="dpn-bucket-a")
    aws_faults.add(method="HEAD", path="^/dpn-bucket-a$", drop=True, count=1)
    s3.head_bucket(Bucket="dpn-bucket-a")
    ops = [(r["operation"], r["status"]) for r in aws_faults.requests()]
    assert ops == [("CreateBucket", 503), ("CreateBucket", 503), ("CreateBucket", 200),
                   ("HeadBucket", None), ("HeadBucket", 200)]


def test_s3_error_shape_is_parsed(clean_sandbox, s3, aws_faults):
    aws_faults.add(method="PUT", path="^/dpn-bucket-b$", status=403, error_code="AccessDenied",
                   message="no way")
    with pytest.raises(ClientError) as info:
        s3.create_bucket(Bucket="dpn-bucket-b")
    assert info.value.response["Error"] == {"Code": "AccessDenied", "Message": "no way"}
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_s3_fault_after_the_bucket_was_created(clean_sandbox, s3, aws_faults):
    aws_faults.add(method="PUT", path="^/dpn-bucket-c$", status=400, error_code="InvalidRequest",
                   after=True, count=1)
    with pytest.raises(ClientError):
        s3.create_bucket(Bucket="dpn-bucket-c")
    assert "dpn-bucket-c" in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_admin_api(clean_sandbox, aws_faults, dbx_faults, s3, workspace):
    for faults in (aws_faults, dbx_faults):
        rule_id = faults.add(path="^/never", status=500, count=3)
        (rule,) = faults.rules()
        assert rule["id"] == rule_id and rule["remaining"] == 3 and rule["method"] == "*"
        faults.clear()
        assert faults.rules() == []
        with pytest.raises(urllib.error.HTTPError) as info:
            faults.add(path="(", status=500)
        assert info.value.code == 400
        with pytest.raises(urllib.error.HTTPError):
            faults.add(nonsense=1)
    s3.create_bucket(Bucket="dpn-bucket-d")
    workspace.catalogs.create(name="sales")
    assert aws_faults.requests() and dbx_faults.requests()
    aws_faults.clear_requests()
    assert aws_faults.requests() == []
    aws_faults.reset()
    dbx_faults.reset()
    assert s3.list_buckets()["Buckets"] == []
    assert list(workspace.catalogs.list()) == []


def test_glue_429_with_retry_after_is_retried(clean_sandbox, glue, aws_faults):
    aws_faults.add(x_amz_target=r"AWSGlue\.GetDatabases$", status=429, retry_after=1, count=1)
    assert glue.get_databases()["DatabaseList"] == []
    log = [r["status"] for r in aws_faults.requests() if r["operation"] == "GetDatabases"]
    assert log == [429, 200]


def test_s3_answer_dropped_after_the_bucket_was_created(clean_sandbox, s3, aws_faults):
    aws_faults.add(method="PUT", path="^/dpn-bucket-e$", drop=True, after=True, count=1)
    s3.create_bucket(Bucket="dpn-bucket-e")  # the retry finds its own bucket: 200 in us-east-1
    log = [r["status"] for r in aws_faults.requests() if r["operation"] == "CreateBucket"]
    assert log == [None, 200]
