"""Past transactions of a stack, read back from its WAL.

``history(store, stack=None)`` gives one ``TxSummary`` per transaction log, oldest first:
its outcome (the terminal record's: ``committed``, ``rolled_back``, ``recovered:<what>``,
or ``incomplete`` when it has none), when it started, how long it took (first to last
record), and each operation with its last known status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dpn.engine.stores.base import Store


@dataclass(frozen=True)
class TxOp:
    key: str
    type: str
    action: str
    status: str   # done | failed | undone | deleted | not_started | unknown (intent only)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "type": self.type, "action": self.action,
                "status": self.status, "error": self.error}


@dataclass(frozen=True)
class TxSummary:
    stack: str
    tx: str
    outcome: str
    started: float          # epoch seconds of the begin record
    duration: float         # seconds from the first record to the last
    committed: bool         # the commit point was reached
    operations: tuple[TxOp, ...]
    torn: bool = False      # the log's last line was torn (a crash mid-write)

    def to_json(self) -> dict[str, Any]:
        return {"stack": self.stack, "tx": self.tx, "outcome": self.outcome,
                "started": self.started, "duration": round(self.duration, 3),
                "committed": self.committed, "torn": self.torn,
                "operations": [o.to_json() for o in self.operations]}


def summarise(stack: str, log: Any) -> TxSummary:
    """One transaction log (``dpn.engine.wal.WalLog``) as a summary."""
    records: list[dict[str, Any]] = list(log.records)
    begin = records[0] if records else {}
    ops: dict[str, dict[str, Any]] = {}
    for op in begin.get("ops") or []:
        ops[op["key"]] = {"type": op.get("type", ""), "action": op.get("action", ""),
                          "status": "not_started", "error": None}
    outcome = "incomplete"
    committed = False
    for rec in records[1:]:
        kind = rec.get("record")
        key = rec.get("key")
        entry = ops.get(key) if isinstance(key, str) else None
        if kind == "intent" and entry is not None and entry["status"] == "not_started":
            entry["status"] = "unknown"
        elif kind == "done" and entry is not None and rec.get("op") != "replace_delete":
            entry["status"] = "done"
        elif kind == "failed" and entry is not None:
            entry["status"], entry["error"] = "failed", rec.get("error")
        elif kind == "undone" and entry is not None:
            entry["status"] = "undone"
        elif kind == "commit":
            committed = True
        elif kind == "end":
            outcome = str(rec.get("outcome") or "committed")
        elif kind == "rolled_back":
            outcome = "rolled_back"
        elif kind == "recovered":
            outcome = f"recovered:{rec.get('outcome') or 'unknown'}"
    stamps = [float(r["ts"]) for r in records if isinstance(r.get("ts"), int | float)]
    started = stamps[0] if stamps else 0.0
    duration = (stamps[-1] - stamps[0]) if stamps else 0.0
    return TxSummary(
        stack=stack, tx=str(begin.get("tx") or log.tx), outcome=outcome, started=started,
        duration=duration, committed=committed, torn=bool(getattr(log, "torn", False)),
        operations=tuple(TxOp(k, v["type"], v["action"], v["status"], v["error"])
                         for k, v in ops.items()))


def history(store: Store, stack: str | None = None) -> list[TxSummary]:
    """Every transaction of ``stack`` (or of every stack), oldest first."""
    stacks = [stack] if stack else store.stacks()
    out = [summarise(name, log) for name in stacks for log in store.logs(name)
           if log.records]
    return sorted(out, key=lambda s: (s.started, s.stack, s.tx))
