"""The storage-and-access chain of examples/lakehouse.json through the real CLI, on the
sandbox with Unity Catalog's preconditions enforced (SPEC section 11): one create sets up
bucket, IAM role, storage credential (its external id written back into the role's trust
in the same transaction), external location, grants, catalog, schemas, tables and volume;
the next plan is all no-op; delete leaves nothing on either side. A permanent fault at
each step rolls everything back, the role's trust included. The old example without the
chain is refused at plan time, and forced, gets the service's error and a clean rollback.

Everything is checked with the sandbox's own clients (boto3, databricks-sdk)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dpn.engine.stores.state import StateStore
from dpn.sandbox.faults import FaultClient
from tests.crash.harness import run
from tests.live.test_live_chain import chain_only
from tests.platform_listing import access_snapshot, platform_inventory

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
STACK = "acme-prd-lakehouse"
CHECKED = {"DPN_SKIP_ACCESS_CHECKS": "0"}   # dpn's plan-time checks on, as for a user


def chain(tmp_path: Path, keep: set[str] | None = None) -> str:
    """The chain of examples/lakehouse.json (only ``keep`` of it, if given) as a file."""
    doc = chain_only(json.loads((ROOT / "examples" / "lakehouse.json").read_text()))
    if keep is not None:
        doc["resources"] = {k: v for k, v in doc["resources"].items() if k in keep}
    path = tmp_path / f"chain-{len(doc['resources'])}.json"
    path.write_text(json.dumps(doc))
    return str(path)


def everything(s3: Any, glue: Any, iam: Any, workspace: Any) -> dict[str, Any]:
    """Both platforms: the objects, the roles' policies and every grant."""
    return {"objects": sorted(platform_inventory(s3, glue, workspace, iam)),
            **access_snapshot(iam, workspace)}


def test_the_chain_is_one_create_converges_and_leaves_nothing_behind(
        enforcing, s3, glue, iam, workspace, tmp_path):
    bp = chain(tmp_path)
    created = run(enforcing, tmp_path, "create", bp, "--yes", "--format", "json", **CHECKED)
    assert created.returncode == 0, created.stdout + created.stderr
    assert json.loads(created.stdout)["outcome"] == "committed"
    state = StateStore(tmp_path).load(STACK)
    assert state is not None
    recorded = {(r.type, r.id) for r in state.resources.values() if r.type != "dbx.grants"}
    assert recorded == platform_inventory(s3, glue, workspace, iam)
    # the role trusts Unity Catalog with the credential's own external id
    credential = workspace.storage_credentials.get("prd_curated")
    trust = iam.get_role(RoleName="acme-prd-lakehouse-uc-access")["Role"][
        "AssumeRolePolicyDocument"]
    assert credential.aws_iam_role.external_id in json.dumps(trust)
    assert workspace.grants.get("schema", "prd_sales.gold").privilege_assignments
    plan = run(enforcing, tmp_path, "plan", bp, "--format", "json", **CHECKED)
    assert plan.returncode == 0, plan.stderr
    summary = json.loads(plan.stdout)["summary"]
    assert summary["no-op"] == len(state.resources) and summary["no-op"] == sum(
        summary.values())
    gone = run(enforcing, tmp_path, "delete", bp, "--yes", **CHECKED)
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert everything(s3, glue, iam, workspace) == {"objects": [], "roles": {}, "grants": {}}


# Each step of the chain and the request that makes it; the fault answers 400 for ever.
STEPS: dict[str, tuple[str, dict[str, Any]]] = {
    "role": ("aws", {"operation": "^CreateRole$", "error_code": "MalformedPolicyDocument"}),
    "role policy": ("aws", {"operation": "^PutRolePolicy$",
                            "error_code": "MalformedPolicyDocument"}),
    "credential": ("dbx", {"method": "POST", "path": r"/storage-credentials$"}),
    "trust completion": ("aws", {"operation": "^UpdateAssumeRolePolicy$",
                                 "error_code": "MalformedPolicyDocument"}),
    "location": ("dbx", {"method": "POST", "path": r"/external-locations$"}),
    "location grants": ("dbx", {"method": "PATCH",
                                "path": r"/permissions/external_location/"}),
    "silver grants": ("dbx", {"method": "PATCH", "path": r"/permissions/schema/prd_sales\.silver"}),
    "gold grants": ("dbx", {"method": "PATCH", "path": r"/permissions/schema/prd_sales\.gold"}),
    "catalog": ("dbx", {"method": "POST", "path": r"/unity-catalog/catalogs$"}),
    "schema": ("dbx", {"method": "POST", "path": r"/unity-catalog/schemas$"}),
    "volume": ("dbx", {"method": "POST", "path": r"/unity-catalog/volumes$"}),
    "table": ("dbx", {"method": "POST", "path": r"/unity-catalog/tables$"}),
}
# Before the steps after the role's own, the bucket and the role already exist (an
# earlier apply made them), so a rollback must bring the role's trust back as it was.
BASE = {"curated", "uc_access"}


