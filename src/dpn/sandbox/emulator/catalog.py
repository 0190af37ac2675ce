"""Unity Catalog API 2.1: catalogs, schemas and (external) tables.

Names are case-insensitive and stored lower case; parents must exist (404
``CATALOG_DOES_NOT_EXIST`` / ``SCHEMA_DOES_NOT_EXIST``); duplicates are 400
``CATALOG_ALREADY_EXISTS`` / ``SCHEMA_ALREADY_EXISTS`` / ``TABLE_ALREADY_EXISTS``; a
catalog or schema with content is deleted only with ``force`` (else 400 ``INVALID_STATE``);
a new catalog gets ``default`` and ``information_schema`` schemas like the real service.
Storage paths lose their trailing slashes (``storage_url``), a catalog or schema with a
``storage_root`` reports its managed ``storage_location`` (``managed_location``), and one
created without ``properties`` gets UC's managed defaults (``MANAGED_DEFAULT_PROPERTIES``).
A catalog's or schema's volumes count and go with it like its tables, and grants follow
renames and deletes (``grantstore``). With ``enforce_access`` on, a create checks the
storage preconditions of ``access.py`` (managed storage under an external location, or
the metastore's root storage).
"""

from __future__ import annotations

import copy
import re
import uuid
from typing import TYPE_CHECKING, Any

from dpn.sandbox.emulator import access, grantstore
from dpn.sandbox.emulator.app import USER, Request, check_type, optional, page, require
from dpn.sandbox.emulator.errors import ApiError, invalid, invalid_state, not_found

if TYPE_CHECKING:
    from dpn.sandbox.emulator.app import Emulator

METASTORE_ID = "11111111-2222-3333-4444-555555555555"
SYSTEM_SCHEMA = "information_schema"
_NAME_RE = re.compile(r"^[^.\s/\x00-\x1f\x7f`]{1,255}$")
FORMATS = {"DELTA", "PARQUET", "CSV", "JSON", "AVRO", "ORC", "TEXT"}

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


def storage_url(value: str) -> str:
    """A storage URL as UC stores it: every trailing slash stripped ("s3://b/p//" ->
    "s3://b/p"), never below "scheme://host".

    source: databricks/cli PR #5145 ("The UC API strips trailing slashes from
    storage_location on create") and libs/testserver/volumes.go (strings.TrimRight(loc,
    "/"), i.e. all of them, "to mimic UC API normalization"); PR #6622 / issue #6602 for
    a catalog's storage_root (bundle/direct/bundle_plan.go shouldSkipNormalized compares
    with TrimRight too); Unity Catalog OSS server utils/NormalizedURL.java
    removeExtraSlashes ("Removing all trailing slashes"). terraform-provider-databricks
    catalog/resource_catalog.go ucDirectoryPathSlashOnlySuppressDiff suppresses the
    one-slash difference a config that ends in "/" then shows."""
    scheme, sep, rest = value.partition("://")
    if not sep:
        return value.rstrip("/") or value
    host, slash, path = rest.partition("/")
    path = path.rstrip("/")
    return f"{scheme}://{host}/{path}" if path else f"{scheme}://{host}"


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
    for key, value in properties.items():
        if not isinstance(value, str):
            raise invalid(f"Invalid value for 'properties.{key}': expected a string.")
    return dict(properties)


def _name(value: Any, field: str = "name") -> str:
    check_type(field, value, str)
    if not _NAME_RE.match(value):
        raise invalid(f"Invalid name '{value}': names must be 1-255 characters without "
                      "periods, spaces, slashes or control characters.")
    return str(value).lower()


def _split(full_name: str, parts: int, kind: str) -> list[str]:
    names = full_name.split(".")
    if len(names) != parts or not all(names):
        raise invalid(f"Invalid {kind} name '{full_name}'.")
    return [_name(n) for n in names]


def _stamp(emu: Emulator, obj: dict[str, Any], created: bool) -> dict[str, Any]:
    ts = emu.now_ms()
    if created:
        obj.update(created_at=ts, created_by=USER, owner=obj.get("owner") or USER)
    obj.update(updated_at=ts, updated_by=USER, metastore_id=METASTORE_ID)
    return obj


