"""Operations and their outcomes: what a transaction does, and what it reports."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class Action:
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    IMPORT = "import"    # adopt an existing object: add the ownership tags, record it


class Outcome:
    COMMITTED = "committed"            # every change applied (or the delete phase ran: see ops)
    ROLLED_BACK = "rolled_back"        # a failure before the commit point, all undone
    NEEDS_RECOVERY = "needs_recovery"  # a rollback could not finish: run ``dpn recover``


@dataclass(frozen=True)
class Operation:
    """One planned change: ``id`` is the current physical id (update, replace, delete)."""

    key: str
    type: str
    name: str
    action: str
    depends_on: tuple[str, ...] = ()
    id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "type": self.type, "name": self.name, "action": self.action,
                "depends_on": list(self.depends_on), "id": self.id}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Operation:
        return cls(key=raw["key"], type=raw["type"], name=raw["name"], action=raw["action"],
                   depends_on=tuple(raw.get("depends_on") or ()), id=raw.get("id"))


@dataclass(frozen=True)
class OpResult:
    key: str
    action: str
    status: str          # done | failed | undone | not_started | pending
    id: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "action": self.action, "status": self.status, "id": self.id,
                "error": self.error}


@dataclass(frozen=True)
class ApplyResult:
    stack: str
    tx: str | None
    outcome: str
    operations: tuple[OpResult, ...] = ()
    error: str | None = None
    cancelled: bool = False
    warnings: tuple[str, ...] = field(default=())
    error_exit: int = 1  # the exit code the first error calls for (5: permission refused)
    fsyncs: int = 0      # durable WAL writes the transaction made

    @property
    def ok(self) -> bool:
        return self.outcome == Outcome.COMMITTED and all(
            o.status == "done" for o in self.operations)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"stack": self.stack, "tx": self.tx, "outcome": self.outcome,
                               "operations": [o.to_json() for o in self.operations]}
        if self.error:
            out["error"] = self.error
        return out


def new_tx_id() -> str:
    """Sortable by time, unique across machines."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(4)


def idempotency_token(tx: str, key: str) -> str:
    """Deterministic per transaction and resource; 32 hex characters (the Clusters API
    allows 64)."""
    return hashlib.sha256(f"{tx}/{key}".encode()).hexdigest()[:32]
