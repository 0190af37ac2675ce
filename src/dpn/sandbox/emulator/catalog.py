"""Unity Catalog API 2.1: catalogs and schemas (tables: tables.py).

Names are case-insensitive and stored lower case; parents must exist (404
``CATALOG_DOES_NOT_EXIST`` / ``SCHEMA_DOES_NOT_EXIST``); duplicates are 400
``CATALOG_ALREADY_EXISTS`` / ``SCHEMA_ALREADY_EXISTS`` / ``TABLE_ALREADY_EXISTS``; a
catalog or schema with content is deleted only with ``force`` (else 400 ``INVALID_STATE``);
a new catalog gets ``default`` and ``information_schema`` schemas like the real service.
Storage paths lose their trailing slashes (``paths.storage_url``), a catalog or schema
with a ``storage_root`` reports its managed ``storage_location`` (``managed_location``),
and one created without ``properties`` gets UC's managed defaults
(``MANAGED_DEFAULT_PROPERTIES``). A catalog's or schema's volumes count and go with it
like its tables, and grants follow renames and deletes (``grantstore``). With
``enforce_access`` on, a create checks the storage preconditions of ``access.py``
(managed storage under an external location, or the metastore's root storage).
"""

from __future__ import annotations

import uuid
from typing import Any

from dpn.sandbox.emulator import access, uc
from dpn.sandbox.emulator.errors import invalid, invalid_state
from dpn.sandbox.emulator.paths import storage_url
from dpn.sandbox.emulator.request import (
    Request,
    check_type,
    optional,
    require,
    set_fields,
    string_map,
)
from dpn.sandbox.emulator.routing import Routes
from dpn.sandbox.emulator.workspace import Workspace

# What UC fills into a catalog's or schema's ``properties`` when the create sets none
# (absent or null; an explicit ``{}`` stays empty). The keys and values are the ones
# UC populates: source: databricks/cli libs/testserver/catalogs.go CatalogsCreate and
# schemas.go SchemasCreate ("Mirror UC: managed system defaults are populated when the
# user sets none"), recorded against a real workspace in acceptance/bundle/resources/
# {catalogs,schemas}/drift/managed_properties/output.txt; bundle/direct/dresources/
# resources.yml treats properties['unity.catalog.managed.*.defaults.*'] as backend defaults.
MANAGED_DEFAULT_PROPERTIES = {
    "unity.catalog.managed.delta.defaults.delta.enableRowTracking": "true",
    "unity.catalog.managed.iceberg.defaults.delta.feature.catalogManaged": "true",
    "unity.catalog.managed.delta.defaults.defaultClusterByAuto": "true",
    "unity.catalog.managed.delta.defaults.delta.checkpointPolicy": "v2",
    "unity.catalog.managed.delta.defaults.delta.parquet.format.version": "2.12.0",
    "unity.catalog.managed.delta.defaults.delta.parquet.format.version.afe.internal": "2.12.0",
    "unity.catalog.managed.delta.defaults.delta.feature.catalogManaged": "supported",
}
routes = Routes(r"/api/2\.1/unity-catalog")


def managed_location(storage_root: str | None, kind: str, object_id: str) -> str | None:
    """``storage_location`` of a catalog or schema with its own ``storage_root``: the full
    path of its managed storage, ``<storage_root>/__unitystorage/<kind>/<id>``.
    source: databricks-sdk CatalogInfo.storage_location ("Storage Location URL (full path)
    for managed tables within catalog", next to storage_root "Storage root URL") and
    SchemaInfo.storage_location; the path layout of Unity Catalog OSS FileOperations
    createManagedCatalogDirectory / createManagedSchemaDirectory (FileOperationsTest:
    "<root>/__unitystorage/catalogs/<id>", "<root>/__unitystorage/schemas/<id>").
    Without a storage_root of its own the emulator reports none."""
    if not storage_root:
        return None
    return f"{storage_root}/__unitystorage/{kind}/{object_id}"


def initial_properties(request: Request) -> dict[str, Any]:
    """A create's ``properties``: as sent, or UC's managed defaults when none was sent
    (see MANAGED_DEFAULT_PROPERTIES)."""
    properties = optional(request, "properties", dict)
    if properties is None:
        return dict(MANAGED_DEFAULT_PROPERTIES)
    return dict(string_map("properties", properties))


def _storage_root(request: Request) -> str | None:
    storage_root = optional(request, "storage_root", str)
    return storage_url(storage_root) if storage_root else storage_root


