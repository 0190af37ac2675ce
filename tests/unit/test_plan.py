"""Planning: desired vs state vs live."""

from __future__ import annotations

from typing import Any

import pytest

from dpn import model
from dpn.blueprint import BlueprintBuilder, from_dict
from dpn.blueprint.attrs import static_attrs
from dpn.blueprint.refs import resolve
from dpn.graph import order
from dpn.plan import Action, Plan, make_plan
from dpn.providers.base import Observed

META = {"org": "acme", "env": "dev", "project": "lake", "region": "us-east-1"}


def blueprint(**overrides: Any) -> model.Blueprint:
    resources: dict[str, Any] = {
        "landing": {"type": "aws.s3_bucket", "layer": "raw", "purpose": "landing"},
        "db": {"type": "aws.glue_database", "domain": "sales", "layer": "silver",
               "location_uri": "s3://${landing}/db/"},
        "orders": {"type": "aws.glue_table", "database": "${db}", "entity": "orders",
                   "format": "parquet"},
        "etl": {"type": "dbx.cluster", "purpose": "etl", "spark_version": "15.4.x-scala2.12",
                "node_type_id": "i3.xlarge", "num_workers": 1},
        "job": {"type": "dbx.job", "purpose": "nightly", "tasks": [
            {"task_key": "a", "existing_cluster_id": "${etl.id}",
             "notebook_task": {"notebook_path": "/x",
                               "base_parameters": {"t": "${orders.full_name}"}}}]},
    }
    for key, value in overrides.items():
        if value is None:
            resources.pop(key)
        else:
            resources[key] = value
    return from_dict({"version": 1, "metadata": META, "resources": resources})


def applied(bp: model.Blueprint) -> model.StackState:
    """The state an apply of ``bp`` would record (cluster and job ids made up)."""
    attrs: dict[str, dict[str, str]] = {}
    records = {}
    for key in order({k: r.depends_on for k, r in bp.resources.items()}):
        res = bp.resources[key]
        props = resolve(res.props, lambda k, a: attrs[k].get(a))
        found = static_attrs(res.type, res.name, props)
        found.setdefault("id", f"id-{key}")
        attrs[key] = found
        records[key] = model.ResourceState(key, res.type, res.name, found["id"],
                                           model.freeze(props), found, res.depends_on)
    return model.StackState(bp.stack, 1, records)


def actions(plan: Plan) -> dict[str, str]:
    return {c.key: c.action.value for c in plan.changes}


def test_empty_state_creates_everything_in_dependency_order() -> None:
    plan = make_plan(blueprint(), None)
    assert [c.key for c in plan.changes] == ["etl", "landing", "db", "orders", "job"]
    assert set(actions(plan).values()) == {"create"}
    job = plan.changes[-1]
    task = job.after["tasks"][0]
    assert task["existing_cluster_id"] == model.UNKNOWN
    assert task["notebook_task"]["base_parameters"]["t"] == "dev_sales_silver.orders"
    orders = plan.changes[3]
    assert orders.after["database"] == "dev_sales_silver"
    assert orders.id == "dev_sales_silver.orders"
    assert plan.changes[0].id is None  # a cluster's id is known after apply
    assert plan.summary() == {"create": 5, "update": 0, "replace": 0, "delete": 0, "no-op": 0}


def test_applied_state_gives_no_ops() -> None:
    bp = blueprint()
    plan = make_plan(bp, applied(bp))
    assert set(actions(plan).values()) == {"no-op"}
    assert plan.empty
    job = next(c for c in plan.changes if c.key == "job")
    assert job.after["tasks"][0]["existing_cluster_id"] == "id-etl"
    assert job.id == "id-job"


