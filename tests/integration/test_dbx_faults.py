"""Error translation and retry behaviour of the Databricks providers with faults injected
into the emulator (real HTTP, unpatched databricks-sdk)."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from dpn.errors import (
    InvalidRequest,
    NotFound,
    PermissionDenied,
    ProviderError,
    Throttled,
    Transient,
)
from dpn.providers.base import Spec
from dpn.providers.databricks import ClientOptions, build
from dpn.settings import PlatformSettings

pytestmark = pytest.mark.integration
STACK = "acme-dev-lake"


class FakeClock:
    """The SDK's clock: sleeps are recorded and advance time at once."""

    def __init__(self) -> None:
        self.now = time.time()
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def dbx(sandbox, tmp_path, clock):
    return build(sandbox.settings(), tmp_path, clock=clock,
                 options=ClientOptions(retry_timeout_seconds=30, cluster_timeout_seconds=60))


@pytest.fixture
def faults(dbx_faults):
    """The emulator's fault admin, its request log emptied for this test."""
    dbx_faults.clear_requests()
    return dbx_faults


@pytest.fixture
def uid() -> str:
    return uuid.uuid4().hex[:10]


def tags(key: str) -> dict[str, str]:
    return {"dpn:stack": STACK, "dpn:key": key}


def catalog_spec(name: str) -> Spec:
    return Spec("sales", "dbx.catalog", name, {"properties": tags("sales")})


def job_spec(name: str) -> Spec:
    return Spec("nightly", "dbx.job", name, {
        "tasks": [{"task_key": "t", "notebook_task": {"notebook_path": "/Shared/x"},
                   "existing_cluster_id": "0000-000000-abcdefgh"}],
        "tags": tags("nightly")})


def calls(faults, method: str, fragment: str) -> int:
    return len([r for r in faults.requests() if r["method"] == method and fragment in r["path"]])


def test_400_is_invalid_request_and_creates_nothing(dbx, faults, uid):
    name = f"c{uid}"
    faults.add(method="POST", path="/unity-catalog/catalogs$", status=400,
                   error_code="INVALID_PARAMETER_VALUE", message="storage_root is invalid",
                   count=1)
    with pytest.raises(InvalidRequest) as info:
        dbx["dbx.catalog"].create(catalog_spec(name))
    err = info.value
    assert err.platform == "databricks" and err.code == "INVALID_PARAMETER_VALUE"
    assert name in str(err) and "storage_root is invalid" in str(err)
    assert err.__cause__ is not None
    assert dbx["dbx.catalog"].read(name) is None


def test_403_is_permission_denied(dbx, faults):
    faults.add(method="GET", path="/clusters/list", status=403,
                   error_code="PERMISSION_DENIED", message="no access", count=1)
    with pytest.raises(PermissionDenied) as info:
        dbx["dbx.cluster"].read_many(["0000-000000-abcdefgh"])
    assert info.value.exit_code == 5 and info.value.code == "PERMISSION_DENIED"


def test_wrong_token_is_permission_denied_without_leaking_it(sandbox, tmp_path):
    secret = "dapi" + uuid.uuid4().hex
    settings = PlatformSettings(dbx_host=sandbox.dbx_host, dbx_token=secret)
    with pytest.raises(PermissionDenied) as info:
        build(settings, tmp_path)["dbx.catalog"].read("anything")
    assert secret not in str(info.value)


def test_unreachable_host_fails_fast(tmp_path):
    started = time.monotonic()
    with pytest.raises(ProviderError) as info:
        build(PlatformSettings(dbx_host="http://127.0.0.1:9", dbx_token="x"), tmp_path)
    assert info.value.code == "UNREACHABLE"
    assert time.monotonic() - started < 5


