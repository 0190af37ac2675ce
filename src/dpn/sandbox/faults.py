"""Fault injection, the same on the AWS front and on the Databricks emulator.

A rule matches requests by method and path (a regex searched in the path), optionally by
``x_amz_target`` (a regex on the ``X-Amz-Target`` header, e.g. ``AWSGlue.CreateTable``)
and ``operation`` (a regex on the operation name the front logs). A matching rule may:

- add latency (``latency_ms``) and otherwise pass the request through (no ``status``);
- answer ``status`` with ``error_code``/``message`` in the platform's own error shape,
  with ``Retry-After: retry_after`` if given;
- ``drop`` the connection without an answer;
- with ``after``: let the request reach the backend first (it takes effect), then lose
  the answer (error or drop).

``count`` is how many requests the rule hits (None: forever). The first matching live
rule wins. Admin API (no auth): ``POST/GET/DELETE /_dpn/faults``,
``GET/DELETE /_dpn/requests``, ``POST /_dpn/reset``.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
import urllib.request
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

RULE_FIELDS = {
    "method", "path", "status", "error_code", "message", "count", "retry_after",
    "latency_ms", "drop", "after", "x_amz_target", "operation",
}


@dataclass
class FaultRule:
    """One fault rule; ``remaining`` counts down from ``count`` (None: forever)."""

    id: str
    method: str = "*"
    path: str = ".*"
    status: int | None = None
    error_code: str | None = None
    message: str | None = None
    count: int | None = None
    retry_after: float | None = None
    latency_ms: int = 0
    drop: bool = False
    after: bool = False
    x_amz_target: str | None = None
    operation: str | None = None
    remaining: int | None = None
    hits: int = 0
    _path_re: re.Pattern[str] = field(default=re.compile(".*"), repr=False)
    _target_re: re.Pattern[str] | None = field(default=None, repr=False)
    _op_re: re.Pattern[str] | None = field(default=None, repr=False)

    @classmethod
    def from_json(cls, rule_id: str, data: dict[str, Any]) -> FaultRule:
        """Build a rule from the admin API body; ValueError on a bad rule."""
        if not isinstance(data, dict):
            raise ValueError("a rule is a JSON object")
        unknown = set(data) - RULE_FIELDS
        if unknown:
            raise ValueError(f"unknown rule fields: {sorted(unknown)}")
        rule = cls(id=rule_id, **data)
        rule.method = str(rule.method or "*").upper()
        rule.status = None if rule.status is None else int(rule.status)
        rule.count = None if rule.count is None else int(rule.count)
        rule.retry_after = None if rule.retry_after is None else float(rule.retry_after)
        rule.latency_ms = int(rule.latency_ms or 0)
        rule.drop, rule.after = bool(rule.drop), bool(rule.after)
        for name in ("path", "error_code", "message", "x_amz_target", "operation"):
            if getattr(rule, name) is not None and not isinstance(getattr(rule, name), str):
                raise ValueError(f"{name} must be a string")
        if rule.status is not None and not (100 <= rule.status <= 599):
            raise ValueError("status must be an HTTP status")
        if rule.count is not None and rule.count < 0:
            raise ValueError("count must be >= 0")
        if rule.latency_ms < 0 or (rule.retry_after is not None and rule.retry_after < 0):
            raise ValueError("latency_ms and retry_after must be >= 0")
        try:
            rule._path_re = re.compile(rule.path or ".*")
            rule._target_re = re.compile(rule.x_amz_target) if rule.x_amz_target else None
            rule._op_re = re.compile(rule.operation) if rule.operation else None
        except re.error as exc:
            raise ValueError(f"bad regex: {exc}") from exc
        rule.remaining = rule.count
        return rule

    def matches(self, method: str, path: str, target: str, operation: str) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.method != "*" and self.method != method.upper():
            return False
        if not self._path_re.search(path):
            return False
        if self._target_re is not None and not self._target_re.search(target):
            return False
        return self._op_re is None or bool(self._op_re.search(operation))

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if not k.startswith("_")}


class FaultStore:
    """Thread-safe rules and request log of one front."""

    def __init__(self, log_size: int = 20000) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)
        self._log: deque[dict[str, Any]] = deque(maxlen=log_size)

    def add(self, data: dict[str, Any]) -> FaultRule:
        with self._lock:
            rule = FaultRule.from_json(f"f{next(self._ids)}", data)
            self._rules.append(rule)
            return rule

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.to_json() for r in self._rules]

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, method: str, path: str, target: str, operation: str) -> FaultRule | None:
        """The first live rule matching the request, its count consumed; None if none."""
        if not self._rules:
            return None
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path, target, operation):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    rule.hits += 1
                    return rule
        return None

    def log(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._log.append(entry)

    def requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()


class FaultClient:
    """Client of the admin API of one front (``base_url`` like ``http://127.0.0.1:PORT``)."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def add(self, **rule: Any) -> str:
        """Add a rule (fields as in the module docstring); returns its id."""
        return str(self._call("POST", "/_dpn/faults", rule)["id"])

    def rules(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/_dpn/faults")["rules"])

    def clear(self) -> None:
        self._call("DELETE", "/_dpn/faults")

    def requests(self) -> list[dict[str, Any]]:
        """The request log, oldest first: method, path, operation, status, ts, fault."""
        return list(self._call("GET", "/_dpn/requests")["requests"])

    def clear_requests(self) -> None:
        self._call("DELETE", "/_dpn/requests")

    def reset(self) -> None:
        """Empty every object, rule and log entry of this front's platform."""
        self._call("POST", "/_dpn/reset")

    def configure(self, **options: Any) -> dict[str, Any]:
        """Set the Databricks emulator's options (``/_dpn/config``: ``metastore_root``,
        ``enforce_access``, ...) until the next reset; returns them all."""
        return dict(self._call("POST", "/_dpn/config", options))

    def wait_healthy(self, deadline_s: float = 5.0) -> bool:
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            try:
                self._call("GET", "/_dpn/health")
                return True
            except OSError:
                time.sleep(0.02)
        return False
