"""Where Unity Catalog storage paths meet external locations and grants: which location
covers a path, what depends on a location, and the preconditions of creating storage
under Unity Catalog. The preconditions apply only while the ``enforce_access`` option
is on (``options.ENFORCE_ACCESS_DEFAULT``); path coverage and dependents always hold.

The caller (``workspace.USER``) counts as the owner of the catalogs and schemas it works in for
the standard privileges (USE CATALOG, USE SCHEMA, CREATE TABLE, CREATE VOLUME): the
emulator has no group membership to decide otherwise. What it checks:

- an external table (``POST tables``, EXTERNAL DELTA): an external location covering
  ``storage_location``; EXTERNAL USE SCHEMA on the schema and EXTERNAL USE LOCATION on
  the location, granted explicitly to the caller (ownership and ALL PRIVILEGES do not
  carry them); CREATE EXTERNAL TABLE on the location. Source: databricks-sdk
  ``TablesAPI.create`` docstring ("These privileges must always be granted explicitly,
  and cannot be inherited through ownership or ALL_PRIVILEGES"; "Standard UC permissions
  ... and CREATE_EXTERNAL_TABLE on external location").
- an external volume: a covering location and CREATE EXTERNAL VOLUME on it: SDK
  ``VolumesAPI.create`` docstring.
- a catalog or schema with ``storage_root`` (managed storage): a covering location and
  CREATE MANAGED STORAGE on it: Databricks docs "Manage external locations" (the
  privileges of an external location) and "Specify a managed storage location in Unity
  Catalog".
- a catalog without ``storage_root`` on a metastore without root storage (the
  ``metastore_root`` option): 400 INVALID_STATE "Metastore storage root URL does not
  exist...", checked before the name is (databricks/cli issue #5695, dbdemos issue #139,
  jOOQ issue #18824 quote it; databricks-industry-solutions data-models PR #5: "the
  storage-root check precedes IF NOT EXISTS").

A missing location or privilege is 403 PERMISSION_DENIED "User does not have <PRIVILEGE>
on <Securable> '<name>'." (the service's wording, as quoted in
databricks/terraform-databricks-examples issue #189: "User does not have CREATE EXTERNAL
LOCATION on Metastore '...'").
"""

from __future__ import annotations

from typing import Any

from dpn.sandbox.emulator import grantstore, options
from dpn.sandbox.emulator.errors import ApiError, invalid_state
from dpn.sandbox.emulator.paths import covers
from dpn.sandbox.emulator.request import Request
from dpn.sandbox.emulator.routing import Routes
from dpn.sandbox.emulator.uc import METASTORE_ID
from dpn.sandbox.emulator.workspace import USER, Workspace

# Principals every user belongs to: account-level "account users" (Databricks docs
# "Manage groups": all account users are members of it).
_EVERYONE = ("account users",)
_EXPLICIT_ONLY = {"EXTERNAL_USE_SCHEMA", "EXTERNAL_USE_LOCATION"}


def covering_location(emu: Workspace, path: str) -> dict[str, Any] | None:
    """The external location whose url covers ``path``, the most specific one if nested
    locations ever exist (the service forbids overlaps, so normally just one)."""
    found = [loc for loc in emu.store["external_locations"].values()
             if covers(loc["url"], path)]
    return max(found, key=lambda loc: len(loc["url"]), default=None)


def dependents(emu: Workspace, url: str) -> list[tuple[str, str]]:
    """(kind, full_name) of the catalogs and schemas whose ``storage_root``, and the tables
    and external volumes whose ``storage_location``, lie under ``url``."""
    found = []
    for kind, field in (("catalogs", "storage_root"), ("schemas", "storage_root"),
                        ("tables", "storage_location"), ("volumes", "storage_location")):
        for obj in emu.store[kind].values():
            path = obj.get(field)
            if path and (kind != "volumes" or obj.get("volume_type") == "EXTERNAL") \
                    and covers(url, path):
                found.append((kind, str(obj["full_name"])))
    return found


def enforced(emu: Workspace) -> bool:
    return bool(options.get(emu, "enforce_access"))


