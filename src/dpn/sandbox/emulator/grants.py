"""Unity Catalog permissions API 2.1 (databricks-sdk ``GrantsAPI``):
``GET|PATCH /api/2.1/unity-catalog/permissions/{securable_type}/{full_name}``,
``GET .../privilege-assignments/...`` (``grants.list``) and
``GET .../effective-permissions/...`` (``grants.get_effective``: with inherited ones).

``securable_type`` is taken in any case (terraform-provider-databricks
``catalog/permissions/permissions.go`` sends "catalog", "external_location",
"storage_credential"...; the SDK's ``SecurableType`` spells them upper case). The
securable must exist (its own 404). ``PATCH`` takes ``changes: [{principal, add,
remove}]``; privilege names are normalised like the service does ("Unity Catalog accepts
privileges with spaces, but will automatically convert them to underscores":
permissions.go ``NormalizePrivilege``) and must apply to the securable type, else 400
INVALID_PARAMETER_VALUE "Privilege ABC is not applicable to this entity" (the service's
answer in terraform-provider-databricks ``catalog/grants_test.go``). The answer lists
every principal's privileges, sorted, as databricks/cli ``libs/testserver/grants.go``
does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dpn.sandbox.emulator import grantstore, uc
from dpn.sandbox.emulator.errors import invalid
from dpn.sandbox.emulator.request import Request, check_type, optional
from dpn.sandbox.emulator.routing import Routes
from dpn.sandbox.emulator.workspace import Workspace

# The privileges that apply to each securable type: Databricks docs "Unity Catalog
# privileges reference", table "What privileges apply to each securable object?"
# (https://docs.databricks.com/aws/en/data-governance/unity-catalog/manage-privileges/
# privileges.html), names as in databricks-sdk ``Privilege``.
_DATA = {"ALL_PRIVILEGES", "APPLY_TAG", "MANAGE"}
_CONTAINER = _DATA | {"CREATE_FUNCTION", "CREATE_MATERIALIZED_VIEW", "CREATE_MODEL",
                      "CREATE_TABLE", "CREATE_VOLUME", "EXECUTE", "EXTERNAL_USE_SCHEMA",
                      "MODIFY", "READ_VOLUME", "REFRESH", "SELECT", "USE_SCHEMA",
                      "WRITE_VOLUME"}
PRIVILEGES: dict[str, frozenset[str]] = {
    "CATALOG": frozenset(_CONTAINER | {"BROWSE", "CREATE_SCHEMA", "USE_CATALOG"}),
    "SCHEMA": frozenset(_CONTAINER),
    "TABLE": frozenset(_DATA | {"MODIFY", "SELECT", "REFRESH"}),
    "VOLUME": frozenset(_DATA | {"READ_VOLUME", "WRITE_VOLUME"}),
    "EXTERNAL_LOCATION": frozenset({
        "ALL_PRIVILEGES", "BROWSE", "CREATE_EXTERNAL_TABLE", "CREATE_EXTERNAL_VOLUME",
        "CREATE_FOREIGN_SECURABLE", "CREATE_MANAGED_STORAGE", "EXTERNAL_USE_LOCATION",
        "MANAGE", "READ_FILES", "WRITE_FILES"}),
    "STORAGE_CREDENTIAL": frozenset({
        "ALL_PRIVILEGES", "CREATE_EXTERNAL_LOCATION", "CREATE_EXTERNAL_TABLE", "MANAGE",
        "READ_FILES", "WRITE_FILES"}),
}
_LOOKUP: dict[str, Callable[[Workspace, str], dict[str, Any]]] = {
    "CATALOG": uc.catalog, "SCHEMA": uc.schema, "TABLE": uc.table, "VOLUME": uc.volume,
    "EXTERNAL_LOCATION": uc.EXTERNAL_LOCATION.get,
    "STORAGE_CREDENTIAL": uc.STORAGE_CREDENTIAL.get,
}
_ARGS = r"/(?P<securable_type>[^/]+)/(?P<full_name>[^/]+)"
routes = Routes(r"/api/2\.1/unity-catalog")


def _securable(emu: Workspace, securable_type: str, full_name: str) -> tuple[str, str]:
    """(TYPE, full_name as stored) of an existing securable; 400 for an unknown type, the
    securable's own 404 if it does not exist."""
    kind = securable_type.upper()
    if kind not in _LOOKUP:
        raise invalid(f"Invalid securable type '{securable_type}'.")
    return kind, str(_LOOKUP[kind](emu, full_name)["full_name"])


