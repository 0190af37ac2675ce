"""The WAL on S3: ``wal/<stack>/<tx>/<seq:010d>.json``, each object holding one or more
consecutive records, named by the first.

Group commit: records appended while a PutObject is in flight are written together by the
next one, as one object, in sequence order. An append of an ``intent`` (or any record that
is not an outcome) returns only once the object holding it exists, so an intent is
durable before its call starts; an outcome (``done``, ``failed``, ``undone``) rides with
the next record that is waited for, or goes at ``close``, as the local WAL lets the next
fsync carry it. A transaction at parallelism 8 thus pays one PUT per batch of ready
records, not one per record.

Each object is written create-only (``If-None-Match: *``), so two runners can never both
write the object that starts at record N: the second gets StateError and stops (a runner
whose lease was taken over cannot append behind its successor's back). A runner that took
over continues after the last record it read, so its first key is always the next one.
Records use the local WAL's line format and checksum (``dpn.engine.wal``), and any
machine reads a log back by listing the transaction's prefix in key order; an object
failing its checksum or sequence at the end is treated like a torn last line (ignored,
and deleted by ``truncate_torn``), anywhere else it is corruption.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dpn.engine.stores.base import Bucket, ObjectClient
from dpn.engine.wal import (
    OUTCOMES,
    TERMINAL,
    CrashHook,
    Rec,
    WalLog,
    _parse,
    encode_plain,
    plain_fields,
)
from dpn.errors import StateError

READ_THREADS = 8


@dataclass
class S3WalLog(WalLog):
    torn_key: str | None = None   # the object holding the torn last record


class S3WalSink:
    """Appends records of one transaction as S3 objects, group-committed. Thread-safe."""

    def __init__(self, store: Bucket, stack: str, tx: str, *, start_seq: int = 0) -> None:
        self.store = store
        self.objects = store.objects
        self.stack = stack
        self.tx = tx
        self.prefix = store.key("wal", stack, tx) + "/"
        self._seq = start_seq
        self._durable = start_seq     # every record up to here is in an object
        self._queue: list[tuple[int, bytes]] = []
        self._writing = False         # a PutObject is in flight
        self._broken: StateError | None = None
        self._cond = threading.Condition()
        self._crash = CrashHook()
        self.fsyncs = 0   # durable writes (one PutObject each)

    def append(self, rtype: Rec, **fields: Any) -> int:
        plain = plain_fields(fields)   # outside the lock: parallel operations share it
        with self._cond:
            if self._broken is not None:
                raise self._broken
            self.store.check_lease(self.stack)
            self._seq += 1
            seq = self._seq
            self._queue.append((seq, encode_plain(seq, rtype, plain)))
            if rtype not in OUTCOMES:
                self._flush_through(seq)
        self._crash.after(seq)
        return seq

    def close(self) -> None:
        """Write the outcomes still waiting for a record to ride with."""
        with self._cond:
            if self._broken is None and self._queue:
                self._flush_through(self._queue[-1][0])

    def _flush_through(self, seq: int) -> None:
        """Return once record ``seq`` is in an object (the caller holds ``_cond``): lead
        a PutObject of everything queued, or wait for the one in flight."""
        while self._durable < seq:
            if self._broken is not None:
                raise self._broken
            if self._writing:
                self._cond.wait()
                continue
            batch, self._queue = self._queue, []
            self._writing = True
            self._cond.release()
            try:
                self._put(batch)
            except BaseException:
                self._cond.acquire()
                self._queue[:0] = batch    # not written: the next leader retries them
                self._writing = False
                self._cond.notify_all()
                raise
            self._cond.acquire()
            self._writing = False
            self._durable = batch[-1][0]
            self.fsyncs += 1
            self._cond.notify_all()

    def _put(self, batch: list[tuple[int, bytes]]) -> None:
        key = f"{self.prefix}{batch[0][0]:010d}.json"
        body = b"".join(line for _, line in batch)
        if self.objects.put(key, body, none_match=True) is None:
            got = self.objects.get(key)
            if got is None or got.body != body:  # not our own put whose reply was lost
                with self._cond:
                    self._broken = StateError(
                        f"WAL record {batch[0][0]} of transaction {self.tx} was already "
                        f"written by another runner: this runner no longer owns stack "
                        f"{self.stack!r}")
                raise self._broken


def read_logs(store: Bucket, stack: str, *, only_incomplete: bool = False
              ) -> list[S3WalLog]:
    """Every transaction log of ``stack`` (tx ids sort by time), oldest first; with
    ``only_incomplete``, those without a terminal record (a log whose last object is a
    valid terminal record is skipped after one read)."""
    base = store.key("wal", stack) + "/"
    objects = store.objects
    out = []
    with ThreadPoolExecutor(READ_THREADS) as pool:
        for tx in objects.list_prefixes(base):
            keys = objects.list_keys(f"{base}{tx}/")
            if not keys:
                continue
            if only_incomplete and _ends_terminal(objects, keys):
                continue
            bodies = list(pool.map(_read, [objects] * len(keys), keys))
            log = _assemble(tx, f"{base}{tx}/", keys, bodies)
            if not only_incomplete or (log.records and not log.complete):
                out.append(log)
    return out


def _read(objects: ObjectClient, key: str) -> bytes | None:
    got = objects.get(key)
    return got.body if got else None


def _ends_terminal(objects: ObjectClient, keys: list[str]) -> bool:
    raw = _read(objects, keys[-1])
    records = _records(raw, _first_seq(keys[-1])) if raw is not None else None
    return records is not None and records[-1]["record"] in TERMINAL


def _first_seq(key: str) -> int:
    """The sequence number of an object's first record, from its name."""
    stem = key.rsplit("/", 1)[-1].removesuffix(".json")
    return int(stem) if stem.isdigit() else -1


def _records(raw: bytes, first: int) -> list[dict[str, Any]] | None:
    """The records of one object, or None unless every line passes its checksum and
    they run on from ``first`` (what a torn or foreign object fails)."""
    lines = raw.split(b"\n")
    if lines[-1] != b"":
        return None    # every record ends with its newline
    out = []
    for i, line in enumerate(lines[:-1]):
        record = _parse(line, expect_seq=first + i)
        if record is None:
            return None
        out.append(record)
    return out or None


def _assemble(tx: str, prefix: str, keys: list[str], bodies: list[bytes | None]) -> S3WalLog:
    log = S3WalLog(tx=tx, path=Path(prefix))
    for i, (key, raw) in enumerate(zip(keys, bodies, strict=True)):
        last = i == len(keys) - 1
        expected = len(log.records) + 1
        records = None
        if raw is not None and _first_seq(key) == expected:
            records = _records(raw, expected)
        if records is None:
            if last:
                log.torn, log.torn_key = True, key
                break
            raise StateError(f"WAL {prefix} is corrupt at record {expected} ({key}): it "
                             "fails its checksum or sequence; it cannot be trusted")
        log.records.extend(records)
    if log.records and log.records[0]["record"] != Rec.BEGIN:
        raise StateError(f"WAL {prefix} does not start with a begin record")
    return log


def truncate_torn(store: Bucket, log: Any) -> None:
    """Delete the torn last record object so that new records follow the last good one."""
    key = getattr(log, "torn_key", None)
    if log.torn and key:
        store.objects.delete(key)
    log.torn = False
