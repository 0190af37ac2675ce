"""One mutating command per stack: an OS lock (flock) that the kernel releases when its
holder dies, with the holder's identity readable by whoever is refused.

Waiting (``timeout`` > 0) tries the lock every ``POLL_S`` seconds of the injected clock
until the timeout has passed on it."""

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
from dpn.engine.stores.clock import SYSTEM, Clock
from dpn.errors import LockedError

POLL_S = 0.05


class StackLock:
    """``with StackLock(home, stack, tx=..., timeout=0):`` raises LockedError when another
    live process holds the stack (after ``timeout`` seconds of waiting)."""

    def __init__(self, home: Path, stack: str, *, tx: str = "", timeout: float = 0,
                 clock: Clock = SYSTEM) -> None:
        self.stack = check_stack_id(stack)
        self.dir = private_dir(Path(home) / "locks")
        self.path = self.dir / f"{stack}.lock"
        self.holder_path = self.dir / f"{stack}.holder.json"
        self.tx = tx
        self.timeout = timeout
        self.clock = clock
        self._lock = FileLock(str(self.path), timeout=timeout, mode=0o600)

    def acquire(self) -> None:
        deadline = self.clock.monotonic() + self.timeout
        while True:
            try:
                self._lock.acquire(blocking=False)
                break
            except Timeout:
                left = deadline - self.clock.monotonic()
                if left <= 0:
                    raise LockedError(self.stack, self.holder()) from None
                self.clock.sleep(min(POLL_S, left))
        since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.clock.time()))
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "user": _user(),
                  "tx": self.tx, "since": since}
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
