"""Error translation of databricks-sdk exceptions into dpn's tree (pure, no HTTP)."""

from __future__ import annotations

import pytest
import requests
from databricks.sdk.errors import platform as p

from dpn import errors as E
from dpn.providers.databricks.errors import edge, outcome_unknown, translate


def _t(exc: BaseException) -> E.ProviderError:
    return translate(exc, op="create", obj="catalog 'x'")


@pytest.mark.parametrize(
    ("exc", "expected", "code"),
    [
        (p.ResourceDoesNotExist("Cluster 1 does not exist", error_code="RESOURCE_DOES_NOT_EXIST"),
         E.NotFound, "RESOURCE_DOES_NOT_EXIST"),
        (p.NotFound("Catalog 'x' does not exist.", error_code="CATALOG_DOES_NOT_EXIST"),
         E.NotFound, "CATALOG_DOES_NOT_EXIST"),
        (p.InvalidParameterValue("Cluster abc does not exist",
                                 error_code="INVALID_PARAMETER_VALUE"),
         E.NotFound, "INVALID_PARAMETER_VALUE"),
        (p.InvalidParameterValue("Job 7 does not exist.", error_code="INVALID_PARAMETER_VALUE"),
         E.NotFound, "INVALID_PARAMETER_VALUE"),
        (p.BadRequest("Catalog 'x' already exists", error_code="CATALOG_ALREADY_EXISTS"),
         E.AlreadyExists, "CATALOG_ALREADY_EXISTS"),
        (p.BadRequest("Schema 'x.y' already exists", error_code="SCHEMA_ALREADY_EXISTS"),
         E.AlreadyExists, "SCHEMA_ALREADY_EXISTS"),
        (p.BadRequest("Table exists", error_code="TABLE_ALREADY_EXISTS"),
         E.AlreadyExists, "TABLE_ALREADY_EXISTS"),
        (p.ResourceAlreadyExists("exists", error_code="RESOURCE_ALREADY_EXISTS"),
         E.AlreadyExists, "RESOURCE_ALREADY_EXISTS"),
        (p.BadRequest("Catalog 'x' is not empty", error_code="CATALOG_NOT_EMPTY"),
         E.NotEmpty, "CATALOG_NOT_EMPTY"),
        (p.InvalidState("Schema 'x.y' is not empty.", error_code="INVALID_STATE"),
         E.NotEmpty, "INVALID_STATE"),
        (p.Unauthenticated("Credential was not sent", error_code="401"),
         E.PermissionDenied, "401"),
        (p.PermissionDenied("Invalid access token.", error_code="403"),
         E.PermissionDenied, "403"),
        (p.InvalidParameterValue("bad spark_version", error_code="INVALID_PARAMETER_VALUE"),
         E.InvalidRequest, "INVALID_PARAMETER_VALUE"),
        (p.BadRequest("malformed"), E.InvalidRequest, "400"),
        (p.ResourceConflict("conflict"), E.InvalidRequest, "409"),
        (p.InternalError("boom", error_code="INTERNAL_ERROR"), E.Transient, "INTERNAL_ERROR"),
        (p.DeadlineExceeded("slow"), E.Transient, "504"),
        (p.TooManyRequests("slow down", retry_after_secs=3), E.Throttled, "429"),
        (p.NotImplemented("nope"), E.InvalidRequest, "501"),
    ],
)
def test_sdk_errors_map_to_dpn_errors(exc, expected, code):
    out = _t(exc)
    assert type(out) is expected
    assert out.platform == "databricks"
    assert out.code == code
    assert "create catalog 'x'" in str(out)


def test_recorded_http_status_decides_for_generic_errors():
    bad_gateway = p.DatabricksError("upstream", error_code="WHATEVER", dpn_http_status=502)
    assert type(_t(bad_gateway)) is E.Transient
    gone = p.DatabricksError("gone", error_code="WHATEVER", dpn_http_status=410)
    assert type(_t(gone)) is E.InvalidRequest
    # Without a status, an unclassified SDK error stays a plain ProviderError.
    assert type(_t(p.DatabricksError("odd", error_code="WHATEVER"))) is E.ProviderError


def test_throttled_keeps_retry_after():
    out = _t(p.TooManyRequests("slow down", retry_after_secs=7))
    assert isinstance(out, E.Throttled) and out.retry_after == 7.0


def test_sdk_giving_up_is_permanent_not_transient():
    try:
        try:
            raise p.TemporarilyUnavailable("busy", retry_after_secs=1)
        except p.TemporarilyUnavailable as inner:
            raise TimeoutError("Timed out after 0:01:00") from inner
    except TimeoutError as exc:
        out = _t(exc)
    assert type(out) is E.ProviderError
    assert out.code == "RETRY_TIMEOUT"
    assert "429/503" in str(out)
    assert outcome_unknown(out)


def test_connection_refused_after_retries_names_unreachable():
    try:
        try:
            raise requests.ConnectionError("refused")
        except requests.ConnectionError as inner:
            raise TimeoutError("Timed out after 0:00:05") from inner
    except TimeoutError as exc:
        out = _t(exc)
    assert out.code == "RETRY_TIMEOUT" and "unreachable" in str(out)


def test_transport_failure_not_retried_by_sdk_is_transient():
    out = _t(requests.exceptions.ChunkedEncodingError("broken"))
    assert isinstance(out, E.Transient) and out.code == "CONNECTION"


def test_outcome_unknown_only_for_writes_that_may_have_happened():
    assert outcome_unknown(E.Transient("x"))
    assert not outcome_unknown(E.InvalidRequest("x"))
    assert not outcome_unknown(E.PermissionDenied("x"))
    assert not outcome_unknown(E.AlreadyExists("x"))


def test_edge_chains_the_cause_and_passes_dpn_errors_through():
    original = p.PermissionDenied("Invalid access token.", error_code="403")
    with pytest.raises(E.PermissionDenied) as info:
        with edge("read", "cluster 1"):
            raise original
    assert info.value.__cause__ is original
    mine = E.NotEmpty("kept")
    with pytest.raises(E.NotEmpty) as info2:
        with edge("delete", "schema a.b"):
            raise mine
    assert info2.value is mine
