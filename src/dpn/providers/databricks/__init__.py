"""Databricks providers: clusters, jobs and Unity Catalog catalogs, schemas, tables,
storage credentials, external locations, volumes and grants.

``build(settings, home)`` makes one client (``workspace.Workspace``: the SDK's own API
classes, as ``databricks.sdk.WorkspaceClient`` builds them) and returns one provider per
type; ``providers_for`` takes a ``WorkspaceClient`` as well. This package is the only one
that imports databricks-sdk; the engine imports it lazily.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from dpn.model import (
    CATALOG,
    CLUSTER,
    EXTERNAL_LOCATION,
    GRANTS,
    JOB,
    SCHEMA,
    STORAGE_CREDENTIAL,
    TABLE,
    VOLUME,
)
from dpn.providers.base import Provider
from dpn.providers.databricks.catalog_cache import CatalogCache
from dpn.providers.databricks.client import ClientOptions, make_client
from dpn.providers.databricks.clusters import ClusterProvider
from dpn.providers.databricks.errors import edge, translate
from dpn.providers.databricks.grants import GrantsProvider
from dpn.providers.databricks.jobs import JobProvider
from dpn.providers.databricks.storage import ExternalLocationProvider, StorageCredentialProvider
from dpn.providers.databricks.tables import TableProvider
from dpn.providers.databricks.uc import CatalogProvider, SchemaProvider
from dpn.providers.databricks.volumes import VolumeProvider
from dpn.settings import PlatformSettings

__all__ = [
    "CatalogProvider", "ClientOptions", "ClusterProvider", "ExternalLocationProvider",
    "GrantsProvider", "JobProvider", "SchemaProvider", "StorageCredentialProvider",
    "TableProvider", "VolumeProvider", "build", "providers_for", "translate",
]


def build(settings: PlatformSettings, home: Path | None = None, *,
          options: ClientOptions | None = None, clock: Any = None) -> dict[str, Provider]:
    """One provider per Databricks type, sharing one client.

    Host, token and profile come from ``settings``, else from the SDK's ``DATABRICKS_*``
    environment and ``~/.databrickscfg``. ``options`` defaults to ``ClientOptions.from_env()``.
    ``home`` (``$DPN_HOME``) holds the Spark version / node type cache under ``cache/``.
    Raises ``ProviderError`` at once if the host is unreachable and ``PermissionDenied`` if
    no credentials are configured.
    """
    options = options or ClientOptions.from_env()
    if settings.refresh_cache:
        options = dataclasses.replace(options, refresh_cache=True)
    client = make_client(settings, options, clock=clock)
    return providers_for(client, options, home)


def providers_for(client: Any, options: ClientOptions | None = None,
                  home: Path | None = None) -> dict[str, Provider]:
    """The nine providers over an existing client (a ``Workspace`` or a
    ``WorkspaceClient``)."""
    options = options or ClientOptions()
    host = str(getattr(client.config, "host", "") or "")

    def fetch() -> tuple[list[str], list[str]]:
        with edge("list", "Spark versions and node types"):
            versions = [v.key for v in client.clusters.spark_versions().versions or [] if v.key]
            nodes = [n.node_type_id for n in client.clusters.list_node_types().node_types or []
                     if n.node_type_id]
        return versions, nodes

    cache = CatalogCache(host, home, fetch, ttl=options.cache_ttl_seconds,
                         refresh=options.refresh_cache)
    providers: list[Provider] = [
        ClusterProvider(client, options, cache), JobProvider(client, options),
        CatalogProvider(client, options), SchemaProvider(client, options),
        TableProvider(client, options), StorageCredentialProvider(client, options),
        ExternalLocationProvider(client, options), VolumeProvider(client, options),
        GrantsProvider(client, options),
    ]
    out = {p.type: p for p in providers}
    assert set(out) == {CLUSTER, JOB, CATALOG, SCHEMA, TABLE, STORAGE_CREDENTIAL,
                        EXTERNAL_LOCATION, VOLUME, GRANTS}
    return out
