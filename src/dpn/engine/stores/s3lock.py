"""A stack lock held as one S3 object, with a lease renewed by a heartbeat.

Acquire is a create-only put (``If-None-Match: *``) of ``locks/<stack>.json``, whose body
names the holder and its lease. While held, a daemon thread renews the lease every
``renew`` seconds with a put conditional on the ETag of the holder's own last write
(``If-Match``). A lock whose lease has expired is taken over only by a put conditional on
the expired object's ETag, so of two runners racing for a dead holder's lock exactly one
wins. Release deletes the object only if its ETag is still the holder's (``If-Match`` on
DeleteObject), so a holder that lost its lease never deletes its successor's lock.

Expiry: a lease counts as expired when the reader's clock is past both the holder's
``lease_expires`` and the object's ``LastModified`` (S3's clock) plus the lease and one
second of slack; runner clocks must agree to within a small fraction of the lease (NTP).

A holder that cannot renew (its ETag no longer matches, or ``lease`` seconds passed
without a successful renewal) marks itself ``lost``; ``check()`` then raises StateError,
and the S3 store calls it before every WAL record and state write.

Every reading of time and every wait goes through the store's clock
(``dpn.engine.stores.clock``), so a test moves time itself instead of sleeping.
"""

from __future__ import annotations

import getpass
import json
import os
import secrets
import socket
import threading
import time
from types import TracebackType
from typing import Any

from dpn.engine.files import check_stack_id
from dpn.engine.stores.base import Bucket
from dpn.errors import LockedError, StateError

LEASE_ENV = "DPN_S3_LOCK_LEASE"    # seconds a lease lasts without renewal (default 30)
RENEW_ENV = "DPN_S3_LOCK_RENEW"    # seconds between renewals (default lease / 3)
POLL_S = 0.2


def lease_settings() -> tuple[float, float]:
    """(lease, renew) in seconds, from the environment."""
    lease = float(os.environ.get(LEASE_ENV) or 30)
    renew = float(os.environ.get(RENEW_ENV) or lease / 3)
    if lease <= 0 or renew <= 0 or renew >= lease:
        raise StateError(f"{LEASE_ENV}={lease} and {RENEW_ENV}={renew}: need 0 < renew < lease")
    return lease, renew


def is_expired(holder: dict[str, Any], last_modified: float | None, now: float) -> bool:
    lease = float(holder.get("lease_seconds") or 0)
    ends = float(holder.get("lease_expires") or 0)
    if last_modified is not None:
        ends = max(ends, last_modified + lease + 1.0)
    return now > ends


