"""The S3 backend's object calls at the AWS edge: conditions that fail are answers, every
other botocore error is a dpn error (``errors.translate``), against botocore's Stubber."""

from __future__ import annotations

import datetime
import io

import boto3
import pytest
from botocore.stub import ANY, Stubber

from dpn.engine.stores import StoredObject
from dpn.errors import PermissionDenied, ProviderError
from dpn.providers.aws.objects import S3Objects

BUCKET = "team-bucket"


@pytest.fixture
def s3():
    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="k",
                          aws_secret_access_key="s")
    with Stubber(client) as stub:
        yield S3Objects(client, BUCKET), stub
        stub.assert_no_pending_responses()


def test_put_returns_the_new_etag_or_none_when_its_condition_fails(s3):
    objects, stub = s3
    stub.add_response("put_object", {"ETag": '"e1"'},
                      {"Bucket": BUCKET, "Key": "k", "Body": b"x",
                       "ContentType": "application/json", "IfNoneMatch": "*"})
    stub.add_client_error("put_object", "PreconditionFailed", http_status_code=412)
    stub.add_client_error("put_object", "ConditionalRequestConflict", http_status_code=409)
    stub.add_client_error("put_object", "NoSuchKey", http_status_code=404)
    assert objects.put("k", b"x", none_match=True) == '"e1"'
    assert objects.put("k", b"x", match='"e0"') is None
    assert objects.put("k", b"x", none_match=True) is None
    assert objects.put("k", b"x", match='"e0"') is None     # If-Match on no object
    assert objects.requests == 4


def test_get_returns_the_object_or_none(s3):
    objects, stub = s3
    modified = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    stub.add_response("get_object", {"Body": io.BytesIO(b"body"), "ETag": '"e"',
                                     "LastModified": modified},
                      {"Bucket": BUCKET, "Key": "k"})
    stub.add_client_error("get_object", "NoSuchKey", http_status_code=404)
    assert objects.get("k") == StoredObject(b"body", '"e"', modified.timestamp())
    assert objects.get("k") is None


def test_delete_is_false_when_its_etag_no_longer_matches(s3):
    objects, stub = s3
    stub.add_response("delete_object", {}, {"Bucket": BUCKET, "Key": "k", "IfMatch": '"e"'})
    stub.add_client_error("delete_object", "PreconditionFailed", http_status_code=412)
    assert objects.delete("k", match='"e"') is True
    assert objects.delete("k", match='"e"') is False


def test_other_errors_are_translated_with_the_object_named(s3):
    objects, stub = s3
    stub.add_client_error("put_object", "AccessDenied", http_status_code=403)
    stub.add_client_error("get_object", "InternalError", http_status_code=500)
    stub.add_client_error("put_object", "NoSuchKey", http_status_code=404)
    with pytest.raises(PermissionDenied, match=f"s3://{BUCKET}/locks/a.json") as denied:
        objects.put("locks/a.json", b"x")
    assert denied.value.code == "AccessDenied" and denied.value.__cause__ is not None
    with pytest.raises(ProviderError) as failed:
        objects.get("k")
    assert failed.value.code == "InternalError"
    with pytest.raises(ProviderError, match="NoSuchKey"):   # an unconditional put
        objects.put("k", b"x")


def test_listings_follow_continuation_tokens(s3):
    objects, stub = s3
    stub.add_response("list_objects_v2", {
        "IsTruncated": True, "NextContinuationToken": "t",
        "CommonPrefixes": [{"Prefix": "wal/s1/"}], "Contents": [{"Key": "wal/x.json"}]},
        {"Bucket": BUCKET, "Prefix": "wal/", "Delimiter": "/"})
    stub.add_response("list_objects_v2", {
        "IsTruncated": False, "CommonPrefixes": [{"Prefix": "wal/a/"}]},
        {"Bucket": BUCKET, "Prefix": "wal/", "Delimiter": "/", "ContinuationToken": "t"})
    stub.add_response("list_objects_v2", {"IsTruncated": False,
                                          "Contents": [{"Key": "b"}, {"Key": "a"}]},
                      {"Bucket": BUCKET, "Prefix": ANY})
    assert objects.list_prefixes("wal/") == ["a", "s1", "x.json"]
    assert objects.list_keys("") == ["a", "b"]
    assert objects.requests == 3
