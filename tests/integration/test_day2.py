"""Day-2 operations through the real CLI against the sandbox, on examples/environments.json:
environments as stacks of their own, prevent_destroy, ignore_changes, --exclude of a
failing part, moved without a platform call, outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dpn.engine.stores.state import StateStore
from dpn.sandbox.faults import FaultClient
from tests.crash.harness import run
from tests.integration.test_every_property import is_mutating
from tests.platform_listing import platform_inventory

pytestmark = pytest.mark.integration
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "environments.json"
DEV, PRD = "acme-dev-orders", "acme-prd-orders"


def _json(result: Any) -> Any:
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def _fronts(sandbox: Any) -> dict[str, FaultClient]:
    return {"aws": FaultClient(sandbox.aws_endpoint), "dbx": FaultClient(sandbox.dbx_host)}


def _clear(fronts: dict[str, FaultClient]) -> None:
    for front in fronts.values():
        front.clear_requests()


def _mutations(fronts: dict[str, FaultClient]) -> list[str]:
    return [f"{name} {e['method']} {e['path']} {e.get('operation')}"
            for name, front in fronts.items() for e in front.requests()
            if is_mutating(name, e)]


def _variant(tmp_path: Path, name: str, edit: Any) -> str:
    doc = json.loads(EXAMPLE.read_text())
    edit(doc)
    path = tmp_path / name
    path.write_text(json.dumps(doc, indent=1))
    return str(path)


def _cluster(workspace: Any, name: str) -> Any:
    return next(c for c in workspace.clusters.list() if c.cluster_name == name)


def test_environments_plan_and_apply_as_two_stacks(clean_sandbox, s3, glue, workspace,
                                                   tmp_path):
    plans = {env: _json(run(clean_sandbox, tmp_path, "plan", str(EXAMPLE), "--env", env,
                            "--format", "json")) for env in ("dev", "prd")}
    names = {env: {c["key"]: c["name"] for c in p["changes"]} for env, p in plans.items()}
    assert names["dev"]["landing"] == "acme-dev-orders-raw-landing"
    assert names["prd"]["landing"] == "acme-prd-orders-raw-landing"
    assert names["dev"]["orders_db"] == "dev_orders_raw"
    assert names["prd"]["orders_db"] == "prd_orders_raw"
    assert len(names["dev"]) == 5 and len(names["prd"]) == 4  # prd leaves scratch out
    etl = {env: next(c["after"] for c in p["changes"] if c["key"] == "etl")
           for env, p in plans.items()}
    assert (etl["dev"]["num_workers"], etl["dev"]["node_type_id"]) == (1, "i3.xlarge")
    assert (etl["prd"]["num_workers"], etl["prd"]["node_type_id"]) == (8, "i3.2xlarge")

    created = run(clean_sandbox, tmp_path, "create", str(EXAMPLE), "--env", "dev", "--yes")
    assert created.returncode == 0, created.stderr
    created = run(clean_sandbox, tmp_path, "create", str(EXAMPLE), "--yes", DPN_ENV="prd")
    assert created.returncode == 0, created.stderr
    status = _json(run(clean_sandbox, tmp_path, "status", "--format", "json"))
    counts = {s["stack"]: sum(s["resources"].values()) for s in status["stacks"]}
    assert counts == {DEV: 5, PRD: 4}
    assert _cluster(workspace, "prd-orders-etl").num_workers == 8
    assert _cluster(workspace, "dev-orders-etl").num_workers == 1
    live = platform_inventory(s3, glue, workspace)
    assert ("aws.s3_bucket", "acme-dev-orders-raw-scratch") in live
    assert ("aws.s3_bucket", "acme-prd-orders-raw-scratch") not in live

    out = _json(run(clean_sandbox, tmp_path, "output", str(EXAMPLE), "--env", "prd",
                    "--format", "json"))
    job = next(j for j in workspace.jobs.list() if j.settings.name == "prd-orders-nightly")
    assert out == {"stack": PRD, "serial": 1, "unknown": [], "outputs": {
        "landing_uri": "s3://acme-prd-orders-raw-landing",
        "orders_location": "s3://acme-prd-orders-raw-landing/orders/",
        "etl_cluster_id": _cluster(workspace, "prd-orders-etl").cluster_id,
        "nightly_job_id": str(job.job_id)}}
    assert run(clean_sandbox, tmp_path, "update", str(EXAMPLE), "--yes").returncode == 2


def test_prevent_destroy_refuses_a_delete_and_a_replace_before_any_change(
        clean_sandbox, s3, glue, workspace, tmp_path):
    created = run(clean_sandbox, tmp_path, "create", str(EXAMPLE), "--env", "prd", "--yes")
    assert created.returncode == 0, created.stderr
    before = platform_inventory(s3, glue, workspace)
    fronts = _fronts(clean_sandbox)
    _clear(fronts)
    gone = run(clean_sandbox, tmp_path, "delete", str(EXAMPLE), "--env", "prd", "--yes")
    assert gone.returncode == 2, gone.stdout + gone.stderr
    assert "landing (aws.s3_bucket 'acme-prd-orders-raw-landing') would be deleted" \
        in gone.stderr
    assert "orders_db (aws.glue_database 'prd_orders_raw') would be deleted" in gone.stderr
    assert _mutations(fronts) == []
    assert sum(len(f.requests()) for f in fronts.values()) == 0  # refused before any read

    renamed = _variant(tmp_path, "renamed.json", lambda d: d["resources"]["landing"].update(
        purpose="incoming"))
    _clear(fronts)
    replace = run(clean_sandbox, tmp_path, "update", renamed, "--env", "prd", "--yes")
    assert replace.returncode == 2, replace.stdout + replace.stderr
    assert ("landing (aws.s3_bucket 'acme-prd-orders-raw-landing') would be replaced "
            "(it changes name)") in replace.stderr
    assert _mutations(fronts) == []
    assert platform_inventory(s3, glue, workspace) == before
    plan = run(clean_sandbox, tmp_path, "plan", renamed, "--env", "prd")
    assert plan.returncode == 2 and "-/+" in plan.stdout  # shown, then refused

    rest = run(clean_sandbox, tmp_path, "delete", str(EXAMPLE), "--env", "prd", "--yes",
               "--exclude", "landing,orders_db", "--format", "json")
    assert rest.returncode == 0, rest.stdout + rest.stderr
    assert sorted(op["key"] for op in json.loads(rest.stdout)["operations"]) == [
        "etl", "nightly"]
    state = StateStore(tmp_path).load(PRD)
    assert state is not None and sorted(state.resources) == ["landing", "orders_db"]


def test_ignore_changes_leaves_an_outside_change_alone_across_updates(
        clean_sandbox, s3, workspace, tmp_path):
    created = run(clean_sandbox, tmp_path, "create", str(EXAMPLE), "--env", "dev", "--yes")
    assert created.returncode == 0, created.stderr
    etl = _cluster(workspace, "dev-orders-etl")
    workspace.clusters.edit(cluster_id=etl.cluster_id, cluster_name=etl.cluster_name,
                            spark_version=etl.spark_version, node_type_id=etl.node_type_id,
                            num_workers=5, autotermination_minutes=etl.autotermination_minutes,
                            custom_tags=etl.custom_tags)
    bucket = "acme-dev-orders-raw-landing"
    tags = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [*tags, {"Key": "finops",
                                                                     "Value": "q3"}]})
    drift = _json(run(clean_sandbox, tmp_path, "drift", str(EXAMPLE), "--env", "dev",
                      "--format", "json", "--aws-endpoint-url", clean_sandbox.aws_endpoint,
                      "--dbx-host", clean_sandbox.dbx_host))
    assert drift["in_sync"] is True  # reported, not counted
    assert {d["key"]: d["ignored"] for d in drift["drift"]} == {
        "etl": ["num_workers"], "landing": ["tags"]}
    longer = _variant(tmp_path, "longer.json", lambda d: d["resources"]["etl"].update(
        autotermination_minutes=45))
    for blueprint, expect in ((str(EXAMPLE), "nothing to do"), (longer, "committed"),
                              (longer, "nothing to do")):
        result = run(clean_sandbox, tmp_path, "update", blueprint, "--env", "dev", "--yes")
        assert result.returncode == 0 and expect in result.stdout, result.stdout
        live = _cluster(workspace, "dev-orders-etl")
        assert live.num_workers == 5
        tagged = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
        assert tagged["finops"] == "q3" and tagged["team"] == "orders"
    assert live.autotermination_minutes == 45  # the real change went through


def test_exclude_of_a_failing_part_lets_the_rest_apply(clean_sandbox, dbx_faults, s3, glue,
                                                       workspace, tmp_path):
    dbx_faults.add(method="POST", path=r"/api/2\.2/jobs/create$", status=400,
                   error_code="INVALID_PARAMETER_VALUE", message="notebook not found")
    failed = run(clean_sandbox, tmp_path, "create", str(EXAMPLE), "--env", "dev", "--yes")
    assert failed.returncode == 1 and "notebook not found" in failed.stderr
    assert platform_inventory(s3, glue, workspace) == set()
    rest = run(clean_sandbox, tmp_path, "create", str(EXAMPLE), "--env", "dev", "--yes",
               "--exclude", "nightly", "--format", "json")
    out = _json(rest)
    assert out["outcome"] == "committed"
    assert sorted(op["key"] for op in out["operations"]) == [
        "etl", "landing", "orders_db", "scratch"]
    state = StateStore(tmp_path).load(DEV)
    assert state is not None and "nightly" not in state.resources
    assert len(platform_inventory(s3, glue, workspace)) == 4
    plan = _json(run(clean_sandbox, tmp_path, "plan", str(EXAMPLE), "--env", "dev",
                     "--format", "json"))
    assert {c["key"]: c["action"] for c in plan["changes"] if c["action"] != "no-op"} == {
        "nightly": "create"}


def _as_raw_bucket(doc: dict[str, Any]) -> None:
    """The example as it was before ``landing`` was renamed from ``raw_bucket``."""
    doc["resources"] = {("raw_bucket" if k == "landing" else k): v
                        for k, v in doc["resources"].items()}
    prd = doc["environments"]["prd"]["resources"]
    prd["raw_bucket"] = prd.pop("landing")
    del doc["moved"]
    text = json.dumps(doc).replace("${landing.", "${raw_bucket.")
    doc.clear()
    doc.update(json.loads(text))


def test_moved_then_update_makes_no_mutating_request(clean_sandbox, s3, workspace,
                                                     tmp_path):
    old = _variant(tmp_path, "old.json", _as_raw_bucket)
    created = run(clean_sandbox, tmp_path, "create", old, "--env", "dev", "--yes")
    assert created.returncode == 0, created.stderr
    ids = {k: r.id for k, r in StateStore(tmp_path).load(DEV).resources.items()}  # type: ignore[union-attr]
    plan = _json(run(clean_sandbox, tmp_path, "plan", str(EXAMPLE), "--env", "dev",
                     "--format", "json"))
    assert plan["moved"] == [{"from": "raw_bucket", "to": "landing"}]
    assert plan["summary"] == {"create": 0, "update": 0, "replace": 0, "delete": 0,
                               "no-op": 5}
    fronts = _fronts(clean_sandbox)
    _clear(fronts)
    moved = run(clean_sandbox, tmp_path, "update", str(EXAMPLE), "--env", "dev", "--yes",
                "--format", "json")
    out = _json(moved)
    assert _mutations(fronts) == []
    assert [(op["key"], op["action"], op["status"]) for op in out["operations"]] == [
        ("landing", "move", "done")]
    state = StateStore(tmp_path).load(DEV)
    assert state is not None and "landing" in state.resources
    assert "raw_bucket" not in state.resources
    assert state.resources["landing"].id == ids["raw_bucket"]
    assert list(state.resources["orders_db"].depends_on) == ["landing"]
    history = _json(run(clean_sandbox, tmp_path, "history", "--stack", DEV,
                        "--format", "json"))
    assert history["transactions"][-1]["operations"] == [
        {"key": "landing", "type": "aws.s3_bucket", "action": "move", "status": "done",
         "error": None}]
    _clear(fronts)
    again = run(clean_sandbox, tmp_path, "update", str(EXAMPLE), "--env", "dev", "--yes")
    assert again.returncode == 0 and "nothing to do" in again.stdout
    assert _mutations(fronts) == []
    bucket = "acme-dev-orders-raw-landing"
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags["dpn:key"] == "raw_bucket"  # until its next update

    off = _variant(tmp_path, "off.json", lambda d: d["resources"]["landing"].update(
        versioning=False))
    changed = run(clean_sandbox, tmp_path, "update", off, "--env", "dev", "--yes")
    assert changed.returncode == 0, changed.stdout + changed.stderr
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags["dpn:key"] == "landing"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"
    gone = run(clean_sandbox, tmp_path, "delete", off, "--env", "dev", "--yes")
    assert gone.returncode == 0, gone.stdout + gone.stderr
