"""The interfaces of the stores: ``Store`` (a stack's state, WAL and lock), what it
hands out (``WalSink``, ``StackLockHandle``), and what the S3 backend needs from an
object store (``ObjectClient``, implemented at the AWS edge).

``LocalStore`` (``local.py``) keeps everything under ``$DPN_HOME`` (the default);
``S3Store`` (``s3.py``, for a team whose runners share stacks) keeps it in a bucket. The
engine only talks to a ``Store``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Protocol

from dpn.engine.stores.clock import Clock
from dpn.model import StackState
from dpn.providers.base import StoredObject


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
    def create_state(self, state: StackState, *, tx: str | None = None) -> StackState:
        """Write ``state`` with its own serial where the stack has no state yet (what
        ``migrate_state`` copies); raises StateError if it has one."""

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


class ObjectClient(Protocol):
    """The calls the S3 backend makes on its bucket. A conditional write whose condition
    does not hold is an answer (None or False), not an error; every other failure is a
    ``dpn.errors.ProviderError``. Keys are full keys in the bucket."""

    bucket: str
    requests: int   # requests sent so far (each page of a listing is one)

    def put(self, key: str, body: bytes, *, none_match: bool = False,
            match: str | None = None) -> str | None:
        """Write ``body`` only if there is no object (``none_match``) or only over the
        object whose ETag is ``match``; the new ETag, or None when the condition failed
        (an ``If-Match`` on a key with no object fails too)."""

    def get(self, key: str) -> StoredObject | None:
        """The object, or None when there is none."""

    def delete(self, key: str, *, match: str | None = None) -> bool:
        """Delete (only the object whose ETag is ``match``, if given); False when the
        condition failed."""

    def list_keys(self, prefix: str) -> list[str]:
        """Every key under ``prefix``, sorted."""

    def list_prefixes(self, prefix: str) -> list[str]:
        """The names one level below ``prefix`` (which ends with '/'), sorted: common
        prefixes without their '/' and keys, both without ``prefix``."""


class Bucket(Protocol):
    """What the S3 WAL and lock need of the S3 store they belong to: its object client
    and keys, its clock, and the leases this process holds there."""

    objects: ObjectClient
    clock: Clock
    held: dict[str, Any]    # stack -> the S3 lock this process holds

    def key(self, *parts: str) -> str:
        """The full key of ``parts`` under the store's prefix."""

    def command(self, verb: str, stack: str) -> str:
        """The dpn command line that does ``verb`` for ``stack`` on this store."""

    def check_lease(self, stack: str) -> None:
        """Raise if this process's lease on ``stack`` was lost."""
