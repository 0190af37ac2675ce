"""The CLI around a transaction: dry run, read, status, bad input, secrets in output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.crash.harness import BLUEPRINT_EIGHT, run
from tests.platform_listing import platform_inventory

pytestmark = pytest.mark.integration
STACK = "acme-dev-crash"


def test_dry_run_changes_nothing(clean_sandbox, s3, glue, workspace, tmp_path):
    out = run(clean_sandbox, tmp_path, "create", BLUEPRINT_EIGHT, "--dry-run",
              "--format", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["summary"]["create"] == 8
    assert platform_inventory(s3, glue, workspace) == set()
    assert not (tmp_path / "state").exists()


def test_read_by_key_and_by_type_and_status(clean_sandbox, tmp_path):
    created = run(clean_sandbox, tmp_path, "create", BLUEPRINT_EIGHT, "--yes",
                  "--format", "json")
    assert created.returncode == 0, created.stderr
    ids = {op["key"]: op["id"] for op in json.loads(created.stdout)["operations"]}
    for key in ("landing", "orders", "etl", "nightly", "sales", "orders_gold"):
        got = run(clean_sandbox, tmp_path, "read", key, "--stack", STACK, "--format", "json")
        assert got.returncode == 0, got.stderr
        doc = json.loads(got.stdout)
        assert doc["exists"] and doc["state"]["id"] == ids[key] == doc["id"]
        assert doc["live"]["attrs"]["id"] == ids[key]
    by_type = run(clean_sandbox, tmp_path, "read", ids["sales_gold"], "--type", "dbx.schema",
                  "--format", "json")
    assert by_type.returncode == 0, by_type.stdout
    assert json.loads(by_type.stdout)["live"]["name"] == "gold"
    missing = run(clean_sandbox, tmp_path, "read", "nope", "--type", "aws.s3_bucket")
    assert missing.returncode == 1 and "NOT FOUND" in missing.stdout
    unknown = run(clean_sandbox, tmp_path, "read", "nope", "--stack", STACK)
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr
    status = run(clean_sandbox, tmp_path, "status", "--format", "json")
    stack = json.loads(status.stdout)["stacks"][0]
    assert sum(stack["resources"].values()) == 8 and stack["incomplete"] == []
    # the token and AWS keys never reach output or files under the home
    for text in (created.stdout, created.stderr, status.stdout):
        assert clean_sandbox.dbx_token not in text
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert clean_sandbox.dbx_token.encode() not in data, path
            assert b"testing" not in data, path  # the sandbox's AWS key


def test_unreachable_platform_is_a_clear_error(tmp_path, sandbox):
    out = run(sandbox, tmp_path, "create", BLUEPRINT_EIGHT, "--yes", "--dbx-host",
              "http://127.0.0.1:9", timeout=60)
    assert out.returncode in (1, 5), out.stderr
    assert "Traceback" not in out.stderr and out.stderr.strip()
    assert not (tmp_path / "state").exists()


def test_unknown_spark_version_is_caught_at_plan_time(clean_sandbox, s3, glue, workspace,
                                                      tmp_path):
    doc = json.loads(Path(BLUEPRINT_EIGHT).read_text())
    doc["resources"]["etl"]["spark_version"] = "1.0.x-nonexistent"
    path = tmp_path / "bad-version.json"
    path.write_text(json.dumps(doc))
    plan = run(clean_sandbox, tmp_path, "plan", str(path), "--format", "json")
    assert plan.returncode == 2, plan.stderr   # the plan is shown, and would be refused
    assert any("1.0.x-nonexistent" in w for w in json.loads(plan.stdout)["warnings"])
    assert "would refuse this plan" in plan.stderr and "1.0.x-nonexistent" in plan.stderr
    create = run(clean_sandbox, tmp_path, "create", str(path), "--yes")
    assert create.returncode == 2, create.stderr
    assert "spark_version" in create.stderr
    assert platform_inventory(s3, glue, workspace) == set()
    assert (tmp_path / "cache").is_dir()


def test_refused_credentials_exit_5_before_anything_changes(clean_sandbox, s3, glue,
                                                             workspace, tmp_path):
    out = run(clean_sandbox, tmp_path, "create", BLUEPRINT_EIGHT, "--yes",
              DATABRICKS_TOKEN="wrong-token")
    assert out.returncode == 5, out.stderr
    assert "wrong-token" not in out.stderr + out.stdout
    assert platform_inventory(s3, glue, workspace) == set()  # not even the AWS half ran
    assert not (tmp_path / "wal").exists()