def _new_schema(emu: Workspace, catalog: str, name: str, comment: str | None,
                properties: dict[str, Any], owner: str | None = None) -> dict[str, Any]:
    return uc.stamp(emu, {"name": name, "catalog_name": catalog, "full_name": f"{catalog}.{name}",
                  "comment": comment, "properties": properties, "owner": owner,
                  "catalog_type": "MANAGED_CATALOG", "schema_id": str(uuid.uuid4()),
                  "browse_only": False}, created=True)


def _apply_update(emu: Workspace, obj: dict[str, Any], request: Request,
                  fields: tuple[str, ...]) -> None:
    """A PATCH: each field sent replaces the stored one. ``properties`` is replaced as a
    whole, never merged: source: databricks/cli libs/testserver/catalogs.go
    CatalogsUpdate (existing.Properties = updateRequest.Properties) and
    terraform-provider-databricks catalog/resource_catalog.go Update, which sends the
    whole map from the configuration (so a key left out of it is removed). The managed
    defaults are not re-added. Storage paths are not updatable here (the SDK's
    CatalogsAPI.update / SchemasAPI.update take no storage_root), so nothing to strip."""
    set_fields(request, obj, ((field, str) for field in fields))
    if request.body.get("properties") is not None:
        properties = check_type("properties", request.body["properties"], dict)
        obj["properties"] = dict(string_map("properties", properties))
    uc.stamp(emu, obj, created=False)


def _move_children(emu: Workspace, old: str, new: str, collections: tuple[str, ...],
                   **fields: Any) -> None:
    """Re-key what lies inside a renamed catalog or schema (``old.*`` -> ``new.*``)."""
    for coll in collections:
        for key in [k for k in emu.store[coll] if k.startswith(old + ".")]:
            obj = emu.store[coll].pop(key)
            obj.update(fields, full_name=new + key[len(old):])
            emu.store[coll][obj["full_name"]] = obj


# --- catalogs --------------------------------------------------------------------------
@routes.post("/catalogs")
def create_catalog(emu: Workspace, request: Request) -> dict[str, Any]:
    catalog_name = uc.securable_name(require(request, "name"))
    comment = optional(request, "comment", str)
    properties = initial_properties(request)
    storage_root = _storage_root(request)
    catalog_id = str(uuid.uuid4())
    with emu.changing():
        if storage_root:
            access.check_managed_storage(emu, storage_root)
        else:
            access.check_metastore_root(emu)
        uc.CATALOG.refuse_taken(emu, catalog_name)
        catalog = uc.stamp(emu, {
            "name": catalog_name, "full_name": catalog_name, "comment": comment,
            "properties": properties, "storage_root": storage_root or None,
            "storage_location": managed_location(storage_root, "catalogs", catalog_id),
            "catalog_type": "MANAGED_CATALOG", "isolation_mode": "OPEN", "id": catalog_id,
            "securable_type": "CATALOG", "browse_only": False}, created=True)
        emu.store["catalogs"][catalog_name] = catalog
        emu.store["schemas"][f"{catalog_name}.default"] = _new_schema(
            emu, catalog_name, "default", "Default schema (auto-created)", {})
        emu.store["schemas"][f"{catalog_name}.{uc.SYSTEM_SCHEMA}"] = _new_schema(
            emu, catalog_name, uc.SYSTEM_SCHEMA, "Information schema (auto-created)", {},
            owner="System user")
        return uc.public(catalog)


@routes.get("/catalogs")
def list_catalogs(emu: Workspace, request: Request) -> dict[str, Any]:
    return uc.CATALOG.list_all(emu, request)


@routes.get(r"/catalogs/(?P<name>[^/]+)")
def get_catalog(emu: Workspace, request: Request, name: str) -> dict[str, Any]:
    return uc.read(emu, uc.CATALOG.get, name)


@routes.patch(r"/catalogs/(?P<name>[^/]+)")
def update_catalog(emu: Workspace, request: Request, name: str) -> dict[str, Any]:
    with emu.changing():
        catalog = uc.CATALOG.get(emu, name)
        _apply_update(emu, catalog, request, ("comment", "owner", "isolation_mode",
                                              "enable_predictive_optimization"))
        new = uc.new_name(request, catalog)
        if new:
            old = catalog["name"]
            uc.CATALOG.rename(emu, catalog, new, new)
            _move_children(emu, old, new, ("schemas", "tables", "volumes"), catalog_name=new)
        return uc.public(catalog)


