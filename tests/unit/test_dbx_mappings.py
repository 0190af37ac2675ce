"""Pure mappings of the Databricks providers: columns, cluster spec, job settings, diffs."""

from __future__ import annotations

import json

import pytest

from dpn.canonical import canonical, diff
from dpn.errors import InvalidRequest
from dpn.model import CATALOG, CLUSTER, JOB, TABLE, freeze
from dpn.providers.databricks.clusters import (
    cluster_body,
    cluster_props,
    idempotency_token,
)
from dpn.providers.databricks.jobs import job_observed, settings_body
from dpn.providers.databricks.tables import (
    column_from_info,
    column_info,
    table_observed,
)
from dpn.providers.databricks.uc import catalog_observed

TAGS = {"dpn:stack": "acme-dev-lake", "dpn:key": "etl"}


@pytest.mark.parametrize(
    ("text", "type_name", "spark", "extra"),
    [
        ("BIGINT", "LONG", "long", {}),
        ("int", "INT", "integer", {}),
        ("STRING", "STRING", "string", {}),
        ("timestamp_ntz", "TIMESTAMP_NTZ", "timestamp_ntz", {}),
        ("DECIMAL(12, 2)", "DECIMAL", "decimal(12,2)", {"type_precision": 12, "type_scale": 2}),
        ("decimal", "DECIMAL", "decimal(10,0)", {"type_precision": 10, "type_scale": 0}),
        ("ARRAY<STRING>", "ARRAY", "array<string>", {}),
        ("struct<a:int,b:string>", "STRUCT", "struct<a:int,b:string>", {}),
    ],
)
def test_column_info_maps_sql_types(text, type_name, spark, extra):
    info = column_info({"name": "c", "type": text, "comment": "the c"}, 3)
    assert info["type_name"] == type_name
    assert info["type_text"] == text.lower()
    assert info["position"] == 3 and info["nullable"] is True
    assert info["comment"] == "the c"
    assert json.loads(info["type_json"]) == {
        "name": "c", "type": spark, "nullable": True, "metadata": {"comment": "the c"}}
    for key, value in extra.items():
        assert info[key] == value


def test_column_info_rejects_unknown_types():
    with pytest.raises(InvalidRequest, match="unsupported type"):
        column_info({"name": "c", "type": "HYPERLOGLOG"}, 0)
    with pytest.raises(InvalidRequest, match="bad decimal"):
        column_info({"name": "c", "type": "DECIMAL(x)"}, 0)


def test_columns_round_trip_through_column_info():
    columns = [{"name": "id", "type": "BIGINT", "comment": "key"}, {"name": "v", "type": "string"}]
    back = [column_from_info(column_info(c, i)) for i, c in enumerate(columns)]
    assert canonical(TABLE, {"columns": back}) == canonical(TABLE, {"columns": columns})
    assert back[0] == {"name": "id", "type": "BIGINT", "comment": "key", "nullable": True}


def test_a_column_that_is_not_nullable_is_sent_and_read_so():
    info = column_info({"name": "id", "type": "BIGINT", "nullable": False}, 0)
    assert info["nullable"] is False and json.loads(info["type_json"])["nullable"] is False
    assert column_from_info(info)["nullable"] is False


def test_table_observed_orders_columns_and_defaults():
    obs = table_observed({
        "name": "orders", "catalog_name": "c", "schema_name": "s", "full_name": "c.s.orders",
        "columns": [{"name": "b", "type_text": "string", "position": 1},
                    {"name": "a", "type_text": "bigint", "position": 0}],
        "storage_location": "s3://b/o", "data_source_format": "DELTA",
        "properties": {"dpn:key": "orders"}})
    assert obs.id == "c.s.orders" and obs.attrs["full_name"] == "c.s.orders"
    assert [c["name"] for c in obs.props["columns"]] == ["a", "b"]
    assert obs.props["schema"] == "c.s" and obs.tags == {"dpn:key": "orders"}


def test_table_diff_ignores_platform_added_delta_properties():
    desired = {"schema": "c.s", "columns": [{"name": "a", "type": "BIGINT"}],
               "storage_location": "s3://b/o", "properties": dict(TAGS)}
    live = dict(desired, data_source_format="DELTA", columns=[{"name": "a", "type": "bigint"}],
                properties={**TAGS, "delta.minReaderVersion": "1"})
    assert not diff(TABLE, freeze(live), freeze(desired)).changed
    changed = diff(TABLE, freeze(live), freeze(dict(desired, storage_location="s3://b/x")))
    assert "storage_location" in changed.replace + changed.update


