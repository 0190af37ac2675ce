"""Unity Catalog catalogs, schemas and tables of the emulator, through databricks-sdk."""

from __future__ import annotations

import pytest
from databricks.sdk.errors import (
    BadRequest,
    InvalidParameterValue,
    InvalidState,
    NotFound,
)
from databricks.sdk.service.catalog import (
    ColumnInfo,
    ColumnTypeName,
    DataSourceFormat,
    TableType,
)

pytestmark = pytest.mark.integration


def _table(workspace, catalog="sales", schema="gold", name="Orders"):
    return workspace.tables.create(
        name=name, catalog_name=catalog, schema_name=schema, table_type=TableType.EXTERNAL,
        data_source_format=DataSourceFormat.DELTA,
        storage_location=f"s3://bucket/{schema}/{name.lower()}/",
        columns=[ColumnInfo(name="order_id", type_name=ColumnTypeName.LONG, type_text="bigint",
                            position=0, nullable=False, comment="key")],
        properties={"dpn:stack": "s"})


def test_catalog_lifecycle_and_fields(clean_sandbox, workspace):
    created = workspace.catalogs.create(name="Sales", comment="c", properties={"k": "v"},
                                        storage_root="s3://bucket/root")
    assert created.name == "sales" and created.full_name == "sales"
    assert created.comment == "c" and created.properties == {"k": "v"}
    assert created.storage_root == "s3://bucket/root"
    assert created.owner and created.created_at and created.updated_at
    assert created.metastore_id and created.catalog_type.value == "MANAGED_CATALOG"
    assert workspace.catalogs.get("SALES").created_at == created.created_at
    raw = workspace.api_client.do("GET", "/api/2.1/unity-catalog/catalogs/sales")
    assert raw["id"] and raw["securable_type"] == "CATALOG"
    schemas = sorted(s.name for s in workspace.schemas.list(catalog_name="sales"))
    assert schemas == ["default", "information_schema"]
    updated = workspace.catalogs.update("sales", comment="c2", properties={"a": "b"})
    assert updated.comment == "c2" and updated.properties == {"a": "b"}
    renamed = workspace.catalogs.update("sales", new_name="sales2")
    assert renamed.name == "sales2"
    assert workspace.schemas.get("sales2.default").catalog_name == "sales2"
    with pytest.raises(NotFound, match="Catalog 'sales' does not exist"):
        workspace.catalogs.get("sales")


def test_duplicates_are_bad_request_with_code(clean_sandbox, workspace):
    workspace.catalogs.create(name="sales")
    with pytest.raises(BadRequest) as info:
        workspace.catalogs.create(name="SALES")
    assert info.value.error_code == "CATALOG_ALREADY_EXISTS"
    workspace.schemas.create(name="gold", catalog_name="sales")
    with pytest.raises(BadRequest) as info:
        workspace.schemas.create(name="Gold", catalog_name="sales")
    assert info.value.error_code == "SCHEMA_ALREADY_EXISTS"
    _table(workspace)
    with pytest.raises(BadRequest) as info:
        _table(workspace, name="orders")
    assert info.value.error_code == "TABLE_ALREADY_EXISTS"


def test_missing_objects_are_not_found(clean_sandbox, workspace):
    with pytest.raises(NotFound) as info:
        workspace.catalogs.get("nope")
    assert info.value.error_code == "CATALOG_DOES_NOT_EXIST"
    with pytest.raises(NotFound, match="Catalog 'nope' does not exist"):
        workspace.schemas.create(name="s", catalog_name="nope")
    workspace.catalogs.create(name="sales")
    with pytest.raises(NotFound, match="Schema 'sales.nope' does not exist"):
        workspace.schemas.get("sales.nope")
    with pytest.raises(NotFound, match="Schema 'sales.nope' does not exist"):
        _table(workspace, schema="nope")
    with pytest.raises(NotFound, match="Table 'sales.default.nope' does not exist"):
        workspace.tables.get("sales.default.nope")
    with pytest.raises(NotFound):
        workspace.catalogs.delete("nope")


def test_non_empty_catalog_and_schema_need_force(clean_sandbox, workspace):
    workspace.catalogs.create(name="sales")
    workspace.schemas.create(name="gold", catalog_name="sales")
    _table(workspace)
    with pytest.raises(InvalidState, match="is not empty"):
        workspace.schemas.delete("sales.gold")
    with pytest.raises(InvalidState, match="is not empty"):
        workspace.catalogs.delete("sales")
    workspace.schemas.delete("sales.gold", force=True)
    assert not workspace.tables.exists("sales.default.orders").table_exists
    workspace.schemas.delete("sales.default")
    workspace.catalogs.delete("sales")  # only information_schema left: empty
    workspace.catalogs.create(name="other")
    workspace.schemas.create(name="s", catalog_name="other")
    workspace.catalogs.delete("other", force=True)
    assert [c.name for c in workspace.catalogs.list()] == []