def test_500_on_a_table_create_is_transient(dbx, faults, uid):
    name = f"c{uid}"
    dbx["dbx.catalog"].create(catalog_spec(name))
    dbx["dbx.schema"].create(Spec("s", "dbx.schema", "s", {"catalog": name,
                                                            "properties": tags("s")}))
    faults.add(method="POST", path="/unity-catalog/tables$", status=500,
                   error_code="INTERNAL_ERROR", message="boom", count=1)
    spec = Spec("t", "dbx.table", "t", {"schema": f"{name}.s", "storage_location": "s3://b/t",
                                        "columns": [{"name": "a", "type": "INT"}],
                                        "properties": tags("t")})
    with pytest.raises(Transient) as info:
        dbx["dbx.table"].create(spec)
    assert not isinstance(info.value, Throttled) and info.value.code == "INTERNAL_ERROR"
    assert calls(faults, "POST", "/unity-catalog/tables") == 1  # the SDK did not retry
    assert dbx["dbx.table"].create(spec).id == f"{name}.s.t"
    dbx["dbx.catalog"].delete(name, force_empty=True)


def test_502_is_transient_by_its_status(dbx, faults):
    faults.add(method="GET", path="/unity-catalog/catalogs/", status=502,
                   error_code="SOMETHING_ODD", message="bad gateway", count=1)
    with pytest.raises(Transient) as info:
        dbx["dbx.catalog"].read("whatever")
    assert info.value.code == "SOMETHING_ODD"


def test_429_with_retry_after_is_retried_by_the_sdk(dbx, faults, clock, uid):
    name = f"c{uid}"
    faults.add(method="POST", path="/unity-catalog/catalogs$", status=429,
                   error_code="REQUEST_LIMIT_EXCEEDED", message="slow down", retry_after=7,
                   count=2)
    created = dbx["dbx.catalog"].create(catalog_spec(name))
    assert created.id == name
    assert calls(faults, "POST", "/unity-catalog/catalogs") == 3
    honoured = [s for s in clock.sleeps if s >= 7]
    assert len(honoured) == 2, clock.sleeps
    dbx["dbx.catalog"].delete(name)


def test_503_after_the_create_took_effect_is_resolved_as_ours(dbx, faults, uid):
    name = f"c{uid}"
    faults.add(method="POST", path="/unity-catalog/catalogs$", status=503,
                   error_code="TEMPORARILY_UNAVAILABLE", message="busy", after=True, count=1)
    created = dbx["dbx.catalog"].create(catalog_spec(name))
    assert created.id == name and created.owned_by(STACK, "sales")
    # The retried POST met CATALOG_ALREADY_EXISTS; the default schema is still removed.
    assert calls(faults, "POST", "/unity-catalog/catalogs") == 2
    assert "default" not in {s.name for s in dbx["dbx.schema"].client.schemas.list(name)}
    dbx["dbx.catalog"].delete(name)


def test_sdk_giving_up_on_503_is_not_retried_again(sandbox, tmp_path, faults, clock):
    dbx = build(sandbox.settings(), tmp_path, clock=clock,
                options=ClientOptions(retry_timeout_seconds=5))
    faults.add(method="GET", path="/unity-catalog/catalogs/", status=503,
                   error_code="TEMPORARILY_UNAVAILABLE", message="busy", retry_after=2)
    with pytest.raises(ProviderError) as info:
        dbx["dbx.catalog"].read("whatever")
    assert not isinstance(info.value, Transient)
    assert info.value.code == "RETRY_TIMEOUT"
    assert calls(faults, "GET", "/unity-catalog/catalogs/") >= 2


def test_job_create_whose_answer_was_lost_is_found_not_duplicated(dbx, faults, uid):
    name = f"dev-lake-{uid}"
    faults.add(method="POST", path="/jobs/create", status=500, error_code="INTERNAL_ERROR",
                   message="lost", after=True, count=1)
    created = dbx["dbx.job"].create(job_spec(name))
    assert created.owned_by(STACK, "nightly")
    same_name = [j for j in dbx["dbx.job"].client.jobs.list(name=name)]
    assert [str(j.job_id) for j in same_name] == [created.id]
    dbx["dbx.job"].delete(created.id)


