"""Unity Catalog external locations, API 2.1 (databricks-sdk ``ExternalLocationsAPI``).

Names are case-insensitive and stored lower case, with ``full_name`` equal to the name
(databrickslabs/ucx issue #2270: a create of "UCX_location_1" answered with ``name`` and
``full_name`` "ucx_location_1", ``securable_type`` EXTERNAL_LOCATION, ``securable_kind``
EXTERNAL_LOCATION_STANDARD, ``isolation_mode`` ISOLATION_MODE_OPEN, ``credential_id``).
A missing location is 404 ``EXTERNAL_LOCATION_DOES_NOT_EXIST``, a duplicate 400
``EXTERNAL_LOCATION_ALREADY_EXISTS`` (databricks-sdk ``ErrorCode``). ``url`` loses its
trailing slashes (``storage_url``) and may not overlap another location's; a create, or
a change of url, credential or ``read_only``, validates the credential against the
sandbox's AWS side (``iam.py``) unless ``skip_validation``.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from dpn.sandbox.emulator import access, iam, uc
from dpn.sandbox.emulator.credentials import credential
from dpn.sandbox.emulator.errors import invalid, invalid_state
from dpn.sandbox.emulator.paths import covers, storage_url
from dpn.sandbox.emulator.request import Request, check_type, optional, require, set_fields
from dpn.sandbox.emulator.routing import Routes
from dpn.sandbox.emulator.workspace import Workspace

routes = Routes(r"/api/2\.1/unity-catalog/external-locations")


def location(emu: Workspace, name: str) -> dict[str, Any]:
    return uc.EXTERNAL_LOCATION.get(emu, name)


def _url(value: Any) -> str:
    check_type("url", value, str)
    if not re.match(r"^[a-z0-9]+://[^/]+", value):
        raise invalid(f"Invalid url '{value}': expected a URL like s3://bucket/path.")
    return storage_url(value)


def _refuse_overlap(emu: Workspace, url: str, own: str | None, call: str) -> None:
    """No two locations overlap (one's url a path prefix of the other's): 400
    INVALID_PARAMETER_VALUE "Input path url '...' overlaps with an existing external
    location within 'CreateExternalLocation' call. Conflicting location: ...";
    databrickslabs/ucx ``azure/locations.py`` catches it as ``InvalidParameterValue`` by
    that text; Databricks SQL reference "External locations" ("cannot be contained
    within another external location's storage path")."""
    for other in emu.store["external_locations"].values():
        if other["name"] != own and (covers(other["url"], url) or covers(url, other["url"])):
            raise invalid(f"Input path url '{url}' overlaps with an existing external "
                          f"location within '{call}' call. Conflicting location: "
                          f"{other['name']}.")


@routes.post()
def create_location(emu: Workspace, request: Request) -> dict[str, Any]:
    name = uc.securable_name(require(request, "name"))
    url = _url(require(request, "url"))
    credential_name = uc.name_arg(request, "credential_name")
    read_only = optional(request, "read_only", bool, False)
    skip = optional(request, "skip_validation", bool, False)
    with emu.store.lock:
        uc.EXTERNAL_LOCATION.refuse_taken(emu, name)
        cred = credential(emu, credential_name)
        _refuse_overlap(emu, url, None, "CreateExternalLocation")
    if not skip:
        iam.validate(emu, cred, url, read_only)
    with emu.changing():
        uc.EXTERNAL_LOCATION.refuse_taken(emu, name)  # created while validating
        loc = uc.stamp(emu, {
            "name": name, "full_name": name, "id": str(uuid.uuid4()), "url": url,
            "credential_name": cred["name"], "credential_id": cred["id"],
            "comment": optional(request, "comment", str), "read_only": read_only,
            "fallback": optional(request, "fallback", bool, False),
            "isolation_mode": "ISOLATION_MODE_OPEN", "securable_type": "EXTERNAL_LOCATION",
            "securable_kind": "EXTERNAL_LOCATION_STANDARD", "browse_only": False},
            created=True)
        emu.store["external_locations"][name] = loc
        return uc.public(loc)


@routes.get(r"/(?P<name>[^/]+)")
def get_location(emu: Workspace, request: Request, name: str) -> dict[str, Any]:
    return uc.read(emu, location, name)


@routes.get()
def list_locations(emu: Workspace, request: Request) -> dict[str, Any]:
    return uc.EXTERNAL_LOCATION.list_all(emu, request)


@routes.patch(r"/(?P<name>[^/]+)")
def update_location(emu: Workspace, request: Request, name: str) -> dict[str, Any]:
    """``comment``, ``owner``, ``read_only``, ``fallback``, ``credential_name``, ``url``
    and ``new_name``. A new url is refused while objects depend on the old one unless
    ``force`` (message as in terraform-provider-databricks issue #2188); a change of what
    the location reaches or how is validated unless ``skip_validation``."""
    force = optional(request, "force", bool, False)
    skip = optional(request, "skip_validation", bool, False)
    with emu.store.lock:
        loc = location(emu, name)
        url = _url(request.body["url"]) if request.body.get("url") else loc["url"]
        cred = credential(emu, request.body.get("credential_name") or loc["credential_name"])
        read_only = optional(request, "read_only", bool, loc["read_only"])
        if url != loc["url"]:
            _refuse_overlap(emu, url, loc["name"], "UpdateExternalLocation")
            if access.dependents(emu, loc["url"]) and not force:
                raise invalid_state("External Location has dependent catalogs, schemas, "
                                    "managed or external tables/volumes; use force option "
                                    "to update url anyway")
        reach_changed = (url, cred["name"], read_only) != (
            loc["url"], loc["credential_name"], loc["read_only"])
    if reach_changed and not skip:
        iam.validate(emu, cred, url, read_only)
    with emu.changing():
        loc = location(emu, name)
        set_fields(request, loc, (("comment", str), ("owner", str), ("fallback", bool)))
        loc.update(url=url, credential_name=cred["name"], credential_id=cred["id"],
                   read_only=read_only)
        new = uc.new_name(request, loc)
        if new:
            uc.EXTERNAL_LOCATION.rename(emu, loc, new, new)
        uc.stamp(emu, loc, created=False)
        return uc.public(loc)


@routes.delete(r"/(?P<name>[^/]+)")
def delete_location(emu: Workspace, request: Request, name: str) -> dict[str, Any]:
    """Refused while catalogs, schemas, tables or volumes use storage under the location,
    unless ``force``: the message of terraform-provider-databricks issue #4746; SDK
    ``ExternalLocationsAPI.delete`` (force: "even if there are dependent external
    tables or mounts")."""
    force = optional(request, "force", bool, False)
    with emu.changing():
        loc = location(emu, name)
        found = access.dependents(emu, loc["url"])
        if found and not force:
            count = {kind: sum(1 for k, _ in found if k == kind)
                     for kind in ("catalogs", "schemas", "tables", "volumes")}
            raise invalid_state(
                f"Cannot delete external location (name = {loc['name']}) because the "
                f"location has 0 dependent metastores, {count['catalogs']} dependent "
                f"catalogs, {count['schemas']} dependent schemas, 0 dependent managed "
                f"tables, {count['tables']} dependent external tables, {count['volumes']} "
                "dependent external volumes, 0 dependent managed volumes, 0 dependent "
                "registered model versions, 0 dependent shares, and 0 dependent shared "
                "notebook files. You may use force option to delete it but the managed "
                "storage data under this location cannot be purged by Unity Catalog anymore.")
        uc.EXTERNAL_LOCATION.drop(emu, loc)
    return {}
