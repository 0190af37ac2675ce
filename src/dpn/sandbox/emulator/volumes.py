"""Unity Catalog volumes API 2.1 (databricks-sdk ``VolumesAPI``): create, read, list,
update (comment, owner, new_name), delete.

Names are case-insensitive and stored lower case, ``full_name`` is
``catalog.schema.volume``; parents must exist. An EXTERNAL volume needs a
``storage_location`` (trailing slashes stripped, as databricks/cli
``libs/testserver/volumes.go`` does "to mimic UC API normalization") that no table or
other volume uses or contains and that lies under no catalog's or schema's storage root
(SDK ``VolumesAPI.create`` docstring); a MANAGED volume takes none ("CreateVolume
storage_location can not be provided.", 400 INVALID_PARAMETER_VALUE, recorded in
databricks/cli ``acceptance/bundle/resources/volumes/set-storage-location``) and is
placed in the schema's, else the catalog's, else the metastore's managed storage. A
missing volume is 404 "Volume '<full_name>' does not exist." (cli
``acceptance/bundle/resources/volumes/change-comment/output.txt``).
"""

from __future__ import annotations

import copy
import uuid
from typing import TYPE_CHECKING, Any

from dpn.sandbox.emulator import access, grantstore, options
from dpn.sandbox.emulator.app import Request, check_type, optional, require
from dpn.sandbox.emulator.catalog import (
    METASTORE_ID,
    SYSTEM_SCHEMA,
    _catalog,
    _drop_none,
    _listing,
    _name,
    _schema,
    _split,
    _stamp,
    storage_url,
)
from dpn.sandbox.emulator.errors import ApiError, invalid, invalid_state, missing, not_found

if TYPE_CHECKING:
    from dpn.sandbox.emulator.app import Emulator

VOLUME_TYPES = ("EXTERNAL", "MANAGED")


def volume(emu: Emulator, full_name: str) -> dict[str, Any]:
    cat, sch, vol = _split(full_name, 3, "volume")
    found = emu.store["volumes"].get(f"{cat}.{sch}.{vol}")
    if found is None:
        raise not_found("NOT_FOUND", f"Volume '{cat}.{sch}.{vol}' does not exist.")
    return found


def _refuse_overlap(emu: Emulator, path: str) -> None:
    """SDK ``VolumesAPI.create``: "There are no other tables, nor volumes existing in the
    specified storage location. The specified storage location is not under the location
    of other tables, nor volumes, or catalogs or schemas." """
    clashes = [str(obj["full_name"]) for kind in ("tables", "volumes")
               for obj in emu.store[kind].values() if obj.get("storage_location")
               and (access.covers(path, obj["storage_location"])
                    or access.covers(obj["storage_location"], path))]
    if clashes:
        raise invalid(f"Input path url '{path}' overlaps with other external tables or "
                      "volumes within 'CreateVolume' call. Conflicting tables/volumes: "
                      f"{', '.join(sorted(clashes))}.")
    roots = [str(obj["full_name"]) for kind in ("catalogs", "schemas")
             for obj in emu.store[kind].values()
             if obj.get("storage_root") and access.covers(obj["storage_root"], path)]
    if roots:
        raise invalid(f"Input path url '{path}' overlaps with managed storage within "
                      f"'CreateVolume' call. Conflicting catalogs/schemas: {', '.join(roots)}.")


def _managed_location(emu: Emulator, schema: dict[str, Any], volume_id: str) -> str:
    """Where a MANAGED volume lives: under the nearest managed storage (SDK
    ``VolumesAPI.create``: "the default location which is specified by the parent
    schema, or the parent catalog, or the Metastore")."""
    catalog = _catalog(emu, schema["catalog_name"])
    base = schema.get("storage_location") or catalog.get("storage_location")
    root = options.get(emu, "metastore_root")
    if not base and root:
        base = f"{root}/metastore/{METASTORE_ID}"
    if not base:
        raise invalid_state("Metastore storage root URL does not exist. Please provide a "
                            "storage location for the catalog or schema of the volume.")
    return f"{base}/volumes/{volume_id}"


