"""The retry policy's bounds, on an injected clock: a change still propagating between the
platforms is retried within its own, shorter bound; other transient failures within the
per-operation deadline."""

from __future__ import annotations

import random

import pytest

from dpn.engine.retry import RetryPolicy
from dpn.errors import PropagationPending, Transient


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _policy(clock: Clock) -> RetryPolicy:
    return RetryPolicy(base=1.0, cap=5.0, deadline=300, propagation=30, clock=clock,
                       sleep=clock.sleep, rng=random.Random(7))


@pytest.mark.parametrize("error,bound", [
    (PropagationPending("AWS IAM role does not have READ permissions on url", retry_after=5),
     30),
    (Transient("503", retry_after=5), 300),
])
def test_a_failure_that_never_clears_is_raised_within_its_bound(error, bound) -> None:
    clock = Clock()
    retries: list[int] = []

    def fail() -> None:
        raise error

    with pytest.raises(type(error)):
        _policy(clock).call(fail, lambda attempt, delay, exc: retries.append(attempt))
    assert bound - 5 <= clock.now <= bound        # waited for the bound, never past it
    assert retries == list(range(1, len(retries) + 1)) and len(retries) >= bound // 5 - 1


def test_propagation_that_clears_succeeds_and_each_retry_is_reported() -> None:
    clock = Clock()
    seen: list[tuple[int, str]] = []
    calls = iter([PropagationPending("not yet", retry_after=5)] * 3 + [None])

    def create() -> str:
        exc = next(calls)
        if exc is not None:
            raise exc
        return "made"

    assert _policy(clock).call(create, lambda a, d, e: seen.append((a, str(e)))) == "made"
    assert [a for a, _ in seen] == [1, 2, 3] and all(m == "not yet" for _, m in seen)
    assert clock.now == 15
