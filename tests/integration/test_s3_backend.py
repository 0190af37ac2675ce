"""The S3 backend through the real CLI: two home folders stand for two machines sharing one
bucket (moto in the sandbox), with unpatched boto3 over HTTP."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from dpn.engine.stores.s3 import S3Store
from dpn.engine.stores.state import StateStore
from dpn.providers.aws.objects import opener
from dpn.settings import PlatformSettings
from tests.crash.harness import dpn_env

pytestmark = pytest.mark.integration
STACK = "acme-dev-team"
# begin, an intent and a done for each of the 3 resources, commit, end
RECORDS = 1 + 2 * 3 + 2
BLUEPRINT = {
    "version": 1,
    "metadata": {"org": "acme", "env": "dev", "project": "team", "region": "us-east-1",
                 "owner": "data-platform", "tags": {"cost_center": "cc-1234"}},
    "resources": {
        "landing": {"type": "aws.s3_bucket", "layer": "raw", "purpose": "landing"},
        "sales_db": {"type": "aws.glue_database", "domain": "sales", "layer": "silver",
                     "location_uri": "s3://${landing.name}/sales/"},
        "orders": {"type": "aws.glue_table", "database": "${sales_db}", "entity": "orders",
                   "columns": [{"name": "order_id", "type": "bigint"}],
                   "format": "parquet", "location": "s3://${landing.name}/sales/orders/"},
    },
}


@pytest.fixture
def team(clean_sandbox: Any, s3: Any, tmp_path: Path) -> dict[str, Any]:
    """A fresh bucket (the team's backend), a blueprint, and two machines' home folders."""
    bucket = f"dpn-team-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    blueprint = tmp_path / "team.json"
    blueprint.write_text(json.dumps(BLUEPRINT))
    homes = {m: tmp_path / f"machine-{m}" for m in "AB"}
    for home in homes.values():
        home.mkdir(mode=0o700)
    return {"sandbox": clean_sandbox, "bucket": bucket, "backend": f"s3://{bucket}/ci",
            "blueprint": str(blueprint), "homes": homes}


def dpn(team: dict[str, Any], machine: str, *args: str, backend: str | None = None,
        timeout: float = 120, **extra: str) -> subprocess.CompletedProcess[str]:
    """``dpn --backend <team bucket> <args>`` on ``machine`` (A or B) as a subprocess."""
    sandbox = team["sandbox"]
    words = list(args)
    platform = ["--aws-endpoint-url", sandbox.aws_endpoint, "--aws-region", "us-east-1",
                "--dbx-host", sandbox.dbx_host]
    cut = 2 if words[0] == "state" else 1
    if words[0] in ("create", "update", "delete", "recover", "plan", "state"):
        words = words[:cut] + platform + words[cut:]
    env = dpn_env(sandbox, team["homes"][machine], AWS_ENDPOINT_URL=sandbox.aws_endpoint,
                  **{"DPN_S3_LOCK_LEASE": "2", "DPN_S3_LOCK_RENEW": "0.5", **extra})
    cmd = [sys.executable, "-m", "dpn", "--backend", backend or team["backend"], *words]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


def store(team: dict[str, Any]) -> S3Store:
    settings = PlatformSettings(aws_endpoint_url=team["sandbox"].aws_endpoint,
                                aws_region="us-east-1", aws_access_key_id="testing",
                                aws_secret_access_key="testing")
    return S3Store.from_url(team["backend"], objects=opener(settings))


def aws_inventory(s3: Any, glue: Any, team: dict[str, Any]) -> set[tuple[str, str]]:
    """Every AWS object but the backend's bucket, straight from boto3."""
    out = {("aws.s3_bucket", b["Name"]) for b in s3.list_buckets().get("Buckets", [])
           if b["Name"] != team["bucket"]}
    for db in glue.get_databases()["DatabaseList"]:
        if db["Name"] != "default":
            out.add(("aws.glue_database", db["Name"]))
            out |= {("aws.glue_table", f"{db['Name']}.{t['Name']}")
                    for t in glue.get_tables(DatabaseName=db["Name"])["TableList"]}
    return out


def recorded(team: dict[str, Any]) -> set[tuple[str, str]]:
    state = store(team).load_state(STACK)
    return {(r.type, r.id) for r in state.resources.values()} if state else set()


def test_apply_on_a_then_b_sees_state_status_and_a_no_op_update(team, s3, glue):
    created = dpn(team, "A", "create", team["blueprint"], "--yes")
    assert created.returncode == 0, created.stderr
    assert recorded(team) == aws_inventory(s3, glue, team) and len(recorded(team)) == 3
    for home in team["homes"].values():  # nothing of the stack lives on either machine
        assert StateStore(home).stacks() == [] and not (home / "wal").exists()
    status = dpn(team, "B", "status", "--format", "json")
    assert status.returncode == 0, status.stderr
    out = json.loads(status.stdout)
    assert out["backend"] == f"s3 {team['backend']}"
    assert out["stacks"][0]["serial"] == 1 and out["stacks"][0]["lock_holder"] is None
    table = dpn(team, "B", "status")
    assert f"backend: s3 {team['backend']}" in table.stdout
    again = dpn(team, "B", "update", team["blueprint"], "--yes")
    assert again.returncode == 0, again.stderr
    assert "nothing to do" in again.stdout   # B planned from A's state
    assert len(store(team).logs(STACK)) == 1 and store(team).load_state(STACK).serial == 1


@pytest.mark.parametrize("n", [3, RECORDS - 1])
def test_a_killed_mid_apply_b_recovers_after_the_lease_runs_out(n, team, s3, glue):
    # A's lease outlives the start of B's status on a loaded machine; B's recover then
    # waits for it to run out
    killed = dpn(team, "A", "create", team["blueprint"], "--yes",
                 DPN_TEST_CRASH_AFTER_RECORD=str(n), DPN_S3_LOCK_LEASE="8",
                 DPN_S3_LOCK_RENEW="2")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    status = dpn(team, "B", "status", "--format", "json")
    assert status.returncode == 4
    row = json.loads(status.stdout)["stacks"][0]
    assert row["incomplete"] and row["lock_holder"]["tx"] == row["incomplete"][0]
    blocked = dpn(team, "B", "update", team["blueprint"], "--yes")
    assert blocked.returncode in (3, 4), blocked.stderr   # locked, or recovery needed
    recovered = dpn(team, "B", "recover", "--lock-timeout", "15", "--format", "json")
    assert recovered.returncode == 0, recovered.stderr
    outcome = json.loads(recovered.stdout)["recovered"][0]["outcome"]
    assert outcome == ("committed" if n >= RECORDS - 1 else "rolled_back")
    assert recorded(team) == aws_inventory(s3, glue, team)
    assert store(team).incomplete(STACK) == []
    assert store(team).holder(STACK) is None   # B released the lock it took over
    again = dpn(team, "B", "update", team["blueprint"], "--yes")
    assert again.returncode == 0, again.stderr
    assert recorded(team) == aws_inventory(s3, glue, team) and len(recorded(team)) == 3


def test_a_live_holder_refuses_b_with_its_identity(team):
    with store(team).lock(STACK, tx="tx-of-a"):
        refused = dpn(team, "B", "create", team["blueprint"], "--yes")
    assert refused.returncode == 3, refused.stderr
    assert "tx-of-a" in refused.stderr and "Traceback" not in refused.stderr
    # when the lease runs out, and how to wait for it
    assert re.search(r"its lease runs out at \S+Z \(in \d+ s\).*--lock-timeout \d+",
                     refused.stderr), refused.stderr
    assert dpn(team, "B", "create", team["blueprint"], "--yes").returncode == 0
    with store(team).lock(STACK, tx="tx-of-a"):
        status = dpn(team, "B", "status")
    assert "locked by" in status.stdout and "its lease runs out at" in status.stdout
    assert "--lock-timeout" in status.stdout


def test_state_migrate_local_to_s3_and_back(team, s3, glue):
    created = dpn(team, "A", "create", team["blueprint"], "--yes", backend="local")
    assert created.returncode == 0, created.stderr
    local = StateStore(team["homes"]["A"]).load(STACK)
    assert local is not None and store(team).load_state(STACK) is None
    moved = dpn(team, "A", "state", "migrate", "--to", team["backend"], "--from", "local")
    assert moved.returncode == 0, moved.stderr
    assert f"-> s3 {team['backend']}" in moved.stdout
    remote = store(team).load_state(STACK)
    assert remote is not None and remote.serial == local.serial
    assert remote.resources == local.resources
    twice = dpn(team, "A", "state", "migrate", "--to", team["backend"], "--from", "local")
    assert twice.returncode == 0 and "already there" in twice.stdout
    noop = dpn(team, "B", "update", team["blueprint"], "--yes")
    assert noop.returncode == 0 and "nothing to do" in noop.stdout, noop.stderr
    back = dpn(team, "B", "state", "migrate", "--to", "local", "--format", "json")
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout)["stacks"][0]["status"] == "copied"
    assert StateStore(team["homes"]["B"]).load(STACK).resources == local.resources
    newer = store(team)
    newer.save_state(newer.load_state(STACK))   # the team moves on: S3 is one serial ahead
    clash = dpn(team, "A", "state", "migrate", "--to", "local")
    assert clash.returncode == 4 and "not overwritten" in clash.stderr, clash.stderr
    assert StateStore(team["homes"]["A"]).load(STACK).serial == local.serial


