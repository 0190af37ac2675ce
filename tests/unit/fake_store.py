"""Test doubles for the stores: a clock that moves only when told, and an in-memory
bucket behind the ``ObjectClient`` interface (conditional writes as S3 answers them)."""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
from collections.abc import Callable

from dpn.engine.stores import StoredObject

REAL_BOUND_S = 10.0   # how long (real time) a test waits for a heartbeat before failing


class FakeClock:
    """``time`` and ``monotonic`` read one value that moves only by ``advance`` or by a
    poll's ``sleep``; ``wait`` (a lock's heartbeat) runs out when that value passes its
    deadline. ``advance`` returns only once every wait it ran out has been answered (its
    thread did its work and waits again, or stopped), so a test sees the renewal done."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self._now = now
        self._cond = threading.Condition()
        self._parked: dict[int, float] = {}   # waiting thread -> when its wait runs out
        self._woken: set[int] = set()         # threads whose wait ran out, not back yet
        self.sleeps: list[float] = []
        self.on_sleep: Callable[[float], None] | None = None   # called with the new time

    def time(self) -> float:
        with self._cond:
            return self._now

    def monotonic(self) -> float:
        return self.time()

    def sleep(self, seconds: float) -> None:
        with self._cond:
            self.sleeps.append(seconds)
            self._now += seconds
            now = self._now
            self._cond.notify_all()
        if self.on_sleep is not None:
            self.on_sleep(now)

    def wait(self, event: threading.Event, seconds: float) -> bool:
        me = threading.get_ident()
        with self._cond:
            self._woken.discard(me)
            self._parked[me] = self._now + seconds
            self._cond.notify_all()
            while not event.is_set() and self._now < self._parked[me]:
                self._cond.wait(0.01)     # also notices ``event`` set by another thread
            del self._parked[me]
            stopped = event.is_set()
            if not stopped:
                self._woken.add(me)
            self._cond.notify_all()
            return stopped

    def advance(self, seconds: float, *, waiters: int = 0) -> None:
        """Move on by ``seconds`` once ``waiters`` threads are waiting on this clock; return
        when every wait that ran out has been answered."""
        with self._cond:
            self._settle(lambda: len(self._parked) >= waiters, "waiters to park")
            self._now += seconds
            self._cond.notify_all()
            self._settle(lambda: not self._woken and all(
                d > self._now for d in self._parked.values()), "heartbeats to answer")

    def _settle(self, done: Callable[[], bool], what: str) -> None:
        bound = time.monotonic() + REAL_BOUND_S
        while not done():
            if time.monotonic() > bound:
                raise AssertionError(f"fake clock: gave up waiting for {what}")
            self._cond.wait(0.01)


class FakeObjects:
    """One bucket in memory. ``modified`` is the clock's time in whole seconds, as S3's
    LastModified; ``fail_puts`` makes the next puts raise (a network that drops)."""

    def __init__(self, clock: FakeClock, bucket: str = "team-bucket") -> None:
        self.bucket = bucket
        self.clock = clock
        self.requests = 0
        self.data: dict[str, StoredObject] = {}
        self.fail_puts: list[Exception] = []
        self._lock = threading.Lock()
        self._versions = itertools.count(1)

    def put(self, key: str, body: bytes, *, none_match: bool = False,
            match: str | None = None) -> str | None:
        with self._lock:
            self.requests += 1
            if self.fail_puts:
                raise self.fail_puts.pop(0)
            there = self.data.get(key)
            if none_match and there is not None:
                return None
            if match is not None and (there is None or there.etag != match):
                return None
            etag = '"' + hashlib.md5(body + str(next(self._versions)).encode()).hexdigest() + '"'
            self.data[key] = StoredObject(body, etag, float(int(self.clock.time())))
            return etag

    def get(self, key: str) -> StoredObject | None:
        with self._lock:
            self.requests += 1
            return self.data.get(key)

    def delete(self, key: str, *, match: str | None = None) -> bool:
        with self._lock:
            self.requests += 1
            there = self.data.get(key)
            if match is not None and (there is None or there.etag != match):
                return False
            self.data.pop(key, None)
            return True

    def list_keys(self, prefix: str) -> list[str]:
        with self._lock:
            self.requests += 1
            return sorted(k for k in self.data if k.startswith(prefix))

    def list_prefixes(self, prefix: str) -> list[str]:
        with self._lock:
            self.requests += 1
            return sorted({k[len(prefix):].split("/", 1)[0] for k in self.data
                           if k.startswith(prefix)})