def holds(emu: Workspace, securable_type: str, full_name: str, privilege: str,
          owner: str | None = None) -> bool:
    """True if the caller holds ``privilege`` on the securable: granted to it, to a group
    it is in (``user_groups``) or to the group every user is in; unless the privilege is
    one of EXTERNAL USE, also through ALL_PRIVILEGES or through owning the securable."""
    if privilege not in _EXPLICIT_ONLY and owner and owner.lower() == USER:
        return True
    grants = grantstore.assignments(emu, securable_type, full_name)
    caller = {USER, *_EVERYONE, *(g.lower() for g in options.get(emu, "user_groups"))}
    held: set[str] = set()
    for principal, privileges in grants.items():
        if principal.lower() in caller:
            held.update(privileges)
    if privilege in _EXPLICIT_ONLY:
        return privilege in held
    return privilege in held or "ALL_PRIVILEGES" in held


def _denied(privilege: str, securable: str, name: str) -> ApiError:
    return ApiError(403, "PERMISSION_DENIED",
                    f"User does not have {privilege.replace('_', ' ')} on {securable} "
                    f"'{name}'.")


def _location_privilege(emu: Workspace, path: str, privilege: str) -> dict[str, Any]:
    """The location covering ``path`` once the caller is shown to hold ``privilege`` on it."""
    loc = covering_location(emu, path)
    if loc is None:
        raise ApiError(403, "PERMISSION_DENIED",
                       f"User does not have {privilege.replace('_', ' ')} on any External "
                       f"Location covering '{path}': no external location covers that path.")
    if not holds(emu, "EXTERNAL_LOCATION", loc["name"], privilege, loc.get("owner")):
        raise _denied(privilege, "External Location", loc["name"])
    return loc


def check_external_table(emu: Workspace, schema: dict[str, Any], path: str) -> None:
    """Preconditions of ``POST tables`` (EXTERNAL DELTA at ``path``), see module docstring."""
    if not enforced(emu):
        return
    if not holds(emu, "SCHEMA", schema["full_name"], "EXTERNAL_USE_SCHEMA"):
        raise _denied("EXTERNAL_USE_SCHEMA", "Schema", schema["full_name"])
    loc = _location_privilege(emu, path, "EXTERNAL_USE_LOCATION")
    if not holds(emu, "EXTERNAL_LOCATION", loc["name"], "CREATE_EXTERNAL_TABLE",
                 loc.get("owner")):
        raise _denied("CREATE_EXTERNAL_TABLE", "External Location", loc["name"])


def check_external_volume(emu: Workspace, path: str) -> None:
    if enforced(emu):
        _location_privilege(emu, path, "CREATE_EXTERNAL_VOLUME")


def check_managed_storage(emu: Workspace, storage_root: str) -> None:
    if enforced(emu):
        _location_privilege(emu, storage_root, "CREATE_MANAGED_STORAGE")


def check_metastore_root(emu: Workspace) -> None:
    """A catalog without its own storage root needs the metastore's."""
    if enforced(emu) and not options.get(emu, "metastore_root"):
        raise invalid_state(
            "Metastore storage root URL does not exist. Please provide a storage location "
            "for the catalog (for example 'CREATE CATALOG myCatalog MANAGED LOCATION "
            "'<location-path>'). Alternatively set up a metastore root storage location to "
            "provide a storage location for all catalogs in the metastore.")


routes = Routes(r"/api/2\.1/unity-catalog")


@routes.get("/metastore_summary")
def metastore_summary(emu: Workspace, request: Request) -> dict[str, Any]:
    """``GET metastore_summary`` (SDK ``MetastoresAPI.summary``): the one emulated
    metastore; ``storage_root`` only when the ``metastore_root`` option gives it one, so a
    client can tell beforehand that a catalog needs its own ``storage_root``.
    ``external_access_enabled`` is true: external engines (and the create-table REST
    endpoint) need it (SDK ``GetMetastoreSummaryResponse.external_access_enabled``)."""
    summary: dict[str, Any] = {
        "metastore_id": METASTORE_ID, "global_metastore_id": f"aws:us-east-1:{METASTORE_ID}",
        "name": "sandbox-metastore", "cloud": "aws", "region": "us-east-1", "owner": USER,
        "privilege_model_version": "1.0", "external_access_enabled": True,
        "delta_sharing_scope": "INTERNAL"}
    root = options.get(emu, "metastore_root")
    if root:
        summary["storage_root"] = root
    return summary
