"""What the Databricks emulator normalises like the real service, driven through an
unpatched databricks-sdk WorkspaceClient over HTTP. Each behaviour's source is named in
the emulator's code next to it (src/dpn/sandbox/emulator/) and in docs/sandbox.md. Time
moves with the emulator's clock (``/_dpn/config`` ``advance_clock``), never by sleeping."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from databricks.sdk.errors import InvalidParameterValue, ResourceDoesNotExist
from databricks.sdk.service.jobs import JobSettings

from dpn.sandbox.faults import FaultClient

pytestmark = pytest.mark.integration

DAY = 86_400
V = "15.4.x-scala2.12"
MANAGED = {
    "unity.catalog.managed.delta.defaults.delta.enableRowTracking": "true",
    "unity.catalog.managed.iceberg.defaults.delta.feature.catalogManaged": "true",
    "unity.catalog.managed.delta.defaults.defaultClusterByAuto": "true",
    "unity.catalog.managed.delta.defaults.delta.checkpointPolicy": "v2",
    "unity.catalog.managed.delta.defaults.delta.parquet.format.version": "2.12.0",
    "unity.catalog.managed.delta.defaults.delta.parquet.format.version.afe.internal": "2.12.0",
    "unity.catalog.managed.delta.defaults.delta.feature.catalogManaged": "supported",
}


@pytest.fixture
def emu(clean_sandbox: Any) -> Iterator[Callable[..., dict[str, Any]]]:
    """``emu(advance_clock=s)`` / ``emu(cluster_delay=s)``: the emulator's /_dpn/config.
    Afterwards the clock goes back (a reset) and clusters start at once again."""
    admin = FaultClient(clean_sandbox.dbx_host)

    def config(**body: Any) -> dict[str, Any]:
        return dict(admin._call("POST", "/_dpn/config", body))

    yield config
    config(cluster_delay=0)
    admin.reset()


def _raw(workspace: Any, method: str, path: str, **kw: Any) -> Any:
    return workspace.api_client.do(method, path, **kw)


# --- 1. Unity Catalog storage paths ---------------------------------------------------
def test_uc_strips_every_trailing_slash_from_storage_paths(clean_sandbox, workspace):
    catalog = workspace.catalogs.create(name="lake", storage_root="s3://bucket/root//")
    assert catalog.storage_root == "s3://bucket/root"
    catalog_id = _raw(workspace, "GET", "/api/2.1/unity-catalog/catalogs/lake")["id"]
    assert catalog.storage_location == f"s3://bucket/root/__unitystorage/catalogs/{catalog_id}"
    assert workspace.catalogs.get("lake").storage_root == "s3://bucket/root"
    schema = workspace.schemas.create(name="gold", catalog_name="lake",
                                      storage_root="s3://bucket/gold/")
    assert schema.storage_root == "s3://bucket/gold"
    assert schema.storage_location == \
        f"s3://bucket/gold/__unitystorage/schemas/{schema.schema_id}"
    listed = {s.name: s for s in workspace.schemas.list(catalog_name="lake")}
    assert listed["gold"].storage_root == "s3://bucket/gold"
    table = workspace.api_client.do("POST", "/api/2.1/unity-catalog/tables", body={
        "name": "t", "catalog_name": "lake", "schema_name": "gold", "table_type": "EXTERNAL",
        "data_source_format": "DELTA", "storage_location": "s3://bucket/gold/t/"})
    assert table["storage_location"] == "s3://bucket/gold/t"
    assert workspace.tables.get("lake.gold.t").storage_location == "s3://bucket/gold/t"
    root = workspace.catalogs.create(name="bare", storage_root="s3://bucket/")
    assert root.storage_root == "s3://bucket"


def test_catalog_without_storage_root_reports_no_storage_location(clean_sandbox, workspace):
    catalog = workspace.catalogs.create(name="plain")
    assert catalog.storage_root is None and catalog.storage_location is None
    raw = _raw(workspace, "GET", "/api/2.1/unity-catalog/catalogs/plain")
    assert "storage_location" not in raw and "storage_root" not in raw


# --- 7. Unity Catalog properties ------------------------------------------------------
def test_uc_fills_managed_properties_only_when_none_are_sent(clean_sandbox, workspace):
    assert workspace.catalogs.create(name="a").properties == MANAGED
    assert workspace.catalogs.get("a").properties == MANAGED
    assert workspace.catalogs.create(name="b", properties={"k": "v"}).properties == {"k": "v"}
    assert not workspace.catalogs.create(name="c", properties={}).properties
    assert workspace.schemas.create(name="s", catalog_name="a").properties == MANAGED
    assert workspace.schemas.create(name="t", catalog_name="a",
                                    properties={"x": "y"}).properties == {"x": "y"}
    # the auto-created default schema is the service's own, created without properties
    assert not workspace.schemas.get("a.default").properties


def test_uc_properties_update_replaces_the_map(clean_sandbox, workspace):
    workspace.catalogs.create(name="a")
    updated = workspace.catalogs.update("a", properties={"owner-team": "data"})
    assert updated.properties == {"owner-team": "data"}
    assert workspace.catalogs.get("a").properties == {"owner-team": "data"}
    workspace.schemas.create(name="s", catalog_name="a", properties={"p": "1", "q": "2"})
    assert workspace.schemas.update("a.s", properties={"q": "3"}).properties == {"q": "3"}
    assert workspace.schemas.update("a.s", comment="c").properties == {"q": "3"}


def test_delta_tables_carry_delta_properties(clean_sandbox, workspace):
    workspace.catalogs.create(name="a")
    workspace.schemas.create(name="s", catalog_name="a")
    body = {"catalog_name": "a", "schema_name": "s", "table_type": "EXTERNAL",
            "storage_location": "s3://b/t", "properties": {"dpn:stack": "x"}}
    _raw(workspace, "POST", "/api/2.1/unity-catalog/tables",
         body={**body, "name": "d", "data_source_format": "DELTA"})
    props = workspace.tables.get("a.s.d").properties
    assert props["dpn:stack"] == "x"
    assert props["delta.minReaderVersion"] == "1" and props["delta.minWriterVersion"] == "2"
    assert int(props["delta.lastCommitTimestamp"]) == workspace.tables.get("a.s.d").created_at
    _raw(workspace, "POST", "/api/2.1/unity-catalog/tables",
         body={**body, "name": "p", "data_source_format": "PARQUET"})
    assert workspace.tables.get("a.s.p").properties == {"dpn:stack": "x"}


# --- 2. task order ----------------------------------------------------------------------
def _task(key: str, deps: tuple[str, ...] = ()) -> dict[str, Any]:
    task: dict[str, Any] = {"task_key": key, "existing_cluster_id": "0101-000000-abc",
                            "notebook_task": {"notebook_path": f"/Shared/{key}"}}
    if deps:
        task["depends_on"] = [{"task_key": d} for d in deps]
    return task


def test_jobs_sort_tasks_and_depends_on_by_task_key(clean_sandbox, workspace):
    settings = JobSettings.from_dict({
        "name": "dag", "tasks": [_task("c", ("b", "a")), _task("a"), _task("b", ("a",))],
        "job_clusters": [{"job_cluster_key": "z", "new_cluster": {"spark_version": V}},
                         {"job_cluster_key": "m", "new_cluster": {"spark_version": V}}]})
    job_id = workspace.jobs.create(name=settings.name, tasks=settings.tasks,
                                   job_clusters=settings.job_clusters).job_id
    got = workspace.jobs.get(job_id).settings
    assert [t.task_key for t in got.tasks] == ["a", "b", "c"]
    assert [d.task_key for d in got.tasks[2].depends_on] == ["a", "b"]
    assert [c.job_cluster_key for c in got.job_clusters] == ["z", "m"]  # not sorted
    listed = list(workspace.jobs.list(expand_tasks=True))[0].settings
    assert [t.task_key for t in listed.tasks] == ["a", "b", "c"]
    workspace.jobs.update(job_id, new_settings=JobSettings.from_dict(
        {"tasks": [_task("0first", ("c", "b"))]}))
    got = workspace.jobs.get(job_id).settings
    assert [t.task_key for t in got.tasks] == ["0first", "a", "b", "c"]
    assert [d.task_key for d in got.tasks[0].depends_on] == ["b", "c"]


# --- 3. pagination of arrays --------------------------------------------------------------
def _big_job(workspace: Any, name: str = "big") -> int:
    body = {"name": name, "tasks": [_task(f"t{i:03d}") for i in range(230)],
            "job_clusters": [{"job_cluster_key": f"c{i:03d}", "new_cluster": {
                "spark_version": V, "num_workers": 1}} for i in range(150)],
            "parameters": [{"name": f"p{i:03d}", "default": str(i)} for i in range(101)],
            "environments": [{"environment_key": "e0", "spec": {"client": "1"}}]}
    return int(_raw(workspace, "POST", "/api/2.2/jobs/create", body=body)["job_id"])


def test_jobs_get_pages_arrays_of_more_than_100(clean_sandbox, workspace):
    job_id = _big_job(workspace)
    first = _raw(workspace, "GET", "/api/2.2/jobs/get", query={"job_id": job_id})
    s = first["settings"]
    assert (len(s["tasks"]), len(s["job_clusters"]), len(s["parameters"]),
            len(s["environments"])) == (100, 100, 100, 1)
    assert first["has_more"] is True and first["next_page_token"]
    assert s["name"] == "big"
    second = _raw(workspace, "GET", "/api/2.2/jobs/get",
                  query={"job_id": job_id, "page_token": first["next_page_token"]})
    s2 = second["settings"]
    assert [t["task_key"] for t in s2["tasks"]] == [f"t{i:03d}" for i in range(100, 200)]
    assert len(s2["job_clusters"]) == 50 and len(s2["parameters"]) == 1
    assert "environments" not in s2  # nothing more of it: empty on later pages
    third = _raw(workspace, "GET", "/api/2.2/jobs/get",
                 query={"job_id": job_id, "page_token": second["next_page_token"]})
    assert len(third["settings"]["tasks"]) == 30 and "next_page_token" not in third
    assert "job_clusters" not in third["settings"]
    joined = workspace.jobs.get(job_id)  # JobsExt.get follows next_page_token
    assert [t.task_key for t in joined.settings.tasks] == [f"t{i:03d}" for i in range(230)]
    assert len(joined.settings.job_clusters) == 150 and len(joined.settings.parameters) == 101
    assert len(joined.settings.environments) == 1
    with pytest.raises(InvalidParameterValue, match="page token"):
        _raw(workspace, "GET", "/api/2.2/jobs/get", query={"job_id": job_id,
                                                           "page_token": "bogus"})


def test_jobs_list_cuts_arrays_to_100_and_flags_has_more(clean_sandbox, workspace):
    big = _big_job(workspace)
    small = workspace.jobs.create(name="small", tasks=JobSettings.from_dict(
        {"tasks": [_task("a")]}).tasks).job_id
    raw = _raw(workspace, "GET", "/api/2.2/jobs/list", query={"expand_tasks": "true"})
    by_id = {j["job_id"]: j for j in raw["jobs"]}
    assert len(by_id[big]["settings"]["tasks"]) == 100 and by_id[big]["has_more"] is True
    assert len(by_id[big]["settings"]["job_clusters"]) == 100
    assert by_id[small]["has_more"] is False
    listed = {j.job_id: j for j in workspace.jobs.list(expand_tasks=True)}  # JobsExt.list
    assert len(listed[big].settings.tasks) == 230
    assert len(listed[big].settings.job_clusters) == 150


def test_jobs_api_21_returns_every_element(clean_sandbox, workspace):
    job_id = _big_job(workspace)
    whole = _raw(workspace, "GET", "/api/2.1/jobs/get", query={"job_id": job_id})
    assert len(whole["settings"]["tasks"]) == 230 and "next_page_token" not in whole


# --- 4 and 5. data_security_mode and single_user_name ------------------------------------
MODES = [  # (sent, spark_version, node type, kind) -> reported
    ("DATA_SECURITY_MODE_DEDICATED", V, "i3.xlarge", None, "SINGLE_USER"),
    ("DATA_SECURITY_MODE_STANDARD", V, "i3.xlarge", None, "USER_ISOLATION"),
    ("DATA_SECURITY_MODE_AUTO", V, "i3.xlarge", None, "USER_ISOLATION"),
    ("DATA_SECURITY_MODE_AUTO", "15.4.x-cpu-ml-scala2.12", "i3.xlarge", None, "SINGLE_USER"),
    ("DATA_SECURITY_MODE_AUTO", V, "g4dn.xlarge", None, "SINGLE_USER"),
    ("DATA_SECURITY_MODE_AUTO", "13.3.x-scala2.12", "i3.xlarge", None, "SINGLE_USER"),
    ("DATA_SECURITY_MODE_AUTO", "14.3.x-scala2.12", "i3.xlarge", None, "USER_ISOLATION"),
    (None, V, "i3.xlarge", "CLASSIC_PREVIEW", "USER_ISOLATION"),
    (None, "15.4.x-cpu-ml-scala2.12", "i3.xlarge", "CLASSIC_PREVIEW", "SINGLE_USER"),
    (None, V, "i3.xlarge", None, None),
    ("SINGLE_USER", V, "i3.xlarge", None, "SINGLE_USER"),
    ("USER_ISOLATION", V, "i3.xlarge", None, "USER_ISOLATION"),
    ("NONE", V, "i3.xlarge", None, "NONE"),
    ("LEGACY_SINGLE_USER", V, "i3.xlarge", None, "LEGACY_SINGLE_USER"),
]


@pytest.mark.parametrize("sent,version,node,kind,reported", MODES)
def test_data_security_mode_is_reported_as_the_service_does(clean_sandbox, workspace, sent,
                                                             version, node, kind, reported):
    body: dict[str, Any] = {"cluster_name": "c", "spark_version": version,
                            "node_type_id": node, "num_workers": 1}
    if sent:
        body["data_security_mode"] = sent
    if kind:
        body["kind"] = kind
    cluster_id = _raw(workspace, "POST", "/api/2.1/clusters/create", body=body)["cluster_id"]
    details = workspace.clusters.get(cluster_id)
    got = details.data_security_mode.value if details.data_security_mode else None
    assert got == reported
    spec_mode = details.spec.data_security_mode
    assert (spec_mode.value if spec_mode else None) == sent  # the spec keeps what was sent
    me = workspace.current_user.me().user_name
    assert details.single_user_name == (me if reported == "SINGLE_USER" else None)
    listed = _raw(workspace, "GET", "/api/2.1/clusters/list")["clusters"][0]
    assert listed.get("data_security_mode") == reported and "spec" not in listed


def test_single_user_cluster_is_bound_to_the_caller(clean_sandbox, workspace):
    from databricks.sdk.service.compute import DataSecurityMode

    me = workspace.current_user.me().user_name
    created = workspace.clusters.create_and_wait(
        cluster_name="mine", spark_version=V, node_type_id="i3.xlarge", num_workers=1,
        data_security_mode=DataSecurityMode.SINGLE_USER)
    assert created.single_user_name == me and created.creator_user_name == me
    assert created.spec.single_user_name is None
    other = workspace.clusters.create_and_wait(
        cluster_name="theirs", spark_version=V, node_type_id="i3.xlarge", num_workers=1,
        data_security_mode=DataSecurityMode.SINGLE_USER, single_user_name="ann@example.com")
    assert other.single_user_name == "ann@example.com"
    edited = workspace.clusters.edit_and_wait(
        cluster_id=other.cluster_id, cluster_name="theirs", spark_version=V,
        node_type_id="i3.xlarge", num_workers=1,
        data_security_mode=DataSecurityMode.DATA_SECURITY_MODE_DEDICATED)
    assert edited.single_user_name == me
    assert edited.data_security_mode == DataSecurityMode.SINGLE_USER


# --- 6. autotermination_minutes -------------------------------------------------------------
def test_cluster_without_autotermination_never_terminates(emu, workspace):
    forever = workspace.clusters.create_and_wait(
        cluster_name="forever", spark_version=V, node_type_id="i3.xlarge", num_workers=1)
    assert forever.autotermination_minutes is None
    raw = _raw(workspace, "GET", "/api/2.1/clusters/get",
               query={"cluster_id": forever.cluster_id})
    assert "autotermination_minutes" not in raw and "autotermination_minutes" not in raw["spec"]
    idle = workspace.clusters.create_and_wait(
        cluster_name="idle", spark_version=V, node_type_id="i3.xlarge", num_workers=1,
        autotermination_minutes=10)
    active_since = _raw(workspace, "GET", "/api/2.1/clusters/get",
                        query={"cluster_id": idle.cluster_id})["last_activity_time"]
    emu(advance_clock=9 * 60)
    assert workspace.clusters.get(idle.cluster_id).state.value == "RUNNING"
    emu(advance_clock=2 * 60)
    stopped = workspace.clusters.get(idle.cluster_id)
    assert stopped.state.value == "TERMINATED"
    assert stopped.termination_reason.code.value == "INACTIVITY"
    assert stopped.terminated_time == active_since + 10 * 60_000
    emu(advance_clock=40 * DAY)
    assert workspace.clusters.get(forever.cluster_id).state.value == "RUNNING"


# --- 8. 30 days in list, 60 days in get -----------------------------------------------------
def test_terminated_clusters_leave_list_after_30_days_and_get_after_60(emu, workspace):
    gone = workspace.clusters.create_and_wait(
        cluster_name="gone", spark_version=V, node_type_id="i3.xlarge", num_workers=1)
    pinned = workspace.clusters.create_and_wait(
        cluster_name="pinned", spark_version=V, node_type_id="i3.xlarge", num_workers=1)
    workspace.clusters.create_and_wait(
        cluster_name="live", spark_version=V, node_type_id="i3.xlarge", num_workers=1)
    workspace.clusters.delete_and_wait(gone.cluster_id)
    workspace.clusters.delete_and_wait(pinned.cluster_id)
    workspace.clusters.pin(pinned.cluster_id)

    def listed() -> set[str]:
        return {c.cluster_name for c in workspace.clusters.list()}

    emu(advance_clock=29 * DAY)
    assert listed() == {"gone", "pinned", "live"}
    emu(advance_clock=2 * DAY)  # 31 days after termination
    assert listed() == {"pinned", "live"}
    assert workspace.clusters.get(gone.cluster_id).state.value == "TERMINATED"
    emu(advance_clock=28 * DAY)  # 59 days
    assert workspace.clusters.get(gone.cluster_id).cluster_name == "gone"
    emu(advance_clock=2 * DAY)  # 61 days
    with pytest.raises(ResourceDoesNotExist, match="does not exist"):
        workspace.clusters.get(gone.cluster_id)
    assert workspace.clusters.get(pinned.cluster_id).cluster_name == "pinned"
    assert listed() == {"pinned", "live"}
    workspace.clusters.unpin(pinned.cluster_id)
    assert listed() == {"live"}


def test_clock_control_endpoint(emu):
    before = emu()["now"]
    after = emu(advance_clock=3600)
    assert after["now"] - before >= 3_600_000 and after["clock_offset"] == 3600
    with pytest.raises(Exception, match="400"):
        emu(advance_clock=-1)


# --- 9. edit restarts a running cluster, leaves a terminated one --------------------------
def test_edit_restarts_running_and_keeps_terminated(emu, workspace):
    emu(cluster_delay=60)
    cluster_id = workspace.clusters.create(cluster_name="e", spark_version=V,
                                           node_type_id="i3.xlarge", num_workers=1).cluster_id
    assert workspace.clusters.get(cluster_id).state.value == "PENDING"
    emu(advance_clock=60)
    assert workspace.clusters.get(cluster_id).state.value == "RUNNING"
    workspace.clusters.edit(cluster_id=cluster_id, cluster_name="e", spark_version=V,
                            node_type_id="i3.xlarge", num_workers=3)
    restarting = workspace.clusters.get(cluster_id)
    assert restarting.state.value == "RESTARTING" and restarting.num_workers == 3
    emu(advance_clock=60)
    assert workspace.clusters.get(cluster_id).state.value == "RUNNING"
    workspace.clusters.delete(cluster_id)
    emu(advance_clock=60)
    assert workspace.clusters.get(cluster_id).state.value == "TERMINATED"
    workspace.clusters.edit(cluster_id=cluster_id, cluster_name="e2", spark_version=V,
                            node_type_id="i3.xlarge", num_workers=2)
    kept = workspace.clusters.get(cluster_id)
    assert kept.state.value == "TERMINATED" and kept.cluster_name == "e2"
    assert kept.num_workers == 2
    emu(advance_clock=600)
    assert workspace.clusters.get(cluster_id).state.value == "TERMINATED"


# --- 10. every setting stored and returned --------------------------------------------------
CLUSTER_SPEC = {
    "cluster_name": "full", "spark_version": V, "node_type_id": "i3.xlarge",
    "driver_node_type_id": "i3.2xlarge", "num_workers": 2, "autotermination_minutes": 60,
    "spark_conf": {"spark.sql.shuffle.partitions": "8"}, "custom_tags": {"team": "data"},
    "spark_env_vars": {"ENV": "prod"}, "runtime_engine": "PHOTON",
    "aws_attributes": {"availability": "ON_DEMAND", "first_on_demand": 1},
    "policy_id": "ABC123", "apply_policy_default_values": True,
    "enable_elastic_disk": True, "enable_local_disk_encryption": True,
    "ssh_public_keys": ["ssh-ed25519 AAAA"],
    "init_scripts": [{"workspace": {"destination": "/Shared/init.sh"}},
                     {"volumes": {"destination": "/Volumes/a/b/c/init.sh"}}],
    "cluster_log_conf": {"s3": {"destination": "s3://logs/c", "region": "us-east-1"}},
    "docker_image": {"url": "databricksruntime/standard:latest"},
}


def test_cluster_settings_round_trip_in_the_shape_of_cluster_details(clean_sandbox, workspace):
    from databricks.sdk.service.compute import ClusterSpec

    spec = ClusterSpec.from_dict(CLUSTER_SPEC)
    details = workspace.clusters.create_and_wait(**{k: getattr(spec, k) for k in CLUSTER_SPEC})
    raw = _raw(workspace, "GET", "/api/2.1/clusters/get",
               query={"cluster_id": details.cluster_id})
    for field, value in CLUSTER_SPEC.items():
        if field == "apply_policy_default_values":
            assert field not in raw  # ClusterDetails has no such field
        else:
            assert raw[field] == value, field
    assert raw["spec"] == CLUSTER_SPEC  # the settings as sent, the policy flag included
    assert details.spec.apply_policy_default_values is True
    listed = _raw(workspace, "GET", "/api/2.1/clusters/list")["clusters"][0]
    assert "spec" not in listed and "apply_policy_default_values" not in listed
    assert listed["init_scripts"] == CLUSTER_SPEC["init_scripts"]
    with pytest.raises(InvalidParameterValue, match="init_scripts"):
        _raw(workspace, "POST", "/api/2.1/clusters/create", body={
            **CLUSTER_SPEC, "init_scripts": [{"workspace": "x"}]})
    with pytest.raises(InvalidParameterValue, match="cluster_log_conf"):
        _raw(workspace, "POST", "/api/2.1/clusters/create", body={
            **CLUSTER_SPEC, "cluster_log_conf": {}})


def test_cluster_defaults_the_service_fills_in(clean_sandbox, workspace):
    cluster_id = workspace.clusters.create(cluster_name="d", spark_version=V,
                                           node_type_id="i3.xlarge", num_workers=0).cluster_id
    raw = _raw(workspace, "GET", "/api/2.1/clusters/get", query={"cluster_id": cluster_id})
    assert raw["aws_attributes"] == {"availability": "SPOT_WITH_FALLBACK",
                                     "zone_id": "us-east-1c"}
    assert raw["enable_elastic_disk"] is False and raw["driver_node_type_id"] == "i3.xlarge"
    assert raw["spec"] == {"cluster_name": "d", "spark_version": V, "node_type_id": "i3.xlarge",
                           "num_workers": 0}


FULL_SETTINGS: dict[str, Any] = {
    "name": "everything", "description": "all settings",
    "timeout_seconds": 3600, "max_concurrent_runs": 3, "edit_mode": "EDITABLE",
    "tags": {"team": "data"}, "budget_policy_id": "bp-1",
    "run_as": {"service_principal_name": "6f1a8c3e-0000-4000-8000-000000000001"},
    "parameters": [{"name": "day", "default": "today"}],
    "git_source": {"git_url": "https://github.com/o/r", "git_provider": "gitHub",
                   "git_branch": "main"},
    "schedule": {"quartz_cron_expression": "0 0 1 * * ?", "timezone_id": "UTC",
                 "pause_status": "PAUSED"},
    "queue": {"enabled": False},
    "environments": [{"environment_key": "default", "spec": {"client": "2",
                                                              "dependencies": ["rich"]}}],
    "email_notifications": {"on_failure": ["ops@example.com"],
                            "no_alert_for_skipped_runs": True},
    "webhook_notifications": {"on_failure": [{"id": "hook-1"}]},
    "notification_settings": {"no_alert_for_skipped_runs": True,
                              "no_alert_for_canceled_runs": True},
    "health": {"rules": [{"metric": "RUN_DURATION_SECONDS", "op": "GREATER_THAN",
                          "value": 7200}]},
    "job_clusters": [{"job_cluster_key": "shared", "new_cluster": {
        "spark_version": V, "node_type_id": "i3.xlarge", "num_workers": 2,
        "data_security_mode": "DATA_SECURITY_MODE_AUTO",
        "aws_attributes": {"availability": "ON_DEMAND"}, "enable_elastic_disk": True}}],
    "tasks": [
        {"task_key": "ingest", "description": "load", "job_cluster_key": "shared",
         "notebook_task": {"notebook_path": "nb/ingest", "source": "GIT"},
         "max_retries": 2, "min_retry_interval_millis": 60000, "retry_on_timeout": True,
         "timeout_seconds": 600, "run_if": "ALL_DONE", "libraries": [{"pypi": {
             "package": "rich"}}],
         "email_notifications": {"on_success": ["a@example.com"]},
         "webhook_notifications": {"on_start": [{"id": "hook-2"}]},
         "notification_settings": {"alert_on_last_attempt": True},
         "health": {"rules": [{"metric": "RUN_DURATION_SECONDS", "op": "GREATER_THAN",
                               "value": 600}]}},
        {"task_key": "report", "environment_key": "default", "disabled": True,
         "depends_on": [{"task_key": "ingest", "outcome": "true"}],
         "spark_python_task": {"python_file": "jobs/report.py", "source": "GIT"},
         "run_if": "ALL_SUCCESS", "timeout_seconds": 0, "email_notifications": {}},
    ],
}


def test_every_job_setting_is_stored_and_returned(clean_sandbox, workspace):
    settings = JobSettings.from_dict(FULL_SETTINGS)
    job_id = workspace.jobs.create(**{k: getattr(settings, k) for k in FULL_SETTINGS}).job_id
    job = workspace.jobs.get(job_id)
    got = job.settings.as_dict()
    for field, value in FULL_SETTINGS.items():
        assert got[field] == value, field
    assert got["format"] == "MULTI_TASK"
    assert job.run_as_user_name == FULL_SETTINGS["run_as"]["service_principal_name"]
    for trigger in ({"trigger": {"file_arrival": {"url": "s3://in/"}, "pause_status":
                                 "UNPAUSED"}},
                    {"continuous": {"pause_status": "UNPAUSED"}},
                    {"trigger": {"periodic": {"interval": 4, "unit": "HOURS"}}}):
        other = _raw(workspace, "POST", "/api/2.2/jobs/create", body={"name": "t", **trigger})
        stored = workspace.jobs.get(other["job_id"]).settings.as_dict()
        assert {k: stored[k] for k in trigger} == trigger


def test_job_settings_are_type_checked(clean_sandbox, workspace):
    bad = [({"timeout_seconds": "1h"}, "timeout_seconds"),
           ({"description": 3}, "description"),
           ({"run_as": {}}, "run_as"),
           ({"run_as": {"user_name": "a", "group_name": "b"}}, "run_as"),
           ({"parameters": [{"name": "x"}]}, "default"),
           ({"job_clusters": [{"new_cluster": {}}]}, "job_cluster_key"),
           ({"git_source": {"git_url": "https://x"}}, "git_provider"),
           ({"edit_mode": "LOCKED"}, "edit_mode"),
           ({"environments": [{"environment_key": "e"}, {"environment_key": "e"}]},
            "not unique"),
           ({"tasks": [{**_task("a"), "run_if": "SOMETIMES"}]}, "run_if"),
           ({"tasks": [{**_task("a"), "max_retries": [2]}]}, "max_retries"),
           ({"tasks": [{**_task("a"), "health": []}]}, "health"),
           ({"schedule": {"quartz_cron_expression": "0 0 1 * * ?", "timezone_id": "UTC"},
             "continuous": {}}, "schedule")]
    for body, match in bad:
        with pytest.raises(InvalidParameterValue, match=match):
            _raw(workspace, "POST", "/api/2.2/jobs/create", body={"name": "j", **body})
    # an integer sent as a string is an integer (proto3 JSON), stored as a number
    job_id = _raw(workspace, "POST", "/api/2.2/jobs/create", body={
        "name": "j", "timeout_seconds": "120", "tasks": [{**_task("a"), "max_retries": "2"}]})
    got = _raw(workspace, "GET", "/api/2.2/jobs/get", query=job_id)["settings"]
    assert got["timeout_seconds"] == 120 and got["tasks"][0]["max_retries"] == 2


def test_job_and_task_defaults_the_service_fills_in(clean_sandbox, workspace):
    body = {"name": "minimal", "tasks": [{
        "task_key": "t", "notebook_task": {"notebook_path": "/Shared/nb"},
        "new_cluster": {"spark_version": V, "node_type_id": "i3.xlarge", "num_workers": 1,
                        "apply_policy_default_values": True}}]}
    job_id = _raw(workspace, "POST", "/api/2.2/jobs/create", body=body)["job_id"]
    job = _raw(workspace, "GET", "/api/2.2/jobs/get", query={"job_id": job_id})
    s = job["settings"]
    assert s["format"] == "MULTI_TASK" and s["max_concurrent_runs"] == 1
    assert s["timeout_seconds"] == 0 and s["queue"] == {"enabled": True}
    assert s["email_notifications"] == {} and s["webhook_notifications"] == {}
    assert "run_as" not in s and job["run_as_user_name"] == workspace.current_user.me().user_name
    task = s["tasks"][0]
    assert task["run_if"] == "ALL_SUCCESS" and task["timeout_seconds"] == 0
    assert task["email_notifications"] == {}
    assert task["notebook_task"]["source"] == "WORKSPACE"
    assert "max_retries" not in task and "retry_on_timeout" not in task
    assert task["new_cluster"] == {
        "spark_version": V, "node_type_id": "i3.xlarge", "num_workers": 1,
        "data_security_mode": "SINGLE_USER", "enable_elastic_disk": False,
        "aws_attributes": {"availability": "SPOT_WITH_FALLBACK", "zone_id": "us-east-1c"}}
    git = _raw(workspace, "POST", "/api/2.2/jobs/create", body={
        **body, "git_source": {"git_url": "https://github.com/o/r", "git_provider": "gitHub",
                               "git_branch": "main"}})["job_id"]
    git_task = workspace.jobs.get(git).settings.tasks[0]
    assert git_task.notebook_task.source.value == "GIT"
    old = _raw(workspace, "POST", "/api/2.1/jobs/create", body={"name": "v21"})["job_id"]
    assert "queue" not in _raw(workspace, "GET", "/api/2.1/jobs/get",
                               query={"job_id": old})["settings"]


def test_reset_replaces_settings_but_keeps_run_as_and_update_merges(clean_sandbox, workspace):
    settings = JobSettings.from_dict({
        "name": "j", "tags": {"k": "v"}, "run_as": {"user_name": "ann@example.com"},
        "tasks": [_task("a"), _task("b")], "description": "first"})
    job_id = workspace.jobs.create(name="j", tags=settings.tags, run_as=settings.run_as,
                                   tasks=settings.tasks, description="first").job_id
    assert workspace.jobs.get(job_id).run_as_user_name == "ann@example.com"
    workspace.jobs.reset(job_id, JobSettings.from_dict({"name": "j2", "tasks": [_task("c")]}))
    job = workspace.jobs.get(job_id)
    assert job.settings.name == "j2" and [t.task_key for t in job.settings.tasks] == ["c"]
    assert job.settings.tags is None and job.settings.description is None
    assert job.settings.run_as.user_name == "ann@example.com"  # reset keeps run_as
    assert job.run_as_user_name == "ann@example.com"
    workspace.jobs.update(job_id, new_settings=JobSettings.from_dict(
        {"tasks": [_task("a")], "description": "second"}), fields_to_remove=["run_as"])
    job = workspace.jobs.get(job_id)
    assert [t.task_key for t in job.settings.tasks] == ["a", "c"]
    assert job.settings.description == "second" and job.settings.name == "j2"
    assert job.settings.run_as is None
    assert job.run_as_user_name == workspace.current_user.me().user_name
