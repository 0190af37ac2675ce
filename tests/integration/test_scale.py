"""Live plans at scale (SPEC section 13) on the sandbox: the parallel refresh reads what a
serial one reads, with the same calls; a storm of 429s is ridden out; a name another
stack holds stops the plan (exit 2) before any mutating request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dpn.api.apply import apply
from dpn.api.runner import Runner
from dpn.blueprint import from_dict
from dpn.engine.pool import CallPool
from dpn.engine.refresh import refresh_state
from dpn.engine.stores import LocalStore
from dpn.model import StackState
from dpn.providers import registry
from dpn.providers.base import Observed
from tests.crash.harness import BLUEPRINT_EIGHT, run

pytestmark = pytest.mark.integration
META = {"org": "acme", "env": "dev", "project": "scale", "region": "us-east-1"}
READS = ("Get", "List", "Head", "Search")


def estate() -> Any:
    """Every type, with a database and a schema listed whole (more than 2 tables) and one
    read table by table."""
    col = [{"name": "id", "type": "bigint"}]
    res: dict[str, Any] = {
        "cat": {"type": "dbx.catalog", "domain": "scale"},
        "etl": {"type": "dbx.cluster", "purpose": "etl", "spark_version": "15.4.x-scala2.12",
                "node_type_id": "i3.xlarge", "num_workers": 1},
    }
    for i in range(2):
        res[f"bucket{i}"] = {"type": "aws.s3_bucket", "layer": "raw", "purpose": f"p{i}"}
        res[f"db{i}"] = {"type": "aws.glue_database", "domain": f"d{i}", "layer": "raw"}
        res[f"schema{i}"] = {"type": "dbx.schema", "catalog": "${cat}",
                             "layer": ("bronze", "gold")[i]}
        res[f"job{i}"] = {"type": "dbx.job", "purpose": f"j{i}", "tasks": [
            {"task_key": "a", "existing_cluster_id": "${etl.id}",
             "notebook_task": {"notebook_path": "/x"}}]}
    for i in range(4):
        db = "db0" if i < 3 else "db1"
        res[f"gt{i}"] = {"type": "aws.glue_table", "database": f"${{{db}}}", "entity": f"e{i}",
                         "columns": col, "format": "parquet",
                         "location": f"s3://scale-data/g{i}/"}
        schema = "schema0" if i < 3 else "schema1"
        res[f"ut{i}"] = {"type": "dbx.table", "schema": f"${{{schema}}}", "entity": f"e{i}",
                         "columns": [{"name": "id", "type": "BIGINT"}],
                         "storage_location": f"s3://scale-data/u{i}/"}
    return from_dict({"version": 1, "metadata": META, "resources": res})


def built(sandbox: Any, home: Path) -> tuple[StackState, dict[str, Any]]:
    """The estate applied; its state and providers."""
    bp = estate()
    runner = Runner(home=home, settings=sandbox.settings(), skip_access_checks=True)
    _, result = apply(runner, bp, "create")
    assert result.ok, result.error
    state = LocalStore(home).load_state(bp.stack)
    assert state is not None
    providers = registry.build(sandbox.settings(), region="us-east-1", home=home,
                               types={r.type for r in state.resources.values()})
    return state, providers


def calls(*fronts: Any) -> list[tuple[str, str, str]]:
    out = [(q["method"], q["path"], q["operation"]) for f in fronts for q in f.requests()]
    for front in fronts:
        front.clear_requests()
    return sorted(out)


def test_parallel_refresh_reads_what_a_serial_one_reads(clean_sandbox, aws_faults,
                                                         dbx_faults, glue, tmp_path):
    state, providers = built(clean_sandbox, tmp_path)
    glue.delete_table(DatabaseName=state.resources["gt3"].id.split(".")[0],
                      Name=state.resources["gt3"].name)   # deleted outside dpn
    calls(aws_faults, dbx_faults)
    serial = refresh_state(state, providers)
    serial_calls = calls(aws_faults, dbx_faults)
    with CallPool(8) as pool:
        parallel = refresh_state(state, providers, pool)
    assert parallel == serial
    assert calls(aws_faults, dbx_faults) == serial_calls
    assert serial["gt3"] is None
    assert all(isinstance(serial[k], Observed) for k in state.resources if k != "gt3")
    # listings, not one read per object: 2 buckets' details are the only per-object reads
    # besides Glue's GetTags (one per database) and the single-table database's GetTable
    per_object = [c for c in serial_calls if c[2].startswith("GetBucket")
                  or c[2] in ("GetPublicAccessBlock", "GetTags", "GetTable")]
    assert len(per_object) == 2 * 6 + 2 + 1


def test_a_storm_of_429s_is_ridden_out(clean_sandbox, aws_faults, dbx_faults, tmp_path):
    state, providers = built(clean_sandbox, tmp_path)
    quiet = refresh_state(state, providers)
    aws_faults.add(status=429, x_amz_target=r"^AWSGlue\.", count=12)
    aws_faults.add(status=503, error_code="SlowDown", path=r"^/[a-z]", count=6)
    dbx_faults.add(status=429, retry_after=0, count=12)
    calls(aws_faults, dbx_faults)
    with CallPool(8) as pool:
        stormy = refresh_state(state, providers, pool)
    assert stormy == quiet
    throttled = [q for f in (aws_faults, dbx_faults) for q in f.requests()
                 if q["status"] in (429, 503)]
    assert len(throttled) == 12 + 6 + 12


def test_a_name_another_stack_holds_stops_the_plan_before_any_change(
        clean_sandbox, aws_faults, dbx_faults, glue, workspace, tmp_path):
    glue.create_database(DatabaseInput={"Name": "dev_sales_silver"},
                         Tags={"dpn:stack": "acme-dev-elsewhere", "dpn:key": "sales_db"})
    workspace.catalogs.create(name="dev_sales", properties={"team": "bi"})
    calls(aws_faults, dbx_faults)
    for command in (("plan", BLUEPRINT_EIGHT), ("create", BLUEPRINT_EIGHT, "--yes")):
        out = run(clean_sandbox, tmp_path, *command)
        assert out.returncode == 2, out.stderr
        assert "'dev_sales_silver' already exists, owned by stack 'acme-dev-elsewhere'" \
            in out.stderr
        assert "'dev_sales' already exists, with no dpn:stack tag" in out.stderr
        assert "Traceback" not in out.stderr
    requests = calls(aws_faults, dbx_faults)
    mutating = [r for r in requests if not (r[2].startswith(READS) or r[0] == "GET")]
    assert requests and mutating == []
    assert not (tmp_path / "state").exists()