def test_schema_update_and_rename(clean_sandbox, workspace):
    workspace.catalogs.create(name="sales")
    schema = workspace.schemas.create(name="Gold", catalog_name="Sales", comment="g",
                                      properties={"dpn:key": "k"})
    assert schema.full_name == "sales.gold" and schema.properties == {"dpn:key": "k"}
    _table(workspace)
    updated = workspace.schemas.update("sales.gold", comment="g2", new_name="platinum")
    assert updated.full_name == "sales.platinum" and updated.comment == "g2"
    assert workspace.tables.get("sales.platinum.orders").schema_name == "platinum"
    with pytest.raises(InvalidParameterValue):
        workspace.schemas.delete("sales.information_schema")


def test_table_create_get_exists_update_delete(clean_sandbox, workspace):
    workspace.catalogs.create(name="sales")
    workspace.schemas.create(name="gold", catalog_name="sales")
    created = _table(workspace)
    assert created.full_name == "sales.gold.orders" and created.name == "orders"
    assert created.table_type == TableType.EXTERNAL
    assert created.data_source_format == DataSourceFormat.DELTA
    table = workspace.tables.get("SALES.gold.ORDERS")
    assert table.columns[0].name == "order_id" and table.columns[0].type_text == "bigint"
    assert table.columns[0].nullable is False and table.columns[0].comment == "key"
    assert '"type":"long"' in table.columns[0].type_json
    assert table.storage_location == "s3://bucket/gold/orders"  # the service strips the slash
    assert table.properties["dpn:stack"] == "s"  # the service adds delta.* beside it
    assert table.properties["delta.minReaderVersion"] == "1"
    assert workspace.tables.exists("sales.gold.orders").table_exists
    workspace.tables.update("sales.gold.orders", owner="data-platform")
    assert workspace.tables.get("sales.gold.orders").owner == "data-platform"
    workspace.tables.delete("sales.gold.orders")
    assert not workspace.tables.exists("sales.gold.orders").table_exists


def test_table_validation(clean_sandbox, workspace):
    workspace.catalogs.create(name="sales")
    with pytest.raises(InvalidParameterValue, match="storage_location"):
        workspace.api_client.do("POST", "/api/2.1/unity-catalog/tables", body={
            "name": "t", "catalog_name": "sales", "schema_name": "default",
            "table_type": "EXTERNAL", "data_source_format": "DELTA"})
    with pytest.raises(InvalidParameterValue, match="MANAGED"):
        workspace.api_client.do("POST", "/api/2.1/unity-catalog/tables", body={
            "name": "t", "catalog_name": "sales", "schema_name": "default",
            "table_type": "MANAGED", "data_source_format": "DELTA",
            "storage_location": "s3://b/t"})
    with pytest.raises(InvalidParameterValue, match="Invalid name"):
        workspace.catalogs.create(name="bad name")


def test_lists_paginate(clean_sandbox, workspace):
    for i in range(5):
        workspace.catalogs.create(name=f"cat{i}")
    page = workspace.api_client.do("GET", "/api/2.1/unity-catalog/catalogs",
                                   query={"max_results": 2})
    assert len(page["catalogs"]) == 2 and page["next_page_token"]
    assert [c.name for c in workspace.catalogs.list(max_results=2)] == [
        f"cat{i}" for i in range(5)]
    workspace.schemas.create(name="gold", catalog_name="cat0")
    for i in range(3):
        _table(workspace, catalog="cat0", name=f"t{i}")
    names = [t.name for t in workspace.tables.list(catalog_name="cat0", schema_name="gold",
                                                   max_results=1)]
    assert names == ["t0", "t1", "t2"]
    assert len(list(workspace.schemas.list(catalog_name="cat0", max_results=1))) == 3


def test_concurrent_creates_are_serialised(clean_sandbox, workspace):
    from concurrent.futures import ThreadPoolExecutor

    def create(_: int) -> str:
        try:
            workspace.catalogs.create(name="race")
            return "created"
        except BadRequest as exc:
            return str(exc.error_code)

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(create, range(16)))
    assert outcomes.count("created") == 1
    assert outcomes.count("CATALOG_ALREADY_EXISTS") == 15
    body = {"cluster_name": "etl", "spark_version": "15.4.x-scala2.12",
            "node_type_id": "i3.xlarge", "num_workers": 1, "idempotency_token": "race"}
    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(lambda _: workspace.api_client.do(
            "POST", "/api/2.1/clusters/create", body=body)["cluster_id"], range(16)))
    assert len(ids) == 1
