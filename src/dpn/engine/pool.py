"""One bound on the platform calls a command has in flight, across both clouds.

A plan reads hundreds of parents and pages; an apply makes a call or two per operation.
Both go through a ``CallPool``: at most ``size`` calls run at once, whatever the cloud, so
``--read-parallelism`` (the refresh and the name checks) and ``--parallelism`` (an
apply's creates, updates, deletes and its own reads: ``find``, read-backs) each mean what
they say. A call the platform throttles (``Throttled``, a 429 the SDK did not absorb)
pauses every new call for its ``retry_after``, so the pool backs off as a whole instead
of each worker hammering on; the engine's ``RetryPolicy`` then retries the call itself.

``map`` fans calls out over the pool's own threads and is what providers' ``read_many``
and ``find_many`` use (``dpn.providers.base.Fanout``); ``run`` takes a slot for a call
made on the caller's thread (``Engine.call``).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import TypeVar

from dpn.engine.retry import RetryPolicy
from dpn.errors import InputError, Throttled

T = TypeVar("T")

READ_PARALLELISM = 16   # default of --read-parallelism
READ_PARALLELISM_ENV = "DPN_READ_PARALLELISM"
THROTTLE_PAUSE = 1.0    # seconds to pause on a 429 without Retry-After (as databricks-sdk)


def read_parallelism(value: int | None = None) -> int:
    """``value``, else ``DPN_READ_PARALLELISM``, else the default; ``InputError`` unless it
    is a whole number from 1 to 64."""
    raw: object = value if value is not None else os.environ.get(READ_PARALLELISM_ENV)
    if raw is None or raw == "":
        return READ_PARALLELISM
    try:
        number = int(str(raw))
    except ValueError:
        number = 0
    if not 1 <= number <= 64:
        raise InputError(f"read parallelism must be a whole number from 1 to 64, not {raw!r}")
    return number


class CallPool:
    """At most ``size`` calls in flight; a throttled one pauses new calls. Thread-safe."""

    def __init__(self, size: int, retry: RetryPolicy | None = None, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.size = max(1, size)
        self.retry = retry or RetryPolicy()
        self._slots = threading.Semaphore(self.size)
        self._clock = clock
        self._sleep = sleep
        self._resume_at = 0.0   # no call starts before this (clock time), after a 429
        self._mutex = threading.Lock()
        self._local = threading.local()
        self._executor: ThreadPoolExecutor | None = None

    def run(self, fn: Callable[[], T]) -> T:
        """``fn()`` in a slot, once (no retry). A thread already in a slot (a provider
        call made inside another) keeps it, so nesting cannot deadlock."""
        if getattr(self._local, "in_slot", False):
            return fn()
        self._wait_pause()
        with self._slots:
            self._local.in_slot = True
            try:
                return fn()
            except Throttled as exc:
                self._pause(exc.retry_after)
                raise
            finally:
                self._local.in_slot = False

    def call(self, fn: Callable[[], T]) -> T:
        """``fn()`` in a slot, retried by the pool's ``RetryPolicy`` while it is transient
        (reads only: they are safe to repeat)."""
        return self.retry.call(lambda: self.run(fn))

    def map(self, fns: Sequence[Callable[[], T]]) -> list[T]:
        """Every ``fn()`` through ``call``, in parallel on the pool's threads; results in
        order. The first failure is raised once the calls already running have ended
        (the others are not started). From one of the pool's own threads the calls run
        one after another, so a fan-out inside a fan-out cannot starve the pool."""
        if len(fns) <= 1 or getattr(self._local, "worker", False):
            return [self.call(fn) for fn in fns]
        futures = [self._pool().submit(self._work, fn) for fn in fns]
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        failed = next((f for f in futures if f in done and f.exception() is not None), None)
        if failed is not None:
            for fut in pending:
                fut.cancel()
            wait(pending)
            raise failed.exception()  # type: ignore[misc]
        return [f.result() for f in futures]

    def close(self) -> None:
        """Stop the pool's threads (idle ones; calls in flight end first)."""
        with self._mutex:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)

    def __enter__(self) -> CallPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _work(self, fn: Callable[[], T]) -> T:
        self._local.worker = True
        return self.call(fn)

    def _pool(self) -> ThreadPoolExecutor:
        with self._mutex:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.size, thread_name_prefix="dpn-call")
            return self._executor

    def _pause(self, retry_after: float | None) -> None:
        wait_s = THROTTLE_PAUSE if retry_after is None else retry_after
        with self._mutex:
            self._resume_at = max(self._resume_at, self._clock() + wait_s)

    def _wait_pause(self) -> None:
        while True:
            with self._mutex:
                left = self._resume_at - self._clock()
            if left <= 0:
                return
            self._sleep(left)

