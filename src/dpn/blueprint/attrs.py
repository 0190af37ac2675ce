"""Reference attributes known before apply (SPEC section 2's physical ids).

Clusters and jobs get their ids from the platform, so only their ``name`` is known before
apply; every other attribute of theirs resolves to ``dpn.model.UNKNOWN`` in a plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from dpn import model

# The attributes a reference may name, per type (what ``static_attrs`` or a provider's
# read gives once the object exists).
ATTRS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    model.S3_BUCKET: ("name", "id", "arn", "uri"),
    model.GLUE_DATABASE: ("name", "id", "full_name"),
    model.GLUE_TABLE: ("name", "id", "full_name"),
    model.CLUSTER: ("name", "id"),
    model.JOB: ("name", "id"),
    model.CATALOG: ("name", "id", "full_name"),
    model.SCHEMA: ("name", "id", "full_name"),
    model.TABLE: ("name", "id", "full_name"),
})


def _parent(props: Mapping[str, Any], field: str) -> str | None:
    value = props.get(field)
    if not isinstance(value, str) or not value or model.UNKNOWN in value or "${" in value:
        return None
    return value


def static_attrs(rtype: str, name: str, resolved_props: Mapping[str, Any],
                 region: str) -> dict[str, str]:
    """The attributes of a resource that are known before apply, from its name and its
    resolved properties (parent fields hold parent names). ``region`` is accepted for
    types whose ids carry it; none of the current ones do."""
    del region
    if rtype == model.S3_BUCKET:
        return {"name": name, "id": name, "arn": f"arn:aws:s3:::{name}", "uri": f"s3://{name}"}
    if rtype in (model.GLUE_DATABASE, model.CATALOG):
        return {"name": name, "id": name, "full_name": name}
    if rtype in (model.CLUSTER, model.JOB):
        return {"name": name}
    parent_field = model.PARENT_FIELD[rtype][0]
    parent = _parent(resolved_props, parent_field)
    if parent is None:
        return {"name": name}
    full = f"{parent}.{name}"
    return {"name": name, "id": full, "full_name": full}
