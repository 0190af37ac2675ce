"""Where a stack's state, WAL and lock live: the backends behind the engine.

``Store`` (``base.py``) is the interface; ``LocalStore`` (``local.py``) keeps everything
under ``$DPN_HOME``, ``S3Store`` (``s3.py``, with its WAL and lock in ``s3wal.py`` and
``s3lock.py``) under an S3 prefix, through an ``ObjectClient`` its opener passes in.
``open_store`` picks one by the ``--backend`` spelling; ``migrate_state`` (``migrate.py``)
copies stacks' state from one to another.
"""

from __future__ import annotations

from pathlib import Path

from dpn.engine.stores.base import (
    ObjectClient,
    StackLockHandle,
    Store,
    StoredObject,
    WalSink,
)
from dpn.engine.stores.clock import SYSTEM, Clock
from dpn.engine.stores.local import LocalStore
from dpn.engine.stores.s3 import ObjectsFactory, S3Store
from dpn.errors import InputError, RecoveryNeeded

__all__ = ["LocalStore", "ObjectClient", "ObjectsFactory", "S3Store", "StackLockHandle",
           "Store", "StoredObject", "WalSink", "check_no_incomplete", "open_store"]


def open_store(home: Path, backend: str | None = None, *,
               objects: ObjectsFactory | None = None, clock: Clock = SYSTEM) -> Store:
    """The store named by ``backend``: ``local`` or None for ``$DPN_HOME`` (``home``),
    ``s3://bucket/prefix`` for a bucket reached through ``objects(bucket)`` (the caller's
    choice of client: ``dpn.providers.aws.objects.S3Objects`` for S3)."""
    if not backend or backend == "local":
        return LocalStore(home, clock=clock)
    if backend.startswith("s3://"):
        if objects is None:
            raise InputError(f"backend {backend}: no S3 object client to reach it with")
        return S3Store.from_url(backend, objects=objects, home=home, clock=clock)
    raise InputError(f"unknown backend {backend!r}: use 'local' or 's3://bucket/prefix'")


def check_no_incomplete(store: Store | Path, stack: str) -> None:
    """``RecoveryNeeded`` (exit 4) while a transaction of ``stack`` is incomplete."""
    if not isinstance(store, Store):
        store = LocalStore(store)
    pending = store.incomplete(stack)
    if pending:
        ids = ", ".join(log.tx for log in pending)
        raise RecoveryNeeded(f"stack {stack!r} has an incomplete transaction ({ids}); "
                             f"run '{store.command('recover', stack)}' first")