def _catalog(emu: Emulator, name: str) -> dict[str, Any]:
    cat = emu.store["catalogs"].get(name.lower())
    if cat is None:
        raise not_found("CATALOG_DOES_NOT_EXIST", f"Catalog '{name.lower()}' does not exist.")
    return cat


def _schema(emu: Emulator, full_name: str) -> dict[str, Any]:
    cat, sch = _split(full_name, 2, "schema")
    _catalog(emu, cat)
    schema = emu.store["schemas"].get(f"{cat}.{sch}")
    if schema is None:
        raise not_found("SCHEMA_DOES_NOT_EXIST", f"Schema '{cat}.{sch}' does not exist.")
    return schema


def _table(emu: Emulator, full_name: str) -> dict[str, Any]:
    cat, sch, tbl = _split(full_name, 3, "table")
    _schema(emu, f"{cat}.{sch}")
    table = emu.store["tables"].get(f"{cat}.{sch}.{tbl}")
    if table is None:
        raise not_found("TABLE_DOES_NOT_EXIST", f"Table '{cat}.{sch}.{tbl}' does not exist.")
    return table


def _new_schema(emu: Emulator, catalog: str, name: str, comment: str | None,
                properties: dict[str, Any], owner: str | None = None) -> dict[str, Any]:
    return _stamp(emu, {"name": name, "catalog_name": catalog, "full_name": f"{catalog}.{name}",
                   "comment": comment, "properties": properties, "owner": owner,
                   "catalog_type": "MANAGED_CATALOG", "schema_id": str(uuid.uuid4()),
                   "browse_only": False}, created=True)


def _drop_none(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if v is not None}


def _listing(items: list[dict[str, Any]], request: Request, key: str, default: int,
             maximum: int) -> dict[str, Any]:
    items = sorted(items, key=lambda o: str(o["full_name"]))
    chunk, nxt = page(items, request, "max_results", default, maximum)
    out: dict[str, Any] = {key: [_drop_none(copy.deepcopy(i)) for i in chunk]}
    if nxt:
        out["next_page_token"] = nxt
    return out


# --- catalogs --------------------------------------------------------------------------
def create_catalog(emu: Emulator, request: Request) -> dict[str, Any]:
    name = _name(require(request, "name"))
    comment = optional(request, "comment", str)
    properties = initial_properties(request)
    storage_root = optional(request, "storage_root", str)
    if storage_root:
        storage_root = storage_url(storage_root)
    catalog_id = str(uuid.uuid4())
    with emu.store.lock:
        if storage_root:
            access.check_managed_storage(emu, storage_root)
        else:
            access.check_metastore_root(emu)
        if name in emu.store["catalogs"]:
            raise ApiError(400, "CATALOG_ALREADY_EXISTS", f"Catalog '{name}' already exists")
        catalog = _stamp(emu, {
            "name": name, "full_name": name, "comment": comment, "properties": properties,
            "storage_root": storage_root or None,
            "storage_location": managed_location(storage_root, "catalogs", catalog_id),
            "catalog_type": "MANAGED_CATALOG", "isolation_mode": "OPEN", "id": catalog_id,
            "securable_type": "CATALOG", "browse_only": False}, created=True)
        emu.store["catalogs"][name] = catalog
        emu.store["schemas"][f"{name}.default"] = _new_schema(
            emu, name, "default", "Default schema (auto-created)", {})
        emu.store["schemas"][f"{name}.{SYSTEM_SCHEMA}"] = _new_schema(
            emu, name, SYSTEM_SCHEMA, "Information schema (auto-created)", {},
            owner="System user")
        emu.store.save()
        return _drop_none(copy.deepcopy(catalog))


def get_catalog(emu: Emulator, request: Request, name: str) -> dict[str, Any]:
    with emu.store.lock:
        return _drop_none(copy.deepcopy(_catalog(emu, name)))


def list_catalogs(emu: Emulator, request: Request) -> dict[str, Any]:
    with emu.store.lock:
        items = list(emu.store["catalogs"].values())
    return _listing(items, request, "catalogs", 1000, 1000)


