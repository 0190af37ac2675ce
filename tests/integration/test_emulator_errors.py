"""Error shapes of the emulator: auth, unknown paths, malformed bodies, bad field types.
Every answer is the service's ``{"error_code", "message"}`` JSON, never a traceback."""

from __future__ import annotations

import json
import random
import urllib.error
import urllib.request

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.config import Config
from databricks.sdk.errors import NotFound, PermissionDenied, Unauthenticated

pytestmark = pytest.mark.integration


def _raw(host: str, method: str, path: str, body: bytes | None = None,
         token: str | None = None) -> tuple[int, dict[str, object], str]:
    request = urllib.request.Request(host + path, data=body, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, json.loads(resp.read()), resp.headers["Content-Type"]
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), exc.headers["Content-Type"]


def _client(sandbox, token: str) -> WorkspaceClient:
    return WorkspaceClient(config=Config(host=sandbox.dbx_host, token=token, auth_type="pat",
                                         retry_timeout_seconds=10))


def test_wrong_token_is_permission_denied(sandbox):
    with pytest.raises(PermissionDenied, match="Invalid access token."):
        _client(sandbox, "dapi-wrong").catalogs.list().__next__()
    status, body, _ = _raw(sandbox.dbx_host, "GET", "/api/2.1/clusters/list", token="wrong")
    assert status == 403 and body == {"error_code": "403", "message": "Invalid access token."}


def test_missing_token_is_unauthenticated(sandbox):
    status, body, _ = _raw(sandbox.dbx_host, "GET", "/api/2.1/unity-catalog/catalogs")
    assert status == 401 and body["error_code"] == "401"
    assert body["message"].startswith("Credential was not sent")


def test_unauthenticated_maps_to_sdk_class(sandbox):
    import requests
    from databricks.sdk.errors.parser import _Parser

    response = requests.get(sandbox.dbx_host + "/api/2.1/clusters/list",
                            headers={"Authorization": "Basic eDp5"}, timeout=10)
    error = _Parser().get_api_error(response)
    assert isinstance(error, Unauthenticated)


def test_well_known_needs_no_token(sandbox):
    status, body, ctype = _raw(sandbox.dbx_host, "GET", "/.well-known/databricks-config")
    assert status == 200 and body["oidc_endpoint"] and ctype == "application/json"


def test_unknown_path_is_endpoint_not_found(sandbox, workspace):
    with pytest.raises(NotFound) as info:
        workspace.api_client.do("GET", "/api/2.1/nothing/here")
    assert info.value.error_code == "ENDPOINT_NOT_FOUND"
    status, body, _ = _raw(sandbox.dbx_host, "PUT", "/api/2.1/clusters/get", b"{}",
                           token=sandbox.dbx_token)
    assert status == 404
    assert body == {"error_code": "ENDPOINT_NOT_FOUND",
                    "message": "No API found for 'PUT /api/2.1/clusters/get'"}


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe", b'"text"'])
def test_malformed_body_is_malformed_request(sandbox, body):
    status, answer, ctype = _raw(sandbox.dbx_host, "POST", "/api/2.1/unity-catalog/catalogs",
                                 body, token=sandbox.dbx_token)
    assert status == 400 and answer["error_code"] == "MALFORMED_REQUEST"
    assert ctype == "application/json"


PATHS = [("POST", "/api/2.1/clusters/create"), ("POST", "/api/2.1/clusters/edit"),
         ("GET", "/api/2.1/clusters/get"), ("GET", "/api/2.1/clusters/list"),
         ("POST", "/api/2.1/clusters/delete"), ("POST", "/api/2.1/clusters/start"),
         ("POST", "/api/2.2/jobs/create"), ("POST", "/api/2.2/jobs/update"),
         ("POST", "/api/2.2/jobs/reset"), ("GET", "/api/2.2/jobs/list"),
         ("POST", "/api/2.1/unity-catalog/catalogs"), ("POST", "/api/2.1/unity-catalog/schemas"),
         ("POST", "/api/2.1/unity-catalog/tables"),
         ("PATCH", "/api/2.1/unity-catalog/catalogs/c0"),
         ("PATCH", "/api/2.1/unity-catalog/schemas/c0.s"),
         ("GET", "/api/2.1/unity-catalog/tables")]
VALUES = [None, 0, -1, 2**70, "", "x" * 300, "a.b", [], {}, [{}], {"a": [1]}, True, 1.5,
          "15.4.x-scala2.12", "i3.xlarge", "c0", "EXTERNAL", "DELTA", "s3://b/p"]
FIELDS = ["name", "catalog_name", "schema_name", "cluster_id", "job_id", "spark_version",
          "node_type_id", "num_workers", "autoscale", "custom_tags", "tasks", "new_settings",
          "fields_to_remove", "table_type", "data_source_format", "storage_location",
          "columns", "properties", "comment", "tags", "new_name", "max_results", "page_token",
          "limit", "page_size", "schedule", "idempotency_token"]


def test_random_bodies_never_give_a_server_error(clean_sandbox, workspace):
    workspace.catalogs.create(name="c0")
    rng = random.Random(7)
    for _ in range(400):
        method, path = rng.choice(PATHS)
        body = {f: rng.choice(VALUES) for f in rng.sample(FIELDS, rng.randint(0, 6))}
        if method == "GET":
            query = "&".join(f"{k}={v}" for k, v in body.items() if isinstance(v, str | int))
            status, answer, _ = _raw(clean_sandbox.dbx_host, method, f"{path}?{query}",
                                     token=clean_sandbox.dbx_token)
        else:
            status, answer, _ = _raw(clean_sandbox.dbx_host, method, path,
                                     json.dumps(body).encode(), token=clean_sandbox.dbx_token)
        assert status < 500, (method, path, body, answer)
        if status >= 400:
            assert set(answer) == {"error_code", "message"}, answer
            assert "Traceback" not in str(answer["message"])
