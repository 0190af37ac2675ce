"""The S3 backend's lock, state and WAL on an in-memory bucket and a fake clock: each
``S3Store`` stands for one machine; time moves only when the test moves it."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from dpn.engine.stores import S3Store, open_store
from dpn.engine.stores.s3lock import POLL_S
from dpn.engine.wal import Rec
from dpn.errors import InputError, LockedError, ProviderError, StateError
from dpn.model import StackState
from tests.unit.fake_store import FakeClock, FakeObjects

STACK = "acme-dev-team"
LEASE, RENEW = 1.0, 0.25


@pytest.fixture(autouse=True)
def lease(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DPN_S3_LOCK_LEASE", str(LEASE))
    monkeypatch.setenv("DPN_S3_LOCK_RENEW", str(RENEW))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def bucket(clock: FakeClock) -> FakeObjects:
    return FakeObjects(clock)


def machine(bucket: FakeObjects, clock: FakeClock) -> S3Store:
    return S3Store.from_url(f"s3://{bucket.bucket}/team", objects=lambda name: bucket,
                            clock=clock)


def test_open_store_names_the_backend_and_needs_a_client_for_s3(tmp_path, bucket, clock):
    store = open_store(tmp_path, "s3://team-bucket/ci", objects=lambda name: bucket)
    assert isinstance(store, S3Store) and store.describe() == "s3 s3://team-bucket/ci"
    assert store.command("recover", STACK) == (
        f"dpn --backend s3://team-bucket/ci recover --stack {STACK}")
    assert open_store(tmp_path).kind == open_store(tmp_path, "local").kind == "local"
    with pytest.raises(InputError, match="no S3 object client"):
        open_store(tmp_path, "s3://team-bucket/ci")
    with pytest.raises(InputError, match="unknown backend"):
        open_store(tmp_path, "gs://x")
    with pytest.raises(InputError, match="expected s3://bucket/prefix"):
        open_store(tmp_path, "s3://", objects=lambda name: bucket)


def test_two_machines_racing_for_one_lock_one_wins(bucket, clock):
    a, b = machine(bucket, clock), machine(bucket, clock)
    barrier = threading.Barrier(2)
    won: list[Any] = []
    errors: list[Exception] = []

    def take(store: S3Store) -> None:
        lock = store.lock(STACK, tx=f"tx-{id(store)}")
        barrier.wait()
        try:
            won.append(lock.__enter__())
        except LockedError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=take, args=(s,)) for s in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1 and len(errors) == 1
    assert errors[0].holder["tx"] == won[0].tx and "token" not in errors[0].holder
    won[0].__exit__(None, None, None)
    assert a.holder(STACK) is None and bucket.data == {}


def test_a_heartbeat_keeps_the_lease_beyond_its_length(bucket, clock):
    a, b = machine(bucket, clock), machine(bucket, clock)
    with a.lock(STACK, tx="long") as held:
        for beat in range(1, 15):           # three and a half leases
            clock.advance(RENEW, waiters=1)
            assert held.renewals == beat
            with pytest.raises(LockedError):
                b.lock(STACK).__enter__()
        held.check()
        assert b.holder(STACK)["tx"] == "long"


def test_a_lease_not_renewed_for_its_length_is_lost(bucket, clock):
    a = machine(bucket, clock)
    held = a.lock(STACK, tx="tx-a")
    held.__enter__()
    try:
        bucket.fail_puts = [ProviderError("connection reset")] * 4   # every renewal fails
        for _ in range(4):
            clock.advance(RENEW, waiters=1)
        assert held.lost is None               # a lease's worth has not quite passed
        clock.advance(0.01)
        with pytest.raises(StateError, match="lost: lease not renewed for 1 s"):
            a.wal_writer(STACK, "tx-a").append(Rec.BEGIN, tx="tx-a", ops=[])
    finally:
        held.__exit__(None, None, None)
    assert json.loads(bucket.data[f"team/locks/{STACK}.json"].body)["tx"] == "tx-a"


def test_an_expired_lease_is_taken_over_and_its_old_holder_stops(bucket, clock):
    a, b = machine(bucket, clock), machine(bucket, clock)
    held = a.lock(STACK, tx="tx-a")
    held.__enter__()
    held._stop.set()                        # a's heartbeat stalls (a paused process)
    held._thread.join()
    clock.advance(LEASE + 1.5)              # past the lease and S3's one-second slack
    assert b.holder(STACK) is None
    with b.lock(STACK, tx="tx-b") as taken:
        assert taken.took_over["tx"] == "tx-a"
        with pytest.raises(StateError, match="lock of stack 'acme-dev-team' lost"):
            a.save_state(StackState(stack=STACK))
        held.release()                       # leaves b's lock alone
        assert b.holder(STACK)["tx"] == "tx-b"


def test_waiting_takes_the_lock_when_the_holder_releases(bucket, clock):
    a, b = machine(bucket, clock), machine(bucket, clock)
    held = a.lock(STACK)
    held.__enter__()
    clock.on_sleep = lambda now: held.__exit__(None, None, None) if len(
        clock.sleeps) == 4 else None
    began = clock.monotonic()
    with b.lock(STACK, timeout=5) as taken:
        assert taken.took_over is None
    assert len(clock.sleeps) == 4 and clock.monotonic() - began == pytest.approx(4 * POLL_S)


def test_waiting_gives_up_at_the_timeout(bucket, clock):
    a, b = machine(bucket, clock), machine(bucket, clock)
    with a.lock(STACK, tx="tx-a"):
        began = clock.monotonic()
        with pytest.raises(LockedError) as info:
            b.lock(STACK, timeout=0.5).__enter__()
    assert clock.monotonic() - began >= 0.5 and info.value.holder["tx"] == "tx-a"


def test_a_state_write_from_a_stale_read_conflicts(bucket, clock):
    a, b = machine(bucket, clock), machine(bucket, clock)
    first = a.save_state(StackState(stack=STACK))
    with pytest.raises(StateError, match="moved: another runner wrote it"):
        b.save_state(StackState(stack=STACK))
    base_a, base_b = a.load_state(STACK), b.load_state(STACK)
    assert base_a == base_b == first
    a.save_state(base_a, tx="tx-a")
    with pytest.raises(StateError, match=r"expected serial 1, found 2"):
        b.save_state(base_b, tx="tx-b")
    assert b.save_state(b.load_state(STACK)).serial == 3
    with pytest.raises(StateError, match="moved"):
        b.create_state(StackState(stack=STACK, serial=5))
    assert a.stacks() == [STACK]


def test_wal_records_are_written_once_and_read_in_order(bucket, clock):
    a, b = machine(bucket, clock), machine(bucket, clock)
    wal = a.wal_writer(STACK, "tx-1")
    wal.append(Rec.BEGIN, tx="tx-1", ops=[])
    for i in range(4):
        wal.append(Rec.INTENT, key=f"r{i}")
    with pytest.raises(StateError, match="already written by another runner"):
        b.wal_writer(STACK, "tx-1", start_seq=2).append(Rec.INTENT, key="r2")
    [log] = b.incomplete(STACK)
    assert [r["seq"] for r in log.records] == [1, 2, 3, 4, 5] and not log.torn
    bucket.put(f"team/wal/{STACK}/tx-1/{6:010d}.json", b"{")
    [log] = b.incomplete(STACK)
    assert log.torn and log.last_seq == 5
    b.truncate_torn(log)
    assert b.wal_writer(STACK, "tx-1", start_seq=5).append(Rec.ROLLED_BACK) == 6
    assert b.incomplete(STACK) == [] and a.logs(STACK)[0].complete
    assert a.stacks() == [STACK]
    requests = a.requests
    a.logs(STACK)
    assert a.requests > requests          # the store counts its client's requests
