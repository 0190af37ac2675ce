"""``migrate_state`` between a local store and an S3 store on an in-memory bucket."""

from __future__ import annotations

import pytest

from dpn.engine.stores import LocalStore, S3Store
from dpn.engine.stores.migrate import ALREADY_THERE, COPIED, migrate_state
from dpn.engine.wal import Rec
from dpn.errors import InputError, RecoveryNeeded, StateError
from dpn.model import ResourceState, StackState, freeze
from tests.unit.fake_store import FakeClock, FakeObjects

STACK = "acme-dev-lake"


def state(serial: int = 0, n: int = 2) -> StackState:
    res = {f"r{i}": ResourceState(f"r{i}", "aws.s3_bucket", f"b-{i}", f"b-{i}",
                                  freeze({"versioning": True}), freeze({"name": f"b-{i}"}))
           for i in range(n)}
    return StackState(STACK, serial, freeze(res))


@pytest.fixture
def remote() -> S3Store:
    clock = FakeClock()
    objects = FakeObjects(clock)
    return S3Store(objects, "ci", clock=clock)


def test_local_to_s3_and_back_keeps_serial_and_resources(tmp_path, remote):
    local = LocalStore(tmp_path / "a")
    written = local.save_state(local.save_state(state()))
    result = migrate_state(local, remote)
    assert result.source == f"local {tmp_path / 'a'}" and result.destination == remote.describe()
    assert [c.to_json() for c in result.stacks] == [
        {"stack": STACK, "serial": 2, "resources": 2, "status": COPIED}]
    assert remote.load_state(STACK) == written
    again = migrate_state(local, remote, STACK)
    assert [c.status for c in again.stacks] == [ALREADY_THERE]
    back = LocalStore(tmp_path / "b")
    assert migrate_state(remote, back).to_json()["stacks"][0]["status"] == COPIED
    assert back.load_state(STACK) == written
    assert remote.holder(STACK) is None and back.holder(STACK) is None   # locks released


def test_a_different_serial_at_the_destination_is_not_overwritten(tmp_path, remote):
    local = LocalStore(tmp_path)
    local.save_state(state())
    migrate_state(local, remote)
    remote.save_state(remote.load_state(STACK))       # the team moves on
    with pytest.raises(StateError,
                       match=r"already has state serial 1 .*\(source: serial 2\); not over"):
        migrate_state(remote, local)
    assert local.load_state(STACK).serial == 1


def test_refusals(tmp_path, remote):
    local = LocalStore(tmp_path)
    with pytest.raises(InputError, match="same backend"):
        migrate_state(local, LocalStore(tmp_path))
    with pytest.raises(InputError, match="has no state"):
        migrate_state(local, remote, STACK)
    assert migrate_state(local, remote).stacks == ()    # nothing to copy, nothing asked
    local.save_state(state())
    wal = local.wal_writer(STACK, "tx-1")
    wal.append(Rec.BEGIN, tx="tx-1", ops=[])
    wal.close()
    with pytest.raises(RecoveryNeeded, match="dpn recover"):
        migrate_state(local, remote, STACK)
    assert remote.load_state(STACK) is None


def test_create_state_refuses_a_stack_that_has_state(tmp_path):
    local = LocalStore(tmp_path)
    assert local.create_state(state(serial=4)).serial == 4
    with pytest.raises(StateError, match="already has state serial 4"):
        local.create_state(state(serial=4))
