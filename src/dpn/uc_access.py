"""What Unity Catalog will refuse, found at plan time (SPEC section 11). Pure.

On a real workspace the create-table REST endpoint makes an EXTERNAL table only when an
external location covers its path and the caller holds EXTERNAL USE SCHEMA on the schema
and EXTERNAL USE LOCATION on the location, granted explicitly (ownership and ALL
PRIVILEGES do not include them; databricks-sdk ``TablesAPI.create``); an external volume
needs a covering location; a catalog or schema with its own storage root needs one too; a
catalog without a storage root needs a metastore with root storage ("Metastore storage
root URL does not exist"). Otherwise the service answers in the middle of an apply, which
then rolls back. ``problems`` says it before any call, with the resource named.

``Workspace`` holds what the live workspace says (read by the Databricks provider);
the blueprint's own external locations and grants count as if applied, since the
implied order (``dpn.blueprint.implied``) applies them before what needs them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dpn import model
from dpn.blueprint.implied import covers

EXPLICIT = ("EXTERNAL_USE_SCHEMA", "EXTERNAL_USE_LOCATION")
_CREATES = ("create", "replace")


@dataclass(frozen=True)
class Workspace:
    """``principals``: who applies (``scim/v2/Me``: the user, its groups) plus
    ``account users``, lower case; ``locations``: external location name -> url;
    ``grants``: ``type:full_name`` -> principal (lower case) -> privileges, for the
    securables that exist; ``metastore_root``: whether the metastore has root storage."""

    principals: frozenset[str]
    locations: Mapping[str, str] = field(default_factory=dict)
    grants: Mapping[str, Mapping[str, frozenset[str]]] = field(default_factory=dict)
    metastore_root: bool = False


def securables_to_read(changes: Sequence[Any]) -> list[str]:
    """The ``type:full_name`` of the existing securables whose grants ``problems`` needs:
    the schemas that planned tables go into."""
    made = {f"schema:{_full(c)}" for c in changes if c.type == model.SCHEMA}
    wanted = {f"schema:{_after(c).get('schema')}" for c in changes
              if c.type == model.TABLE and _action(c) in _CREATES}
    return sorted(wanted - made)


def problems(changes: Sequence[Any], ws: Workspace) -> list[str]:
    """Every planned create that Unity Catalog would refuse, with the reason and the fix."""
    locations = dict(ws.locations)
    held = {s: {p: set(v) for p, v in by.items()} for s, by in ws.grants.items()}
    for c in changes:
        after = _after(c)
        if c.type == model.EXTERNAL_LOCATION and _action(c) != "delete" and after.get("url"):
            locations[c.name] = str(after["url"]).rstrip("/")
        if c.type == model.GRANTS and _action(c) != "delete":
            by = held.setdefault(str(after.get("securable", "")).lower(), {})
            for principal, privs in (after.get("privileges") or {}).items():
                by.setdefault(principal.lower(), set()).update(privs)
    out: list[str] = []
    for c in changes:
        if _action(c) in _CREATES:
            out += [f"{c.key}: {p}" for p in _refusals(c, _after(c), locations, held, ws)]
    return out


def _refusals(c: Any, after: Mapping[str, Any], locations: Mapping[str, str],
              held: Mapping[str, Mapping[str, set[str]]], ws: Workspace) -> list[str]:
    if c.type == model.CATALOG and not after.get("storage_root") and not ws.metastore_root:
        return ["the metastore has no root storage, so Unity Catalog refuses a catalog "
                "without storage_root (INVALID_STATE 'Metastore storage root URL does not "
                "exist'): give it a storage_root under an external location"]
    field_name = {model.CATALOG: "storage_root", model.SCHEMA: "storage_root",
                  model.TABLE: "storage_location",
                  model.VOLUME: "storage_location"}.get(c.type)
    path = str(after.get(field_name) or "").rstrip("/") if field_name else ""
    if not path or model.UNKNOWN in path:
        return []
    covering = sorted((url, name) for name, url in locations.items() if covers(url, path))
    out = [] if covering else [
        f"{field_name} {path} lies under no external location (of the blueprint or the "
        "workspace), so Unity Catalog refuses it: add a dbx.external_location whose url "
        "covers it"]
    if c.type != model.TABLE:
        return out
    needs = [(f"schema:{after.get('schema')}", EXPLICIT[0], f"schema {after.get('schema')}")]
    if covering:
        location = covering[-1][1]
        needs.append((f"external_location:{location}", EXPLICIT[1],
                      f"external location {location}"))
    return out + [f"the principal applying ({_who(ws)}) lacks {privilege} on {what}, which Unity "
            "Catalog requires granted explicitly (ownership and ALL PRIVILEGES do not "
            f"include it): add a dbx.grants on it giving {_who(ws)} {privilege}"
            for securable, privilege, what in needs
            if not _holds(held.get(securable.lower(), {}), ws.principals, privilege)]


def _holds(by: Mapping[str, set[str]], principals: frozenset[str], privilege: str) -> bool:
    return any(privilege in by.get(p, ()) for p in principals)


def _who(ws: Workspace) -> str:
    users = sorted(p for p in ws.principals if "@" in p) or sorted(ws.principals)
    return users[0] if users else "the caller"


def _after(c: Any) -> Mapping[str, Any]:
    return c.after or {}


def _full(c: Any) -> str:
    return str(c.id or "")


def _action(c: Any) -> str:
    return str(c.action)
