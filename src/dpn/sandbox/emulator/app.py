"""The emulator's WSGI app: bearer-token auth, request parsing, routing, and error
answers in the service's shape. Nothing escapes as a 500 with a traceback: an unexpected
exception becomes ``{"error_code": "INTERNAL_ERROR", "message": ...}``."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from dpn.sandbox.emulator.errors import ApiError, invalid
from dpn.sandbox.emulator.store import Store

if TYPE_CHECKING:
    from dpn.sandbox.emulator.iam import RoleReader
from dpn.sandbox.faults import FaultRule
from dpn.sandbox.middleware import Headers, StartResponse, read_body, status_line

# The caller: the user ``scim/v2/Me`` answers (scim.USER), so creator_user_name, owner,
# created_by and a SINGLE_USER cluster's bound user are the one identity the token has.
USER = "sandbox-user@dpn.local"
_DEFAULT_CODES = {400: "INVALID_PARAMETER_VALUE", 401: "401", 403: "403", 404: "NOT_FOUND",
                  409: "RESOURCE_CONFLICT", 429: "REQUEST_LIMIT_EXCEEDED",
                  500: "INTERNAL_ERROR", 502: "BAD_GATEWAY", 503: "TEMPORARILY_UNAVAILABLE",
                  504: "DEADLINE_EXCEEDED"}
JSON_HEADERS = [("Content-Type", "application/json")]


@dataclass
class Request:
    """A parsed API request: ``params`` from the query string, ``body`` the JSON object
    (for GET: the query parameters, first values)."""

    method: str
    path: str
    params: dict[str, list[str]]
    body: dict[str, Any] = field(default_factory=dict)

    def arg(self, name: str) -> Any:
        """A field from the body, else the query string (first value)."""
        if name in self.body:
            return self.body[name]
        values = self.params.get(name)
        return values[0] if values else None

    def args(self, name: str) -> list[str]:
        return self.params.get(name, [])


Handler = Callable[..., dict[str, Any]]


class Emulator:
    """The Databricks workspace emulator, a WSGI app and middleware backend."""

    name = "dbx"

    def __init__(self, token: str, data_dir: Path | None = None,
                 cluster_delay: float | None = None,
                 clock: Callable[[], float] | None = None,
                 iam_reader: RoleReader | None = None) -> None:
        from dpn.sandbox.emulator import (
            access,
            catalog,
            clusters,
            credentials,
            grants,
            jobs,
            locations,
            scim,
            tables,
            volumes,
        )

        self.token = token
        self.data_dir = data_dir
        self.store = Store(data_dir)
        # Reads IAM roles for external location validation (iam.py); by default the
        # sandbox's own AWS side, found through the data directory on first use.
        self.iam_reader = iam_reader
        # The emulator's clock: ``clock`` (default: the wall clock) plus the offset that
        # ``POST /_dpn/config {"advance_clock": seconds}`` moves forward, so tests reach
        # "30 days after termination" without sleeping. The offset is stored with the
        # objects (their timestamps are on this clock) and reset with them.
        self._clock = clock or time.time
        delay = os.environ.get("DPN_SANDBOX_CLUSTER_DELAY", "0.3")
        self.cluster_delay = float(delay) if cluster_delay is None else cluster_delay
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        for module in (clusters, jobs, catalog, tables, volumes, credentials, locations,
                       grants, access, scim):
            for method, pattern, handler in module.ROUTES:
                self.routes.append((method, re.compile(pattern + r"/?$"), handler))

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

    # --- the emulator's clock ---------------------------------------------------------
    def now(self) -> float:
        """Seconds since the epoch on the emulator's clock."""
        return self._clock() + float(self.store.data.get("clock_offset", 0.0))

    def now_ms(self) -> int:
        return int(self.now() * 1000)

    def config(self, body: dict[str, Any]) -> dict[str, Any]:
        """``/_dpn/config``: read or set ``cluster_delay`` (seconds PENDING->RUNNING);
        ``advance_clock`` (seconds, >= 0) moves the emulator's clock forward, as if that
        much time had passed; ``enforce_access``, ``metastore_root`` and
        ``iam_propagation_seconds`` (options.py; back to their defaults on reset).
        Answers the settings and ``now`` (epoch ms, emulator clock)."""
        from dpn.sandbox.emulator import options

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
        for route_method, pattern, handler in self.routes:
            match = pattern.match(path)
            if match and route_method == method:
                request = self._parse(environ, method, path)
                return 200, handler(self, request, **match.groupdict())
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


# --- helpers shared by the API modules ------------------------------------------------
def require(request: Request, name: str, kind: type | tuple[type, ...] = str) -> Any:
    """A required field: 400 INVALID_PARAMETER_VALUE if missing, empty or of the wrong type."""
    from dpn.sandbox.emulator.errors import missing

    value = request.arg(name)
    if value is None or value == "":
        raise missing(name)
    return check_type(name, value, kind)


def optional(request: Request, name: str, kind: type | tuple[type, ...],
             default: Any = None) -> Any:
    value = request.arg(name)
    if value is None:
        return default
    return check_type(name, value, kind)


def check_type(name: str, value: Any, kind: type | tuple[type, ...]) -> Any:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if int in kinds and isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)  # query-string numbers
    if bool in kinds and isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    if isinstance(value, bool) and bool not in kinds:
        raise invalid(f"Invalid value for field '{name}': expected {kinds[0].__name__}")
    if not isinstance(value, kinds):
        raise invalid(f"Invalid value for field '{name}': expected {kinds[0].__name__}")
    return value


def prev_token(request: Request, size_field: str, default_size: int, max_size: int) -> str | None:
    """The token of the page before the one ``request`` asked for (None on the first)."""
    token = request.arg("page_token")
    if not isinstance(token, str) or not re.fullmatch(r"o\d+", token) or token == "o0":
        return None
    size = min(optional(request, size_field, int, 0) or default_size, max_size)
    return f"o{max(0, int(token[1:]) - size)}"


def page(items: list[Any], request: Request, size_field: str, default_size: int,
         max_size: int) -> tuple[list[Any], str | None]:
    """Offset pagination behind an opaque ``page_token``: (this page, next token or None)."""
    size = optional(request, size_field, int, 0) or default_size
    if size < 0:
        raise invalid(f"Invalid value for field '{size_field}': must be non-negative")
    size = min(size, max_size)
    token = optional(request, "page_token", str, "") or ""
    start = 0
    if token:
        if not re.fullmatch(r"o\d+", token):
            raise invalid(f"Invalid page token: {token}")
        start = int(token[1:])
    chunk = items[start:start + size]
    nxt = f"o{start + size}" if start + size < len(items) else None
    return chunk, nxt
