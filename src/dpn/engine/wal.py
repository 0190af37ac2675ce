"""The write-ahead log: one JSON record a line, each with a sequence number and a checksum.

Every record that announces something (``begin``, ``intent``, ``undo``, ``commit``, the
terminal ones) is fsynced before the call it announces starts. An outcome record
(``done``, ``undone``, ``failed``) is written but not fsynced on its own: the next fsync
makes it durable with everything before it. If a power loss takes it, recovery finds an
intent with no outcome and settles it by reading the platform, as for any crash
mid-call: one fsync per operation buys the same guarantee as two.

A torn last line (a crash mid-write) is detected and ignored: the record it held was never
acknowledged, so nothing acted on it. A bad record anywhere else is corruption and is
reported, never skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from dpn.engine.files import check_stack_id, fsync_dir, private_dir
from dpn.errors import StateError


class Rec(StrEnum):
    BEGIN = "begin"              # the plan: operations, base state serial
    INTENT = "intent"            # an operation is about to call a platform (with its before-image)
    DONE = "done"                # it succeeded: physical id, attributes, props read back
    FAILED = "failed"            # it failed; the platform is known unchanged by it
    UNDO = "undo"                # an undo of a done operation is about to start
    UNDONE = "undone"            # that undo succeeded
    COMMIT = "commit"            # the commit point: from here the transaction completes forward
    ROLLED_BACK = "rolled_back"  # terminal: every done operation was undone
    RECOVERED = "recovered"      # terminal: ``dpn recover`` resolved the transaction
    END = "end"                  # terminal: committed and the delete phase ran (outcome given)


TERMINAL = frozenset({Rec.ROLLED_BACK, Rec.RECOVERED, Rec.END})
# Outcomes: made durable by the next fsync rather than their own (see the module doc).
OUTCOMES = frozenset({Rec.DONE, Rec.UNDONE, Rec.FAILED})

# Test-only crash hook: SIGKILL this process right after record N is durable.
_CRASH_ENV = "DPN_TEST_CRASH_AFTER_RECORD"


class CrashHook:
    """Kills the process once record ``DPN_TEST_CRASH_AFTER_RECORD`` is durable (tests)."""

    def __init__(self) -> None:
        crash = os.environ.get(_CRASH_ENV)
        self.at = int(crash) if crash else None

    def after(self, seq: int) -> None:
        if self.at is not None and seq >= self.at:
            os.kill(os.getpid(), 9)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} cannot go into the WAL")


def _crc(record: Mapping[str, Any]) -> str:
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           default=_plain)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def wal_dir(home: Path, stack: str) -> Path:
    return Path(home) / "wal" / check_stack_id(stack)


def encode_record(seq: int, rtype: Rec, fields: Mapping[str, Any]) -> bytes:
    """One record as the line stored: plain JSON with its sequence number, kind, time and
    checksum."""
    return encode_plain(seq, rtype, plain_fields(fields))


def plain_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A record's own fields as plain JSON data; ValueError or TypeError for what cannot
    go into the WAL. The costly half of encoding, done before a writer takes its lock."""
    if "record" in fields or "seq" in fields:
        raise ValueError("record and seq are reserved WAL fields")
    plain: dict[str, Any] = json.loads(json.dumps(dict(fields), default=_plain))
    return plain