def _privilege(kind: str, value: Any) -> str:
    check_type("privileges", value, str)
    name = value.replace(" ", "_").upper()
    if name not in PRIVILEGES[kind]:
        raise invalid(f"Privilege {name} is not applicable to this entity")
    return name


def _answer(grants: dict[str, list[str]], principal: str | None) -> list[dict[str, Any]]:
    return [{"principal": p, "privileges": sorted(privs)} for p, privs in sorted(grants.items())
            if principal is None or p == principal]


def _check_page_size(request: Request, field: str) -> None:
    """SDK ``GrantsAPI.get``: a page size below 0, or between 1 and 149, is an invalid
    parameter. Every assignment fits in one page here, so no token is ever returned."""
    size = optional(request, field, int)
    if size is not None and (size < 0 or 0 < size < 150):
        raise invalid(f"Invalid value for field '{field}': must be 0 or at least 150")


@routes.get("/permissions" + _ARGS)
def get_permissions(emu: Workspace, request: Request, securable_type: str,
                    full_name: str) -> dict[str, Any]:
    _check_page_size(request, "max_results")
    with emu.store.lock:
        kind, name = _securable(emu, securable_type, full_name)
        grants = grantstore.assignments(emu, kind, name)
    return {"privilege_assignments": _answer(grants, optional(request, "principal", str))}


@routes.get("/privilege-assignments" + _ARGS)
def list_assignments(emu: Workspace, request: Request, securable_type: str,
                     full_name: str) -> dict[str, Any]:
    _check_page_size(request, "page_size")
    return get_permissions(emu, Request(request.method, request.path, {
        k: v for k, v in request.params.items() if k == "principal"}), securable_type,
        full_name)


@routes.patch("/permissions" + _ARGS)
def update_permissions(emu: Workspace, request: Request, securable_type: str,
                       full_name: str) -> dict[str, Any]:
    changes = check_type("changes", request.body.get("changes") or [], list)
    with emu.store.lock:
        kind, name = _securable(emu, securable_type, full_name)
        grants = grantstore.assignments(emu, kind, name)
        for change in changes:
            if not isinstance(change, dict) or not change.get("principal"):
                raise invalid("Missing required field: changes.principal")
            principal = check_type("principal", change["principal"], str)
            held = set(grants.get(principal, []))
            held -= {_privilege(kind, p) for p in change.get("remove") or []}
            held |= {_privilege(kind, p) for p in change.get("add") or []}
            grants[principal] = sorted(held)
        grantstore.store_assignments(emu, kind, name, grants)
        emu.store.save()
        stored = grantstore.assignments(emu, kind, name)
    if optional(request, "omit_permissions_in_response", bool, False):
        return {}
    return {"privilege_assignments": _answer(stored, None)}


def _ancestors(kind: str, name: str) -> list[tuple[str, str]]:
    """The securables a privilege on (kind, name) is inherited from, nearest first."""
    parts = name.split(".")
    if kind in ("TABLE", "VOLUME"):
        return [("SCHEMA", ".".join(parts[:2])), ("CATALOG", parts[0])]
    if kind == "SCHEMA":
        return [("CATALOG", parts[0])]
    return []


@routes.get("/effective-permissions" + _ARGS)
def get_effective(emu: Workspace, request: Request, securable_type: str,
                  full_name: str) -> dict[str, Any]:
    """Direct grants plus those inherited from the parent schema and catalog, each
    inherited one naming where it comes from (SDK ``EffectivePrivilege``)."""
    _check_page_size(request, "max_results")
    principal = optional(request, "principal", str)
    with emu.store.lock:
        kind, name = _securable(emu, securable_type, full_name)
        effective: dict[str, list[dict[str, Any]]] = {}
        for source_kind, source in [(kind, name), *_ancestors(kind, name)]:
            for who, privileges in grantstore.assignments(emu, source_kind, source).items():
                for privilege in sorted(privileges):
                    entry: dict[str, Any] = {"privilege": privilege}
                    if source_kind != kind:
                        entry.update(inherited_from_type=source_kind, inherited_from_name=source)
                    effective.setdefault(who, []).append(entry)
    return {"privilege_assignments": [
        {"principal": who, "privileges": privs} for who, privs in sorted(effective.items())
        if principal is None or who == principal]}

