"""The S3 backend: a team's runners share each stack's state, WAL and lock in one bucket.

Layout under ``s3://bucket/prefix/``::

    state/<stack>.json                   the state document (as LocalStore writes it)
    wal/<stack>/<tx>/<seq:010d>.json     one object per WAL record (``s3wal.py``)
    locks/<stack>.json                   the lock and its lease (``s3lock.py``)

State writes are conditional: on the ETag of the object holding the serial the new state
follows (``If-Match``), or create-only (``If-None-Match: *``) for a first state, so a
runner that planned from an older state can never overwrite a newer one (StateError).
Every WAL record and state write first checks that this runner still holds the stack's
lease. The bucket is reached through an ``ObjectClient`` that whoever opens the store
passes in (``dpn.providers.aws.objects`` for S3 itself): this module sends no request.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from dpn.engine.files import check_stack_id
from dpn.engine.stores.base import ObjectClient, StackLockHandle, Store, WalSink
from dpn.engine.stores.clock import SYSTEM, Clock
from dpn.engine.stores.s3lock import S3Lock, current_holder
from dpn.engine.stores.s3wal import S3WalSink, read_logs, truncate_torn
from dpn.engine.stores.state import decode_state, encode_state
from dpn.errors import InputError, StateError
from dpn.model import StackState

ObjectsFactory = Callable[[str], ObjectClient]   # bucket name -> its object client


class S3Store(Store):
    """State, WAL and locks of every stack under one S3 prefix."""

    kind = "s3"

    def __init__(self, objects: ObjectClient, prefix: str = "", *,
                 home: Path | None = None, clock: Clock = SYSTEM) -> None:
        self.objects = objects
        self.bucket = objects.bucket
        self.prefix = prefix.strip("/")
        self.home = home
        self.clock = clock
        self.held: dict[str, S3Lock] = {}       # stack -> lock this process holds
        self._etags: dict[tuple[str, int], str] = {}   # (stack, serial) -> ETag seen

    @classmethod
    def from_url(cls, url: str, *, objects: ObjectsFactory, home: Path | None = None,
                 clock: Clock = SYSTEM) -> S3Store:
        """``s3://bucket/prefix``, its bucket reached through ``objects(bucket)``."""
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        if not bucket:
            raise InputError(f"backend {url!r}: expected s3://bucket/prefix")
        return cls(objects(bucket), prefix, home=home, clock=clock)

    @property
    def requests(self) -> int:
        """S3 requests sent so far through this store's client."""
        return self.objects.requests

    def key(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, *parts) if p)

    @property
    def url(self) -> str:
        """``s3://bucket/prefix``, as ``--backend`` takes it."""
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def describe(self) -> str:
        return f"s3 {self.url}"

    def command(self, verb: str, stack: str) -> str:
        return f"dpn --backend {self.url} {verb} --stack {stack}"

    # -- stacks and state -----------------------------------------------------------------

    def stacks(self) -> list[str]:
        states = [n.removesuffix(".json")
                  for n in self.objects.list_prefixes(self.key("state") + "/")
                  if n.endswith(".json")]
        return sorted(set(states) | set(self.objects.list_prefixes(self.key("wal") + "/")))

    def _state_key(self, stack: str) -> str:
        return self.key("state", f"{check_stack_id(stack)}.json")

    def load_state(self, stack: str) -> StackState | None:
        got = self.objects.get(self._state_key(stack))
        if got is None:
            return None
        state = decode_state(got.body, stack, f"s3://{self.bucket}/{self._state_key(stack)}")
        self._etags[(stack, state.serial)] = got.etag
        return state

    def save_state(self, state: StackState, *, tx: str | None = None) -> StackState:
        """Write serial ``state.serial + 1``, only over the object holding ``state.serial``
        (or only if there is none, for serial 0)."""
        self.check_lease(state.stack)
        written, data = encode_state(state, tx)
        key = self._state_key(state.stack)
        etag = self._etags.get((state.stack, state.serial))
        if etag is None and state.serial > 0:
            current = self.load_state(state.stack)
            etag = self._etags.get((state.stack, state.serial)) if current else None
            if etag is None:
                raise self._moved(state, current.serial if current else None)
        new = (self.objects.put(key, data, match=etag) if etag is not None
               else self.objects.put(key, data, none_match=True))
        if new is None:
            current = self.load_state(state.stack)
            raise self._moved(state, current.serial if current else None)
        self._etags[(state.stack, written.serial)] = new
        return written

    def create_state(self, state: StackState, *, tx: str | None = None) -> StackState:
        base = StackState(state.stack, state.serial - 1, state.resources)
        written, data = encode_state(base, tx)
        etag = self.objects.put(self._state_key(state.stack), data, none_match=True)
        if etag is None:
            current = self.load_state(state.stack)
            raise self._moved(base, current.serial if current else None)
        self._etags[(state.stack, written.serial)] = etag
        return written

    def _moved(self, state: StackState, now: int | None) -> StateError:
        return StateError(
            f"state of stack {state.stack!r} moved: another runner wrote it (expected serial "
            f"{state.serial}, found {now if now is not None else 'none'}); nothing was "
            f"overwritten. Run '{self.command('status', state.stack)}' and "
            f"'{self.command('recover', state.stack)}'")

    def check_lease(self, stack: str) -> None:
        lock = self.held.get(stack)
        if lock is not None:
            lock.check()

    # -- WAL and lock ---------------------------------------------------------------------

    def wal_writer(self, stack: str, tx: str, *, start_seq: int = 0) -> WalSink:
        return S3WalSink(self, check_stack_id(stack), tx, start_seq=start_seq)

    def logs(self, stack: str) -> list[Any]:
        return list(read_logs(self, check_stack_id(stack)))

    def incomplete(self, stack: str) -> list[Any]:
        return list(read_logs(self, check_stack_id(stack), only_incomplete=True))

    def truncate_torn(self, log: Any) -> None:
        truncate_torn(self, log)

    def lock(self, stack: str, *, tx: str = "", timeout: float = 0) -> StackLockHandle:
        return S3Lock(self, stack, tx=tx, timeout=timeout)

    def holder(self, stack: str) -> dict[str, Any] | None:
        return current_holder(self, stack)
