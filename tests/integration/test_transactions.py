"""Whole transactions through the real CLI against the sandbox: rollback on a permanent
fault at each type, the stack lock between real processes, signals."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dpn.engine.stores.state import StateStore
from tests.crash.harness import BLUEPRINT_EIGHT, assert_platforms_equal_state, dpn_env, run
from tests.platform_listing import platform_inventory

pytestmark = pytest.mark.integration
STACK = "acme-dev-crash"

FAULT_AT = {
    "aws.s3_bucket": ("aws", {"method": "PUT", "path": r"^/acme-dev-crash-raw-landing/?$",
                              "status": 400, "error_code": "InvalidRequest"}),
    "aws.glue_database": ("aws", {"x_amz_target": r"AWSGlue\.CreateDatabase$", "status": 400,
                                  "error_code": "InvalidInputException"}),
    "aws.glue_table": ("aws", {"x_amz_target": r"AWSGlue\.CreateTable$", "status": 400,
                               "error_code": "InvalidInputException"}),
    "dbx.cluster": ("dbx", {"method": "POST", "path": r"/api/2\.1/clusters/create$",
                            "status": 400, "error_code": "INVALID_PARAMETER_VALUE"}),
    "dbx.job": ("dbx", {"method": "POST", "path": r"/api/2\.2/jobs/create$", "status": 400,
                        "error_code": "INVALID_PARAMETER_VALUE"}),
    "dbx.catalog": ("dbx", {"method": "POST", "path": r"/unity-catalog/catalogs$",
                            "status": 400, "error_code": "INVALID_PARAMETER_VALUE"}),
    "dbx.schema": ("dbx", {"method": "POST", "path": r"/unity-catalog/schemas$",
                           "status": 400, "error_code": "INVALID_PARAMETER_VALUE"}),
    "dbx.table": ("dbx", {"method": "POST", "path": r"/unity-catalog/tables$", "status": 400,
                          "error_code": "INVALID_PARAMETER_VALUE"}),
}


@pytest.mark.parametrize("rtype", sorted(FAULT_AT))
def test_permanent_fault_at_each_type_rolls_back_both_platforms(
        rtype, clean_sandbox, aws_faults, dbx_faults, s3, glue, workspace, tmp_path):
    side, rule = FAULT_AT[rtype]
    (aws_faults if side == "aws" else dbx_faults).add(message="injected", **rule)
    result = run(clean_sandbox, tmp_path, "create", BLUEPRINT_EIGHT, "--yes",
                 "--format", "json")
    assert result.returncode == 1, result.stderr
    out = json.loads(result.stdout)
    assert out["outcome"] == "rolled_back"
    failed = [op for op in out["operations"] if op["status"] == "failed"]
    assert len(failed) == 1 and "injected" in failed[0]["error"]
    assert platform_inventory(s3, glue, workspace) == set()
    assert StateStore(tmp_path).load(STACK) is None
    assert "Traceback" not in result.stderr


def test_create_update_delete_round_trip(clean_sandbox, s3, glue, workspace, tmp_path):
    created = run(clean_sandbox, tmp_path, "create", BLUEPRINT_EIGHT, "--yes")
    assert created.returncode == 0, created.stderr
    live = assert_platforms_equal_state(tmp_path, STACK, s3, glue, workspace)
    assert len(live) == 8
    again = run(clean_sandbox, tmp_path, "update", BLUEPRINT_EIGHT, "--yes")
    assert again.returncode == 0 and "nothing to do" in again.stdout
    plan = run(clean_sandbox, tmp_path, "plan", BLUEPRINT_EIGHT, "--format", "json")
    assert plan.returncode == 0, plan.stderr
    assert json.loads(plan.stdout)["summary"]["no-op"] == 8
    status = run(clean_sandbox, tmp_path, "status", "--format", "json")
    assert json.loads(status.stdout)["stacks"][0]["resources"]["dbx.table"] == 1
    gone = run(clean_sandbox, tmp_path, "delete", BLUEPRINT_EIGHT, "--yes")
    assert gone.returncode == 0, gone.stderr
    assert platform_inventory(s3, glue, workspace) == set()


def test_second_process_on_the_same_stack_exits_3_naming_the_holder(
        clean_sandbox, dbx_faults, tmp_path):
    dbx_faults.add(method="POST", path=r"/api/2\.1/clusters/create$", latency_ms=2500,
                   count=1)
    cmd = [sys.executable, "-m", "dpn", "create", "--aws-endpoint-url",
           clean_sandbox.aws_endpoint, "--dbx-host", clean_sandbox.dbx_host,
           BLUEPRINT_EIGHT, "--yes"]
    first = subprocess.Popen(cmd, env=dpn_env(clean_sandbox, tmp_path),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    holder = tmp_path / "locks" / f"{STACK}.holder.json"
    deadline = time.monotonic() + 30
    while not holder.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    second = run(clean_sandbox, tmp_path, "create", BLUEPRINT_EIGHT, "--yes")
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert second.returncode == 3, second.stderr
    assert f"pid={first.pid}" in second.stderr


def test_sigterm_rolls_back_and_exits_130(clean_sandbox, dbx_faults, s3, glue, workspace,
                                          tmp_path):
    dbx_faults.add(method="POST", path=r"/api/2\.2/jobs/create$", latency_ms=3000, count=1)
    cmd = [sys.executable, "-m", "dpn", "create", "--aws-endpoint-url",
           clean_sandbox.aws_endpoint, "--dbx-host", clean_sandbox.dbx_host,
           BLUEPRINT_EIGHT, "--yes"]
    proc = subprocess.Popen(cmd, env=dpn_env(clean_sandbox, tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    # the job's create is in flight once the sandbox has taken it (the latency rule's hit)
    while not any(r["hits"] for r in dbx_faults.rules()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any(r["hits"] for r in dbx_faults.rules()), "the job's create never arrived"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert platform_inventory(s3, glue, workspace) == set()
    assert StateStore(tmp_path).load(STACK) is None


def test_replacing_a_catalog_replaces_what_it_holds_and_a_failure_brings_all_back(
        clean_sandbox, dbx_faults, s3, glue, workspace, tmp_path):
    created = run(clean_sandbox, tmp_path, "create", BLUEPRINT_EIGHT, "--yes")
    assert created.returncode == 0, created.stderr
    moved = json.loads(Path(BLUEPRINT_EIGHT).read_text())
    moved["resources"]["sales"]["storage_root"] = "s3://${landing.name}/uc/sales/"
    bp = tmp_path / "moved.json"
    bp.write_text(json.dumps(moved))
    plan = json.loads(run(clean_sandbox, tmp_path, "plan", str(bp), "--format", "json").stdout)
    actions = {c["key"]: c["action"] for c in plan["changes"]}
    assert [actions[k] for k in ("sales", "sales_gold", "orders_gold")] == ["replace"] * 3
    assert plan["summary"]["replace"] == 3

    dbx_faults.add(method="POST", path=r"/unity-catalog/tables$", status=400,
                   error_code="INVALID_PARAMETER_VALUE", message="injected", count=1)
    failed = run(clean_sandbox, tmp_path, "update", str(bp), "--yes", "--format", "json")
    assert failed.returncode == 1 and json.loads(failed.stdout)["outcome"] == "rolled_back"
    assert_platforms_equal_state(tmp_path, STACK, s3, glue, workspace)
    catalog = workspace.catalogs.get("dev_sales")
    assert not catalog.storage_root  # the old catalog is back as it was
    assert workspace.tables.get("dev_sales.gold.orders").storage_location.endswith(
        "/gold/orders")

    dbx_faults.clear()
    done = run(clean_sandbox, tmp_path, "update", str(bp), "--yes")
    assert done.returncode == 0, done.stderr
    assert workspace.catalogs.get("dev_sales").storage_root.endswith("/uc/sales")
    assert workspace.tables.get("dev_sales.gold.orders").name == "orders"
    assert_platforms_equal_state(tmp_path, STACK, s3, glue, workspace)
    again = json.loads(run(clean_sandbox, tmp_path, "plan", str(bp), "--format",
                           "json").stdout)
    assert again["summary"]["no-op"] == 8