def test_migrate_refuses_a_stack_with_an_incomplete_transaction(team):
    killed = dpn(team, "A", "create", team["blueprint"], "--yes", backend="local",
                 DPN_TEST_CRASH_AFTER_RECORD="3")
    assert killed.returncode == -signal.SIGKILL
    moved = dpn(team, "A", "state", "migrate", "--from", "local", "--to", team["backend"],
                "--stack", STACK)
    assert moved.returncode == 4 and "dpn recover" in moved.stderr, moved.stderr
    assert store(team).load_state(STACK) is None


def test_the_blueprint_names_the_backend(team, s3, glue, tmp_path):
    """No --backend anywhere: the blueprint's ``backend`` puts the state, WAL and lock in
    the bucket; commands without a blueprint reach it with --backend and the AWS options
    (no AWS_ENDPOINT_URL in their environment), as the hints they print say."""
    sandbox, home = team["sandbox"], team["homes"]["A"]
    path = tmp_path / "with-backend.json"
    path.write_text(json.dumps({**BLUEPRINT, "backend": team["backend"]}))
    aws = ["--aws-endpoint-url", sandbox.aws_endpoint, "--aws-region", "us-east-1"]

    def run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        env = dpn_env(sandbox, home, DPN_S3_LOCK_LEASE="2", DPN_S3_LOCK_RENEW="0.5", **extra)
        return subprocess.run([sys.executable, "-m", "dpn", *args], env=env,
                              capture_output=True, text=True, timeout=120)

    killed = run("create", *aws, str(path), "--yes", DPN_TEST_CRASH_AFTER_RECORD="3")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert StateStore(home).stacks() == [] and not (home / "wal").exists()
    status = run("--backend", team["backend"], "status", *aws)
    assert status.returncode == 4, status.stderr
    hint = f"dpn --backend {team['backend']} recover --stack {STACK}"
    assert hint in status.stdout
    recovered = run(*hint.split()[1:], *aws, "--lock-timeout", "15")
    assert recovered.returncode == 0, recovered.stderr
    assert "rolled_back" in recovered.stdout
    created = run("create", *aws, str(path), "--yes")
    assert created.returncode == 0, created.stderr
    assert recorded(team) == aws_inventory(s3, glue, team) and len(recorded(team)) == 3
    history = run("--backend", team["backend"], "history", *aws, "--format", "json")
    outcomes = [t["outcome"] for t in json.loads(history.stdout)["transactions"]]
    assert outcomes == ["recovered:rolled_back", "committed"], history.stderr
    # the flag wins over the blueprint: the local home has no state of this stack
    local = run("--backend", "local", "plan", "--offline", str(path), "--format", "json")
    assert local.returncode == 0, local.stderr
    assert {c["action"] for c in json.loads(local.stdout)["changes"]} == {"create"}