def test_cluster_body_prefers_autoscale_and_defaults_workers():
    body = cluster_body("dev-lake-etl", {"spark_version": "15.4.x-scala2.12",
                                         "autoscale": {"min_workers": 1, "max_workers": 4},
                                         "num_workers": 2, "custom_tags": TAGS})
    assert "num_workers" not in body
    assert body["autoscale"] == {"min_workers": 1, "max_workers": 4}
    assert body["cluster_name"] == "dev-lake-etl" and body["custom_tags"] == TAGS
    assert cluster_body("x", {"spark_version": "v"})["num_workers"] == 0


def test_cluster_props_keep_only_the_vocabulary():
    details = {"cluster_id": "0101-abc", "cluster_name": "n", "spark_version": "v",
               "node_type_id": "i3.xlarge", "num_workers": 3, "state": "RUNNING",
               "autotermination_minutes": 30, "custom_tags": TAGS, "driver": {"host": "x"},
               "data_security_mode": "SINGLE_USER", "default_tags": {"Vendor": "Databricks"}}
    assert cluster_props(details) == {
        "spark_version": "v", "node_type_id": "i3.xlarge", "num_workers": 3,
        "autotermination_minutes": 30, "custom_tags": TAGS, "data_security_mode": "SINGLE_USER"}
    scaled = cluster_props({**details, "autoscale": {"min_workers": 1, "max_workers": 2}})
    assert "num_workers" not in scaled


def test_cluster_diff_empty_after_round_trip_and_reports_changes():
    desired = canonical(CLUSTER, {"spark_version": "v", "node_type_id": "n", "num_workers": 2,
                                  "custom_tags": TAGS})
    live = cluster_props({**cluster_body("x", desired), "cluster_id": "1", "state": "RUNNING"})
    assert not diff(CLUSTER, freeze(live), freeze(desired)).changed
    assert diff(CLUSTER, freeze(live), freeze(dict(desired, num_workers=3))).changed


def test_an_edit_keeps_the_settings_outside_the_vocabulary():
    current = {"cluster_id": "1", "cluster_name": "x", "spark_version": "v", "state": "RUNNING",
               "ssh_public_keys": ["ssh-rsa k"], "docker_image": {"url": "i"},
               "spark_env_vars": {"A": "1"}, "num_workers": 1}
    body = cluster_body("x", {"spark_version": "v", "num_workers": 2}, current)
    assert body["ssh_public_keys"] == ["ssh-rsa k"] and body["docker_image"] == {"url": "i"}
    assert "spark_env_vars" not in body and "state" not in body and body["num_workers"] == 2


def test_idempotency_token_is_bounded_and_stable():
    assert idempotency_token("tx1-etl") == "tx1-etl"
    long = "t" * 100
    assert len(idempotency_token(long)) == 64 and idempotency_token(long) == idempotency_token(long)


def test_job_settings_and_server_defaults():
    props = {"tasks": [{"task_key": "ingest", "existing_cluster_id": "c1",
                        "notebook_task": {"notebook_path": "/Shared/ingest"}}],
             "max_concurrent_runs": 1, "tags": TAGS}
    body = settings_body("dev-lake-nightly", props)
    assert body["name"] == "dev-lake-nightly" and body["tasks"] == props["tasks"]
    served = {"job_id": 42, "settings": {
        **body, "timeout_seconds": 0, "format": "MULTI_TASK",
        "tasks": [{**props["tasks"][0], "run_if": "ALL_SUCCESS", "timeout_seconds": 0,
                   "email_notifications": {},
                   "notebook_task": {"notebook_path": "/Shared/ingest", "source": "WORKSPACE"}}]}}
    obs = job_observed(served)
    assert obs.id == "42" and obs.attrs == {"name": "dev-lake-nightly", "id": "42"}
    assert "format" not in obs.props and obs.tags == TAGS
    assert not diff(JOB, obs.props, freeze(props)).changed


def test_a_reset_keeps_the_settings_outside_the_vocabulary():
    current = {"name": "j", "deployment": {"kind": "BUNDLE"}, "tags": {"old": "1"},
               "tasks": [{"task_key": "a", "disabled": True, "run_if": "ALL_DONE",
                          "notebook_task": {"notebook_path": "/a"}}]}
    props = {"tasks": [{"task_key": "a", "notebook_task": {"notebook_path": "/b"}}],
             "tags": TAGS}
    body = settings_body("j", props, current)
    assert body["deployment"] == {"kind": "BUNDLE"} and body["tags"] == TAGS
    assert body["tasks"] == [{"task_key": "a", "disabled": True,
                              "notebook_task": {"notebook_path": "/b"}}]


def test_catalog_diff_ignores_the_keep_default_schema_directive():
    obs = catalog_observed({"name": "dev_sales", "properties": TAGS, "comment": "c"})
    desired = {"comment": "c", "properties": TAGS, "keep_default_schema": True}
    assert not diff(CATALOG, obs.props, freeze(desired)).changed
    assert obs.attrs == {"name": "dev_sales", "id": "dev_sales", "full_name": "dev_sales"}
