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

import uuid
from typing import Any

from dpn.sandbox.emulator import access, options, uc
from dpn.sandbox.emulator.errors import invalid, invalid_state, missing
from dpn.sandbox.emulator.paths import covers, storage_url
from dpn.sandbox.emulator.request import Request, optional, require, set_fields
from dpn.sandbox.emulator.routing import Routes
from dpn.sandbox.emulator.workspace import Workspace

VOLUME_TYPES = ("EXTERNAL", "MANAGED")
routes = Routes(r"/api/2\.1/unity-catalog/volumes")


def _refuse_overlap(emu: Workspace, path: str) -> None:
    """SDK ``VolumesAPI.create``: "There are no other tables, nor volumes existing in the
    specified storage location. The specified storage location is not under the location
    of other tables, nor volumes, or catalogs or schemas." """
    clashes = [str(obj["full_name"]) for kind in ("tables", "volumes")
               for obj in emu.store[kind].values() if obj.get("storage_location")
               and (covers(path, obj["storage_location"])
                    or covers(obj["storage_location"], path))]
    if clashes:
        raise invalid(f"Input path url '{path}' overlaps with other external tables or "
                      "volumes within 'CreateVolume' call. Conflicting tables/volumes: "
                      f"{', '.join(sorted(clashes))}.")
    roots = [str(obj["full_name"]) for kind in ("catalogs", "schemas")
             for obj in emu.store[kind].values()
             if obj.get("storage_root") and covers(obj["storage_root"], path)]
    if roots:
        raise invalid(f"Input path url '{path}' overlaps with managed storage within "
                      f"'CreateVolume' call. Conflicting catalogs/schemas: {', '.join(roots)}.")


def _managed_location(emu: Workspace, parent: dict[str, Any], volume_id: str) -> str:
    """Where a MANAGED volume lives: under the nearest managed storage (SDK
    ``VolumesAPI.create``: "the default location which is specified by the parent
    schema, or the parent catalog, or the Metastore")."""
    catalog = uc.CATALOG.get(emu, parent["catalog_name"])
    base = parent.get("storage_location") or catalog.get("storage_location")
    root = options.get(emu, "metastore_root")
    if not base and root:
        base = f"{root}/metastore/{uc.METASTORE_ID}"
    if not base:
        raise invalid_state("Metastore storage root URL does not exist. Please provide a "
                            "storage location for the catalog or schema of the volume.")
    return f"{base}/volumes/{volume_id}"


@routes.post()
def create_volume(emu: Workspace, request: Request) -> dict[str, Any]:
    catalog_name = uc.name_arg(request, "catalog_name")
    schema_name = uc.name_arg(request, "schema_name")
    name = uc.securable_name(require(request, "name"))
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
    with emu.changing():
        parent = uc.schema(emu, f"{catalog_name}.{schema_name}")
        if parent["name"] == uc.SYSTEM_SCHEMA:
            raise invalid(f"Cannot create volumes in system schema '{parent['full_name']}'.")
        full_name = f"{catalog_name}.{schema_name}.{name}"
        uc.VOLUME.refuse_taken(emu, full_name)
        volume_id = str(uuid.uuid4())
        if location:
            location = storage_url(location)
            if "://" not in location:
                raise invalid(f"Invalid storage_location '{location}': expected s3://...")
            _refuse_overlap(emu, location)
            access.check_external_volume(emu, location)
        else:
            location = _managed_location(emu, parent, volume_id)
        vol = uc.stamp(emu, {
            "name": name, "catalog_name": catalog_name, "schema_name": schema_name,
            "full_name": full_name, "volume_type": volume_type, "storage_location": location,
            "comment": optional(request, "comment", str), "volume_id": volume_id,
            "browse_only": False}, created=True)
        emu.store["volumes"][full_name] = vol
        return uc.public(vol)


@routes.get(r"/(?P<full_name>[^/]+)")
def read_volume(emu: Workspace, request: Request, full_name: str) -> dict[str, Any]:
    return uc.read(emu, uc.volume, full_name)


@routes.get()
def list_volumes(emu: Workspace, request: Request) -> dict[str, Any]:
    catalog_name = uc.name_arg(request, "catalog_name")
    schema_name = uc.name_arg(request, "schema_name")
    with emu.store.lock:
        parent = uc.schema(emu, f"{catalog_name}.{schema_name}")
        prefix = parent["full_name"] + "."
        items = [v for k, v in emu.store["volumes"].items() if k.startswith(prefix)]
    return uc.listing(items, request, "volumes", 10000, 10000)


@routes.patch(r"/(?P<full_name>[^/]+)")
def update_volume(emu: Workspace, request: Request, full_name: str) -> dict[str, Any]:
    """Only the name, the owner or the comment change (SDK ``VolumesAPI.update``)."""
    with emu.changing():
        vol = uc.volume(emu, full_name)
        set_fields(request, vol, (("comment", str), ("owner", str)))
        new = uc.new_name(request, vol)
        if new:
            uc.VOLUME.rename(emu, vol, f"{vol['catalog_name']}.{vol['schema_name']}.{new}", new)
        uc.stamp(emu, vol, created=False)
        return uc.public(vol)


@routes.delete(r"/(?P<full_name>[^/]+)")
def delete_volume(emu: Workspace, request: Request, full_name: str) -> dict[str, Any]:
    with emu.changing():
        uc.VOLUME.drop(emu, uc.volume(emu, full_name))
    return {}
