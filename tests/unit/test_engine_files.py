from __future__ import annotations

import json
import os
import stat

import pytest

from dpn.engine.stores.state import StateStore
from dpn.engine.wal import Rec, WalWriter, read_wal, truncate_torn
from dpn.errors import InputError, StateError
from dpn.model import ResourceState, StackState, freeze


def _state(n: int = 2) -> StackState:
    res = {f"r{i}": ResourceState(f"r{i}", "aws.s3_bucket", f"b-{i}", f"b-{i}",
                                  freeze({"versioning": True}), freeze({"name": f"b-{i}"}))
           for i in range(n)}
    return StackState("acme-dev-lake", 0, freeze(res))


def test_state_round_trip_serial_and_modes(tmp_path):
    store = StateStore(tmp_path)
    written = store.save(_state())
    assert written.serial == 1
    again = store.save(written)
    assert again.serial == 2
    loaded = store.load("acme-dev-lake")
    assert loaded is not None and loaded.serial == 2
    assert loaded.resources["r1"].props["versioning"] is True
    path = store.path("acme-dev-lake")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_state_checksum_detects_edit(tmp_path):
    store = StateStore(tmp_path)
    store.save(_state())
    path = store.path("acme-dev-lake")
    doc = json.loads(path.read_text())
    doc["resources"]["r0"]["id"] = "someone-else"
    path.write_text(json.dumps(doc))
    with pytest.raises(StateError, match="checksum"):
        store.load("acme-dev-lake")


@pytest.mark.parametrize("bad", ["../etc", "a/b", "", "UP", "x" * 200])
def test_stack_ids_cannot_escape(tmp_path, bad):
    with pytest.raises(InputError):
        StateStore(tmp_path).path(bad)


def test_wal_round_trip_and_fsync_per_announcing_record(tmp_path):
    path = tmp_path / "wal" / "s" / "t1.jsonl"
    w = WalWriter(path)
    w.append(Rec.BEGIN, stack="s", ops=[])
    w.append(Rec.INTENT, key="a", op="create")
    w.append(Rec.DONE, key="a", op="create", id="x")
    w.close()
    assert w.fsyncs == 2  # begin and intent; the done rides on the next fsync
    log = read_wal(path)
    assert [r["record"] for r in log.records] == ["begin", "intent", "done"]
    assert not log.torn and not log.complete
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_wal_torn_tail_ignored_and_truncated(tmp_path):
    path = tmp_path / "t.jsonl"
    w = WalWriter(path)
    w.append(Rec.BEGIN, stack="s", ops=[])
    w.append(Rec.INTENT, key="a", op="create")
    w.close()
    with open(path, "ab") as fh:
        fh.write(b'{"seq": 3, "type": "done", "ke')
    log = read_wal(path)
    assert log.torn and len(log.records) == 2
    truncate_torn(log)
    w = WalWriter(path, start_seq=log.last_seq)
    w.append(Rec.ROLLED_BACK)
    w.close()
    again = read_wal(path)
    assert not again.torn and again.complete and again.last_seq == 3


def test_wal_corruption_in_the_middle_is_an_error(tmp_path):
    path = tmp_path / "t.jsonl"
    w = WalWriter(path)
    for i in range(3):
        w.append(Rec.INTENT if i else Rec.BEGIN, key=f"k{i}", op="create")
    w.close()
    lines = path.read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b"k1", b"k9")
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(StateError, match="corrupt at line 2"):
        read_wal(path)


def test_wal_last_line_with_bad_checksum_is_torn(tmp_path):
    path = tmp_path / "t.jsonl"
    w = WalWriter(path)
    w.append(Rec.BEGIN, stack="s", ops=[])
    w.append(Rec.INTENT, key="a", op="create")
    w.close()
    data = path.read_bytes().replace(b'"key": "a"', b'"key": "b"')
    path.write_bytes(data)
    log = read_wal(path)
    assert log.torn and len(log.records) == 1
    assert os.path.getsize(path) > log.valid_size
