"""The stack lock between real processes: refusal with the holder, release by the kernel."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from dpn.engine.lock import StackLock, current_holder
from dpn.errors import LockedError

HOLD = """
import sys, time
from pathlib import Path
from dpn.engine.lock import StackLock
lock = StackLock(Path(sys.argv[1]), "acme-dev-lock", tx="tx-1")
lock.acquire()
print("held", flush=True)
time.sleep(60)
"""


@pytest.fixture
def holder(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    yield proc
    proc.kill()
    proc.wait()


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


def test_waiting_with_a_timeout(tmp_path, holder):
    began = time.monotonic()
    with pytest.raises(LockedError):
        StackLock(tmp_path, "acme-dev-lock", timeout=0.5).acquire()
    assert time.monotonic() - began >= 0.5


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