def test_update_replace_and_delete() -> None:
    state = applied(blueprint())
    bp = blueprint(
        landing={"type": "aws.s3_bucket", "layer": "raw", "purpose": "landing",
                 "versioning": False},
        orders={"type": "aws.glue_table", "database": "legacy_db", "entity": "orders",
                "format": "parquet"},
        etl=None, job=None,
    )
    plan = make_plan(bp, state)
    assert actions(plan) == {"landing": "update", "db": "no-op", "orders": "replace",
                             "job": "delete", "etl": "delete"}
    assert [c.key for c in plan.changes][-2:] == ["job", "etl"]  # dependents deleted first
    landing = plan.changes[0]
    assert landing.diff_fields == ("versioning",)
    assert landing.before is not None and landing.after is not None
    orders = next(c for c in plan.changes if c.key == "orders")
    assert orders.diff_fields == ("database",)
    deleted = next(c for c in plan.changes if c.key == "etl")
    assert deleted.after is None and deleted.before["num_workers"] == 1
    assert deleted.id == "id-etl"


def test_new_name_means_replace_and_unknown_ids_ripple() -> None:
    state = applied(blueprint())
    bp = blueprint(etl={"type": "dbx.cluster", "purpose": "etl2",
                        "spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge",
                        "num_workers": 1})
    plan = make_plan(bp, state)
    etl = next(c for c in plan.changes if c.key == "etl")
    assert etl.action is Action.REPLACE and "name" in etl.diff_fields
    job = next(c for c in plan.changes if c.key == "job")
    assert job.action is Action.UPDATE and job.diff_fields == ("tasks",)
    assert job.after["tasks"][0]["existing_cluster_id"] == model.UNKNOWN


def test_live_reads_drive_drift_and_outside_deletes() -> None:
    bp = blueprint()
    state = applied(bp)
    live: dict[str, Observed | None] = {
        k: Observed(id=r.id, name=r.name, props=r.props, attrs=r.attrs)
        for k, r in state.resources.items()}
    live["landing"] = None
    drifted = dict(state.resources["etl"].props)
    drifted["num_workers"] = 5
    live["etl"] = Observed(id="id-etl", name="dev-lake-etl", props=drifted)
    plan = make_plan(bp, state, live)
    assert actions(plan) == {"etl": "update", "landing": "create", "db": "no-op",
                             "orders": "no-op", "job": "no-op"}
    assert plan.warnings == ("landing: aws.s3_bucket 'acme-dev-lake-raw-landing' was deleted "
                             "outside dpn; it will be created again",)
    etl = next(c for c in plan.changes if c.key == "etl")
    assert etl.before["num_workers"] == 5 and etl.after["num_workers"] == 1


def test_json_shape_is_exactly_the_documented_one() -> None:
    bp = blueprint()
    state = applied(blueprint(etl=None, job=None))
    data = make_plan(bp, state).to_json()
    assert list(data)[:4] == ["stack", "changes", "summary", "warnings"]
    assert {"drift", "serial", "digest"} <= set(data)
    assert data["stack"] == "acme-dev-lake"
    for change in data["changes"]:
        assert list(change) == ["key", "type", "name", "action", "depends_on", "before",
                                "after"]
        assert change["action"] in {"create", "update", "replace", "delete", "no-op"}
    assert data["summary"] == {"create": 2, "update": 0, "replace": 0, "delete": 0,
                               "no-op": 3}
    assert data["warnings"] == []


def test_json_text_round_trips() -> None:
    import json

    plan = make_plan(blueprint(), None)
    assert json.loads(plan.to_json_text()) == plan.to_json()
    empty = Plan(stack="s", changes=())
    assert json.loads(empty.to_json_text())["changes"] == []


def test_truncated_names_are_shown_in_full_in_warnings() -> None:
    bp = blueprint(landing={"type": "aws.s3_bucket", "layer": "raw", "purpose": "x" * 70})
    plan = make_plan(bp, None)
    assert any("is longer than aws.s3_bucket allows; it is cut to" in w
               for w in plan.warnings)


def test_live_without_a_key_falls_back_to_state() -> None:
    bp = blueprint()
    plan = make_plan(bp, applied(bp), {})
    assert set(actions(plan).values()) == {"no-op"} and plan.warnings == ()


def test_changed_type_under_the_same_key_is_refused() -> None:
    import pytest

    from dpn.errors import InputError

    state = applied(blueprint())
    bp = blueprint(landing={"type": "dbx.catalog", "domain": "landing"},
                   db={"type": "aws.glue_database", "domain": "sales", "layer": "silver"})
    with pytest.raises(InputError, match="'landing' was of type aws.s3_bucket and is now "
                                         "dbx.catalog"):
        make_plan(bp, state)