class S3Lock:
    """``with store.lock(stack, tx=..., timeout=0):`` raises LockedError (with the holder)
    when a live lease is held by someone else after ``timeout`` seconds of polling."""

    def __init__(self, store: Bucket, stack: str, *, tx: str = "",
                 timeout: float = 0) -> None:
        self.store = store
        self.objects = store.objects
        self.clock = store.clock
        self.stack = check_stack_id(stack)
        self.key = store.key("locks", f"{self.stack}.json")
        self.tx = tx
        self.timeout = timeout
        self.lease, self.renew = lease_settings()
        self.token = secrets.token_hex(8)
        self.etag: str | None = None
        self.lost: str | None = None      # why the lease was lost, once it was
        self.took_over: dict[str, Any] | None = None   # the expired holder replaced
        self.renewals = 0
        self._since = ""
        self._mutex = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._renewed_at = 0.0

    # -- acquire, renew, release ----------------------------------------------------------

    def acquire(self) -> None:
        clock = self.clock
        deadline = clock.monotonic() + self.timeout
        self._since = _stamp(clock.time())
        while True:
            started = clock.monotonic()
            etag = self.objects.put(self.key, self._body(), none_match=True)
            if etag is None:
                current = self.objects.get(self.key)
                if current is not None:
                    holder = _decode(current.body)
                    if holder.get("token") == self.token:  # our put landed; its reply was lost
                        etag = current.etag
                    elif is_expired(holder, current.modified, clock.time()):
                        etag = self.objects.put(self.key, self._body(), match=current.etag)
                        if etag is not None:
                            self.took_over = holder
                    elif clock.monotonic() >= deadline:
                        raise LockedError(self.stack, _public(holder, current.modified))
            if etag is not None:
                self.etag, self._renewed_at = etag, started
                self.store.held[self.stack] = self
                self._thread = threading.Thread(target=self._heartbeat, daemon=True,
                                                name=f"dpn-lock-{self.stack}")
                self._thread.start()
                return
            clock.sleep(min(POLL_S, max(0.0, deadline - clock.monotonic())) or 0.01)

    def _heartbeat(self) -> None:
        while not self.clock.wait(self._stop, self.renew):
            self._renew()

    def _renew(self) -> None:
        with self._mutex:
            if self.lost or self.etag is None:
                return
            started = self.clock.monotonic()
            try:
                etag = self.objects.put(self.key, self._body(), match=self.etag)
            except Exception as exc:  # transient: the lease still runs; retried next beat
                if self.clock.monotonic() - self._renewed_at > self.lease:
                    self.lost = f"lease not renewed for {self.lease:g} s ({exc})"
                return
            if etag is None:
                self.lost = "the lock object was replaced or removed by another runner"
                return
            self.etag, self._renewed_at = etag, started
            self.renewals += 1

    def set_tx(self, tx: str) -> None:
        self.tx = tx
        self._renew()

    def check(self) -> None:
        """Raise StateError if this runner no longer holds the lease."""
        if self.lost is None and self.clock.monotonic() - self._renewed_at > self.lease:
            self.lost = f"lease not renewed for {self.lease:g} s"
        if self.lost:
            raise StateError(f"lock of stack {self.stack!r} lost: {self.lost}; stopping "
                             f"(run '{self.store.command('recover', self.stack)}' once it is free)")

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.store.held.pop(self.stack, None)
        with self._mutex:
            if self.etag is not None and not self.lost:
                self.objects.delete(self.key, match=self.etag)
            self.etag = None

    def _body(self) -> bytes:
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "user": _user(),
                  "tx": self.tx, "since": self._since, "token": self.token,
                  "lease_seconds": self.lease,
                  "lease_expires": round(self.clock.time() + self.lease, 3),
                  "nonce": secrets.token_hex(4)}   # every write a new ETag
        return json.dumps(holder, sort_keys=True).encode()

    def __enter__(self) -> S3Lock:
        self.acquire()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def current_holder(store: Bucket, stack: str) -> dict[str, Any] | None:
    """The holder of the stack's lock if its lease is live, else None."""
    current = store.objects.get(store.key("locks", f"{check_stack_id(stack)}.json"))
    if current is None:
        return None
    holder = _decode(current.body)
    if is_expired(holder, current.modified, store.clock.time()):
        return None
    return _public(holder, current.modified)


def _stamp(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _decode(body: bytes) -> dict[str, Any]:
    try:
        holder = json.loads(body)
    except ValueError:
        return {}
    return dict(holder) if isinstance(holder, dict) else {}


def _public(holder: dict[str, Any], last_modified: float | None = None) -> dict[str, Any]:
    """What ``status`` and LockedError show: no token or nonce; ``lease_expires`` is when
    a reader counts the lease as run out (``is_expired``), in UTC."""
    out = {k: v for k, v in holder.items() if k not in ("token", "nonce", "lease_seconds")}
    if "lease_expires" in out:
        ends = float(out["lease_expires"])
        if last_modified is not None:
            ends = max(ends, last_modified + float(holder.get("lease_seconds") or 0) + 1.0)
        out["lease_expires"] = _stamp(ends + 0.999)
    return out or {"pid": "?"}


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())
