"""Saved plans, history and development mode through the real CLI against the sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dpn.engine.stores.state import StateStore
from tests.crash.harness import BLUEPRINT_EIGHT, assert_platforms_equal_state, run
from tests.platform_listing import platform_inventory

pytestmark = pytest.mark.integration
STACK = "acme-dev-crash"


def edited(tmp_path: Path, workers: int) -> str:
    doc = json.loads(Path(BLUEPRINT_EIGHT).read_text())
    doc["resources"]["etl"]["num_workers"] = workers
    path = tmp_path / f"edited-{workers}.json"
    path.write_text(json.dumps(doc))
    return str(path)


def test_update_applies_a_saved_plan_and_refuses_a_stale_one(
        clean_sandbox, s3, glue, workspace, tmp_path):
    home = tmp_path / "home"
    first = tmp_path / "first.json"
    planned = run(clean_sandbox, home, "plan", BLUEPRINT_EIGHT, "--out", str(first))
    assert planned.returncode == 0, planned.stderr
    saved = json.loads(first.read_text())
    assert saved["serial"] == 0 and saved["summary"]["create"] == 8 and saved["digest"]
    applied = run(clean_sandbox, home, "update", BLUEPRINT_EIGHT, "--plan", str(first),
                  "--yes", "--format", "json")
    assert applied.returncode == 0, applied.stderr
    assert len(json.loads(applied.stdout)["operations"]) == 8
    assert_platforms_equal_state(home, STACK, s3, glue, workspace)

    stale = run(clean_sandbox, home, "update", BLUEPRINT_EIGHT, "--plan", str(first), "--yes")
    assert stale.returncode == 2
    assert "moved since the plan was made (serial 0, now 1)" in stale.stderr

    bigger = edited(tmp_path, 3)
    second = tmp_path / "second.json"
    md = run(clean_sandbox, home, "plan", bigger, "--out", str(second), "--format", "markdown")
    assert md.returncode == 0, md.stderr
    assert ("| update | `etl` | `dbx.cluster` | `dev-crash-etl` | num_workers; restarts the "
            "running cluster |") in md.stdout
    assert "| 0 | 1 | 0 | 0 | 7 |" in md.stdout
    other = run(clean_sandbox, home, "update", BLUEPRINT_EIGHT, "--plan", str(second), "--yes")
    assert other.returncode == 2 and "blueprint changed since the plan" in other.stderr
    broken = tmp_path / "broken.json"
    broken.write_text('{"stack": 1}')
    bad = run(clean_sandbox, home, "update", bigger, "--plan", str(broken), "--yes")
    assert bad.returncode == 2 and "not a plan" in bad.stderr
    ok = run(clean_sandbox, home, "update", bigger, "--plan", str(second), "--yes")
    assert ok.returncode == 0, ok.stderr
    cluster_id = StateStore(home).load(STACK).resources["etl"].id
    assert workspace.clusters.get(cluster_id).num_workers == 3

    history = run(clean_sandbox, home, "history", "--stack", STACK, "--format", "json")
    assert history.returncode == 0, history.stderr
    txs = json.loads(history.stdout)["transactions"]
    assert [t["outcome"] for t in txs] == ["committed", "committed"]
    assert len(txs[0]["operations"]) == 8 and txs[0]["duration"] >= 0
    assert txs[1]["operations"] == [{"key": "etl", "type": "dbx.cluster", "action": "update",
                                     "status": "done", "error": None}]
    table = run(clean_sandbox, home, "history")
    assert table.stdout.count("committed") == 2 and "update   etl" in table.stdout


def test_dev_user_copies_are_separate_stacks_with_prefixed_names(
        clean_sandbox, s3, glue, workspace, tmp_path):
    shared = run(clean_sandbox, tmp_path, "create", BLUEPRINT_EIGHT, "--yes")
    assert shared.returncode == 0, shared.stderr
    mine = run(clean_sandbox, tmp_path, "create", BLUEPRINT_EIGHT, "--yes",
               "--dev-user", "Jane.Doe@acme.com", "--format", "json")
    assert mine.returncode == 0, mine.stderr
    dev_stack = "acme-dev-crash-dev-jane-doe"
    assert json.loads(mine.stdout)["stack"] == dev_stack
    state = StateStore(tmp_path).load(dev_stack)
    names = {k: r.name for k, r in state.resources.items()}
    assert names["landing"] == "dev-jane-doe-acme-dev-crash-raw-landing"
    assert names["sales"] == "dev_jane_doe_dev_sales"
    assert names["etl"] == "dev-jane-doe-dev-crash-etl"
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(
        Bucket=names["landing"])["TagSet"]}
    assert tags["dpn:stack"] == dev_stack
    both = platform_inventory(s3, glue, workspace)
    assert len(both) == 16
    plan = run(clean_sandbox, tmp_path, "plan", BLUEPRINT_EIGHT, "--format", "json",
               "--dev-user", "jane.doe")
    assert json.loads(plan.stdout)["summary"]["no-op"] == 8
    gone = run(clean_sandbox, tmp_path, "delete", BLUEPRINT_EIGHT, "--yes",
               "--dev-user", "jane.doe")
    assert gone.returncode == 0, gone.stderr
    assert_platforms_equal_state(tmp_path, STACK, s3, glue, workspace)
    bad = run(clean_sandbox, tmp_path, "plan", BLUEPRINT_EIGHT, "--dev-user", "a b")
    assert bad.returncode == 2 and "dev user 'a b'" in bad.stderr
