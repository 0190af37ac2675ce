"""Storage paths as Unity Catalog stores and compares them: URLs without trailing
slashes, one path covering another by whole segments."""

from __future__ import annotations


def storage_url(value: str) -> str:
    """A storage URL as UC stores it: every trailing slash stripped ("s3://b/p//" ->
    "s3://b/p"), never below "scheme://host".

    source: databricks/cli PR #5145 ("The UC API strips trailing slashes from
    storage_location on create") and libs/testserver/volumes.go (strings.TrimRight(loc,
    "/"), i.e. all of them, "to mimic UC API normalization"); PR #6622 / issue #6602 for
    a catalog's storage_root (bundle/direct/bundle_plan.go shouldSkipNormalized compares
    with TrimRight too); Unity Catalog OSS server utils/NormalizedURL.java
    removeExtraSlashes ("Removing all trailing slashes"). terraform-provider-databricks
    catalog/resource_catalog.go ucDirectoryPathSlashOnlySuppressDiff suppresses the
    one-slash difference a config that ends in "/" then shows."""
    scheme, sep, rest = value.partition("://")
    if not sep:
        return value.rstrip("/") or value
    host, slash, path = rest.partition("/")
    path = path.rstrip("/")
    return f"{scheme}://{host}/{path}" if path else f"{scheme}://{host}"


def covers(parent: str, child: str) -> bool:
    """True if storage path ``child`` is ``parent`` or below it, compared by whole path
    segments (``s3://b/data`` covers ``s3://b/data/x`` but not ``s3://b/database``). Both
    are normalised (no trailing slash) by ``storage_url``."""
    return child == parent or child.startswith(parent.rstrip("/") + "/")
