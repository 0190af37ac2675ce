"""``dpn import`` through the real CLI against the sandbox: adopt one object by id, every
matching object with ``--all``, refuse other stacks' objects and wrong names, and roll an
import back as one transaction."""

from __future__ import annotations

import json

import pytest

from dpn.engine.stores.state import StateStore
from tests.crash.harness import BLUEPRINT_EIGHT, assert_platforms_equal_state, run
from tests.platform_listing import platform_inventory, state_inventory

pytestmark = pytest.mark.integration
STACK = "acme-dev-crash"
BUCKET = "acme-dev-crash-raw-landing"


def dpn_import(sandbox, home, *args: str):
    return run(sandbox, home, "import", "--aws-endpoint-url", sandbox.aws_endpoint,
               "--aws-region", "us-east-1", "--dbx-host", sandbox.dbx_host, *args)


def bucket_tags(s3, bucket: str) -> dict[str, str]:
    try:
        tags = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    except s3.exceptions.ClientError:
        return {}
    return {t["Key"]: t["Value"] for t in tags}


def make_outside(s3, glue) -> None:
    """Objects made outside dpn with the names eight.json generates."""
    s3.create_bucket(Bucket=BUCKET)
    glue.create_database(DatabaseInput={"Name": "dev_sales_silver"})
    glue.create_table(DatabaseName="dev_sales_silver", TableInput={
        "Name": "orders", "StorageDescriptor": {"Columns": [{"Name": "x", "Type": "int"}]}})


def test_import_one_object_by_id_adds_ownership_and_records_it(
        clean_sandbox, s3, glue, workspace, tmp_path):
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": [{"Key": "team", "Value": "x"}]})
    out = dpn_import(clean_sandbox, tmp_path, BLUEPRINT_EIGHT, "landing", BUCKET,
                     "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["outcome"] == "committed"
    assert data["imports"][0]["key"] == "landing" and "tags" in data["imports"][0]["changes"]
    tags = bucket_tags(s3, BUCKET)
    assert tags["dpn:stack"] == STACK and tags["dpn:key"] == "landing"
    state = StateStore(tmp_path).load(STACK)
    assert state is not None and state.resources["landing"].id == BUCKET
    again = dpn_import(clean_sandbox, tmp_path, BLUEPRINT_EIGHT, "landing", BUCKET)
    assert again.returncode == 2 and "already in the stack's state" in again.stderr
    # the rest is created around it; the plan then shows nothing to do
    rest = run(clean_sandbox, tmp_path, "update", BLUEPRINT_EIGHT, "--yes")
    assert rest.returncode == 0, rest.stderr
    assert len(assert_platforms_equal_state(tmp_path, STACK, s3, glue, workspace)) == 8


def test_import_refuses_wrong_names_missing_objects_and_dependencies(
        clean_sandbox, s3, glue, tmp_path):
    s3.create_bucket(Bucket="someone-elses-bucket")
    wrong = dpn_import(clean_sandbox, tmp_path, BLUEPRINT_EIGHT, "landing",
                       "someone-elses-bucket")
    assert wrong.returncode == 2
    assert "is named 'someone-elses-bucket'" in wrong.stderr
    missing = dpn_import(clean_sandbox, tmp_path, BLUEPRINT_EIGHT, "landing", BUCKET)
    assert missing.returncode == 2 and "no aws.s3_bucket with id" in missing.stderr
    glue.create_database(DatabaseInput={"Name": "dev_sales_silver"})
    dep = dpn_import(clean_sandbox, tmp_path, BLUEPRINT_EIGHT, "sales_db", "dev_sales_silver")
    assert dep.returncode == 2 and "depends on landing" in dep.stderr
    unknown = dpn_import(clean_sandbox, tmp_path, BLUEPRINT_EIGHT, "nope", "x")
    assert unknown.returncode == 2 and "not in the blueprint" in unknown.stderr
    usage = dpn_import(clean_sandbox, tmp_path, BLUEPRINT_EIGHT, "landing")
    assert usage.returncode == 2
    assert StateStore(tmp_path).load(STACK) is None
    assert "Traceback" not in wrong.stderr + missing.stderr + dep.stderr


def test_import_refuses_an_object_another_stack_owns(clean_sandbox, s3, tmp_path):
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": [
        {"Key": "dpn:stack", "Value": "other-stack"}, {"Key": "dpn:key", "Value": "b"}]})
    out = dpn_import(clean_sandbox, tmp_path, BLUEPRINT_EIGHT, "landing", BUCKET)
    assert out.returncode == 1
    assert "owned by stack 'other-stack'" in out.stderr
    assert bucket_tags(s3, BUCKET)["dpn:stack"] == "other-stack"
    skipped = dpn_import(clean_sandbox, tmp_path, BLUEPRINT_EIGHT, "--all", "--format", "json")
    assert skipped.returncode == 0, skipped.stderr
    reasons = {s["key"]: s["reason"] for s in json.loads(skipped.stdout)["skipped"]}
    assert "owned by stack 'other-stack'" in reasons["landing"]


