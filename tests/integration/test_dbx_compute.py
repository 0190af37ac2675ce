"""Cluster and job providers against the dpn Databricks emulator, over real HTTP with the
unpatched databricks-sdk."""

from __future__ import annotations

import json
import stat
import threading
import time
import urllib.request
import uuid

import pytest

from dpn.canonical import diff
from dpn.errors import InvalidRequest, ProviderError, Transient
from dpn.providers.base import Spec
from dpn.providers.databricks import ClientOptions, build

pytestmark = pytest.mark.integration
STACK = "acme-dev-lake"
VERSION = "15.4.x-scala2.12"


def tags(key: str) -> dict[str, str]:
    return {"dpn:stack": STACK, "dpn:key": key}


@pytest.fixture
def dbx(sandbox, tmp_path):
    return build(sandbox.settings(), tmp_path, options=ClientOptions(cluster_timeout_seconds=60))


@pytest.fixture
def name() -> str:
    return "dev-lake-" + uuid.uuid4().hex[:8]


def cluster_spec(name: str, token: str = "", **props) -> Spec:
    return Spec("etl", "dbx.cluster", name, {
        "spark_version": VERSION, "node_type_id": "i3.xlarge", "num_workers": 2,
        "autotermination_minutes": 30, "spark_conf": {"spark.sql.shuffle.partitions": "8"},
        "custom_tags": tags("etl"), **props}, token=token)


def job_spec(name: str, cluster_id: str = "0000-000000-abcdefgh", **props) -> Spec:
    return Spec("nightly", "dbx.job", name, {
        "tasks": [{"task_key": "ingest", "existing_cluster_id": cluster_id,
                   "notebook_task": {"notebook_path": "/Shared/ingest"}}],
        "schedule": {"quartz_cron_expression": "0 0 2 * * ?", "timezone_id": "UTC"},
        "max_concurrent_runs": 1, "tags": tags("nightly"),
        "email_notifications": {"on_failure": ["data@example.com"]}, **props})


def posts(faults, fragment: str) -> list[dict]:
    return [r for r in faults.requests() if r["method"] == "POST" and fragment in r["path"]]


def test_cluster_lifecycle(dbx, dbx_faults, name):
    provider = dbx["dbx.cluster"]
    spec = cluster_spec(name, token=f"tx-{name}")
    assert provider.physical_id(spec) is None
    created = provider.create(spec)
    assert created.attrs == {"name": name, "id": created.id}
    assert provider.client.clusters.get(created.id).state.value == "RUNNING"
    assert created.owned_by(STACK, "etl")
    assert not diff(provider.type, created.props, spec.props).changed
    assert provider.find(spec) == created

    bigger = cluster_spec(name, num_workers=4, autotermination_minutes=60)
    assert set(diff(provider.type, created.props, bigger.props).update) == {
        "autotermination_minutes", "num_workers"}
    updated = provider.update(created.id, bigger)
    assert updated.props["num_workers"] == 4 and updated.props["autotermination_minutes"] == 60
    scaled = cluster_spec(name, autoscale={"min_workers": 1, "max_workers": 3})
    updated = provider.update(created.id, scaled)
    assert updated.props["autoscale"] == {"min_workers": 1, "max_workers": 3}
    assert "num_workers" not in updated.props
    assert not diff(provider.type, updated.props, scaled.props).changed

    provider.delete(created.id)
    assert provider.read(created.id) is None
    provider.delete(created.id)  # idempotent: a missing cluster is not an error


def test_cluster_create_is_idempotent_with_its_token(dbx, dbx_faults, name):
    provider = dbx["dbx.cluster"]
    spec = cluster_spec(name, token=f"tx-{name}")
    first = provider.create(spec)
    dbx_faults.clear_requests()
    second = provider.create(spec)
    assert second.id == first.id
    sent = posts(dbx_faults, "/clusters/create")
    assert len(sent) == 1
    assert len([c for c in provider.client.clusters.list() if c.cluster_name == name]) == 1
    provider.delete(first.id)


def test_cluster_spec_is_checked_against_the_cached_workspace_offer(dbx, dbx_faults, name,
                                                                     tmp_path):
    provider = dbx["dbx.cluster"]
    assert provider.validate_cluster_spec(cluster_spec(name)) == []
    cache_files = list((tmp_path / "cache").glob("dbx-*.json"))
    assert len(cache_files) == 1
    assert stat.S_IMODE(cache_files[0].stat().st_mode) == 0o600
    assert "dapi" not in cache_files[0].read_text()
    assert VERSION in json.loads(cache_files[0].read_text())["spark_versions"]

    bad = cluster_spec(name, spark_version="1.0.x-scala2.12", node_type_id="z9.huge")
    problems = provider.validate_cluster_spec(bad)
    assert len(problems) == 2 and "1.0.x-scala2.12" in problems[0]
    dbx_faults.clear_requests()
    with pytest.raises(InvalidRequest, match="z9.huge"):
        provider.create(bad)
    # Answered from the cache: no list call, and no create was sent.
    assert not dbx_faults.requests()


