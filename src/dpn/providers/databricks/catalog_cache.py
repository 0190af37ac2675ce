"""A small on-disk cache of a workspace's Spark versions and node types.

``{home}/cache/dbx-<hash of host>.json``, mode 0600 in a 0700 directory, holding only the
host, the time it was fetched, and the two lists of identifiers: no credential. Entries
older than the TTL are fetched again; a corrupt file is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WorkspaceCatalog:
    """The identifiers a cluster spec may use in one workspace."""

    host: str
    fetched_at: float
    spark_versions: tuple[str, ...]
    node_types: tuple[str, ...]


class CatalogCache:
    """Spark versions and node types of one host, cached for ``ttl`` seconds.

    ``fetch`` is called (no arguments) to get a fresh ``(spark_versions, node_types)``.
    With ``home`` None the cache lives in memory only.
    """

    def __init__(self, host: str, home: Path | None,
                 fetch: Callable[[], tuple[list[str], list[str]]], *,
                 ttl: float = 6 * 3600, refresh: bool = False,
                 now: Callable[[], float] = time.time) -> None:
        self.host = host
        self.path = (home / "cache" / f"dbx-{_host_hash(host)}.json") if home else None
        self._fetch = fetch
        self._ttl = ttl
        self._refresh = refresh
        self._now = now
        self._memory: WorkspaceCatalog | None = None

    def get(self) -> WorkspaceCatalog:
        """The cached lists if fresh (and no refresh was asked for), else fetched ones."""
        if not self._refresh:
            cached = self._memory or self._load()
            if cached is not None and self._now() - cached.fetched_at < self._ttl:
                self._memory = cached
                return cached
        versions, nodes = self._fetch()
        fresh = WorkspaceCatalog(self.host, self._now(), tuple(sorted(versions)),
                                 tuple(sorted(nodes)))
        self._memory = fresh
        self._refresh = False
        self._store(fresh)
        return fresh

    def drop(self) -> None:
        """Forget the cached lists (after the platform rejected what they allowed)."""
        self._memory = None
        if self.path is not None:
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass

    def _load(self) -> WorkspaceCatalog | None:
        if self.path is None:
            return None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("host") != self.host:
                return None
            return WorkspaceCatalog(
                host=str(data["host"]), fetched_at=float(data["fetched_at"]),
                spark_versions=tuple(str(v) for v in data["spark_versions"]),
                node_types=tuple(str(v) for v in data["node_types"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def _store(self, entry: WorkspaceCatalog) -> None:
        if self.path is None:
            return
        directory = self.path.parent
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".dbx-", suffix=".tmp")
            try:
                os.fchmod(fd, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump({"host": entry.host, "fetched_at": entry.fetched_at,
                               "spark_versions": list(entry.spark_versions),
                               "node_types": list(entry.node_types)}, fh)
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            return  # a cache that cannot be written only costs a fetch next time


def _host_hash(host: str) -> str:
    return hashlib.sha256(host.rstrip("/").lower().encode()).hexdigest()[:16]