def test_job_create_resent_after_a_dropped_answer_leaves_one_job(dbx, faults, uid):
    name = f"dev-lake-{uid}"
    faults.add(method="POST", path="/jobs/create", drop=True, after=True, count=1)
    created = dbx["dbx.job"].create(job_spec(name))
    assert calls(faults, "POST", "/jobs/create") == 2  # the SDK re-sent it
    same_name = [str(j.job_id) for j in dbx["dbx.job"].client.jobs.list(name=name)]
    assert same_name == [created.id]
    dbx["dbx.job"].delete(created.id)


def test_cluster_create_whose_answer_was_lost_is_found(dbx, faults, uid):
    name = f"dev-lake-{uid}"
    spec = Spec("etl", "dbx.cluster", name, {
        "spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge", "num_workers": 1,
        "custom_tags": tags("etl")}, token=f"tx-{uid}")
    dbx["dbx.cluster"].validate_cluster_spec(spec)  # warm the cache outside the fault
    faults.add(method="POST", path="/clusters/create", status=502,
                   error_code="BAD_GATEWAY", message="lost", after=True, count=1)
    created = dbx["dbx.cluster"].create(spec)
    assert created.name == name and created.owned_by(STACK, "etl")
    # The engine retrying with the same token gets the same cluster.
    assert dbx["dbx.cluster"].create(spec).id == created.id
    named = [c for c in dbx["dbx.cluster"].client.clusters.list() if c.cluster_name == name]
    assert len(named) == 1
    dbx["dbx.cluster"].delete(created.id)


def test_missing_objects_read_as_none_and_delete_quietly(dbx):
    assert dbx["dbx.cluster"].read("0000-000000-nothere0") is None
    dbx["dbx.cluster"].delete("0000-000000-nothere0")
    assert dbx["dbx.job"].read("987654321") is None
    dbx["dbx.job"].delete("987654321")
    assert dbx["dbx.catalog"].read("no_such_catalog") is None
    dbx["dbx.catalog"].delete("no_such_catalog")
    assert dbx["dbx.schema"].read("no_such_catalog.s") is None
    dbx["dbx.schema"].delete("no_such_catalog.s")
    assert dbx["dbx.table"].read("no_such_catalog.s.t") is None
    dbx["dbx.table"].delete("no_such_catalog.s.t")
    with pytest.raises(NotFound):
        dbx["dbx.schema"].create(Spec("s", "dbx.schema", "s", {"catalog": "no_such_catalog",
                                                               "properties": tags("s")}))


def test_no_credentials_at_all_is_permission_denied(tmp_path, monkeypatch):
    for var in [v for v in __import__("os").environ if v.startswith("DATABRICKS_")]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.databrickscfg
    with pytest.raises(PermissionDenied) as info:
        build(PlatformSettings(), tmp_path)
    assert info.value.exit_code == 5


def test_host_from_the_sdk_environment(sandbox, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("DATABRICKS_HOST", sandbox.dbx_host)
    monkeypatch.setenv("DATABRICKS_TOKEN", sandbox.dbx_token)
    assert build(PlatformSettings(), tmp_path)["dbx.catalog"].read("no_such_catalog") is None


def test_uc_create_whose_answer_was_lost_is_ours(dbx, faults, uid):
    name = f"c{uid}"
    faults.add(method="POST", path="/unity-catalog/catalogs$", status=500,
               error_code="INTERNAL_ERROR", message="lost", after=True, count=1)
    created = dbx["dbx.catalog"].create(catalog_spec(name))
    assert created.owned_by(STACK, "sales")
    assert "default" not in {s.name for s in dbx["dbx.schema"].client.schemas.list(name)}
    dbx["dbx.catalog"].delete(name)
