"""One mutating command per stack: an OS lock (flock) that the kernel releases when its
holder dies, with the holder's identity readable by whoever is refused."""

from __future__ import annotations

import getpass
import json
import os
import socket
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from filelock import FileLock, Timeout

from dpn.engine.files import atomic_write, check_stack_id, private_dir
from dpn.errors import LockedError


class StackLock:
    """``with StackLock(home, stack, tx=..., timeout=0):`` raises LockedError when another
    live process holds the stack (after ``timeout`` seconds of waiting)."""

    def __init__(self, home: Path, stack: str, *, tx: str = "", timeout: float = 0) -> None:
        self.stack = check_stack_id(stack)
        self.dir = private_dir(Path(home) / "locks")
        self.path = self.dir / f"{stack}.lock"
        self.holder_path = self.dir / f"{stack}.holder.json"
        self.tx = tx
        self.timeout = timeout
        self._lock = FileLock(str(self.path), timeout=timeout, mode=0o600)

    def acquire(self) -> None:
        try:
            self._lock.acquire(timeout=self.timeout, poll_interval=0.05)
        except Timeout:
            raise LockedError(self.stack, self.holder()) from None
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "user": _user(),
                  "tx": self.tx, "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        atomic_write(self.holder_path, json.dumps(holder).encode())

    def set_tx(self, tx: str) -> None:
        self.tx = tx
        holder = self.holder() or {}
        holder["tx"] = tx
        atomic_write(self.holder_path, json.dumps(holder).encode())

    def release(self) -> None:
        try:
            self.holder_path.unlink(missing_ok=True)
        finally:
            self._lock.release()

    def holder(self) -> dict[str, Any] | None:
        try:
            return dict(json.loads(self.holder_path.read_text()))
        except (OSError, ValueError):
            return None

    def __enter__(self) -> StackLock:
        self.acquire()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def current_holder(home: Path, stack: str) -> dict[str, Any] | None:
    """The holder of the stack's lock if one is alive, else None. Reads the holder file
    without touching the lock itself, so asking never makes a real command exit 3."""
    holder = StackLock(home, stack).holder()
    if holder is None:
        return None
    if holder.get("host") == socket.gethostname() and not _alive(holder.get("pid")):
        return None  # its process died (SIGKILL): the kernel already released the lock
    return holder


def _alive(pid: Any) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError, TypeError):
        return False
    except PermissionError:
        return True
    return True


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())