@routes.delete(r"/catalogs/(?P<name>[^/]+)")
def delete_catalog(emu: Workspace, request: Request, name: str) -> dict[str, Any]:
    force = optional(request, "force", bool, False)
    with emu.changing():
        catalog = uc.CATALOG.get(emu, name)
        prefix = catalog["name"] + "."
        schemas = [k for k in emu.store["schemas"] if k.startswith(prefix)
                   and k != prefix + uc.SYSTEM_SCHEMA]
        volumes = [k for k in emu.store["volumes"] if k.startswith(prefix)]
        if schemas and not force:
            raise invalid_state(f"Catalog '{catalog['name']}' is not empty. The catalog has "
                                f"{len(schemas)} schemas(s), 0 functions(s) and "
                                f"{len(volumes)} volumes(s)")
        for coll in ("tables", "volumes", "schemas"):
            for key in [k for k in emu.store[coll] if k.startswith(prefix)]:
                del emu.store[coll][key]
        uc.CATALOG.drop(emu, catalog)
    return {}


# --- schemas ---------------------------------------------------------------------------
@routes.post("/schemas")
def create_schema(emu: Workspace, request: Request) -> dict[str, Any]:
    schema_name = uc.securable_name(require(request, "name"))
    catalog_name = uc.name_arg(request, "catalog_name")
    comment = optional(request, "comment", str)
    properties = initial_properties(request)
    storage_root = _storage_root(request)
    with emu.changing():
        uc.CATALOG.get(emu, catalog_name)
        if storage_root:
            access.check_managed_storage(emu, storage_root)
        key = f"{catalog_name}.{schema_name}"
        uc.SCHEMA.refuse_taken(emu, key, schema_name)
        created = _new_schema(emu, catalog_name, schema_name, comment, properties)
        created["storage_root"] = storage_root or None
        created["storage_location"] = managed_location(storage_root, "schemas",
                                                        created["schema_id"])
        emu.store["schemas"][key] = created
        return uc.public(created)


@routes.get("/schemas")
def list_schemas(emu: Workspace, request: Request) -> dict[str, Any]:
    catalog_name = uc.name_arg(request, "catalog_name")
    with emu.store.lock:
        uc.CATALOG.get(emu, catalog_name)
        items = [s for s in emu.store["schemas"].values() if s["catalog_name"] == catalog_name]
    return uc.listing(items, request, "schemas", 1000, 1000)


@routes.get(r"/schemas/(?P<full_name>[^/]+)")
def get_schema(emu: Workspace, request: Request, full_name: str) -> dict[str, Any]:
    return uc.read(emu, uc.schema, full_name)


@routes.patch(r"/schemas/(?P<full_name>[^/]+)")
def update_schema(emu: Workspace, request: Request, full_name: str) -> dict[str, Any]:
    with emu.changing():
        found = uc.schema(emu, full_name)
        if found["name"] == uc.SYSTEM_SCHEMA:
            raise invalid(f"Cannot modify system schema '{found['full_name']}'.")
        _apply_update(emu, found, request, ("comment", "owner",
                                            "enable_predictive_optimization"))
        new = uc.new_name(request, found)
        if new:
            old_key, new_key = found["full_name"], f"{found['catalog_name']}.{new}"
            uc.SCHEMA.rename(emu, found, new_key, new, shown=new)
            _move_children(emu, old_key, new_key, ("tables", "volumes"), schema_name=new)
        return uc.public(found)


@routes.delete(r"/schemas/(?P<full_name>[^/]+)")
def delete_schema(emu: Workspace, request: Request, full_name: str) -> dict[str, Any]:
    force = optional(request, "force", bool, False)
    with emu.changing():
        found = uc.schema(emu, full_name)
        if found["name"] == uc.SYSTEM_SCHEMA:
            raise invalid(f"Cannot delete system schema '{found['full_name']}'.")
        prefix = found["full_name"] + "."
        tables = [k for k in emu.store["tables"] if k.startswith(prefix)]
        volumes = [k for k in emu.store["volumes"] if k.startswith(prefix)]
        if (tables or volumes) and not force:
            raise invalid_state(f"Schema '{found['full_name']}' is not empty. The schema has "
                                f"{len(tables)} tables(s), 0 functions(s), "
                                f"{len(volumes)} volumes(s)")
        for coll, keys in (("tables", tables), ("volumes", volumes)):
            for key in keys:
                del emu.store[coll][key]
        uc.SCHEMA.drop(emu, found)
    return {}
