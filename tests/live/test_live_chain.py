"""The storage chain on the user's own AWS account and Databricks workspace (``pytest -m
live``): proof on real services for those who want it. The sandbox tests are the
coverage; this lane is skipped unless the standard variables name a workspace and AWS
credentials (DATABRICKS_HOST with DATABRICKS_TOKEN or a profile; AWS_PROFILE or
AWS_ACCESS_KEY_ID), and DPN_LIVE=1 says that creating real objects is intended.

It applies the chain of examples/lakehouse.json (bucket, IAM role, storage credential,
external location, grants, catalog, schema, tables, volume; no cluster or job, which
would cost compute) under a development prefix of its own, checks that the next plan is
all no-op, deletes it, and checks through boto3 and databricks-sdk that nothing is left.
docs/live-testing.md says what it costs.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parents[2]
CHAIN_TYPES = {"aws.s3_bucket", "aws.iam_role", "dbx.storage_credential",
               "dbx.external_location", "dbx.grants", "dbx.catalog", "dbx.schema",
               "dbx.table", "dbx.volume"}


def _configured() -> bool:
    dbx = os.environ.get("DATABRICKS_HOST") and (
        os.environ.get("DATABRICKS_TOKEN") or os.environ.get("DATABRICKS_CONFIG_PROFILE"))
    aws = os.environ.get("AWS_PROFILE") or os.environ.get("AWS_ACCESS_KEY_ID")
    return bool(dbx and aws and os.environ.get("DPN_LIVE") == "1")


def chain_only(blueprint: dict[str, Any]) -> dict[str, Any]:
    """The blueprint's storage chain: its resources of CHAIN_TYPES whose references stay
    inside the chain."""
    kept = {k: r for k, r in blueprint["resources"].items() if r["type"] in CHAIN_TYPES}
    while True:
        text = {k: json.dumps(r) for k, r in kept.items()}
        gone = set(blueprint["resources"]) - set(kept)
        drop = {k for k, t in text.items() if any(f"${{{g}" in t for g in gone)}
        if not drop:
            return {**blueprint, "resources": kept}
        kept = {k: r for k, r in kept.items() if k not in drop}


def dpn(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dpn", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=1800)


@pytest.mark.skipif(not _configured(), reason="live lane: set DATABRICKS_HOST (+ token or "
                    "profile), AWS credentials and DPN_LIVE=1 (see docs/live-testing.md)")
def test_the_chain_on_real_services(tmp_path: Path) -> None:
    import boto3
    from databricks.sdk import WorkspaceClient

    blueprint = chain_only(json.loads((ROOT / "examples" / "lakehouse.json").read_text()))
    path = tmp_path / "chain.json"
    path.write_text(json.dumps(blueprint))
    user = f"live{secrets.token_hex(3)}"
    home = tmp_path / "home"
    created = dpn(home, "create", str(path), "--yes", "--dev-user", user)
    try:
        assert created.returncode == 0, created.stdout + created.stderr
        plan = dpn(home, "plan", str(path), "--dev-user", user, "--format", "json")
        assert plan.returncode == 0, plan.stderr
        summary = json.loads(plan.stdout)["summary"]
        assert summary["no-op"] == len(blueprint["resources"]), summary
    finally:
        deleted = dpn(home, "delete", str(path), "--yes", "--force-empty", "--dev-user", user)
    assert deleted.returncode == 0, deleted.stdout + deleted.stderr
    iam, s3, w = boto3.client("iam"), boto3.client("s3"), WorkspaceClient()
    assert not [r for r in iam.list_roles()["Roles"] if user in r["RoleName"]]
    assert not [b for b in s3.list_buckets()["Buckets"] if user in b["Name"]]
    assert not [c for c in w.catalogs.list() if user in (c.name or "")]
    assert not [c for c in w.storage_credentials.list() if user in (c.name or "")]
    assert not [e for e in w.external_locations.list() if user in (e.name or "")]


def test_the_chain_filter_keeps_a_closed_chain() -> None:
    """The filter the live lane uses (runs everywhere: it needs no account)."""
    blueprint = {"resources": {
        "lake": {"type": "aws.s3_bucket"},
        "role": {"type": "aws.iam_role", "s3_access": {"read_write": ["${lake}"]}},
        "etl": {"type": "dbx.cluster"},
        "job": {"type": "dbx.job", "cluster": "${etl.id}"},
        "gold": {"type": "dbx.schema", "comment": "${etl.id}"},
        "orders": {"type": "dbx.table", "schema": "${gold}"}}}
    assert sorted(chain_only(blueprint)["resources"]) == ["lake", "role"]
