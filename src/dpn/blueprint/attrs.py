"""Reference attributes known before apply (SPEC section 2's physical ids).

Clusters and jobs get their ids from the platform, so only their ``name`` is known before
apply; every other attribute of theirs resolves to ``dpn.model.UNKNOWN`` in a plan. So do an
IAM role's ``arn`` (it holds the account) and a storage credential's ``external_id``.
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
    model.IAM_ROLE: ("name", "id", "arn"),
    model.STORAGE_CREDENTIAL: ("name", "id", "full_name", "external_id"),
    model.EXTERNAL_LOCATION: ("name", "id", "full_name", "uri"),
    model.VOLUME: ("name", "id", "full_name"),
    model.GRANTS: ("id",),
})


def _parent(props: Mapping[str, Any], field: str) -> str | None:
    value = props.get(field)
    if not isinstance(value, str) or not value or model.UNKNOWN in value or "${" in value:
        return None
    return value


def grants_id(securable: str) -> str:
    """The physical id of a dbx.grants: ``securable_type/full_name`` from ``TYPE:full_name``
    (lower case: Unity Catalog names and the permissions API's types are)."""
    kind, _, full = securable.partition(":")
    return f"{kind.lower()}/{full.lower()}"


def static_attrs(rtype: str, name: str, resolved_props: Mapping[str, Any]) -> dict[str, str]:
    """The attributes of a resource that are known before apply, from its name and its
    resolved properties (parent fields hold parent names)."""
    if rtype == model.S3_BUCKET:
        return {"name": name, "id": name, "arn": f"arn:aws:s3:::{name}", "uri": f"s3://{name}"}
    if rtype in (model.GLUE_DATABASE, model.CATALOG, model.STORAGE_CREDENTIAL):
        return {"name": name, "id": name, "full_name": name}
    if rtype == model.EXTERNAL_LOCATION:
        url = _parent(resolved_props, "url")
        return {"name": name, "id": name, "full_name": name,
                **({"uri": url.rstrip("/") or url} if url else {})}
    if rtype in (model.CLUSTER, model.JOB):
        return {"name": name}
    if rtype == model.IAM_ROLE:  # the ARN holds the account, known once the role exists
        return {"name": name, "id": name}
    if rtype == model.GRANTS:
        securable = _parent(resolved_props, "securable")
        return {"id": grants_id(securable)} if securable else {}
    parent_field = model.PARENT_FIELD[rtype][0]
    parent = _parent(resolved_props, parent_field)
    if parent is None:
        return {"name": name}
    full = f"{parent}.{name}"
    return {"name": name, "id": full, "full_name": full}
