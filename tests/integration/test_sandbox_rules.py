"""Pure parts of the sandbox: fault rule matching and S3 operation names."""

from __future__ import annotations

import pytest

from dpn.sandbox.awsapp import s3_operation
from dpn.sandbox.faults import FaultStore


@pytest.mark.parametrize(("method", "path", "query", "expected"), [
    ("GET", "/", "", "ListBuckets"),
    ("PUT", "/b", "", "CreateBucket"),
    ("HEAD", "/b", "", "HeadBucket"),
    ("DELETE", "/b", "", "DeleteBucket"),
    ("GET", "/b", "list-type=2", "ListObjectsV2"),
    ("PUT", "/b", "versioning", "PutBucketVersioning"),
    ("GET", "/b", "encryption", "GetBucketEncryption"),
    ("PUT", "/b", "publicAccessBlock", "PutPublicAccessBlock"),
    ("PUT", "/b", "tagging", "PutBucketTagging"),
    ("GET", "/b/k", "tagging", "GetObjectTagging"),
    ("POST", "/b", "delete", "DeleteObjects"),
    ("PUT", "/b/k/x", "", "PutObject"),
    ("POST", "/b/k", "uploads", "CreateMultipartUpload"),
    ("PUT", "/b/k", "partNumber=1&uploadId=u", "UploadPart"),
    ("POST", "/b/k", "uploadId=u", "CompleteMultipartUpload"),
])
def test_s3_operation_names(method, path, query, expected):
    assert s3_operation(method, path, query) == expected


def test_rules_match_in_order_and_count_down():
    store = FaultStore()
    first = store.add({"method": "post", "path": "^/a", "status": 500, "count": 2})
    second = store.add({"path": "^/a", "status": 429})
    assert store.take("GET", "/a", "", "") is not None  # only the second matches GET
    assert store.take("POST", "/a", "", "").id == first.id
    assert store.take("POST", "/a/b", "", "").id == first.id
    assert store.take("POST", "/a", "", "").id == second.id  # first is spent
    assert store.take("POST", "/b", "", "") is None
    assert [r["remaining"] for r in store.rules()] == [0, None]


def test_rules_match_target_and_operation():
    store = FaultStore()
    store.add({"x_amz_target": r"AWSGlue\.CreateTable$", "status": 400})
    store.add({"operation": "^PutObject$", "status": 503})
    assert store.take("POST", "/", "AWSGlue.CreateDatabase", "CreateDatabase") is None
    assert store.take("POST", "/", "AWSGlue.CreateTable", "CreateTable").status == 400
    assert store.take("PUT", "/b/k", "", "PutObject").status == 503
    assert store.take("PUT", "/b", "", "CreateBucket") is None


@pytest.mark.parametrize("bad", [{"path": "("}, {"status": 42}, {"count": -1}, {"bogus": 1},
                                 {"x_amz_target": "["}, {"latency_ms": "x"},
                                 {"retry_after": -1}, {"message": 3}, {"status": "x"}])
def test_bad_rules_are_refused(bad):
    with pytest.raises(ValueError):
        FaultStore().add(bad)


def test_a_failing_backend_answers_in_the_platform_shape():
    from dpn.sandbox.emulator.app import Emulator
    from dpn.sandbox.middleware import FaultMiddleware

    class Failing(Emulator):
        def __call__(self, environ, start_response):
            raise RuntimeError("bug")

    app = FaultMiddleware(Failing(token="t"))
    seen: dict = {}
    body = b"".join(app({"REQUEST_METHOD": "GET", "PATH_INFO": "/api/2.1/clusters/list",
                         "QUERY_STRING": ""}, lambda status, headers: seen.update(s=status)))
    assert seen["s"].startswith("500")
    assert body == b'{"error_code": "INTERNAL_ERROR", "message": "internal error: RuntimeError"}'
    assert app.store.requests()[0]["status"] == 500