def create_volume(emu: Emulator, request: Request) -> dict[str, Any]:
    catalog_name = _name(require(request, "catalog_name"), "catalog_name")
    schema_name = _name(require(request, "schema_name"), "schema_name")
    name = _name(require(request, "name"))
    volume_type = request.arg("volume_type")
    if not volume_type:
        raise invalid("CreateVolume Missing required field: volume_type")
    if volume_type not in VOLUME_TYPES:
        raise invalid(f"Invalid volume_type '{volume_type}'.")
    location = optional(request, "storage_location", str)
    if location and volume_type == "MANAGED":
        raise invalid("CreateVolume storage_location can not be provided.")
    if volume_type == "EXTERNAL" and not location:
        raise missing("storage_location")
    with emu.store.lock:
        schema = _schema(emu, f"{catalog_name}.{schema_name}")
        if schema["name"] == SYSTEM_SCHEMA:
            raise invalid(f"Cannot create volumes in system schema '{schema['full_name']}'.")
        full_name = f"{catalog_name}.{schema_name}.{name}"
        if full_name in emu.store["volumes"]:
            raise ApiError(400, "RESOURCE_ALREADY_EXISTS", f"Volume '{full_name}' already exists")
        volume_id = str(uuid.uuid4())
        if location:
            location = storage_url(location)
            if "://" not in location:
                raise invalid(f"Invalid storage_location '{location}': expected s3://...")
            _refuse_overlap(emu, location)
            access.check_external_volume(emu, location)
        else:
            location = _managed_location(emu, schema, volume_id)
        vol = _stamp(emu, {
            "name": name, "catalog_name": catalog_name, "schema_name": schema_name,
            "full_name": full_name, "volume_type": volume_type, "storage_location": location,
            "comment": optional(request, "comment", str), "volume_id": volume_id,
            "browse_only": False}, created=True)
        emu.store["volumes"][full_name] = vol
        emu.store.save()
        return _drop_none(copy.deepcopy(vol))


def read_volume(emu: Emulator, request: Request, full_name: str) -> dict[str, Any]:
    with emu.store.lock:
        return _drop_none(copy.deepcopy(volume(emu, full_name)))


def list_volumes(emu: Emulator, request: Request) -> dict[str, Any]:
    catalog_name = _name(require(request, "catalog_name"), "catalog_name")
    schema_name = _name(require(request, "schema_name"), "schema_name")
    with emu.store.lock:
        schema = _schema(emu, f"{catalog_name}.{schema_name}")
        prefix = schema["full_name"] + "."
        items = [v for k, v in emu.store["volumes"].items() if k.startswith(prefix)]
    return _listing(items, request, "volumes", 10000, 10000)


def update_volume(emu: Emulator, request: Request, full_name: str) -> dict[str, Any]:
    """Only the name, the owner or the comment change (SDK ``VolumesAPI.update``)."""
    with emu.store.lock:
        vol = volume(emu, full_name)
        for field in ("comment", "owner"):
            if request.body.get(field) is not None:
                vol[field] = check_type(field, request.body[field], str)
        new_name = optional(request, "new_name", str)
        if new_name and _name(new_name) != vol["name"]:
            old_key = vol["full_name"]
            new_key = f"{vol['catalog_name']}.{vol['schema_name']}.{_name(new_name)}"
            if new_key in emu.store["volumes"]:
                raise ApiError(400, "RESOURCE_ALREADY_EXISTS", f"Volume '{new_key}' already exists")
            del emu.store["volumes"][old_key]
            vol.update(name=_name(new_name), full_name=new_key)
            emu.store["volumes"][new_key] = vol
            grantstore.rename(emu, "VOLUME", old_key, new_key)
        _stamp(emu, vol, created=False)
        emu.store.save()
        return _drop_none(copy.deepcopy(vol))


def delete_volume(emu: Emulator, request: Request, full_name: str) -> dict[str, Any]:
    with emu.store.lock:
        vol = volume(emu, full_name)
        del emu.store["volumes"][vol["full_name"]]
        grantstore.drop(emu, "VOLUME", vol["full_name"])
        emu.store.save()
    return {}


_V = r"/api/2\.1/unity-catalog/volumes"
ROUTES = [
    ("POST", _V, create_volume), ("GET", _V, list_volumes),
    ("GET", _V + r"/(?P<full_name>[^/]+)", read_volume),
    ("PATCH", _V + r"/(?P<full_name>[^/]+)", update_volume),
    ("DELETE", _V + r"/(?P<full_name>[^/]+)", delete_volume),
]
