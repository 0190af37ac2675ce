"""What the workspace says about storage access, for the plan-time checks of
``dpn.uc_access``: who applies (``current_user.me``: the user and its groups), the
external locations, the grants on the existing securables the plan needs, and whether
the metastore has root storage (``metastores.summary``). A handful of reads, made only
when the plan creates something in Unity Catalog."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dpn import model
from dpn.errors import NotFound, PermissionDenied
from dpn.providers.databricks.errors import edge
from dpn.uc_access import Workspace, problems, securables_to_read

EVERYONE = "account users"   # the group every account user belongs to


CHECKED = (model.CATALOG, model.SCHEMA, model.TABLE, model.VOLUME)


def uc_problems(client: Any, changes: Sequence[Any]) -> list[str]:
    """``dpn.uc_access.problems`` with the workspace's facts; no read at all when nothing
    is created in Unity Catalog."""
    if not any(c.type in CHECKED and str(c.action) in
               ("create", "replace") for c in changes):
        return []
    return problems(changes, workspace_facts(client, securables_to_read(changes)))


def workspace_facts(client: Any, securables: Sequence[str]) -> Workspace:
    with edge("read", "the current user"):
        me = client.current_user.me()
    principals = {str(me.user_name or "").lower(), EVERYONE}
    principals |= {str(g.display).lower() for g in me.groups or () if g.display}
    with edge("list", "external locations"):
        locations = {str(loc.name): str(loc.url or "").rstrip("/")
                     for loc in client.external_locations.list() if loc.name}
    grants = {}
    for securable in securables:
        kind, _, full_name = securable.partition(":")
        try:
            with edge("read the grants of", f"{kind} {full_name!r}"):
                got = client.grants.get(kind, full_name)
        except NotFound:
            continue  # it is not there yet: only the blueprint's grants count
        grants[securable.lower()] = {
            str(a.principal).lower(): frozenset(_privilege(p) for p in a.privileges or ())
            for a in got.privilege_assignments or () if a.principal}
    try:
        with edge("read", "the metastore summary"):
            root = bool(client.metastores.summary().storage_root)
    except (NotFound, PermissionDenied):
        root = False
    return Workspace(frozenset(p for p in principals if p), locations, grants, root)


def _privilege(value: Any) -> str:
    return str(getattr(value, "value", value))
