"""The Spark version / node type cache: TTL, per-host key, file mode, no secrets."""

from __future__ import annotations

import json
import stat

from dpn.providers.databricks.catalog_cache import CatalogCache


class Fetcher:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> tuple[list[str], list[str]]:
        self.calls += 1
        return ["15.4.x-scala2.12"], ["i3.xlarge"]


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_cache_is_reused_within_ttl_and_refetched_after(tmp_path):
    fetch, clock = Fetcher(), Clock()
    cache = CatalogCache("http://127.0.0.1:1", tmp_path, fetch, ttl=60, now=clock)
    assert cache.get().spark_versions == ("15.4.x-scala2.12",)
    # A new instance (another process) reads the file instead of fetching.
    again = CatalogCache("http://127.0.0.1:1", tmp_path, fetch, ttl=60, now=clock)
    assert again.get().node_types == ("i3.xlarge",) and fetch.calls == 1
    clock.t += 61
    again.get()
    assert fetch.calls == 2


def test_cache_file_is_private_keyed_by_host_and_holds_no_secret(tmp_path):
    cache = CatalogCache("https://a.example", tmp_path, Fetcher(), now=Clock())
    cache.get()
    assert cache.path is not None and cache.path.parent == tmp_path / "cache"
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.path.parent.stat().st_mode) == 0o700
    assert set(json.loads(cache.path.read_text())) == {
        "host", "fetched_at", "spark_versions", "node_types"}
    other = CatalogCache("https://b.example", tmp_path, Fetcher(), now=Clock())
    assert other.path != cache.path


def test_refresh_drop_and_corrupt_file_force_a_fetch(tmp_path):
    fetch = Fetcher()
    cache = CatalogCache("h", tmp_path, fetch, now=Clock())
    cache.get()
    CatalogCache("h", tmp_path, fetch, refresh=True, now=Clock()).get()
    assert fetch.calls == 2
    cache.drop()
    assert cache.path is not None and not cache.path.exists()
    cache.get()
    assert fetch.calls == 3
    cache.path.write_text("{not json")
    CatalogCache("h", tmp_path, fetch, now=Clock()).get()
    assert fetch.calls == 4


def test_memory_only_without_home():
    fetch = Fetcher()
    cache = CatalogCache("h", None, fetch, now=Clock())
    cache.get()
    cache.get()
    assert fetch.calls == 1 and cache.path is None
