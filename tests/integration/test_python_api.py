"""examples/python_api.py, run as a user runs it, against the suite's sandbox (Unity
Catalog's storage preconditions enforced, as on a workspace): the plan, the create, a
change whose new cluster is refused and rolls back, the delete. What it leaves is checked
with the sandbox's own clients (boto3, databricks-sdk), not through dpn."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dpn.engine.stores.state import StateStore
from dpn.sandbox.info import write_info
from tests.platform_listing import access_snapshot, platform_inventory

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "python_api.py"
STACK = "acme-prd-lakehouse"


def run_example(home: Path, *args: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABRICKS_", "AWS_", "DPN_"))}
    env["DPN_HOME"] = str(home)
    proc = subprocess.run([sys.executable, str(EXAMPLE), *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "plan for acme-prd-lakehouse" in proc.stdout and "rolling back" in proc.stdout
    summary: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return summary


def test_the_example_creates_rolls_a_failed_change_back_and_deletes(
        enforcing: Any, dpn_home: Path, s3: Any, glue: Any, iam: Any, workspace: Any) -> None:
    write_info(dpn_home, enforcing)  # the example's home points at the suite's sandbox
    kept = run_example(dpn_home, "--keep")
    assert kept["created"] == "committed" and kept["deleted"] is None, kept
    assert kept["update"] == "rolled_back" and "injected" in kept["error"], kept
    assert kept["operations"]["reporting"] == "failed", kept
    assert kept["operations"]["nightly"] in ("undone", "not_started"), kept
    # the platforms hold exactly what the create recorded: the change left no trace
    state = StateStore(dpn_home).load(STACK)
    assert state is not None and len(state.resources) == 24
    recorded = {(r.type, r.id) for r in state.resources.values() if r.type != "dbx.grants"}
    assert platform_inventory(s3, glue, workspace, iam) == recorded
    nightly = workspace.jobs.get(int(state.resources["nightly"].id))
    assert nightly.settings.max_concurrent_runs == 1
    assert not [c for c in workspace.clusters.list()
                if c.cluster_name == "prd-lakehouse-reporting"]

    again = run_example(dpn_home)  # the create finds nothing to do; the delete runs
    assert again["created"] == "committed" and again["update"] == "rolled_back", again
    assert again["deleted"] == "committed", again
    assert platform_inventory(s3, glue, workspace, iam) == set()
    assert access_snapshot(iam, workspace) == {"roles": {}, "grants": {}}
