"""Development mode names: user normalisation, per-type prefixes inside each type's rules,
truncation, and the per-user stack id."""

from __future__ import annotations

import pytest

from dpn import model, naming
from dpn.blueprint import from_dict
from dpn.errors import BlueprintError, InputError

META = {"org": "acme", "env": "dev", "project": "lake", "region": "us-east-1"}


@pytest.mark.parametrize(("user", "normalised"), [
    ("alice", "alice"), ("Jane.Doe", "jane-doe"), ("jane.doe@acme.com", "jane-doe"),
    ("J__D--x", "j-d-x"), ("bob+ci", "bob-ci"), ("  Eve ", "eve"), ("007", "007"),
])
def test_user_names_are_normalised(user: str, normalised: str) -> None:
    assert naming.normalise_user(user) == normalised


@pytest.mark.parametrize("user", ["", "   ", "a b", "a/b", "é", "...", "x" * 33, "a;rm"])
def test_bad_user_names_are_refused(user: str) -> None:
    with pytest.raises(ValueError, match="dev user"):
        naming.normalise_user(user)


def test_prefix_follows_each_type_style() -> None:
    assert naming.dev_prefix(model.S3_BUCKET, "Jane.Doe") == "dev-jane-doe-"
    assert naming.dev_prefix(model.CLUSTER, "jane_doe") == "dev-jane-doe-"
    assert naming.dev_prefix(model.GLUE_DATABASE, "jane.doe") == "dev_jane_doe_"
    assert naming.dev_prefix(model.CATALOG, "jane") == "dev_jane_"


def doc(resources: dict) -> dict:
    return {"version": 1, "metadata": META, "resources": resources}


EVERY_TYPE = {
    "landing": {"type": "aws.s3_bucket", "layer": "raw", "purpose": "landing"},
    "db": {"type": "aws.glue_database", "domain": "sales", "layer": "silver"},
    "orders": {"type": "aws.glue_table", "database": "${db}", "entity": "orders"},
    "etl": {"type": "dbx.cluster", "purpose": "etl", "spark_version": "15.4.x-scala2.12",
            "node_type_id": "i3.xlarge"},
    "job": {"type": "dbx.job", "purpose": "nightly", "tasks": [
        {"task_key": "a", "existing_cluster_id": "${etl.id}",
         "notebook_task": {"notebook_path": "/x"}}]},
    "cat": {"type": "dbx.catalog", "domain": "sales"},
    "gold": {"type": "dbx.schema", "catalog": "${cat}", "layer": "gold"},
    "tbl": {"type": "dbx.table", "schema": "${gold}", "entity": "orders",
            "columns": [{"name": "a", "type": "INT"}], "storage_location": "s3://b/x"},
}


def test_every_name_gets_the_prefix_and_keeps_its_type_rules() -> None:
    bp = from_dict(doc(EVERY_TYPE), dev_user="Jane.Doe@acme.com")
    names = {k: r.name for k, r in bp.resources.items()}
    assert names == {"landing": "dev-jane-doe-acme-dev-lake-raw-landing",
                     "db": "dev_jane_doe_dev_sales_silver", "orders": "dev_jane_doe_orders",
                     "etl": "dev-jane-doe-dev-lake-etl", "job": "dev-jane-doe-dev-lake-nightly",
                     "cat": "dev_jane_doe_dev_sales", "gold": "dev_jane_doe_gold",
                     "tbl": "dev_jane_doe_orders"}
    for key, res in bp.resources.items():
        assert naming.check(res.type, res.name) == [], key
    assert bp.stack == "acme-dev-lake-dev-jane-doe"
    assert bp.resources["landing"].props["tags"]["dpn:stack"] == bp.stack
    shared = from_dict(doc(EVERY_TYPE))
    assert shared.stack == "acme-dev-lake"
    assert shared.resources["landing"].name == "acme-dev-lake-raw-landing"


def test_a_prefixed_name_too_long_is_cut_with_its_hash() -> None:
    purpose = "p" * 38  # 63 characters without the prefix: fits; with it: cut
    bp = from_dict(doc({"b": {"type": "aws.s3_bucket", "layer": "raw", "purpose": purpose}}),
                   dev_user="a" * 32)
    res = bp.resources["b"]
    assert len(res.name) == 63 and res.full_name.startswith("dev-" + "a" * 32 + "-acme")
    assert res.name == naming.truncate(model.S3_BUCKET, res.full_name)
    assert naming.check(model.S3_BUCKET, res.name) == []


def test_explicit_names_are_prefixed_too() -> None:
    bp = from_dict(doc({"c": {"type": "dbx.catalog", "name": "shared_cat"}}), dev_user="bo")
    assert bp.resources["c"].name == "dev_bo_shared_cat"


def test_a_bad_user_is_an_input_error_before_anything_else() -> None:
    with pytest.raises(InputError, match="dev user 'a b'") as info:
        from_dict(doc(EVERY_TYPE), dev_user="a b")
    assert not isinstance(info.value, BlueprintError)
