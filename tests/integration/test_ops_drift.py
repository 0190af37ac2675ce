"""Drift through the real CLI against the sandbox: changes and deletes made outside dpn
are reported by ``dpn plan`` and ``dpn drift`` (exit 6, JSON report) and repaired by
``dpn update``."""

from __future__ import annotations

import json

import pytest

from tests.crash.harness import BLUEPRINT_EIGHT, assert_platforms_equal_state, run

pytestmark = pytest.mark.integration
STACK = "acme-dev-crash"
BUCKET = "acme-dev-crash-raw-landing"


def platform_args(sandbox) -> list[str]:
    return ["--aws-endpoint-url", sandbox.aws_endpoint, "--aws-region", "us-east-1",
            "--dbx-host", sandbox.dbx_host]


def drift(sandbox, home, *args: str):
    return run(sandbox, home, "drift", *platform_args(sandbox), *args)


def test_drift_reported_by_plan_and_drift_then_repaired_by_update(
        clean_sandbox, s3, glue, workspace, tmp_path):
    created = run(clean_sandbox, tmp_path, "create", BLUEPRINT_EIGHT, "--yes")
    assert created.returncode == 0, created.stderr
    in_sync = drift(clean_sandbox, tmp_path, BLUEPRINT_EIGHT, "--format", "json")
    assert in_sync.returncode == 0, in_sync.stderr
    report = json.loads(in_sync.stdout)
    assert report["in_sync"] is True and report["drift"] == [] and report["checked"] == 8

    # outside dpn: suspend versioning, delete the Glue table, change the job
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"})
    glue.delete_table(DatabaseName="dev_sales_silver", Name="orders")
    from databricks.sdk.service.jobs import JobSettings

    job_id = json.loads((tmp_path / "state" / f"{STACK}.json").read_text())[
        "resources"]["nightly"]["id"]
    workspace.jobs.update(int(job_id), new_settings=JobSettings(max_concurrent_runs=4))

    drifted = drift(clean_sandbox, tmp_path, BLUEPRINT_EIGHT, "--format", "json")
    assert drifted.returncode == 6, drifted.stderr
    report = json.loads(drifted.stdout)
    assert report["in_sync"] is False
    by_key = {d["key"]: d for d in report["drift"]}
    assert set(by_key) == {"landing", "orders", "nightly"}
    assert by_key["landing"]["kind"] == "changed" and by_key["landing"]["fields"] == [
        "versioning"]
    assert by_key["nightly"]["fields"] == ["max_concurrent_runs"]
    assert by_key["orders"]["kind"] == "deleted" and by_key["orders"]["action"] == "create"
    assert by_key["orders"]["id"] == "dev_sales_silver.orders"

    table = drift(clean_sandbox, tmp_path, BLUEPRINT_EIGHT)
    assert table.returncode == 6
    assert "landing: aws.s3_bucket 'acme-dev-crash-raw-landing'" in table.stdout
    assert "changed outside dpn: versioning" in table.stdout
    assert "orders: aws.glue_table 'orders' (id dev_sales_silver.orders) deleted outside dpn" \
        in table.stdout

    plan = run(clean_sandbox, tmp_path, "plan", BLUEPRINT_EIGHT, "--format", "json")
    assert plan.returncode == 0, plan.stderr
    data = json.loads(plan.stdout)
    assert {d["key"] for d in data["drift"]} == {"landing", "orders", "nightly"}
    landing = next(c for c in data["changes"] if c["key"] == "landing")
    assert landing["action"] == "update" and landing["drift"] == {
        "fields": ["versioning"], "deleted": False}
    md = run(clean_sandbox, tmp_path, "plan", BLUEPRINT_EIGHT, "--format", "markdown")
    assert "(changed outside dpn: versioning)" in md.stdout
    assert "**Drift: 2 resource(s) changed and 1 deleted outside dpn" in md.stdout

    repaired = run(clean_sandbox, tmp_path, "update", BLUEPRINT_EIGHT, "--yes")
    assert repaired.returncode == 0, repaired.stderr
    after = drift(clean_sandbox, tmp_path, BLUEPRINT_EIGHT, "--format", "json")
    assert after.returncode == 0, after.stdout
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    assert workspace.jobs.get(int(job_id)).settings.max_concurrent_runs == 1
    assert_platforms_equal_state(tmp_path, STACK, s3, glue, workspace)


def test_drift_strict_counts_unapplied_blueprint_changes(clean_sandbox, tmp_path):
    nothing = drift(clean_sandbox, tmp_path, BLUEPRINT_EIGHT, "--format", "json")
    assert nothing.returncode == 0, nothing.stderr
    report = json.loads(nothing.stdout)
    assert report["checked"] == 0 and report["pending"]["create"] == 8
    strict = drift(clean_sandbox, tmp_path, BLUEPRINT_EIGHT, "--strict")
    assert strict.returncode == 6
    assert "8 pending blueprint change(s)" in strict.stdout


def test_drift_exits_2_for_a_bad_blueprint_and_4_while_recovery_is_needed(
        clean_sandbox, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    assert drift(clean_sandbox, tmp_path, str(bad)).returncode == 2
    crashed = run(clean_sandbox, tmp_path, "create", BLUEPRINT_EIGHT, "--yes",
                  DPN_TEST_CRASH_AFTER_RECORD="3")
    assert crashed.returncode != 0
    pending = drift(clean_sandbox, tmp_path, BLUEPRINT_EIGHT)
    assert pending.returncode == 4 and "dpn recover" in pending.stderr
    assert run(clean_sandbox, tmp_path, "recover", "--stack", STACK).returncode == 0
