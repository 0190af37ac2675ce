"""The stack lock between real processes: refusal with the holder, release by the kernel.
Waiting runs on an injected clock: the test moves time, nothing sleeps."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from dpn.engine.stores.lock import POLL_S, StackLock, current_holder
from dpn.errors import LockedError
from tests.unit.fake_store import FakeClock

HOLD = """
import sys
from pathlib import Path
from dpn.engine.stores.lock import StackLock
lock = StackLock(Path(sys.argv[1]), "acme-dev-lock", tx="tx-1")
lock.acquire()
print("held", flush=True)
sys.stdin.readline()    # held until the test closes stdin (or kills the process)
"""


@pytest.fixture
def holder(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    yield proc
    proc.kill()
    proc.wait()
    proc.stdin.close()
    proc.stdout.close()


def test_second_process_is_refused_with_the_holder(tmp_path, holder):
    with pytest.raises(LockedError) as info:
        StackLock(tmp_path, "acme-dev-lock").acquire()
    assert info.value.holder["pid"] == holder.pid and info.value.holder["tx"] == "tx-1"
    assert current_holder(tmp_path, "acme-dev-lock")["pid"] == holder.pid


def test_a_killed_holder_releases_the_lock(tmp_path, holder):
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert current_holder(tmp_path, "acme-dev-lock") is None
    with StackLock(tmp_path, "acme-dev-lock", tx="tx-2") as lock:
        assert lock.holder()["tx"] == "tx-2"


def test_waiting_with_a_timeout_polls_until_it_has_passed(tmp_path, holder):
    clock = FakeClock()
    began = clock.monotonic()
    with pytest.raises(LockedError) as info:
        StackLock(tmp_path, "acme-dev-lock", timeout=0.5, clock=clock).acquire()
    assert clock.monotonic() - began == pytest.approx(0.5)
    assert len(clock.sleeps) >= 0.5 / POLL_S and max(clock.sleeps) <= POLL_S
    assert info.value.holder["pid"] == holder.pid


def test_no_timeout_means_one_try_and_no_wait(tmp_path, holder):
    clock = FakeClock()
    with pytest.raises(LockedError):
        StackLock(tmp_path, "acme-dev-lock", clock=clock).acquire()
    assert clock.sleeps == []


def test_waiting_takes_the_lock_once_the_holder_is_gone(tmp_path, holder):
    clock = FakeClock()
    began = clock.monotonic()

    def holder_exits_at_the_third_poll(now: float) -> None:
        if len(clock.sleeps) == 3:
            holder.stdin.close()       # the holder's command ends: its flock goes with it
            holder.wait()

    clock.on_sleep = holder_exits_at_the_third_poll
    with StackLock(tmp_path, "acme-dev-lock", tx="tx-2", timeout=30, clock=clock) as lock:
        assert lock.holder()["tx"] == "tx-2"
    assert len(clock.sleeps) == 3
    assert clock.monotonic() - began == pytest.approx(3 * POLL_S)


def test_a_lease_hint_says_when_the_lease_runs_out_and_how_to_wait() -> None:
    import calendar
    import time

    from dpn.errors import LockedError, lease_hint

    ends = "2026-12-01T12:00:30Z"
    now = calendar.timegm(time.strptime("2026-12-01T12:00:00Z", "%Y-%m-%dT%H:%M:%SZ"))
    hint = lease_hint({"tx": "t1", "lease_expires": ends}, now=now)
    assert hint.startswith(f"its lease runs out at {ends} (in 30 s)")
    assert "--lock-timeout 35" in hint
    assert lease_hint({"pid": 42}) == ""          # a local lock: a live pid, no lease
    assert lease_hint({"lease_expires": "soon"}) == ""
    assert "lease runs out" not in str(LockedError("s", {"pid": 42}))
    assert "lease runs out" in str(LockedError("s", {"lease_expires": ends}))
