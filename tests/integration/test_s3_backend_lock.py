"""The S3 backend's lock, conditional state writes and WAL objects, against moto over
HTTP. Each ``S3Store`` built here stands for one machine (its own boto3 client); the
machines of one test share a fake clock where a lease's timing matters, so the test moves
time itself rather than sleeping through leases."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from typing import Any

import pytest

from dpn.engine.stores.clock import SYSTEM, Clock
from dpn.engine.stores.s3 import S3Store
from dpn.engine.stores.s3lock import POLL_S
from dpn.engine.wal import Rec
from dpn.errors import LockedError, StateError
from dpn.model import StackState
from dpn.providers.aws.objects import opener
from dpn.settings import PlatformSettings
from tests.unit.fake_store import FakeClock

pytestmark = pytest.mark.integration
STACK = "acme-dev-team"


@pytest.fixture
def backend(sandbox: Any, s3: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DPN_S3_LOCK_LEASE", "1")
    monkeypatch.setenv("DPN_S3_LOCK_RENEW", "0.25")
    bucket = f"dpn-lock-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    return f"s3://{bucket}/team"


def machine(sandbox: Any, url: str, clock: Clock = SYSTEM) -> S3Store:
    return S3Store.from_url(url, clock=clock, objects=opener(PlatformSettings(
        aws_endpoint_url=sandbox.aws_endpoint, aws_region="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing")))


def race(stores: list[S3Store], timeout: float = 0) -> tuple[list[Any], list[Exception]]:
    """Every store tries to take the lock at the same instant; (won locks, errors)."""
    barrier = threading.Barrier(len(stores))
    won: list[Any] = []
    errors: list[Exception] = []

    def take(store: S3Store) -> None:
        lock = store.lock(STACK, tx=f"tx-{id(store)}", timeout=timeout)
        barrier.wait()
        try:
            lock.__enter__()
            won.append(lock)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=take, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return won, errors


def test_two_machines_racing_for_one_lock_one_wins_every_time(sandbox, backend):
    a, b = machine(sandbox, backend), machine(sandbox, backend)
    for _ in range(10):
        won, errors = race([a, b])
        assert len(won) == 1 and len(errors) == 1
        assert isinstance(errors[0], LockedError)
        assert errors[0].holder is not None and errors[0].holder["tx"] == won[0].tx
        won[0].__exit__(None, None, None)
    assert a.holder(STACK) is None


def test_a_heartbeat_keeps_the_lease_beyond_its_length(sandbox, backend):
    clock = FakeClock(time.time())
    a, b = machine(sandbox, backend, clock), machine(sandbox, backend, clock)
    with a.lock(STACK, tx="long") as held:
        for beat in range(1, 15):      # three and a half leases, one renewal a quarter
            clock.advance(0.25, waiters=1)
            assert held.renewals == beat
            with pytest.raises(LockedError):
                b.lock(STACK).__enter__()
        held.check()
    assert b.holder(STACK) is None


def test_an_expired_lease_is_taken_over_by_exactly_one_of_many(sandbox, backend, s3):
    clock = FakeClock(time.time() + 60)   # the readers are a minute past the dead lease
    stores = [machine(sandbox, backend, clock) for _ in range(4)]
    bucket, prefix = backend.removeprefix("s3://").split("/", 1)
    dead = {"pid": 1, "host": "runner-a", "tx": "tx-dead", "lease_seconds": 0.2,
            "lease_expires": time.time() - 60, "token": "a"}
    s3.put_object(Bucket=bucket, Key=f"{prefix}/locks/{STACK}.json",
                  Body=json.dumps(dead).encode())
    assert stores[0].holder(STACK) is None
    won, errors = race(stores)
    assert len(won) == 1 and len(errors) == 3, errors
    assert all(isinstance(e, LockedError) for e in errors)
    assert won[0].took_over["tx"] == "tx-dead"
    won[0].__exit__(None, None, None)


def test_waiting_takes_the_lock_when_a_holder_releases(sandbox, backend):
    clock = FakeClock(time.time())
    a, b = machine(sandbox, backend, clock), machine(sandbox, backend, clock)
    held = a.lock(STACK)
    held.__enter__()

    def release_at_the_third_poll(now: float) -> None:
        if len(clock.sleeps) == 3:
            held.__exit__(None, None, None)

    clock.on_sleep = release_at_the_third_poll
    began = clock.monotonic()
    with b.lock(STACK, timeout=5) as taken:
        assert taken.took_over is None     # released, not expired
        assert clock.monotonic() - began == pytest.approx(3 * POLL_S)
    assert len(clock.sleeps) == 3


PAUSED_RUNNER = """
import sys
from dpn.engine.stores.s3 import S3Store
from dpn.engine.wal import Rec
from dpn.providers.aws.objects import opener
from dpn.settings import PlatformSettings
store = S3Store.from_url(sys.argv[1], objects=opener(PlatformSettings(
    aws_endpoint_url=sys.argv[2], aws_region="us-east-1",
    aws_access_key_id="testing", aws_secret_access_key="testing")))