def test_a_replaced_container_takes_the_stack_objects_inside_it_along() -> None:
    from dpn.errors import InputError
    from dpn.model import ResourceState, StackState, freeze
    meta = {"org": "acme", "env": "dev", "project": "lake", "region": "us-east-1"}
    bp = BlueprintBuilder().with_metadata(**meta)
    bp = bp.add_catalog("sales", domain="sales", storage_root="s3://b/new")
    bp = bp.add_schema("gold", catalog="${sales}", layer="gold")
    bp = bp.add_schema("silver", catalog="${sales}", layer="silver", comment="s")
    bp = bp.add_table("orders", schema="${gold}", entity="orders",
                      storage_location="s3://b/orders",
                      columns=[{"name": "id", "type": "bigint"}]).build()
    asked = {c.key: c for c in make_plan(bp, None).changes}
    state = StackState("acme-dev-lake", 1, freeze({
        "sales": ResourceState("sales", "dbx.catalog", "dev_sales", "dev_sales",
                               freeze({"storage_root": "s3://b/old"}), freeze({})),
        "gold": ResourceState("gold", "dbx.schema", "gold", "dev_sales.gold",
                              freeze({"catalog": "dev_sales"}), freeze({})),
        "silver": ResourceState("silver", "dbx.schema", "silver", "dev_sales.silver",
                                freeze({"catalog": "dev_sales"}), freeze({})),
        "orders": ResourceState("orders", "dbx.table", "orders", "dev_sales.gold.orders",
                                freeze(dict(asked["orders"].after or {})), freeze({}))}))
    changes = {c.key: c for c in make_plan(bp, state).changes}
    assert {k: c.action.value for k, c in changes.items()} == {
        "sales": "replace", "gold": "replace", "silver": "replace", "orders": "replace"}
    assert changes["sales"].effects == ()
    assert changes["gold"].effects == ("replaced with sales, which holds it",)
    assert changes["orders"].effects == ("replaced with gold, which holds it",)
    assert "comment" in changes["silver"].diff_fields  # what else changes still shows
    leaving = BlueprintBuilder().with_metadata(**meta).add_catalog(
        "sales", domain="sales", storage_root="s3://b/new").add_schema(
        "gold", catalog="${sales}", layer="gold").add_table(
        "orders", schema="${gold}", entity="orders", storage_location="s3://b/orders",
        columns=[{"name": "id", "type": "bigint"}]).build()
    with pytest.raises(InputError, match=r"sales: dbx.catalog 'dev_sales' would be replaced, "
                                         r"but it still holds silver, which leaves"):
        make_plan(leaving, state)

def test_the_grants_on_a_replaced_object_are_replaced_with_it() -> None:
    from dpn.model import ResourceState, StackState, freeze
    meta = {"org": "acme", "env": "dev", "project": "lake", "region": "us-east-1"}
    doc = {"version": 1, "metadata": meta, "resources": {
        "sales": {"type": "dbx.catalog", "domain": "sales", "storage_root": "s3://b/new"},
        "sales_grants": {"type": "dbx.grants", "securable": "${sales}",
                         "privileges": {"analysts": ["USE_CATALOG"]}}}}
    from dpn.blueprint import from_dict
    bp = from_dict(doc)
    asked = {c.key: c for c in make_plan(bp, None).changes}
    state = StackState("acme-dev-lake", 1, freeze({
        "sales": ResourceState("sales", "dbx.catalog", "dev_sales", "dev_sales",
                               freeze({"storage_root": "s3://b/old"}), freeze({})),
        "sales_grants": ResourceState(
            "sales_grants", "dbx.grants", "sales_grants", "catalog/dev_sales",
            freeze(dict(asked["sales_grants"].after or {})), freeze({}), ("sales",))}))
    changes = {c.key: c for c in make_plan(bp, state).changes}
    assert changes["sales"].action.value == "replace"
    assert changes["sales_grants"].action.value == "replace"
    assert changes["sales_grants"].effects == ("replaced with sales, which it is granted on",)
