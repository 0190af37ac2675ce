"""The typed WAL records write exactly the fields each kind of record has always had on
disk, and read back what they wrote."""

from __future__ import annotations

import json

import pytest

from dpn.engine.ops import Operation
from dpn.engine.records import (
    Begin,
    Commit,
    Done,
    End,
    Failed,
    Image,
    Intent,
    Recovered,
    RolledBack,
    Undo,
    Undone,
    is_old,
    node_key,
    old_node,
    parse,
)
from dpn.engine.wal import encode_record
from dpn.model import freeze
from dpn.providers.base import Spec

SPEC = Spec("b", "aws.s3_bucket", "n", freeze({"tags": {"dpn:key": "b"}}), token="t")
BEFORE = Image("b-1", "n", freeze({"tags": {}}))

# each record as the engine writes it, and the fields its line holds
WRITTEN = [
    (Begin("tx", "s", 3, (Operation("b", "aws.s3_bucket", "n", "create"),
                          Operation("m", "dbx.job", "j", "move", id="1", source="old"))),
     {"tx", "stack", "base_serial", "ops"}),
    (Intent("b", "create", "create", "aws.s3_bucket", spec=SPEC, absent_before=None),
     {"key", "action", "op", "type", "spec", "absent_before"}),
    (Intent("g", "create", "create", "dbx.grants", spec=SPEC, before=BEFORE),
     {"key", "action", "op", "type", "spec", "before"}),
    (Intent("c", "replace", "create", "dbx.catalog", spec=SPEC),
     {"key", "action", "op", "type", "spec"}),
    (Intent("b", "import", "update", "aws.s3_bucket", id="b-1", spec=SPEC, before=BEFORE),
     {"key", "action", "op", "type", "id", "spec", "before"}),
    (Intent("r", "update", "follow_up", "aws.iam_role", id="r", spec=SPEC, before=BEFORE,
            node="r#after:c"),
     {"key", "action", "op", "type", "id", "spec", "before", "node"}),
    (Intent("c", "replace", "replace_delete", "dbx.catalog", id="c", before=BEFORE),
     {"key", "action", "op", "type", "id", "before"}),
    (Intent("j", "delete", "delete", "dbx.job", id="1", before=BEFORE),
     {"key", "action", "op", "type", "id", "before"}),
    (Done("b", "create", "create", "b-1", type="aws.s3_bucket", name="n", attrs={"id": "b-1"},
          props={"tags": {}}, depends_on=()),
     {"key", "action", "op", "id", "type", "name", "attrs", "props", "depends_on"}),
    (Done("c", "replace", "replace_delete", "c"), {"key", "action", "op", "id"}),
    (Done("j", "delete", "delete", "1", gone_already=False),
     {"key", "action", "op", "id", "gone_already"}),
    (Done("m", "move", "move", "1", source="old"), {"key", "action", "op", "id", "from"}),
    (Failed("b", "create", "boom"), {"key", "action", "error"}),
    (Undo(old_node("c"), "c", "replace_delete"), {"node", "key", "op"}),
    (Undone(old_node("c"), "c"), {"node", "key"}),
    (Commit(), set()),
    (RolledBack("boom"), {"reason"}),
    (End(("a",), ("b",)), {"outcome", "deleted", "left"}),
    (Recovered("rolled_back"), {"outcome"}),
    (Recovered("committed", ()), {"outcome", "left"}),
]


@pytest.mark.parametrize("record,fields", WRITTEN, ids=lambda v: type(v).__name__)
def test_a_record_writes_the_fields_of_its_kind(record, fields):
    line = json.loads(encode_record(1, record.kind, record.to_json()))
    assert set(line) - {"seq", "record", "ts", "crc"} == fields
    assert line["record"] == record.kind
    read = parse(line)
    if isinstance(record, Begin | Intent | Done | Failed | Undone):
        assert read is not None and read.to_json() == record.to_json()
    else:
        assert read is None  # recovery reads no other kind


def test_old_nodes_name_the_replaced_object():
    assert is_old(old_node("c")) and not is_old("c")
    assert node_key(old_node("c")) == "c" and node_key("c") == "c"
