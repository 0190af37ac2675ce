"""Unity Catalog providers against the dpn Databricks emulator, over real HTTP with the
unpatched databricks-sdk: catalogs, schemas, tables, bulk reads."""

from __future__ import annotations

import uuid

import pytest

from dpn.canonical import diff
from dpn.errors import AlreadyExists, InvalidRequest, NotEmpty
from dpn.providers.base import Spec
from dpn.providers.databricks import build

pytestmark = pytest.mark.integration
STACK = "acme-dev-lake"


def tags(key: str) -> dict[str, str]:
    return {"dpn:stack": STACK, "dpn:key": key, "cost_center": "cc-1"}


@pytest.fixture
def dbx(sandbox, tmp_path):
    return build(sandbox.settings(), tmp_path)


@pytest.fixture
def name() -> str:
    return "t" + uuid.uuid4().hex[:10]


def catalog_spec(name: str, **props) -> Spec:
    return Spec("sales", "dbx.catalog", name, {"properties": tags("sales"), **props})


def schema_spec(catalog: str, name: str = "gold", **props) -> Spec:
    return Spec("gold", "dbx.schema", name, {"catalog": catalog, "properties": tags("gold"),
                                             **props})


def table_spec(schema: str, name: str = "orders", **props) -> Spec:
    return Spec("orders", "dbx.table", name, {
        "schema": schema, "storage_location": f"s3://landing/{schema}/{name}/",
        "columns": [{"name": "order_id", "type": "BIGINT", "comment": "key"},
                    {"name": "amount", "type": "DECIMAL(12,2)"},
                    {"name": "note", "type": "string"}],
        "properties": tags("orders"), **props})


def schema_names(dbx, catalog: str) -> set[str]:
    return {s.name for s in dbx["dbx.schema"].client.schemas.list(catalog)}


def test_catalog_lifecycle_and_default_schema_removal(dbx, name):
    provider = dbx["dbx.catalog"]
    spec = catalog_spec(name, comment="sales data")
    assert provider.physical_id(spec) == name
    created = provider.create(spec)
    assert created.id == name and created.attrs["full_name"] == name
    assert created.owned_by(STACK, "sales")
    assert not diff(provider.type, created.props, spec.props).changed
    assert "default" not in schema_names(dbx, name)
    assert provider.find(spec) == created

    changed = catalog_spec(name, comment="new", properties={**tags("sales"), "tier": "gold"})
    assert diff(provider.type, created.props, changed.props).update
    updated = provider.update(name, changed)
    assert updated.props["comment"] == "new" and updated.tags["tier"] == "gold"
    assert not diff(provider.type, provider.read(name).props, changed.props).changed

    provider.delete(name)
    assert provider.read(name) is None
    provider.delete(name)  # idempotent


def test_catalog_keeps_default_schema_when_asked_and_counts_it_as_empty(dbx, name):
    provider = dbx["dbx.catalog"]
    provider.create(catalog_spec(name, keep_default_schema=True))
    assert "default" in schema_names(dbx, name)
    provider.delete(name)  # only the empty platform schemas: no force_empty needed
    assert provider.read(name) is None


def test_catalog_with_content_is_not_deleted_without_force_empty(dbx, name):
    catalogs, schemas, tables = dbx["dbx.catalog"], dbx["dbx.schema"], dbx["dbx.table"]
    catalogs.create(catalog_spec(name))
    schemas.create(schema_spec(name))
    with pytest.raises(NotEmpty, match="gold"):
        catalogs.delete(name)
    assert catalogs.read(name) is not None
    tables.create(table_spec(f"{name}.gold"))
    catalogs.delete(name, force_empty=True)
    assert catalogs.read(name) is None


def test_catalog_with_a_table_in_default_is_not_empty(dbx, name):
    catalogs, tables = dbx["dbx.catalog"], dbx["dbx.table"]
    catalogs.create(catalog_spec(name, keep_default_schema=True))
    tables.create(table_spec(f"{name}.default"))
    with pytest.raises(NotEmpty):
        catalogs.delete(name)
    catalogs.delete(name, force_empty=True)
    assert catalogs.read(name) is None


def test_catalog_create_of_an_existing_name_is_already_exists(dbx, name):
    provider = dbx["dbx.catalog"]
    provider.create(catalog_spec(name))
    someone_elses = Spec("other", "dbx.catalog", name, {"properties": tags("other")})
    with pytest.raises(AlreadyExists) as info:
        provider.create(someone_elses)
    assert info.value.platform == "databricks"
    # the same spec again meets its own object: that is ours (a re-sent create)
    assert provider.create(catalog_spec(name)).owned_by(STACK, "sales")
    provider.delete(name)


def test_schema_lifecycle_and_not_empty(dbx, name):
    dbx["dbx.catalog"].create(catalog_spec(name))
    provider = dbx["dbx.schema"]
    spec = schema_spec(name, comment="gold layer")
    assert provider.physical_id(spec) == f"{name}.gold"
    created = provider.create(spec)
    assert created.id == f"{name}.gold" and created.attrs["full_name"] == f"{name}.gold"
    assert created.props["catalog"] == name
    assert not diff(provider.type, created.props, spec.props).changed
    assert provider.find(spec) == created
    with pytest.raises(AlreadyExists):
        provider.create(Spec("other", "dbx.schema", "gold",
                             {"catalog": name, "properties": tags("other")}))

    updated = provider.update(created.id, schema_spec(name, comment="golden"))
    assert updated.props["comment"] == "golden"

    dbx["dbx.table"].create(table_spec(created.id))
    with pytest.raises(NotEmpty):
        provider.delete(created.id)
    assert provider.read(created.id) is not None
    provider.delete(created.id, force_empty=True)
    assert provider.read(created.id) is None
    provider.delete(created.id)
    dbx["dbx.catalog"].delete(name)