def update_catalog(emu: Emulator, request: Request, name: str) -> dict[str, Any]:
    with emu.store.lock:
        catalog = _catalog(emu, name)
        _apply_update(emu, catalog, request, ("comment", "owner", "isolation_mode",
                                              "enable_predictive_optimization"))
        new_name = optional(request, "new_name", str)
        if new_name and _name(new_name) != catalog["name"]:
            new_name = _name(new_name)
            if new_name in emu.store["catalogs"]:
                raise ApiError(400, "CATALOG_ALREADY_EXISTS",
                               f"Catalog '{new_name}' already exists")
            _rename_catalog(emu, catalog["name"], new_name)
        emu.store.save()
        return _drop_none(copy.deepcopy(catalog))


def _apply_update(emu: Emulator, obj: dict[str, Any], request: Request,
                  fields: tuple[str, ...]) -> None:
    """A PATCH: each field sent replaces the stored one. ``properties`` is replaced as a
    whole, never merged: source: databricks/cli libs/testserver/catalogs.go
    CatalogsUpdate (existing.Properties = updateRequest.Properties) and
    terraform-provider-databricks catalog/resource_catalog.go Update, which sends the
    whole map from the configuration (so a key left out of it is removed). The managed
    defaults are not re-added. Storage paths are not updatable here (the SDK's
    CatalogsAPI.update / SchemasAPI.update take no storage_root), so nothing to strip."""
    for field in fields:
        if request.body.get(field) is not None:
            obj[field] = check_type(field, request.body[field], str)
    if request.body.get("properties") is not None:
        properties = check_type("properties", request.body["properties"], dict)
        for key, value in properties.items():
            if not isinstance(value, str):
                raise invalid(f"Invalid value for 'properties.{key}': expected a string.")
        obj["properties"] = dict(properties)
    _stamp(emu, obj, created=False)


def _rename_catalog(emu: Emulator, old: str, new: str) -> None:
    catalog = emu.store["catalogs"].pop(old)
    catalog.update(name=new, full_name=new)
    emu.store["catalogs"][new] = catalog
    grantstore.rename(emu, "CATALOG", old, new)
    for coll in ("schemas", "tables", "volumes"):
        for key in [k for k in emu.store[coll] if k.startswith(old + ".")]:
            obj = emu.store[coll].pop(key)
            obj["catalog_name"] = new
            obj["full_name"] = new + key[len(old):]
            emu.store[coll][obj["full_name"]] = obj


def delete_catalog(emu: Emulator, request: Request, name: str) -> dict[str, Any]:
    force = optional(request, "force", bool, False)
    with emu.store.lock:
        catalog = _catalog(emu, name)
        prefix = catalog["name"] + "."
        schemas = [k for k in emu.store["schemas"] if k.startswith(prefix)
                   and k != prefix + SYSTEM_SCHEMA]
        volumes = [k for k in emu.store["volumes"] if k.startswith(prefix)]
        if schemas and not force:
            raise invalid_state(f"Catalog '{catalog['name']}' is not empty. The catalog has "
                                f"{len(schemas)} schemas(s), 0 functions(s) and "
                                f"{len(volumes)} volumes(s)")
        for coll in ("tables", "volumes", "schemas"):
            for key in [k for k in emu.store[coll] if k.startswith(prefix)]:
                del emu.store[coll][key]
        del emu.store["catalogs"][catalog["name"]]
        grantstore.drop(emu, "CATALOG", catalog["name"])
        emu.store.save()
    return {}


# --- schemas ---------------------------------------------------------------------------
def create_schema(emu: Emulator, request: Request) -> dict[str, Any]:
    name = _name(require(request, "name"))
    catalog_name = _name(require(request, "catalog_name"), "catalog_name")
    comment = optional(request, "comment", str)
    properties = initial_properties(request)
    storage_root = optional(request, "storage_root", str)
    if storage_root:
        storage_root = storage_url(storage_root)
    with emu.store.lock:
        _catalog(emu, catalog_name)
        if storage_root:
            access.check_managed_storage(emu, storage_root)
        key = f"{catalog_name}.{name}"
        if key in emu.store["schemas"]:
            raise ApiError(400, "SCHEMA_ALREADY_EXISTS", f"Schema '{name}' already exists")
        schema = _new_schema(emu, catalog_name, name, comment, properties)
        schema["storage_root"] = storage_root or None
        schema["storage_location"] = managed_location(storage_root, "schemas",
                                                       schema["schema_id"])
        emu.store["schemas"][key] = schema
        emu.store.save()
        return _drop_none(copy.deepcopy(schema))


