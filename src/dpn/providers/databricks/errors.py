"""Translation of databricks-sdk failures into dpn's error tree: the one edge for every call.

Every call a Databricks provider makes runs inside ``edge(op, obj)``, which turns whatever
the SDK raises into a ``dpn.errors.ProviderError`` subclass (``raise ... from exc``), naming
the operation and the object, with ``platform="databricks"`` and ``code`` set to the
platform's ``error_code`` (or the HTTP status when there is none).

Mapping (``translate``):

- ``NotFound``: ``NotFound``/``ResourceDoesNotExist`` (404, ``RESOURCE_DOES_NOT_EXIST``,
  ``*_DOES_NOT_EXIST``), and a 400 ``INVALID_PARAMETER_VALUE`` whose message says the
  object "does not exist" (what clusters and jobs answer for a missing id on any path, not
  only on the GETs the SDK itself remaps).
- ``AlreadyExists``: ``ResourceAlreadyExists``/``AlreadyExists`` and any error whose
  ``error_code`` ends in ``ALREADY_EXISTS`` (the real service answers a duplicate catalog or
  schema with a 400 ``CATALOG_ALREADY_EXISTS``/``SCHEMA_ALREADY_EXISTS``, a ``BadRequest``).
- ``NotEmpty``: ``error_code`` in ``NOT_EMPTY_CODES`` or a 400/409 whose message says the
  container "is not empty".
- ``PropagationPending`` (a ``Transient``): the 403 PERMISSION_DENIED "AWS IAM role does not
  have READ permissions on url ..." with which Unity Catalog's validation of an external
  location (or of a path under one) fails while a change to the IAM role has not
  propagated (terraform-provider-databricks #3069, #3843): the engine retries it within a
  bounded wait; past it, the role lacks what Unity Catalog needs.
- ``PermissionDenied``: ``Unauthenticated`` (401) and ``PermissionDenied`` (403).
- ``InvalidRequest``: every other 4xx (``BadRequest``, ``ResourceConflict``...).
- ``Transient``: 500, 502, 504 and other 5xx that the SDK does not retry, and transport
  failures it does not retry (a broken chunked body...).
- ``Throttled``: a 429 that reaches us directly (only when the SDK did not retry it).
- Retries the SDK already made: the SDK retries 429, 503, refused/dropped connections and
  timeouts until its ``retry_timeout_seconds`` runs out, then raises ``TimeoutError`` from
  the last failure. dpn does not stack its own retries on top of that budget, so such an
  exhausted retry becomes a plain ``ProviderError`` (code ``RETRY_TIMEOUT``), which the
  engine does not retry. Creates resolve their unknown outcome themselves (by ``find``)
  before raising it.
- Anything else: ``ProviderError``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dpn import errors as dpn_errors

PLATFORM = "databricks"

NOT_EMPTY_CODES = frozenset({
    "CATALOG_NOT_EMPTY", "SCHEMA_NOT_EMPTY", "NOT_EMPTY", "DIRECTORY_NOT_EMPTY",
})
_TRANSIENT_CODES = frozenset({
    "INTERNAL_ERROR", "INTERNAL_SERVER_ERROR", "BAD_GATEWAY", "GATEWAY_TIMEOUT",
    "DEADLINE_EXCEEDED", "TEMPORARILY_UNAVAILABLE", "SERVICE_UNAVAILABLE", "UNKNOWN",
})
_MISSING_RE = re.compile(r"does not exist|doesn't exist|not found", re.IGNORECASE)
_NOT_EMPTY_RE = re.compile(r"\bis not empty\b|\bnon-empty\b", re.IGNORECASE)
_PROPAGATION_RE = re.compile(r"AWS IAM role does not have \w+ permissions on url",
                             re.IGNORECASE)


def http_status(exc: BaseException) -> int | None:
    """The HTTP status recorded on an SDK error by ``StatusCustomizer``, if any."""
    kwargs = getattr(exc, "kwargs", None)
    if isinstance(kwargs, dict):
        status = kwargs.get("dpn_http_status")
        if isinstance(status, int):
            return status
    return None


def _status_of(exc: BaseException) -> int | None:
    """The HTTP status: recorded on the error, else inferred from the SDK's class."""
    from databricks.sdk.errors import platform as p

    status = http_status(exc)
    if status is not None:
        return status
    for code, cls in p.STATUS_CODE_MAPPING.items():
        if isinstance(exc, cls):
            return code
    return None


def translate(exc: BaseException, *, op: str, obj: str) -> dpn_errors.ProviderError:
    """The dpn error for ``exc`` raised while doing ``op`` on ``obj`` (pure: no I/O)."""
    if isinstance(exc, dpn_errors.ProviderError):
        return exc
    from databricks.sdk.errors import platform as p
    from databricks.sdk.errors.base import DatabricksError

    where = f"databricks: {op} {obj}"
    if isinstance(exc, DatabricksError):
        return _translate_api(exc, where)
    cause = exc.__cause__
    if isinstance(exc, TimeoutError) and cause is not None:
        if getattr(cause, "retry_after_secs", None) is not None or isinstance(
            cause, p.TooManyRequests | p.TemporarilyUnavailable
        ):
            what = "throttled or unavailable (429/503)"
        else:
            what = f"unreachable ({type(cause).__name__}: {cause})"
        return dpn_errors.ProviderError(
            f"{where}: the client gave up retrying: {what}; {exc}",
            platform=PLATFORM, code="RETRY_TIMEOUT")
    if isinstance(exc, TimeoutError):
        return dpn_errors.Transient(f"{where}: timed out: {exc}", platform=PLATFORM,
                                    code="TIMEOUT")
    if _is_transport_error(exc):
        return dpn_errors.Transient(f"{where}: connection failed: {exc}", platform=PLATFORM,
                                    code="CONNECTION")
    return dpn_errors.ProviderError(f"{where}: {type(exc).__name__}: {exc}", platform=PLATFORM)