def test_wal_records_ready_together_share_one_object_and_read_back_in_order(team, s3,
                                                                             aws_faults):
    """Group commit: eight threads announcing at once pay for fewer PUTs than records; an
    outcome rides with the next intent; any machine reads the log back in order."""
    from concurrent.futures import ThreadPoolExecutor

    from dpn.engine.wal import Rec
    from dpn.errors import StateError

    # every PUT takes 100 ms, so the intents of eight threads meet in the queue
    aws_faults.add(method="PUT", path=r"/ci/wal/", latency_ms=100)
    a = store(team)
    wal = a.wal_writer(STACK, "tx-group")
    wal.append(Rec.BEGIN, tx="tx-group", stack=STACK, base_serial=0, ops=[])
    with ThreadPoolExecutor(8) as pool:
        seqs = list(pool.map(lambda i: wal.append(Rec.INTENT, key=f"k{i}", op="create"),
                             range(8)))
    wal.append(Rec.DONE, key="k0", op="create")     # waits for nothing
    puts = wal.fsyncs
    wal.append(Rec.INTENT, key="k9", op="create")   # carries the done with it
    assert wal.fsyncs == puts + 1
    wal.append(Rec.DONE, key="k9", op="create")
    wal.close()                                     # the last outcome is written at close
    keys = s3.list_objects_v2(Bucket=team["bucket"], Prefix="ci/wal/")["Contents"]
    assert len(keys) == wal.fsyncs < 12, [k["Key"] for k in keys]
    assert sorted(seqs) == list(range(2, 10))
    log = store(team).logs(STACK)[0]                # another machine's view
    assert [r["seq"] for r in log.records] == list(range(1, 13))
    assert [r["record"] for r in log.records][-3:] == ["done", "intent", "done"]
    # a second runner that writes the same next record is stopped, not interleaved
    other = store(team).wal_writer(STACK, "tx-group", start_seq=12)
    wal2 = a.wal_writer(STACK, "tx-group", start_seq=12)
    other.append(Rec.INTENT, key="x", op="create")
    with pytest.raises(StateError, match="already written by another runner"):
        wal2.append(Rec.INTENT, key="y", op="create")
    with pytest.raises(StateError):
        wal2.append(Rec.INTENT, key="z", op="create")