lock = store.lock("acme-dev-team", tx="tx-a")
lock.__enter__()
wal = store.wal_writer("acme-dev-team", "tx-a")
wal.append(Rec.BEGIN, tx="tx-a", ops=[])
print("held", flush=True)
sys.stdin.readline()
try:
    wal.append(Rec.COMMIT)
    print("appended")
except Exception as exc:
    print("refused:", exc)
lock.__exit__(None, None, None)
print("released", flush=True)
"""


def test_a_paused_runner_loses_its_lease_and_cannot_write_behind_the_new_holder(
        sandbox, backend):
    env = {**os.environ, "DPN_S3_LOCK_LEASE": "1", "DPN_S3_LOCK_RENEW": "0.25"}
    a = subprocess.Popen([sys.executable, "-c", PAUSED_RUNNER, backend, sandbox.aws_endpoint],
                         env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert a.stdout is not None and a.stdin is not None
        assert a.stdout.readline().strip() == "held"
        os.kill(a.pid, signal.SIGSTOP)      # a runner frozen mid-transaction
        b = machine(sandbox, backend)
        with b.lock(STACK, timeout=10) as taken:
            assert taken.took_over is not None and taken.took_over["tx"] == "tx-a"
            os.kill(a.pid, signal.SIGCONT)
            out, _ = a.communicate("go\n", timeout=30)
            assert "refused: lock of stack 'acme-dev-team' lost" in out
            assert b.holder(STACK)["tx"] == taken.tx   # A's release left B's lock alone
    finally:
        if a.poll() is None:
            a.kill()
            a.wait()
    log = b.logs(STACK)[0]
    assert [r["record"] for r in log.records] == ["begin"]


def test_a_state_write_from_a_stale_read_conflicts(sandbox, backend):
    a, b = machine(sandbox, backend), machine(sandbox, backend)
    first = a.save_state(StackState(stack=STACK))
    with pytest.raises(StateError, match="moved: another runner wrote it"):
        b.save_state(StackState(stack=STACK))   # both thought there was none
    base_a, base_b = a.load_state(STACK), b.load_state(STACK)
    assert base_a == base_b == first
    a.save_state(base_a, tx="tx-a")
    with pytest.raises(StateError, match=r"expected serial 1, found 2"):
        b.save_state(base_b, tx="tx-b")
    assert b.load_state(STACK).serial == 2
    assert b.save_state(b.load_state(STACK)).serial == 3   # from a fresh read it goes on


def test_wal_records_are_written_once_and_read_in_order_from_another_machine(
        sandbox, backend, s3):
    a, b = machine(sandbox, backend), machine(sandbox, backend)
    wal = a.wal_writer(STACK, "tx-1")
    wal.append(Rec.BEGIN, tx="tx-1", ops=[])
    for i in range(11):
        wal.append(Rec.INTENT, key=f"r{i}")
    other = b.wal_writer(STACK, "tx-1", start_seq=5)   # a second writer of the same log
    with pytest.raises(StateError, match="already written by another runner"):
        other.append(Rec.INTENT, key="r4")
    late = b.wal_writer(STACK, "tx-1", start_seq=5)    # an outcome goes at the latest at close
    late.append(Rec.DONE, key="r4")
    with pytest.raises(StateError, match="already written by another runner"):
        late.close()
    [log] = b.incomplete(STACK)
    assert [r["seq"] for r in log.records] == list(range(1, 13)) and not log.torn
    bucket, prefix = backend.removeprefix("s3://").split("/", 1)
    s3.put_object(Bucket=bucket, Key=f"{prefix}/wal/{STACK}/tx-1/{13:010d}.json", Body=b"{")
    [log] = b.incomplete(STACK)
    assert log.torn and log.last_seq == 12
    b.truncate_torn(log)
    wal2 = b.wal_writer(STACK, "tx-1", start_seq=log.last_seq)
    assert wal2.append(Rec.ROLLED_BACK) == 13
    assert b.incomplete(STACK) == [] and a.logs(STACK)[0].complete
    s3.put_object(Bucket=bucket, Key=f"{prefix}/wal/{STACK}/tx-1/{5:010d}.json", Body=b"{")
    with pytest.raises(StateError, match="corrupt at record 5"):
        a.logs(STACK)
