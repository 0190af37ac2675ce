"""The one bound on calls in flight (dpn.engine.pool): size, order, failures, 429s."""

from __future__ import annotations

import threading
import time

import pytest

from dpn.engine.pool import CallPool, read_parallelism
from dpn.engine.retry import RetryPolicy
from dpn.errors import InputError, NotFound, Throttled


class Clock:
    """A fake clock that sleeping moves forward."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_map_keeps_order_and_never_exceeds_the_bound() -> None:
    lock = threading.Lock()
    running, most = 0, 0

    def task(i: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.005)
        with lock:
            running -= 1
        return i * i

    with CallPool(3) as pool:
        assert pool.map([lambda i=i: task(i) for i in range(24)]) == [i * i for i in range(24)]
    assert 1 <= most <= 3


def test_the_first_failure_is_raised() -> None:
    def boom() -> int:
        raise NotFound("gone")

    with CallPool(4) as pool, pytest.raises(NotFound, match="gone"):
        pool.map([lambda: 1, boom, lambda: 2])


def test_a_throttled_call_is_retried_and_pauses_new_calls() -> None:
    clock = Clock()
    pool = CallPool(2, RetryPolicy(clock=clock, sleep=clock.sleep), clock=clock,
                    sleep=clock.sleep)
    answers = iter([Throttled("slow down", retry_after=3.0), "ok"])

    def flaky() -> str:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert pool.call(flaky) == "ok"
    assert clock.slept and clock.slept[0] >= 3.0   # the retry waited its Retry-After
    with pytest.raises(Throttled):
        pool.run(throttled)
    before = len(clock.slept)
    assert pool.run(lambda: "next") == "next"    # a new call waits out the pause first
    assert clock.slept[before:] == [5.0]


def throttled() -> str:
    raise Throttled("again", retry_after=5.0)


def test_nested_calls_and_fan_outs_do_not_deadlock() -> None:
    with CallPool(1) as pool:
        assert pool.run(lambda: pool.run(lambda: 7)) == 7
        inner = [lambda: 1, lambda: 2]
        assert pool.map([lambda: pool.map(inner), lambda: pool.map(inner)]) == [[1, 2], [1, 2]]


def test_read_parallelism_option_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DPN_READ_PARALLELISM", raising=False)
    assert read_parallelism() == 16
    assert read_parallelism(4) == 4
    monkeypatch.setenv("DPN_READ_PARALLELISM", "32")
    assert read_parallelism() == 32 and read_parallelism(2) == 2
    for bad in ("0", "65", "many"):
        monkeypatch.setenv("DPN_READ_PARALLELISM", bad)
        with pytest.raises(InputError, match="read parallelism"):
            read_parallelism()
