"""Operations and their outcomes: what a transaction does, and what it reports."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    COMMITTED = "committed"            # every change applied (or the delete phase ran: see ops)
    ROLLED_BACK = "rolled_back"        # a failure before the commit point, all undone
    NEEDS_RECOVERY = "needs_recovery"  # a rollback could not finish: run ``dpn recover``


class Status(StrEnum):
    """What became of one operation."""

    DONE = "done"                # it took effect (and, past the commit point, stays)
    FAILED = "failed"            # it failed; the transaction rolled back or left it
    UNDONE = "undone"            # it took effect, then the rollback undid it
    NOT_STARTED = "not_started"  # the run stopped before it
    PENDING = "pending"          # it took effect and the rollback could not undo it yet


@dataclass(frozen=True)
class Operation:
    """One planned change: ``id`` is the current physical id (update, replace, delete);
    ``source``, for a ``move``, the key it was renamed from."""

    key: str
    type: str
    name: str
    action: str
    depends_on: tuple[str, ...] = ()
    id: str | None = None
    source: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = {"key": self.key, "type": self.type, "name": self.name, "action": self.action,
               "depends_on": list(self.depends_on), "id": self.id}
        if self.source is not None:
            out["from"] = self.source
        return out

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Operation:
        return cls(key=raw["key"], type=raw["type"], name=raw["name"], action=raw["action"],
                   depends_on=tuple(raw.get("depends_on") or ()), id=raw.get("id"),
                   source=raw.get("from"))


@dataclass(frozen=True)
class OpResult:
    key: str
    action: str
    status: Status
    id: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "action": self.action, "status": self.status, "id": self.id,
                "error": self.error}


@dataclass(frozen=True)
class ApplyResult:
    stack: str
    tx: str | None
    outcome: Outcome
    operations: tuple[OpResult, ...] = ()
    error: str | None = None
    cancelled: bool = False
    error_exit: int = 1  # the exit code the first error calls for (5: permission refused)
    changed: bool = False  # something took effect before a rollback (which undid it)
    fsyncs: int = 0      # durable WAL writes the transaction made

    @property
    def ok(self) -> bool:
        return self.outcome == Outcome.COMMITTED and all(
            o.status == Status.DONE for o in self.operations)

    @property
    def exit_code(self) -> int:
        """The process exit code: 0 applied, 1 failed (rolled back, or a delete left),
        4 needs ``dpn recover``, 5 refused before anything changed, 130 cancelled."""
        if self.outcome == Outcome.NEEDS_RECOVERY:
            return 4
        if self.cancelled:
            return 130
        if self.outcome == Outcome.ROLLED_BACK:
            return self.error_exit if not self.changed and self.error_exit in (1, 5) else 1
        return 0 if self.ok else 1

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
