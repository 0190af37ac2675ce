"""Where a stack's state, WAL and lock live: the backend behind the engine.

``LocalStore`` keeps them under ``$DPN_HOME`` (the default). Another backend (S3, for a
team whose runners share stacks) implements the same methods; the engine only talks to a
``Store``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Protocol

from dpn.model import StackState


class WalSink(Protocol):
    """An open transaction log: ``append`` is durable when it returns."""

    fsyncs: int

    def append(self, rtype: Any, **fields: Any) -> int: ...

    def close(self) -> None: ...


class StackLockHandle(Protocol):
    def set_tx(self, tx: str) -> None: ...

    def __enter__(self) -> Any: ...

    def __exit__(self, *exc: Any) -> None: ...


class Store(ABC):
    """State, WAL and lock of every stack in one place."""

    kind: str = ""

    @abstractmethod
    def describe(self) -> str:
        """Where it is, for ``dpn status`` (never with a secret in it)."""

    def command(self, verb: str, stack: str) -> str:
        """The ``dpn`` command line that runs ``verb`` on ``stack`` in this store, for
        messages that tell what to run next."""
        return f"dpn {verb} --stack {stack}"

    @abstractmethod
    def stacks(self) -> list[str]:
        """Every stack with a state or a WAL."""

    @abstractmethod
    def load_state(self, stack: str) -> StackState | None: ...

    @abstractmethod
    def save_state(self, state: StackState, *, tx: str | None = None) -> StackState:
        """Write with the next serial number; raises StateError if another writer moved it."""

    @abstractmethod
    def wal_writer(self, stack: str, tx: str, *, start_seq: int = 0) -> WalSink: ...

    @abstractmethod
    def logs(self, stack: str) -> list[Any]:
        """Every transaction log of the stack (``dpn.engine.wal.WalLog``), oldest first."""

    def incomplete(self, stack: str) -> list[Any]:
        return [log for log in self.logs(stack) if log.records and not log.complete]

    @abstractmethod
    def truncate_torn(self, log: Any) -> None:
        """Cut a torn last record off so new records can follow."""

    @abstractmethod
    def lock(self, stack: str, *, tx: str = "", timeout: float = 0) -> StackLockHandle:
        """The stack's lock, a context manager; entering raises LockedError (with the
        holder) when another process has it."""

    @abstractmethod
    def holder(self, stack: str) -> dict[str, Any] | None:
        """Who holds the stack's lock right now, or None."""


class LocalStore(Store):
    """``$DPN_HOME/state``, ``$DPN_HOME/wal``, ``$DPN_HOME/locks``."""

    kind = "local"

    def __init__(self, home: Path) -> None:
        from dpn.engine.state import StateStore

        self.home = Path(home)
        self._state = StateStore(self.home)

    def describe(self) -> str:
        return f"local {self.home}"

    def stacks(self) -> list[str]:
        wal = self.home / "wal"
        in_wal = [p.name for p in wal.iterdir() if p.is_dir()] if wal.is_dir() else []
        return sorted(set(self._state.stacks()) | set(in_wal))

    def load_state(self, stack: str) -> StackState | None:
        return self._state.load(stack)

    def save_state(self, state: StackState, *, tx: str | None = None) -> StackState:
        return self._state.save(state, tx=tx)

    def wal_writer(self, stack: str, tx: str, *, start_seq: int = 0) -> WalSink:
        from dpn.engine.wal import WalWriter, wal_dir

        return WalWriter(wal_dir(self.home, stack) / f"{tx}.jsonl", start_seq=start_seq)

    def logs(self, stack: str) -> list[Any]:
        from dpn.engine.wal import list_logs, read_wal

        return [read_wal(p) for p in list_logs(self.home, stack)]

    def truncate_torn(self, log: Any) -> None:
        from dpn.engine.wal import truncate_torn

        truncate_torn(log)

    def lock(self, stack: str, *, tx: str = "", timeout: float = 0) -> StackLockHandle:
        from dpn.engine.lock import StackLock

        return StackLock(self.home, stack, tx=tx, timeout=timeout)

    def holder(self, stack: str) -> dict[str, Any] | None:
        from dpn.engine.lock import current_holder

        return current_holder(self.home, stack)


def open_store(home: Path, backend: str | None = None, settings: Any = None) -> Store:
    """The store named by ``backend`` (``local`` or None: ``$DPN_HOME``)."""
    if not backend or backend == "local":
        return LocalStore(home)
    if backend.startswith("s3://"):
        try:
            from dpn.engine.s3store import S3Store
        except ImportError as exc:  # pragma: no cover - the module ships with dpn
            from dpn.errors import InputError

            raise InputError(f"backend {backend}: not available ({exc})") from exc
        return S3Store.from_url(backend, home=home, settings=settings)
    from dpn.errors import InputError

    raise InputError(f"unknown backend {backend!r}: use 'local' or 's3://bucket/prefix'")