@pytest.mark.parametrize("step", list(STEPS))
def test_a_permanent_fault_at_each_step_rolls_the_whole_chain_back(
        step, enforcing, s3, glue, iam, workspace, tmp_path):
    side, rule = STEPS[step]
    if step not in ("role", "role policy"):
        base = run(enforcing, tmp_path, "create", chain(tmp_path, BASE), "--yes", **CHECKED)
        assert base.returncode == 0, base.stderr
    before = everything(s3, glue, iam, workspace)
    base_state = StateStore(tmp_path).load(STACK)
    serial = base_state.serial if base_state else None
    front = FaultClient(enforcing.aws_endpoint if side == "aws" else enforcing.dbx_host)
    front.add(message=f"injected at {step}", status=400,
              **{"error_code": "INVALID_PARAMETER_VALUE", **rule})
    failed = run(enforcing, tmp_path, "update", chain(tmp_path), "--yes", "--format", "json",
                 **CHECKED)
    front.clear()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    out = json.loads(failed.stdout)
    assert out["outcome"] == "rolled_back", out
    assert [op["key"] for op in out["operations"] if op["status"] == "failed"], out
    assert f"injected at {step}" in (out.get("error") or ""), out
    assert everything(s3, glue, iam, workspace) == before
    undone = [op["key"] for op in out["operations"] if op["status"] == "undone"]
    failed_at = [op["key"] for op in out["operations"] if op["status"] == "failed"]
    print(f"| {step} | {', '.join(failed_at)} | {len(undone)} | equal |")  # docs table
    after = StateStore(tmp_path).load(STACK)
    assert (after.serial if after else None) == serial
    assert "Traceback" not in failed.stderr


def test_the_old_example_without_the_chain_is_refused_before_any_call(
        enforcing, s3, glue, iam, workspace, tmp_path):
    old = json.loads((ROOT / "tests" / "crash" / "eight.json").read_text())
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old))
    dbx = FaultClient(enforcing.dbx_host)
    aws = FaultClient(enforcing.aws_endpoint)
    plan = run(enforcing, tmp_path, "plan", str(path), **CHECKED)
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "orders_gold: storage_location s3://acme-dev-crash-raw-landing/gold/orders lies " \
           "under no external location" in plan.stderr
    assert "sales: the metastore has no root storage" in plan.stderr
    assert "lacks EXTERNAL_USE_SCHEMA on schema dev_sales.gold" in plan.stderr
    refused = run(enforcing, tmp_path, "create", str(path), "--yes", **CHECKED)
    assert refused.returncode == 2 and "would refuse this plan" in refused.stderr
    mutations = [r for r in dbx.requests() + aws.requests()
                 if r["method"] not in ("GET", "HEAD")
                 and not r["operation"].startswith(("List", "Get", "Head"))]
    assert mutations == [], mutations
    forced = run(enforcing, tmp_path, "create", str(path), "--yes", "--skip-access-checks",
                 "--format", "json", **CHECKED)
    assert forced.returncode == 1, forced.stdout + forced.stderr
    out = json.loads(forced.stdout)
    assert out["outcome"] == "rolled_back"
    assert "INVALID_STATE" in out["error"] or "PERMISSION_DENIED" in out["error"], out
    assert everything(s3, glue, iam, workspace) == {"objects": [], "roles": {}, "grants": {}}


def test_a_new_catalog_root_replaces_what_it_holds_and_the_grants_on_it(
        enforcing, s3, glue, iam, workspace, tmp_path):
    bp = chain(tmp_path)
    assert run(enforcing, tmp_path, "create", bp, "--yes", **CHECKED).returncode == 0
    before = everything(s3, glue, iam, workspace)
    doc = json.loads(Path(bp).read_text())
    doc["resources"]["sales"]["storage_root"] = "s3://${curated.name}/uc/sales-v2/"
    moved = tmp_path / "moved.json"
    moved.write_text(json.dumps(doc))
    plan = json.loads(run(enforcing, tmp_path, "plan", str(moved), "--format", "json",
                          **CHECKED).stdout)
    replaced = sorted(c["key"] for c in plan["changes"] if c["action"] == "replace")
    assert replaced == ["exports", "gold_grants", "orders_gold", "orders_silver", "sales",
                        "sales_gold", "sales_silver", "silver_grants"]
    dbx = FaultClient(enforcing.dbx_host)
    dbx.add(method="POST", path=r"/unity-catalog/volumes$", status=400, count=1,
            error_code="INVALID_PARAMETER_VALUE", message="injected")
    failed = run(enforcing, tmp_path, "update", str(moved), "--yes", **CHECKED)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert everything(s3, glue, iam, workspace) == before   # the grants came back too
    done = run(enforcing, tmp_path, "update", str(moved), "--yes", **CHECKED)
    assert done.returncode == 0, done.stdout + done.stderr
    assert workspace.catalogs.get("prd_sales").storage_root.endswith("/uc/sales-v2")
    after = everything(s3, glue, iam, workspace)
    assert after["grants"] == before["grants"] and after["objects"] == before["objects"]
    again = json.loads(run(enforcing, tmp_path, "plan", str(moved), "--format", "json",
                           **CHECKED).stdout)["summary"]
    assert again["no-op"] == sum(again.values()), again
