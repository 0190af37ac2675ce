"""Translation of real botocore exception objects into dpn's error tree."""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    ProfileNotFound,
    ReadTimeoutError,
)

from dpn.errors import (
    AlreadyExists,
    InvalidRequest,
    NotEmpty,
    NotFound,
    PermissionDenied,
    ProviderError,
    Transient,
)
from dpn.providers.aws.errors import aws_errors, translate, unknown_outcome


def client_error(code: str, status: int, op: str = "CreateBucket",
                 message: str = "boom") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, op)


CASES = [
    ("NoSuchBucket", 404, NotFound),
    ("404", 404, NotFound),
    ("EntityNotFoundException", 400, NotFound),
    ("BucketAlreadyExists", 409, AlreadyExists),
    ("BucketAlreadyOwnedByYou", 409, AlreadyExists),
    ("AlreadyExistsException", 400, AlreadyExists),
    ("BucketNotEmpty", 409, NotEmpty),
    ("AccessDenied", 403, PermissionDenied),
    ("AccessDeniedException", 400, PermissionDenied),
    ("InvalidAccessKeyId", 403, PermissionDenied),
    ("SignatureDoesNotMatch", 403, PermissionDenied),
    ("ExpiredToken", 400, PermissionDenied),
    ("UnrecognizedClientException", 400, PermissionDenied),
    ("403", 403, PermissionDenied),
    ("InvalidBucketName", 400, InvalidRequest),
    ("InvalidInputException", 400, InvalidRequest),
    ("ValidationException", 400, InvalidRequest),
    ("SomethingNew", 400, InvalidRequest),
    # retried by botocore already: permanent by the time they reach dpn
    ("ThrottlingException", 400, ProviderError),
    ("SlowDown", 503, ProviderError),
    ("InternalError", 500, ProviderError),
    ("InternalServiceException", 500, ProviderError),
    ("ServiceUnavailable", 503, ProviderError),
]


@pytest.mark.parametrize(("code", "status", "kind"), CASES)
def test_client_errors(code: str, status: int, kind: type[ProviderError]) -> None:
    exc = client_error(code, status)
    err = translate(exc, op="CreateBucket", target="acme-bucket")
    assert type(err) is kind
    assert not isinstance(err, Transient)
    assert err.code == code and err.platform == "aws"
    assert "CreateBucket" in str(err) and "acme-bucket" in str(err)


@pytest.mark.parametrize(("exc", "kind", "unknown"), [
    (NoCredentialsError(), PermissionDenied, False),
    (ProfileNotFound(profile="nope"), PermissionDenied, False),
    (ParamValidationError(report="Bucket is required"), InvalidRequest, False),
    (EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), ProviderError, True),
    (ConnectionClosedError(endpoint_url="http://127.0.0.1:9"), ProviderError, True),
    (ReadTimeoutError(endpoint_url="http://127.0.0.1:9"), ProviderError, True),
])
def test_other_botocore_errors(exc: Exception, kind: type[ProviderError],
                               unknown: bool) -> None:
    err = translate(exc, op="GetDatabase", target="db")
    assert type(err) is kind
    assert err.code == type(exc).__name__
    assert unknown_outcome(exc) is unknown


@pytest.mark.parametrize("code", ["OperationAborted", "ConcurrentModificationException"])
def test_conflicts_botocore_does_not_retry_are_transient(code: str) -> None:
    err = translate(client_error(code, 409), op="CreateBucket", target="b")
    assert type(err) is Transient and err.code == code


def test_unknown_outcome_only_for_5xx() -> None:
    assert unknown_outcome(client_error("InternalError", 500))
    assert not unknown_outcome(client_error("AccessDenied", 403))


def test_context_manager_chains_the_cause() -> None:
    original = client_error("BucketNotEmpty", 409, op="DeleteBucket")
    with pytest.raises(NotEmpty) as info, aws_errors("DeleteBucket", "b"):
        raise original
    assert info.value.__cause__ is original


def test_dpn_errors_pass_through() -> None:
    err = NotFound("x", platform="aws", code="c")
    assert translate(err, op="o", target="t") is err
