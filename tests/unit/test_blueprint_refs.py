"""References, static attributes, the shipped schema."""

from __future__ import annotations

import json
from pathlib import Path
from types import MappingProxyType

import jsonschema
import pytest

from dpn import model
from dpn.blueprint import refs, schema_text
from dpn.blueprint.attrs import ATTRS, static_attrs

ROOT = Path(__file__).resolve().parents[2]


def test_references_are_found_recursively_in_order() -> None:
    value = {"a": "s3://${landing.name}/x/${db}", "b": [{"c": "${etl.id}"}, 3, None],
             "d": "${Bad}", "e": "no refs"}
    assert refs.references(value) == [("landing", "name"), ("db", "name"), ("etl", "id")]
    assert refs.references(MappingProxyType({"x": ("${a.arn}",)})) == [("a", "arn")]


def test_resolve_replaces_and_leaves_unknown_placeholders() -> None:
    known = {("landing", "name"): "bkt", ("db", "full_name"): "prd_db"}
    value = {"loc": "s3://${landing}/p/", "db": "${db.full_name}",
             "tasks": [{"cluster": "${etl.id}"}], "n": 1, "bad": "${Bad}"}
    out = refs.resolve(value, lambda k, a: known.get((k, a)))
    assert out == {"loc": "s3://bkt/p/", "db": "prd_db", "tasks": [{"cluster": model.UNKNOWN}],
                   "n": 1, "bad": "${Bad}"}
    assert refs.has_unknown(out) and not refs.has_unknown(value)
    assert refs.has_unknown([{"x": f"a{model.UNKNOWN}b"}])


@pytest.mark.parametrize(("rtype", "props", "expected"), [
    (model.S3_BUCKET, {}, {"name": "b", "id": "b", "arn": "arn:aws:s3:::b", "uri": "s3://b"}),
    (model.GLUE_DATABASE, {}, {"name": "b", "id": "b", "full_name": "b"}),
    (model.GLUE_TABLE, {"database": "db"}, {"name": "b", "id": "db.b", "full_name": "db.b"}),
    (model.GLUE_TABLE, {"database": model.UNKNOWN}, {"name": "b"}),
    (model.CLUSTER, {}, {"name": "b"}),
    (model.JOB, {}, {"name": "b"}),
    (model.CATALOG, {}, {"name": "b", "id": "b", "full_name": "b"}),
    (model.SCHEMA, {"catalog": "c"}, {"name": "b", "id": "c.b", "full_name": "c.b"}),
    (model.TABLE, {"schema": "c.s"}, {"name": "b", "id": "c.s.b", "full_name": "c.s.b"}),
])
def test_static_attrs(rtype: str, props: dict[str, str], expected: dict[str, str]) -> None:
    assert static_attrs(rtype, "b", props) == expected
    assert set(expected) <= set(ATTRS[rtype])


def test_shipped_schema_is_valid_draft_2020_12_and_published_in_examples() -> None:
    schema = json.loads(schema_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert (ROOT / "examples" / "blueprint.schema.json").read_text() == schema_text()
    for example in ("lakehouse", "minimal", "aws-only", "databricks-only"):
        jsonschema.validate(json.loads((ROOT / "examples" / f"{example}.json").read_text()),
                            schema)