def test_cluster_read_many_and_find_by_tags(dbx, dbx_faults, name):
    provider = dbx["dbx.cluster"]
    ids = [provider.create(cluster_spec(f"{name}-{i}", token=f"tx-{name}-{i}")).id
           for i in range(3)]
    dbx_faults.clear_requests()
    found = provider.read_many([*ids, "0000-000000-missing0"])
    assert [found[i].id for i in ids] == ids and found["0000-000000-missing0"] is None
    # one list, then one get for the id the list lacks (a long-terminated cluster is
    # listed no more, but still answers get)
    assert [r["path"].rsplit("/", 1)[-1] for r in dbx_faults.requests()] == ["list", "get"]
    stranger = Spec("etl", "dbx.cluster", f"{name}-0", {"custom_tags": tags("other")})
    assert provider.find(stranger).id == ids[0]  # same name, whoever owns it
    assert provider.find(cluster_spec(f"{name}-none")) is None
    for i in ids:
        provider.delete(i)


def test_job_lifecycle(dbx, dbx_faults, name):
    provider = dbx["dbx.job"]
    spec = job_spec(name)
    assert provider.physical_id(spec) is None
    created = provider.create(spec)
    assert created.id.isdigit() and created.attrs == {"name": name, "id": created.id}
    assert created.owned_by(STACK, "nightly")
    assert created.props["tasks"][0]["task_key"] == "ingest"
    assert not diff(provider.type, created.props, spec.props).changed
    assert provider.find(spec) == created

    changed = job_spec(name, max_concurrent_runs=3, schedule=None)
    assert diff(provider.type, created.props, changed.props).changed
    updated = provider.update(created.id, changed)
    assert updated.props["max_concurrent_runs"] == 3 and "schedule" not in updated.props
    assert not diff(provider.type, updated.props, changed.props).changed

    provider.delete(created.id)
    assert provider.read(created.id) is None
    provider.delete(created.id)


def test_job_create_looks_first_and_adopts_its_own_job(dbx, dbx_faults, name):
    provider = dbx["dbx.job"]
    first = provider.create(job_spec(name))
    dbx_faults.clear_requests()
    again = provider.create(job_spec(name))
    assert again.id == first.id
    assert not posts(dbx_faults, "/jobs/create")
    # A job of the same name owned by someone else is not adopted.
    other = Spec("nightly", "dbx.job", name, dict(job_spec(name).props,
                                                  tags=tags("someone_else")))
    theirs = provider.create(other)
    assert theirs.id != first.id
    assert provider.find(job_spec(name)).id == first.id
    provider.delete(first.id)
    provider.delete(theirs.id)


def test_job_read_many_pages_through_jobs(dbx, dbx_faults, name):
    provider = dbx["dbx.job"]
    ids = [provider.create(job_spec(f"{name}-{i}")).id for i in range(5)]
    dbx_faults.clear_requests()
    found = provider.read_many([*ids, "999999999"])
    calls = dbx_faults.requests()
    assert calls and all(r["method"] == "GET" and "/jobs/list" in r["path"] for r in calls)
    assert all(found[i].id == i for i in ids) and found["999999999"] is None
    assert found[ids[0]] == provider.read(ids[0])
    for i in ids:
        provider.delete(i)


@pytest.fixture
def cluster_delay(sandbox):
    """Set how long the emulator keeps new clusters PENDING; restored to 0 afterwards."""

    def set_delay(seconds: float) -> None:
        request = urllib.request.Request(
            sandbox.dbx_host + "/_dpn/config", method="POST",
            data=json.dumps({"cluster_delay": seconds}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5):
            pass

    yield set_delay
    set_delay(0)


def test_cluster_that_does_not_start_in_time_is_removed(sandbox, tmp_path, cluster_delay,
                                                        name):
    cluster_delay(30)
    dbx = build(sandbox.settings(), tmp_path,
                options=ClientOptions(cluster_timeout_seconds=0.5))
    provider = dbx["dbx.cluster"]
    with pytest.raises(ProviderError) as info:
        provider.create(cluster_spec(name, token=f"tx-{name}"))
    assert info.value.code == "CLUSTER_NOT_RUNNING" and not isinstance(info.value, Transient)
    assert provider.find(cluster_spec(name)) is None


def test_cluster_terminated_while_starting_fails_the_create_and_is_removed(
        dbx, cluster_delay, name):
    cluster_delay(0.5)
    provider = dbx["dbx.cluster"]
    spec = cluster_spec(name, token=f"tx-{name}")
    outcome: list[BaseException] = []

    def create() -> None:
        try:
            provider.create(spec)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    worker = threading.Thread(target=create)
    worker.start()
    deadline = time.monotonic() + 10
    cluster_id = None
    while cluster_id is None and time.monotonic() < deadline:
        cluster_id = next((c.cluster_id for c in provider.client.clusters.list()
                           if c.cluster_name == name), None)
        time.sleep(0.02)
    assert cluster_id is not None
    provider.client.clusters.delete(cluster_id)  # terminate it while the create waits
    worker.join(timeout=30)
    assert len(outcome) == 1 and isinstance(outcome[0], ProviderError)
    assert outcome[0].code == "CLUSTER_NOT_RUNNING" and "TERMINATED" in str(outcome[0])
    assert provider.read(cluster_id) is None
