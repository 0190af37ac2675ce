"""Dependencies the blueprint implies without spelling them (SPEC section 11).

On a real workspace Unity Catalog refuses to create an object at a storage path unless an
external location covers the path and the caller holds the location's grants, and refuses
an external table unless the caller holds the schema's EXTERNAL USE grant. So:

- a catalog, schema, table or volume whose storage path lies under an external location
  of the blueprint depends on that location and on the blueprint's grants on it;
- everything created inside a securable (a schema in a catalog, a table or volume in a
  schema) depends on the blueprint's grants on that securable and on its ancestors.

Paths are compared after resolving ``${key.name}`` and ``${key}`` to the generated names
(which are known before any call), by whole path segments, without trailing slashes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from dpn import model
from dpn.blueprint.refs import parse

# The storage path of each type that has one.
PATH_FIELD: Mapping[str, str] = {
    model.CATALOG: "storage_root",
    model.SCHEMA: "storage_root",
    model.TABLE: "storage_location",
    model.VOLUME: "storage_location",
}
_REF = re.compile(r"\$\{([^}]*)\}")


def implied_edges(resources: Mapping[str, Mapping[str, Any]], kinds: Mapping[str, str],
                  names: Mapping[str, str], parent_refs: Mapping[str, str]
                  ) -> dict[str, set[str]]:
    """key -> the keys it must wait for beyond its references. ``resources`` are the raw
    resource documents, ``kinds`` their types, ``names`` their generated names and
    ``parent_refs`` each child's parent key (references only)."""
    grants_on: dict[str, list[str]] = {}
    for key, res in resources.items():
        if kinds[key] == model.GRANTS:
            target = _whole_ref(res.get("securable"))
            if target is not None:
                grants_on.setdefault(target, []).append(key)
    locations = {key: path for key in resources if kinds[key] == model.EXTERNAL_LOCATION
                 and (path := _path(resources[key].get("url"), names)) is not None}
    out: dict[str, set[str]] = {}
    for key, res in resources.items():
        edges: set[str] = set()
        field = PATH_FIELD.get(kinds[key]) if locations else None  # no location: no cover
        path = _path(res.get(field), names) if field else None
        if path is not None:
            for loc, url in locations.items():
                if covers(url, path):
                    edges |= {loc, *grants_on.get(loc, ())}
        parent = parent_refs.get(key) if grants_on else None  # no grants: nothing to wait for
        while parent is not None:
            edges.update(grants_on.get(parent, ()))
            parent = parent_refs.get(parent)
        edges.discard(key)
        if edges:
            out[key] = edges
    return out


def covers(parent: str, child: str) -> bool:
    """True if ``child`` is ``parent`` or below it, by whole path segments."""
    return child == parent or child.startswith(parent + "/")


def _path(value: Any, names: Mapping[str, str]) -> str | None:
    """A storage path with its name references resolved (None when it has none or holds a
    reference to something only known after apply)."""
    if not isinstance(value, str) or not value:
        return None
    unknown = False

    def name_of(match: re.Match[str]) -> str:
        nonlocal unknown
        parsed = parse(match.group(1))
        if parsed is None or parsed[1] not in ("name", "id") or parsed[0] not in names:
            unknown = True
            return match.group(0)
        return names[parsed[0]]

    path = _REF.sub(name_of, value).rstrip("/")
    return None if unknown else path


def _whole_ref(value: Any) -> str | None:
    """The key of a value that is exactly one ``${key}`` reference."""
    if not isinstance(value, str):
        return None
    match = _REF.fullmatch(value)
    parsed = parse(match.group(1)) if match else None
    return parsed[0] if parsed else None