def test_import_all_adopts_every_matching_object_in_one_transaction(
        clean_sandbox, s3, glue, workspace, tmp_path):
    make_outside(s3, glue)
    workspace.catalogs.create(name="dev_sales")
    dry = dpn_import(clean_sandbox, tmp_path, BLUEPRINT_EIGHT, "--all", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would import landing" in dry.stdout and "would import sales:" in dry.stdout
    assert StateStore(tmp_path).load(STACK) is None
    out = dpn_import(clean_sandbox, tmp_path, BLUEPRINT_EIGHT, "--all", "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    # the catalog's platform-made default schema is not the blueprint's gold schema
    assert {c["key"] for c in data["imports"]} == {"landing", "sales_db", "orders", "sales"}
    assert {s["key"] for s in data["skipped"]} == {"etl", "nightly", "sales_gold",
                                                   "orders_gold"}
    assert len({op["status"] for op in data["operations"]}) == 1
    table = glue.get_table(DatabaseName="dev_sales_silver", Name="orders")["Table"]
    assert table["Parameters"]["dpn:stack"] == STACK
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["order_id"]
    rest = run(clean_sandbox, tmp_path, "update", BLUEPRINT_EIGHT, "--yes")
    assert rest.returncode == 0, rest.stderr
    # the imported catalog keeps the default schema it was made with: not dpn's
    live = platform_inventory(s3, glue, workspace) - {("dbx.schema", "dev_sales.default")}
    assert live == state_inventory(StateStore(tmp_path).load(STACK)) and len(live) == 8


def test_a_failed_import_rolls_every_adopted_object_back(
        clean_sandbox, aws_faults, s3, glue, tmp_path):
    make_outside(s3, glue)
    aws_faults.add(x_amz_target=r"AWSGlue\.UpdateTable$", status=400,
                   error_code="InvalidInputException", message="injected")
    out = dpn_import(clean_sandbox, tmp_path, BLUEPRINT_EIGHT, "--all", "--format", "json")
    assert out.returncode == 1, out.stderr
    assert json.loads(out.stdout)["outcome"] == "rolled_back"
    assert "dpn:stack" not in bucket_tags(s3, BUCKET)
    db = glue.get_database(Name="dev_sales_silver")["Database"]
    assert "dpn:stack" not in (db.get("Parameters") or {})
    arn = "arn:aws:glue:us-east-1:123456789012:database/dev_sales_silver"
    assert "dpn:stack" not in glue.get_tags(ResourceArn=arn).get("Tags", {})
    assert StateStore(tmp_path).load(STACK) is None
    history = run(clean_sandbox, tmp_path, "history", "--stack", STACK, "--format", "json")
    txs = json.loads(history.stdout)["transactions"]
    assert [t["outcome"] for t in txs] == ["rolled_back"]
    assert {o["action"] for o in txs[0]["operations"]} == {"import"}


def test_import_adopts_an_iam_role_and_an_untagged_storage_credential_and_never_grants(
        clean_sandbox, iam, workspace, tmp_path):
    from databricks.sdk.service.catalog import AwsIamRoleRequest

    from dpn.providers.aws.iam_documents import uc_trust

    bp = tmp_path / "chain.json"
    bp.write_text(json.dumps({
        "version": 1, "metadata": {"org": "acme", "env": "dev", "project": "chain",
                                   "region": "us-east-1"},
        "resources": {
            "uc": {"type": "aws.iam_role", "purpose": "uc", "trust": "unity_catalog"},
            "cred": {"type": "dbx.storage_credential", "purpose": "uc",
                     "aws_iam_role": "${uc}", "comment": "made by hand"},
            "cred_grants": {"type": "dbx.grants", "securable": "${cred}",
                            "privileges": {"data-platform": ["READ_FILES"]}}}}))
    role = "acme-dev-chain-uc"
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(
        uc_trust(None, "0000")))["Role"]["Arn"]
    made = workspace.storage_credentials.create(
        name="dev_uc", aws_iam_role=AwsIamRoleRequest(role_arn=arn), comment="made by hand")
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(
        uc_trust(arn, made.aws_iam_role.external_id)))
    out = dpn_import(clean_sandbox, tmp_path, str(bp), "--all", "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {c["key"] for c in data["imports"]} == {"uc", "cred"}
    assert "not an object to adopt" in {s["key"]: s["reason"] for s in data["skipped"]}[
        "cred_grants"]
    tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=role)["Tags"]}
    assert tags == {"dpn:stack": "acme-dev-chain", "dpn:key": "uc"}
    state = StateStore(tmp_path).load("acme-dev-chain")
    assert state is not None and state.resources["cred"].id == "dev_uc"
    plan = json.loads(run(clean_sandbox, tmp_path, "plan", str(bp), "--format", "json").stdout)
    actions = {c["key"]: c["action"] for c in plan["changes"]}
    assert actions == {"uc": "no-op", "cred": "no-op", "cred_grants": "create"}