def get_schema(emu: Emulator, request: Request, full_name: str) -> dict[str, Any]:
    with emu.store.lock:
        return _drop_none(copy.deepcopy(_schema(emu, full_name)))


def list_schemas(emu: Emulator, request: Request) -> dict[str, Any]:
    catalog_name = _name(require(request, "catalog_name"), "catalog_name")
    with emu.store.lock:
        _catalog(emu, catalog_name)
        items = [s for s in emu.store["schemas"].values() if s["catalog_name"] == catalog_name]
    return _listing(items, request, "schemas", 1000, 1000)


def update_schema(emu: Emulator, request: Request, full_name: str) -> dict[str, Any]:
    with emu.store.lock:
        schema = _schema(emu, full_name)
        if schema["name"] == SYSTEM_SCHEMA:
            raise invalid(f"Cannot modify system schema '{schema['full_name']}'.")
        _apply_update(emu, schema, request, ("comment", "owner",
                                             "enable_predictive_optimization"))
        new_name = optional(request, "new_name", str)
        if new_name and _name(new_name) != schema["name"]:
            new_name, old_key = _name(new_name), schema["full_name"]
            new_key = f"{schema['catalog_name']}.{new_name}"
            if new_key in emu.store["schemas"]:
                raise ApiError(400, "SCHEMA_ALREADY_EXISTS", f"Schema '{new_name}' already exists")
            del emu.store["schemas"][old_key]
            schema.update(name=new_name, full_name=new_key)
            emu.store["schemas"][new_key] = schema
            grantstore.rename(emu, "SCHEMA", old_key, new_key)
            for coll in ("tables", "volumes"):
                for key in [k for k in emu.store[coll] if k.startswith(old_key + ".")]:
                    obj = emu.store[coll].pop(key)
                    obj.update(schema_name=new_name, full_name=new_key + key[len(old_key):])
                    emu.store[coll][obj["full_name"]] = obj
        emu.store.save()
        return _drop_none(copy.deepcopy(schema))


def delete_schema(emu: Emulator, request: Request, full_name: str) -> dict[str, Any]:
    force = optional(request, "force", bool, False)
    with emu.store.lock:
        schema = _schema(emu, full_name)
        if schema["name"] == SYSTEM_SCHEMA:
            raise invalid(f"Cannot delete system schema '{schema['full_name']}'.")
        prefix = schema["full_name"] + "."
        tables = [k for k in emu.store["tables"] if k.startswith(prefix)]
        volumes = [k for k in emu.store["volumes"] if k.startswith(prefix)]
        if (tables or volumes) and not force:
            raise invalid_state(f"Schema '{schema['full_name']}' is not empty. The schema has "
                                f"{len(tables)} tables(s), 0 functions(s), "
                                f"{len(volumes)} volumes(s)")
        for coll, keys in (("tables", tables), ("volumes", volumes)):
            for key in keys:
                del emu.store[coll][key]
        del emu.store["schemas"][schema["full_name"]]
        grantstore.drop(emu, "SCHEMA", schema["full_name"])
        emu.store.save()
    return {}


ROUTES = [
    ("POST", r"/api/2\.1/unity-catalog/catalogs", create_catalog),
    ("GET", r"/api/2\.1/unity-catalog/catalogs", list_catalogs),
    ("GET", r"/api/2\.1/unity-catalog/catalogs/(?P<name>[^/]+)", get_catalog),
    ("PATCH", r"/api/2\.1/unity-catalog/catalogs/(?P<name>[^/]+)", update_catalog),
    ("DELETE", r"/api/2\.1/unity-catalog/catalogs/(?P<name>[^/]+)", delete_catalog),
    ("POST", r"/api/2\.1/unity-catalog/schemas", create_schema),
    ("GET", r"/api/2\.1/unity-catalog/schemas", list_schemas),
    ("GET", r"/api/2\.1/unity-catalog/schemas/(?P<full_name>[^/]+)", get_schema),
    ("PATCH", r"/api/2\.1/unity-catalog/schemas/(?P<full_name>[^/]+)", update_schema),
    ("DELETE", r"/api/2\.1/unity-catalog/schemas/(?P<full_name>[^/]+)", delete_schema),
]
