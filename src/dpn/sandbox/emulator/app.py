"""The emulator's WSGI app: bearer-token auth, request parsing, routing, and error
answers in the service's shape. Nothing escapes as a 500 with a traceback: an unexpected
exception becomes ``{"error_code": "INTERNAL_ERROR", "message": ...}``.

The app assembles the routes each API module declares (routing.py); those modules take
the workspace (workspace.py) and the parsed request (request.py) and never import this
one."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from dpn.sandbox.emulator import (
    access,
    catalog,
    clusters,
    credentials,
    grants,
    jobs,
    locations,
    options,
    scim,
    tables,
    volumes,
)
from dpn.sandbox.emulator.errors import ApiError
from dpn.sandbox.emulator.iamroles import RoleReader
from dpn.sandbox.emulator.request import Request
from dpn.sandbox.emulator.routing import Route
from dpn.sandbox.emulator.workspace import Workspace
from dpn.sandbox.faults import FaultRule
from dpn.sandbox.middleware import Headers, StartResponse, read_body, status_line

_DEFAULT_CODES = {400: "INVALID_PARAMETER_VALUE", 401: "401", 403: "403", 404: "NOT_FOUND",
                  409: "RESOURCE_CONFLICT", 429: "REQUEST_LIMIT_EXCEEDED",
                  500: "INTERNAL_ERROR", 502: "BAD_GATEWAY", 503: "TEMPORARILY_UNAVAILABLE",
                  504: "DEADLINE_EXCEEDED"}
JSON_HEADERS = [("Content-Type", "application/json")]
# The API modules whose routes the app serves, in the order they are matched.
API_MODULES = (clusters, jobs, catalog, tables, volumes, credentials, locations, grants,
               access, scim)


class Emulator(Workspace):
    """The Databricks workspace emulator, a WSGI app and middleware backend."""

    name = "dbx"

    def __init__(self, token: str, data_dir: Path | None = None,
                 cluster_delay: float | None = None,
                 clock: Callable[[], float] | None = None,
                 iam_reader: RoleReader | None = None) -> None:
        super().__init__(data_dir=data_dir, cluster_delay=cluster_delay, clock=clock,
                         iam_reader=iam_reader)
        self.token = token
        self.routes: list[Route] = [route for module in API_MODULES for route in module.routes]

    # --- middleware backend protocol -------------------------------------------------
    def operation(self, environ: dict[str, Any]) -> str:
        return f"{environ.get('REQUEST_METHOD', 'GET')} {environ.get('PATH_INFO', '')}"

    def fault_response(self, rule: FaultRule,
                       environ: dict[str, Any]) -> tuple[int, Headers, bytes]:
        status = int(rule.status or 500)
        code = rule.error_code or _DEFAULT_CODES.get(status, "INTERNAL_ERROR")
        body = {"error_code": code, "message": rule.message or f"injected fault {code}"}
        return status, list(JSON_HEADERS), json.dumps(body).encode()

    def reset(self) -> None:
        self.store.reset()

    def close(self) -> None:
        """The server is stopping: write the objects not written yet."""
        self.store.close()

    # --- the emulator's settings ------------------------------------------------------
    def config(self, body: dict[str, Any]) -> dict[str, Any]:
        """``/_dpn/config``: read or set ``cluster_delay`` (seconds PENDING->RUNNING);
        ``advance_clock`` (seconds, >= 0) moves the emulator's clock forward, as if that
        much time had passed; ``enforce_access``, ``metastore_root`` and
        ``iam_propagation_seconds`` (options.py; back to their defaults on reset).
        Answers the settings and ``now`` (epoch ms, emulator clock)."""
        options.apply(self, body)
        if "cluster_delay" in body:
            self.cluster_delay = float(body["cluster_delay"])
        if "advance_clock" in body:
            step = float(body["advance_clock"])
            if not step >= 0:  # also refuses NaN
                raise ValueError("advance_clock must be a number of seconds >= 0")
            with self.store.lock:
                self.store.data["clock_offset"] = self.store.data.get("clock_offset", 0.0) + step
                self.store.save()
        return {"cluster_delay": self.cluster_delay, **options.current(self),
                "clock_offset": self.store.data.get("clock_offset", 0.0), "now": self.now_ms()}

    # --- WSGI -------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            status, payload = self.dispatch(environ)
        except ApiError as exc:
            status, payload = exc.status, exc.body()
        except Exception as exc:  # never a traceback on the wire
            status, payload = 500, {"error_code": "INTERNAL_ERROR",
                                    "message": f"{type(exc).__name__}: {exc}"}
        body = json.dumps(payload, separators=(",", ":")).encode()
        start_response(status_line(status), [*JSON_HEADERS, ("Content-Length", str(len(body)))])
        return [body]

    def dispatch(self, environ: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO", "") or "/"
        if path == "/.well-known/databricks-config" and method == "GET":
            host = f"http://{environ.get('HTTP_HOST', '127.0.0.1')}"
            return 200, {"oidc_endpoint": f"{host}/oidc", "workspace_id": "1234567890123456",
                         "cloud": "AWS"}
        self._authenticate(environ.get("HTTP_AUTHORIZATION", ""))
        for route in self.routes:
            match = route.pattern.match(path)
            if match and route.method == method:
                request = self._parse(environ, method, path)
                return 200, route.handler(self, request, **match.groupdict())
        raise ApiError(404, "ENDPOINT_NOT_FOUND", f"No API found for '{method} {path}'")

    def _authenticate(self, header: str) -> None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "401", "Credential was not sent or was of an unsupported type "
                                       "for this API.")
        if self.token and token.strip() != self.token:
            raise ApiError(403, "403", "Invalid access token.")

    def _parse(self, environ: dict[str, Any], method: str, path: str) -> Request:
        params = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        request = Request(method=method, path=path, params=params)
        raw = read_body(environ)
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                raise ApiError(400, "MALFORMED_REQUEST", "Invalid JSON given in the body of "
                               "the request - failed to parse given JSON") from None
            if not isinstance(body, dict):
                raise ApiError(400, "MALFORMED_REQUEST", "Invalid JSON given in the body of the "
                                                         "request - expected a map")
            request.body = body
        return request