def test_table_lifecycle(dbx, name):
    dbx["dbx.catalog"].create(catalog_spec(name))
    dbx["dbx.schema"].create(schema_spec(name))
    provider = dbx["dbx.table"]
    spec = table_spec(f"{name}.gold", comment="orders table")
    assert provider.physical_id(spec) == f"{name}.gold.orders"
    created = provider.create(spec)
    assert created.id == f"{name}.gold.orders"
    assert created.attrs == {"name": "orders", "id": created.id, "full_name": created.id}
    assert [c["name"] for c in created.props["columns"]] == ["order_id", "amount", "note"]
    assert created.props["columns"][0] == {"name": "order_id", "type": "BIGINT",
                                           "comment": "key", "nullable": True}
    assert created.props["data_source_format"] == "DELTA"
    assert created.props["comment"] == "orders table"
    assert created.owned_by(STACK, "orders")
    assert not diff(provider.type, created.props, spec.props).changed
    assert provider.find(spec) == created

    moved = table_spec(f"{name}.gold", storage_location="s3://elsewhere/orders/")
    assert "storage_location" in diff(provider.type, created.props, moved.props).replace
    with pytest.raises(InvalidRequest):
        provider.update(created.id, moved)
    with pytest.raises(AlreadyExists):
        provider.create(spec)

    provider.delete(created.id)
    assert provider.read(created.id) is None
    provider.delete(created.id)
    dbx["dbx.catalog"].delete(name, force_empty=True)


def test_table_with_unknown_column_type_is_rejected_before_any_call(dbx, dbx_faults, name):
    spec = table_spec(f"{name}.gold", columns=[{"name": "x", "type": "HYPERLOGLOG"}])
    dbx_faults.clear_requests()
    with pytest.raises(InvalidRequest, match="HYPERLOGLOG"):
        dbx["dbx.table"].create(spec)
    assert not [r for r in dbx_faults.requests() if r["method"] == "POST"]


def test_read_many_costs_calls_per_parent_not_per_object(dbx, dbx_faults, name):
    catalogs, schemas, tables = dbx["dbx.catalog"], dbx["dbx.schema"], dbx["dbx.table"]
    catalogs.create(catalog_spec(name))
    table_ids: list[str] = []
    schema_ids: list[str] = []
    for s in range(4):
        schema_ids.append(schemas.create(schema_spec(name, f"s{s}")).id)
        for t in range(50):
            spec = table_spec(schema_ids[-1], f"t{t:03d}")
            table_ids.append(tables.create(spec).id)
    missing = f"{name}.s0.nope"
    dbx_faults.clear_requests()
    found = tables.read_many([*table_ids, missing])
    table_calls = len(dbx_faults.requests())
    assert len(found) == 201 and found[missing] is None
    assert all(found[i] is not None and found[i].id == i for i in table_ids)
    assert found[table_ids[0]] == tables.read(table_ids[0])
    # 4 schemas; the emulator pages tables, so a few pages per schema at most.
    assert table_calls <= 4 * 3, table_calls

    dbx_faults.clear_requests()
    got = schemas.read_many([*schema_ids, f"{name}.nope", "no_such_catalog.x"])
    assert all(got[i] is not None for i in schema_ids) and got[f"{name}.nope"] is None
    assert got["no_such_catalog.x"] is None
    assert len(dbx_faults.requests()) <= 2 * 2

    dbx_faults.clear_requests()
    cats = catalogs.read_many([name, "no_such_catalog"])
    assert cats[name] is not None and cats["no_such_catalog"] is None
    assert len(dbx_faults.requests()) <= 2
    catalogs.delete(name, force_empty=True)


def test_update_replaces_properties_and_clears_comment(dbx, name):
    provider = dbx["dbx.catalog"]
    provider.create(catalog_spec(name, comment="c", properties={**tags("sales"), "tier": "1"}))
    updated = provider.update(name, catalog_spec(name))
    assert "tier" not in updated.tags and "comment" not in updated.props
    assert not diff(provider.type, updated.props, catalog_spec(name).props).changed
    schemas = dbx["dbx.schema"]
    schemas.create(schema_spec(name, properties={**tags("gold"), "tier": "1"}, comment="c"))
    updated = schemas.update(f"{name}.gold", schema_spec(name))
    assert "tier" not in updated.tags and "comment" not in updated.props
    provider.delete(name, force_empty=True)


def test_a_managed_default_schema_adopts_the_kept_platform_one(dbx, name):
    dbx["dbx.catalog"].create(catalog_spec(name, keep_default_schema=True))
    spec = schema_spec(name, "default", comment="ours now")
    adopted = dbx["dbx.schema"].create(spec)
    assert adopted.id == f"{name}.default" and adopted.owned_by(STACK, "gold")
    assert not diff("dbx.schema", adopted.props, spec.props).changed
    with pytest.raises(AlreadyExists):  # now tagged: a second create is not an adoption
        dbx["dbx.schema"].create(schema_spec(name, "default"))
    dbx["dbx.catalog"].delete(name, force_empty=True)


def test_catalog_storage_root_round_trips(dbx, name):
    spec = catalog_spec(name, storage_root=f"s3://lake/{name}")
    created = dbx["dbx.catalog"].create(spec)
    assert created.props["storage_root"] == f"s3://lake/{name}"
    assert not diff("dbx.catalog", created.props, spec.props).changed
    dbx["dbx.catalog"].delete(name)