def _translate_api(exc: Any, where: str) -> dpn_errors.ProviderError:
    from databricks.sdk.errors import platform as p

    code = str(exc.error_code or "")
    status = _status_of(exc)
    label = code or (str(status) if status else "")
    message = f"{where}: {exc}" + (f" ({label})" if label else "")
    kw: dict[str, Any] = {"platform": PLATFORM, "code": label}
    text = str(exc)

    if isinstance(exc, p.ResourceAlreadyExists | p.AlreadyExists) or code.endswith(
        "ALREADY_EXISTS"
    ):
        return dpn_errors.AlreadyExists(message, **kw)
    if (
        isinstance(exc, p.NotFound)
        or code.endswith("DOES_NOT_EXIST")
        or code == "NOT_FOUND"
        or (status == 404)
        or (isinstance(exc, p.InvalidParameterValue) and _MISSING_RE.search(text))
    ):
        return dpn_errors.NotFound(message, **kw)
    if code in NOT_EMPTY_CODES or (
        status in (400, 409) and _NOT_EMPTY_RE.search(text)
    ):
        return dpn_errors.NotEmpty(message, **kw)
    if (isinstance(exc, p.PermissionDenied) or status == 403) and _PROPAGATION_RE.search(text):
        return dpn_errors.PropagationPending(message, **kw)
    if isinstance(exc, p.Unauthenticated | p.PermissionDenied) or status in (401, 403):
        return dpn_errors.PermissionDenied(message, **kw)
    if isinstance(exc, p.TooManyRequests) or status == 429:
        return dpn_errors.Throttled(message, retry_after=_retry_after(exc), **kw)
    if status is not None and 400 <= status < 500:
        return dpn_errors.InvalidRequest(message, **kw)
    if (status is not None and status >= 500) or code in _TRANSIENT_CODES or isinstance(
        exc, p.InternalError | p.DeadlineExceeded | p.TemporarilyUnavailable | p.NotImplemented
    ):
        if isinstance(exc, p.NotImplemented) or status == 501:
            return dpn_errors.InvalidRequest(message, **kw)
        return dpn_errors.Transient(message, retry_after=_retry_after(exc), **kw)
    return dpn_errors.ProviderError(message, **kw)


def _retry_after(exc: Any) -> float | None:
    value = getattr(exc, "retry_after_secs", None)
    return float(value) if value is not None else None


def _is_transport_error(exc: BaseException) -> bool:
    try:
        import requests
    except ImportError:  # pragma: no cover - requests comes with databricks-sdk
        return False
    return isinstance(exc, requests.RequestException | ConnectionError)


def outcome_unknown(exc: dpn_errors.ProviderError) -> bool:
    """True when a failed write may still have taken effect: a 5xx or transport failure
    (``Transient``), the SDK giving up its retries, or an unclassified failure."""
    if isinstance(exc, dpn_errors.Transient):
        return True
    return type(exc) is dpn_errors.ProviderError


def ours_after_all(exc: dpn_errors.ProviderError) -> bool:
    """True when a failed create should be checked for having taken effect: its outcome is
    unknown, or the platform says the object exists (a re-sent POST meeting the first)."""
    return isinstance(exc, dpn_errors.AlreadyExists) or outcome_unknown(exc)


@contextmanager
def edge(op: str, obj: str) -> Iterator[None]:
    """Run SDK calls; re-raise any failure as a dpn error naming ``op`` and ``obj``."""
    try:
        yield
    except dpn_errors.ProviderError:
        raise
    except Exception as exc:
        raise translate(exc, op=op, obj=obj) from exc


class StatusCustomizer:
    """An SDK error customizer that records the HTTP status on every API error.

    The SDK builds its exception class from ``error_code`` or the status and drops the
    status itself; keeping it lets ``translate`` tell a 502 from a 400 even when the class
    is the generic ``DatabricksError``.
    """

    def customize_error(self, response: Any, kwargs: dict[str, Any]) -> None:
        kwargs["dpn_http_status"] = int(response.status_code)


def install_status_customizer(client: Any) -> bool:
    """Attach ``StatusCustomizer`` to a ``WorkspaceClient``'s error parser.

    Uses the SDK's private parser list; returns False (and ``translate`` falls back to the
    exception classes) if that layout ever changes.
    """
    try:
        customizers = client.api_client._api_client._error_parser._error_customizers
    except AttributeError:
        return False
    if not isinstance(customizers, list):
        return False
    if not any(isinstance(c, StatusCustomizer) for c in customizers):
        customizers.append(StatusCustomizer())
    return True
