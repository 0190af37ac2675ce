"""The WSGI middleware that puts fault injection, a request log and the admin API in
front of a platform backend (moto's app or the Databricks emulator): one mechanism for
both platforms. Each backend says how its errors look, so the SDKs parse injected faults
like real ones."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from dpn.sandbox.faults import FaultRule, FaultStore

StartResponse = Callable[..., Any]
Headers = list[tuple[str, str]]

REASONS = {
    200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    409: "Conflict", 412: "Precondition Failed", 429: "Too Many Requests",
    500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Gateway Timeout",
}


def status_line(status: int) -> str:
    return f"{status} {REASONS.get(status, 'Error')}"


class Backend(Protocol):
    """A platform behind the middleware."""

    name: str

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        ...

    def operation(self, environ: dict[str, Any]) -> str:
        """The operation name logged and matched by ``operation`` rules."""

    def fault_response(self, rule: FaultRule,
                       environ: dict[str, Any]) -> tuple[int, Headers, bytes]:
        """The error answer for an injected fault, in the platform's own shape."""

    def reset(self) -> None:
        """Empty every object of the platform."""


class FaultMiddleware:
    """WSGI app: ``/_dpn/*`` admin API, else faults around ``backend``."""

    def __init__(self, backend: Backend, store: FaultStore | None = None) -> None:
        self.backend = backend
        self.store = store or FaultStore()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        if path.startswith("/_dpn/"):
            return self._admin(method, path, environ, start_response)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        try:
            operation = self.backend.operation(environ)
        except Exception:  # naming an operation must never break a request
            operation = ""
        rule = self.store.take(method, path, target, operation)
        if rule is not None and rule.latency_ms:
            time.sleep(rule.latency_ms / 1000.0)
        active = rule is not None and (rule.drop or rule.status is not None)
        status = 0
        if active and rule is not None and not rule.after:
            return self._fault(rule, environ, start_response, method, path, operation)
        captured: dict[str, Any] = {}

        def capture(status_text: str, headers: Headers, exc_info: Any = None) -> Callable[..., Any]:
            captured["status"] = status_text
            captured["headers"] = headers
            return lambda data: None

        try:
            result = self.backend(environ, capture)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except Exception as exc:  # a backend bug: the platform's own 500 shape, no traceback
            if active and rule is not None:
                return self._fault(rule, environ, start_response, method, path, operation)
            crash = FaultRule(id="", status=500, message=f"internal error: {type(exc).__name__}")
            return self._fault(crash, environ, start_response, method, path, operation)
        if active and rule is not None:
            return self._fault(rule, environ, start_response, method, path, operation)
        status = int(str(captured.get("status", "500")).split(" ", 1)[0])
        self._log(method, path, operation, status, None)
        headers = list(captured.get("headers", []))
        if method != "HEAD":  # a HEAD answer keeps the length of what GET would send
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(body))))
        start_response(captured.get("status", "500 Internal Server Error"), headers)
        return [body]

    def _log(self, method: str, path: str, operation: str, status: int | None,
             fault: str | None) -> None:
        self.store.log({"method": method, "path": path, "operation": operation,
                        "status": status, "ts": time.time(), "fault": fault})

    def _fault(self, rule: FaultRule, environ: dict[str, Any], start_response: StartResponse,
               method: str, path: str, operation: str) -> Iterable[bytes]:
        if rule.drop:
            self._log(method, path, operation, None, rule.id)
            sock = environ.get("werkzeug.socket")
            if isinstance(sock, socket.socket):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            # the server's write now fails and it drops the connection, as a crash would
            raise ConnectionAbortedError("connection dropped by a fault rule")
        status, headers, body = self.backend.fault_response(rule, environ)
        if rule.retry_after is not None:
            headers.append(("Retry-After", str(max(0, int(rule.retry_after)))))
        headers.append(("Content-Length", str(len(body))))
        self._log(method, path, operation, status, rule.id or None)
        start_response(status_line(status), headers)
        return [body]

    def _admin(self, method: str, path: str, environ: dict[str, Any],
               start_response: StartResponse) -> Iterable[bytes]:
        status, payload = 200, dict[str, Any]()
        try:
            if path == "/_dpn/faults" and method == "POST":
                rule = self.store.add(read_json(environ))
                payload = {"id": rule.id}
            elif path == "/_dpn/faults" and method == "GET":
                payload = {"rules": self.store.rules()}
            elif path == "/_dpn/faults" and method == "DELETE":
                self.store.clear()
            elif path == "/_dpn/requests" and method == "GET":
                payload = {"requests": self.store.requests()}
            elif path == "/_dpn/requests" and method == "DELETE":
                self.store.clear_requests()
            elif path == "/_dpn/reset" and method == "POST":
                self.store.clear()
                self.backend.reset()
                self.store.clear_requests()
            elif path == "/_dpn/config" and hasattr(self.backend, "config"):
                payload = self.backend.config(read_json(environ) if method == "POST" else {})
            elif path == "/_dpn/health" and method == "GET":
                payload = {"ok": True, "platform": self.backend.name}
            else:
                status, payload = 404, {"error_code": "ENDPOINT_NOT_FOUND",
                                        "message": f"No API found for '{method} {path}'"}
        except (ValueError, TypeError) as exc:
            status, payload = 400, {"error_code": "INVALID_PARAMETER_VALUE", "message": str(exc)}
        body = json.dumps(payload).encode()
        start_response(status_line(status), [("Content-Type", "application/json"),
                                             ("Content-Length", str(len(body)))])
        return [body]


def read_body(environ: dict[str, Any]) -> bytes:
    """The request body, with or without Content-Length."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    if length:
        try:
            return bytes(stream.read(int(length)))
        except ValueError:
            return b""
    if environ.get("wsgi.input_terminated"):
        return bytes(stream.read())
    return b""


def read_json(environ: dict[str, Any]) -> Any:
    raw = read_body(environ)
    if not raw.strip():
        return {}
    return json.loads(raw)
