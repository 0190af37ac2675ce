"""The WAL on S3: one object per record, ``wal/<stack>/<tx>/<seq:010d>.json``.

A record is durable when its PutObject returns. Each is written create-only
(``If-None-Match: *``), so two runners can never both write record N of one transaction:
the second gets StateError and stops (a runner whose lease was taken over cannot append
behind its successor's back). Records use the local WAL's line format and checksum
(``dpn.engine.wal``), and any machine reads a log back by listing the transaction's prefix
in key order; a record failing its checksum or sequence at the end is treated like a torn
last line (ignored, and deleted by ``truncate_torn``), anywhere else it is corruption.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dpn.engine.wal import TERMINAL, CrashHook, Rec, WalLog, _parse, encode_record
from dpn.errors import StateError

READ_THREADS = 8


@dataclass
class S3WalLog(WalLog):
    torn_key: str | None = None   # the object holding the torn last record


class S3WalSink:
    """Appends records of one transaction as S3 objects. Thread-safe."""

    def __init__(self, store: Any, stack: str, tx: str, *, start_seq: int = 0) -> None:
        self.store = store
        self.stack = stack
        self.tx = tx
        self.prefix = store.key("wal", stack, tx) + "/"
        self._seq = start_seq
        self._lock = threading.Lock()
        self._crash = CrashHook()
        self.fsyncs = 0   # durable writes (one PutObject each)

    def append(self, rtype: Rec, **fields: Any) -> int:
        with self._lock:
            self.store.check_lease(self.stack)
            seq = self._seq + 1
            body = encode_record(seq, rtype, fields)
            key = f"{self.prefix}{seq:010d}.json"
            if self.store.put_if(key, body, none_match=True) is None:
                got = self.store.get_object(key)
                if got is None or got[0] != body:  # not our own put whose reply was lost
                    raise StateError(
                        f"WAL record {seq} of transaction {self.tx} was already written by "
                        f"another runner: this runner no longer owns stack {self.stack!r}")
            self._seq = seq
            self.fsyncs += 1
            self._crash.after(seq)
            return seq

    def close(self) -> None:
        """Nothing to release: every record is already an object."""


def read_logs(store: Any, stack: str, *, only_incomplete: bool = False) -> list[S3WalLog]:
    """Every transaction log of ``stack`` (tx ids sort by time), oldest first; with
    ``only_incomplete``, those without a terminal record (a log whose last object is a
    valid terminal record is skipped after one read)."""
    base = store.key("wal", stack) + "/"
    out = []
    with ThreadPoolExecutor(READ_THREADS) as pool:
        for tx in store.list_prefixes(base):
            keys = store.list_keys(f"{base}{tx}/")
            if not keys:
                continue
            if only_incomplete and _ends_terminal(store, keys):
                continue
            bodies = list(pool.map(_read, [store] * len(keys), keys))
            log = _assemble(tx, f"{base}{tx}/", keys, bodies)
            if not only_incomplete or (log.records and not log.complete):
                out.append(log)
    return out


def _read(store: Any, key: str) -> bytes | None:
    got = store.get_object(key)
    return got[0] if got else None


def _ends_terminal(store: Any, keys: list[str]) -> bool:
    raw = _read(store, keys[-1])
    record = _parse(raw, expect_seq=len(keys)) if raw is not None else None
    return record is not None and record["record"] in TERMINAL


def _assemble(tx: str, prefix: str, keys: list[str], bodies: list[bytes | None]) -> S3WalLog:
    log = S3WalLog(tx=tx, path=Path(prefix))
    for i, (key, raw) in enumerate(zip(keys, bodies, strict=True)):
        last = i == len(keys) - 1
        record = _parse(raw, expect_seq=len(log.records) + 1) if raw is not None else None
        if record is None:
            if last:
                log.torn, log.torn_key = True, key
                break
            raise StateError(f"WAL {prefix} is corrupt at record {i + 1} ({key}): it fails "
                             "its checksum or sequence; it cannot be trusted")
        log.records.append(record)
    if log.records and log.records[0]["record"] != Rec.BEGIN:
        raise StateError(f"WAL {prefix} does not start with a begin record")
    return log


def truncate_torn(store: Any, log: Any) -> None:
    """Delete the torn last record object so that new records follow the last good one."""
    key = getattr(log, "torn_key", None)
    if log.torn and key:
        store.delete_if(key)
    log.torn = False
