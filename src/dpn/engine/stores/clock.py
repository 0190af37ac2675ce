"""The time the locks read and wait on, injectable so that tests move it themselves.

A lock polls (``sleep``), measures its own lease (``monotonic``), stamps and judges
leases by the wall clock (``time``), and its heartbeat waits for the next renewal or
for its stop event (``wait``). ``SYSTEM`` is the real clock; a test passes an object
with the same four methods whose time moves only when the test says so.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def time(self) -> float:
        """Seconds since the epoch (wall clock: lease stamps other runners read)."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (timeouts, this runner's lease)."""

    def sleep(self, seconds: float) -> None:
        """Pause the calling thread (a lock polling for its holder to go)."""

    def wait(self, event: threading.Event, seconds: float) -> bool:
        """Wait until ``event`` is set or ``seconds`` have passed; whether it was set."""


class SystemClock:
    """The machine's clocks."""

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def wait(self, event: threading.Event, seconds: float) -> bool:
        return event.wait(seconds)


SYSTEM: Clock = SystemClock()
