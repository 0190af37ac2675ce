"""The local backend: every stack's state, WAL and lock under ``$DPN_HOME``.

``state/<stack>.json`` (``state.py``: checksum, serial, atomic replace),
``wal/<stack>/<tx>.jsonl`` (``dpn.engine.wal``: one record a line, group-committed
fsyncs) and ``locks/<stack>.lock`` (``lock.py``: flock, released by the kernel when the
holder dies).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dpn.engine import wal
from dpn.engine.stores.base import StackLockHandle, Store, WalSink
from dpn.engine.stores.clock import SYSTEM, Clock
from dpn.engine.stores.lock import StackLock, current_holder
from dpn.engine.stores.state import StateStore
from dpn.errors import StateError
from dpn.model import StackState


class LocalStore(Store):
    """``$DPN_HOME/state``, ``$DPN_HOME/wal``, ``$DPN_HOME/locks``."""

    kind = "local"

    def __init__(self, home: Path, *, clock: Clock = SYSTEM) -> None:
        self.home = Path(home)
        self.clock = clock
        self._state = StateStore(self.home)

    def describe(self) -> str:
        return f"local {self.home}"

    def stacks(self) -> list[str]:
        logs = self.home / "wal"
        in_wal = [p.name for p in logs.iterdir() if p.is_dir()] if logs.is_dir() else []
        return sorted(set(self._state.stacks()) | set(in_wal))

    def load_state(self, stack: str) -> StackState | None:
        return self._state.load(stack)

    def save_state(self, state: StackState, *, tx: str | None = None) -> StackState:
        return self._state.save(state, tx=tx)

    def create_state(self, state: StackState, *, tx: str | None = None) -> StackState:
        there = self._state.load(state.stack)
        if there is not None:
            raise StateError(f"stack {state.stack!r} already has state serial {there.serial} "
                             f"in {self.describe()}; not overwritten")
        return self._state.save(StackState(state.stack, state.serial - 1, state.resources),
                                tx=tx)

    def wal_writer(self, stack: str, tx: str, *, start_seq: int = 0) -> WalSink:
        return wal.WalWriter(wal.wal_dir(self.home, stack) / f"{tx}.jsonl",
                             start_seq=start_seq)

    def logs(self, stack: str) -> list[Any]:
        return [wal.read_wal(p) for p in wal.list_logs(self.home, stack)]

    def truncate_torn(self, log: Any) -> None:
        wal.truncate_torn(log)

    def lock(self, stack: str, *, tx: str = "", timeout: float = 0) -> StackLockHandle:
        return StackLock(self.home, stack, tx=tx, timeout=timeout, clock=self.clock)

    def holder(self, stack: str) -> dict[str, Any] | None:
        return current_holder(self.home, stack)