def encode_plain(seq: int, rtype: Rec, plain: Mapping[str, Any]) -> bytes:
    """The line of a record whose fields ``plain_fields`` made plain."""
    record = {**plain, "seq": seq, "record": str(rtype), "ts": time.time()}
    record["crc"] = _crc(record)
    return (json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n").encode()


class WalWriter:
    """Appends records to one transaction's log. Thread-safe, group-committed: an
    announcing record returns once an fsync that started after its write has ended, and
    records written while an fsync is in flight share the next one, so parallel
    operations do not queue behind each other's fsyncs; outcome records ride on the next
    fsync."""

    def __init__(self, path: Path, *, start_seq: int = 0) -> None:
        self.path = path
        created = not path.exists()
        private_dir(path.parent)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        if created:
            fsync_dir(path.parent)
        self._seq = start_seq
        self._synced = start_seq   # every record up to here is on disk
        self._syncing = False      # an fsync is in flight
        self._cond = threading.Condition()
        self._crash = CrashHook()
        self.fsyncs = 0

    def append(self, rtype: Rec, **fields: Any) -> int:
        plain = plain_fields(fields)   # outside the lock: parallel operations share it
        with self._cond:
            seq = self._seq + 1
            os.write(self._fd, encode_plain(seq, rtype, plain))
            self._seq = seq
            if rtype not in OUTCOMES:
                self._sync_through(seq)
            self._crash.after(seq)
        return seq

    def _sync_through(self, seq: int) -> None:
        """Return once record ``seq`` is on disk (the caller holds ``_cond``): lead an
        fsync of everything written so far, or wait for the one in flight."""
        while self._synced < seq:
            if self._syncing:
                self._cond.wait()
                continue
            self._syncing, written = True, self._seq
            self._cond.release()
            try:
                os.fsync(self._fd)
            finally:
                self._cond.acquire()
                self._syncing = False
                self._cond.notify_all()
            self._synced = max(self._synced, written)
            self.fsyncs += 1

    def close(self) -> None:
        os.close(self._fd)


@dataclass
class WalLog:
    """A transaction's log as read back."""

    tx: str
    path: Path
    records: list[dict[str, Any]] = field(default_factory=list)
    torn: bool = False  # the last line was incomplete or failed its checksum, and is ignored
    valid_size: int = 0  # bytes of the file up to the end of the last good record

    @property
    def begin(self) -> dict[str, Any]:
        return self.records[0] if self.records else {}

    @property
    def complete(self) -> bool:
        return any(r["record"] in TERMINAL for r in self.records)

    @property
    def committed(self) -> bool:
        return any(r["record"] == Rec.COMMIT for r in self.records)

    @property
    def last_seq(self) -> int:
        return self.records[-1]["seq"] if self.records else 0


def read_wal(path: Path) -> WalLog:
    """Read and check a log. Raises StateError for corruption before the last line."""
    tx = path.stem
    log = WalLog(tx=tx, path=path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StateError(f"cannot read WAL {path}: {exc.strerror}") from exc
    lines = data.split(b"\n")
    tail_incomplete = lines[-1] != b""
    if not tail_incomplete:
        lines.pop()
    offset = 0
    for i, raw in enumerate(lines):
        last = i == len(lines) - 1
        record = _parse(raw, expect_seq=len(log.records) + 1)
        if record is None:
            if last:
                log.torn = True
                break
            raise StateError(f"WAL {path} is corrupt at line {i + 1}: record fails its "
                             "checksum or sequence; it cannot be trusted")
        if last and tail_incomplete:
            log.torn = True  # a record without its newline was never acknowledged
            break
        log.records.append(record)
        offset += len(raw) + 1
        log.valid_size = offset
    if log.records and log.records[0]["record"] != Rec.BEGIN:
        raise StateError(f"WAL {path} does not start with a begin record")
    return log


def _parse(raw: bytes, *, expect_seq: int) -> dict[str, Any] | None:
    try:
        record = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(record, dict) or "crc" not in record:
        return None
    crc = record.pop("crc")
    if crc != _crc(record) or record.get("seq") != expect_seq:
        return None
    return record


def truncate_torn(log: WalLog) -> None:
    """Cut a torn tail off so that new records follow the last good one."""
    if log.torn:
        with open(log.path, "r+b") as fh:
            fh.truncate(log.valid_size)
            os.fsync(fh.fileno())
        log.torn = False


def list_logs(home: Path, stack: str) -> list[Path]:
    d = wal_dir(home, stack)
    if not d.is_dir():
        return []
    return sorted(d.glob("*.jsonl"))
