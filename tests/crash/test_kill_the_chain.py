"""SIGKILL a real ``dpn`` in the middle of a create, an update and a delete of the storage
chain (examples/lakehouse.json without compute: bucket, IAM role, storage credential and
the write-back of its external id into the role's trust, external location, grants,
catalog, schemas, tables, volume), after a record spread over the whole transaction, on
the sandbox with Unity Catalog's preconditions enforced; then ``dpn recover``. Every time:
no orphan on either side, the state equals the platforms, and the next command reaches
the blueprint. The default run kills once in each command (early in the create, half-way
through the update, late in the delete); ``--runslow`` at twenty points of each."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest

from dpn.engine.stores.state import StateStore
from tests.integration.test_chain import CHECKED, STACK, chain, everything
from tests.platform_listing import platform_inventory

from .harness import run

pytestmark = [pytest.mark.crash, pytest.mark.integration]

CI_POINTS = {"create": 0.1, "update": 0.5, "delete": 0.9}
LONG_POINTS = tuple(round(0.05 * i, 2) for i in range(1, 21))
MODES = ("create", "update", "delete")
POINTS = [pytest.param(m, p, id=f"{m}-{p}") if CI_POINTS[m] == p else
          pytest.param(m, p, id=f"{m}-{p}", marks=pytest.mark.slow)
          for m in MODES for p in LONG_POINTS]


def changed(path: str, tmp_path: Path) -> str:
    """The chain with a setting changed on most of its objects (an update of each)."""
    doc = json.loads(Path(path).read_text())
    for key, res in doc["resources"].items():
        if res["type"] in ("dbx.catalog", "dbx.schema", "dbx.volume",
                           "dbx.storage_credential"):
            res["comment"] = f"{key}, second version"
        if res["type"] in ("aws.iam_role", "aws.s3_bucket"):
            res["tags"] = {**res.get("tags", {}), "revision": "2"}
        if res["type"] == "dbx.grants":
            target = doc["resources"][res["securable"].strip("${}")]["type"]
            extra = "USE_SCHEMA" if target == "dbx.schema" else "READ_FILES"
            res["privileges"] = {**res["privileges"], "auditors": [extra]}
    out = tmp_path / "chain-changed.json"
    out.write_text(json.dumps(doc))
    return str(out)


def records_of(sandbox: Any, home: Path, mode: str, bp: str) -> int:
    """How many WAL records ``dpn <mode>`` writes: begin, an intent and a done per
    operation (the credential's trust write-back is one more pair), commit, end."""
    plan = run(sandbox, home, "plan", bp, "--format", "json", **CHECKED)
    changes = json.loads(plan.stdout)["changes"]
    if mode == "delete":
        return 3 + 2 * len(changes)
    ops = [c for c in changes if c["action"] != "no-op"]
    return 3 + 2 * len(ops) + 2 * sum(len(c.get("effects") or ()) for c in ops
                                      if c["type"] == "dbx.storage_credential")


def assert_platforms_equal_state(home: Path, s3: Any, glue: Any, iam: Any,
                                 workspace: Any) -> None:
    state = StateStore(home).load(STACK)
    recorded = {(r.type, r.id) for r in (state.resources.values() if state else ())
                if r.type != "dbx.grants"}   # settings of another object, not objects
    live = platform_inventory(s3, glue, workspace, iam)
    assert not live - recorded, f"orphans: {sorted(live - recorded)}"
    assert not recorded - live, f"recorded but gone: {sorted(recorded - live)}"


@pytest.mark.parametrize("mode,point", POINTS)
def test_kill_the_chain_then_recover(mode, point, enforcing, s3, glue, iam, workspace,
                                     tmp_path):
    sandbox = enforcing
    bp = chain(tmp_path)
    target = bp
    if mode != "create":
        assert run(sandbox, tmp_path, "create", bp, "--yes", **CHECKED).returncode == 0
    if mode == "update":
        target = changed(bp, tmp_path)
    command = "update" if mode == "update" else mode
    total = records_of(sandbox, tmp_path, "delete" if mode == "delete" else "create", target)
    at = max(1, round(point * (total - 1)))
    killed = run(sandbox, tmp_path, command, target, "--yes",
                 DPN_TEST_CRASH_AFTER_RECORD=str(at), **CHECKED)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    recovered = run(sandbox, tmp_path, "recover", "--format", "json", **CHECKED)
    assert recovered.returncode == 0, recovered.stderr
    assert_platforms_equal_state(tmp_path, s3, glue, iam, workspace)
    again = run(sandbox, tmp_path, command, target, "--yes", **CHECKED)
    assert again.returncode == 0, again.stdout + again.stderr
    if mode == "delete":
        assert everything(s3, glue, iam, workspace) == {"objects": [], "roles": {},
                                                        "grants": {}}
        return
    assert_platforms_equal_state(tmp_path, s3, glue, iam, workspace)
    plan = run(sandbox, tmp_path, "plan", target, "--format", "json", **CHECKED)
    summary = json.loads(plan.stdout)["summary"]
    assert summary["no-op"] == sum(summary.values()), summary
