"""botocore errors translated into dpn's error tree: the one place that does it.

Every AWS call of the providers runs inside :func:`aws_errors`, so no ``ClientError`` or
``BotoCoreError`` ever reaches the engine.

Mapping (``code`` keeps the AWS error code, ``platform`` is ``aws``):

- ``NotFound``: NoSuchBucket, ``404``, EntityNotFoundException, NoSuchKey, NoSuchEntity (IAM).
- ``AlreadyExists``: BucketAlreadyExists, BucketAlreadyOwnedByYou, AlreadyExistsException,
  EntityAlreadyExists (IAM).
- ``NotEmpty``: BucketNotEmpty, DeleteConflict (IAM: a role still holding policies or in an
  instance profile).
- ``PermissionDenied``: AccessDenied(Exception), InvalidAccessKeyId, SignatureDoesNotMatch,
  ExpiredToken, UnrecognizedClientException, any 401/403; and ``NoCredentialsError`` /
  ``PartialCredentialsError`` / ``ProfileNotFound`` (no request was sent).
- ``InvalidRequest``: validation errors (InvalidBucketName, InvalidInputException,
  ValidationException, MalformedXML, ...) and any other 4xx not listed above, plus
  botocore's own ``ParamValidationError``.
- ``Transient``: OperationAborted (S3: a conflicting operation on the bucket is in
  progress), ConcurrentModificationException (Glue), ConcurrentModification and
  EntityTemporarilyUnmodifiable (IAM): worth retrying, and botocore does not retry them,
  so the engine's retry does.
- plain ``ProviderError``: everything else, *including* throttling, 5xx and connection
  errors. Our clients run botocore's ``standard`` retry mode (``max_attempts=5``, which
  botocore counts as retries: up to 6 requests, exponential backoff with jitter), which
  already retries exactly those; when one still reaches us, botocore has given up.
  Raising ``Transient``/``Throttled`` then would make the engine retry again on top (6 x
  its own attempts), which SPEC section 6 forbids, so they surface as a permanent
  ``ProviderError`` whose ``code`` names the cause (``ThrottlingException``,
  ``InternalError``, ``EndpointConnectionError``...). A create whose outcome such an error
  leaves unknown is resolved inside the provider (``common.failed_create``), and only
  when that is impossible does create raise ``Transient`` (outcome unknown).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    ParamValidationError,
    PartialCredentialsError,
    ProfileNotFound,
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

PLATFORM = "aws"

NOT_FOUND = frozenset({
    "NoSuchBucket", "404", "NotFound", "EntityNotFoundException", "NoSuchKey", "NoSuchEntity",
})
ALREADY_EXISTS = frozenset({
    "BucketAlreadyExists", "BucketAlreadyOwnedByYou", "AlreadyExistsException",
    "EntityAlreadyExists",
})
# IAM's DeleteConflict: a role that still has policies or is in an instance profile.
NOT_EMPTY = frozenset({"BucketNotEmpty", "DeleteConflict"})
DENIED = frozenset({
    "AccessDenied", "AccessDeniedException", "InvalidAccessKeyId", "SignatureDoesNotMatch",
    "ExpiredToken", "ExpiredTokenException", "UnrecognizedClientException",
    "InvalidClientTokenId", "InvalidToken", "AllAccessDisabled", "AccountProblem",
    "403", "401", "Forbidden",
})
INVALID = frozenset({
    "InvalidBucketName", "InvalidInputException", "ValidationException",
    "InvalidArgument", "InvalidRequest", "MalformedXML", "InvalidLocationConstraint",
    "IllegalLocationConstraintException", "InvalidTag", "InvalidParameterValue",
    "InvalidParameterException", "ResourceNumberLimitExceededException", "TooManyBuckets",
    "KMS.NotFoundException", "InvalidEncryptionAlgorithmError", "400",
    "MalformedPolicyDocument", "LimitExceeded", "UnmodifiableEntity", "PolicyNotAttachable",
})
# Worth retrying, and *not* retried by botocore: a conflicting operation still in progress
# (IAM spells it ConcurrentModification; EntityTemporarilyUnmodifiable is IAM's too).
TRANSIENT = frozenset({"OperationAborted", "ConcurrentModificationException",
                       "ConcurrentModification", "EntityTemporarilyUnmodifiable"})
CREDENTIALS = (NoCredentialsError, PartialCredentialsError, ProfileNotFound)


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ``ClientError`` (``""`` for anything else)."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "") or "")
    return ""


def http_status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def translate(exc: BaseException, *, op: str, target: str) -> ProviderError:
    """The dpn error for a botocore exception raised by operation ``op`` on ``target``."""
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, ClientError):
        code = error_code(exc) or str(http_status(exc))
        status = http_status(exc)
        detail = exc.response.get("Error", {}).get("Message") or str(exc)
        message = f"aws {op} {target}: {code}: {detail}"
        if code in NOT_FOUND:
            return NotFound(message, platform=PLATFORM, code=code)
        if code in ALREADY_EXISTS:
            return AlreadyExists(message, platform=PLATFORM, code=code)
        if code in NOT_EMPTY:
            return NotEmpty(message, platform=PLATFORM, code=code)
        if code in TRANSIENT:
            return Transient(message, platform=PLATFORM, code=code)
        if code in DENIED or status in (401, 403):
            return PermissionDenied(message, platform=PLATFORM, code=code)
        if code in INVALID or (400 <= status < 500 and status not in (408, 429)
                               and not _throttling(code)):
            if status == 404:
                return NotFound(message, platform=PLATFORM, code=code)
            return InvalidRequest(message, platform=PLATFORM, code=code)
        return ProviderError(message, platform=PLATFORM, code=code)
    name = type(exc).__name__
    if isinstance(exc, CREDENTIALS):
        return PermissionDenied(f"aws {op} {target}: {exc}", platform=PLATFORM, code=name)
    if isinstance(exc, ParamValidationError):
        return InvalidRequest(f"aws {op} {target}: {exc}", platform=PLATFORM, code=name)
    return ProviderError(f"aws {op} {target}: {name}: {exc}", platform=PLATFORM, code=name)


def _throttling(code: str) -> bool:
    return "Throttl" in code or code in {
        "SlowDown", "RequestLimitExceeded", "TooManyRequestsException",
        "ProvisionedThroughputExceededException", "RequestThrottled",
    }


def unknown_outcome(exc: BaseException) -> bool:
    """True when a failed mutating call may nevertheless have taken effect: a 5xx after
    botocore's retries, or a connection dropped/timed out once the request was sent."""
    if isinstance(exc, ClientError):
        return http_status(exc) >= 500
    if isinstance(exc, (*CREDENTIALS, ParamValidationError)):
        return False
    return isinstance(exc, BotoCoreError)


@contextmanager
def aws_errors(op: str, target: str) -> Iterator[None]:
    """Run AWS calls, re-raising botocore errors as dpn errors (``raise ... from exc``)."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, op=op, target=target) from exc
