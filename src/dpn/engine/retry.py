"""The engine's one retry policy, for what the SDKs do not retry themselves.

Providers raise ``Transient`` only for failures their SDK did not already retry (see the
providers' docstrings), so retries never stack. Exponential backoff with full jitter,
``Retry-After`` honoured, bounded by a per-operation deadline (``DPN_OP_DEADLINE``, 300 s),
and, for a change still propagating from one platform to the other, by
``DPN_PROPAGATION_WAIT`` (120 s).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from dpn.errors import PropagationPending, Transient

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    base: float = 0.2
    cap: float = 10.0
    deadline: float = field(
        default_factory=lambda: float(os.environ.get("DPN_OP_DEADLINE", "300")))
    # How long a change on one platform may take to reach the other (IAM to Unity
    # Catalog): a PropagationPending is retried within this, not the whole deadline.
    propagation: float = field(
        default_factory=lambda: float(os.environ.get("DPN_PROPAGATION_WAIT", "120")))
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        backoff = self.rng.uniform(0, min(self.cap, self.base * 2 ** attempt))
        return max(backoff, retry_after or 0.0)

    def call(self, fn: Callable[[], T],
             on_retry: Callable[[int, float, Exception], None] | None = None) -> T:
        """Call ``fn`` until it succeeds, raises a non-transient error, or the deadline
        would pass; the last Transient is then raised."""
        start = self.clock()
        attempt = 0
        while True:
            try:
                return fn()
            except Transient as exc:
                wait = self.delay(attempt, exc.retry_after)
                bound = (min(self.deadline, self.propagation)
                         if isinstance(exc, PropagationPending) else self.deadline)
                if self.clock() + wait - start > bound:
                    raise
                attempt += 1
                if on_retry:
                    on_retry(attempt, wait, exc)
                self.sleep(wait)
