"""What every API handler works on: the workspace's objects (``store``), the emulator's
clock, the cluster start-up delay and the reader of IAM roles. The WSGI app (app.py) is
one; the API modules take it as their first argument and never import the app."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from dpn.sandbox.emulator.iamroles import RoleReader
from dpn.sandbox.emulator.store import Store

# The caller: the user ``scim/v2/Me`` answers (scim.USER), so creator_user_name, owner,
# created_by and a SINGLE_USER cluster's bound user are the one identity the token has.
USER = "sandbox-user@dpn.local"


class Workspace:
    """The emulated workspace's state, its clock and its links to the sandbox's AWS side."""

    def __init__(self, data_dir: Path | None = None, cluster_delay: float | None = None,
                 clock: Callable[[], float] | None = None,
                 iam_reader: RoleReader | None = None) -> None:
        self.data_dir = data_dir
        self.store = Store(data_dir)
        # Reads IAM roles for external location validation (iam.py); by default the
        # sandbox's own AWS side, found through the data directory on first use.
        self.iam_reader = iam_reader
        # The emulator's clock: ``clock`` (default: the wall clock) plus the offset that
        # ``POST /_dpn/config {"advance_clock": seconds}`` moves forward, so tests reach
        # "30 days after termination" without sleeping. The offset is stored with the
        # objects (their timestamps are on this clock) and reset with them.
        self._clock = clock or time.time
        delay = os.environ.get("DPN_SANDBOX_CLUSTER_DELAY", "0.3")
        self.cluster_delay = float(delay) if cluster_delay is None else cluster_delay

    def now(self) -> float:
        """Seconds since the epoch on the emulator's clock."""
        return self._clock() + float(self.store.data.get("clock_offset", 0.0))

    def now_ms(self) -> int:
        return int(self.now() * 1000)

    @contextmanager
    def changing(self) -> Iterator[None]:
        """A change of the objects: under the store's lock, saved when the block ends
        without an error (an error leaves nothing to save: handlers check before they
        change)."""
        with self.store.lock:
            yield
            self.store.save()
