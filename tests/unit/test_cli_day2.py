"""Day-2 operations through the command line, offline: environments, lifecycle, --only
and --exclude, moved and outputs (the sandbox lane is tests/integration/test_day2.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dpn.blueprint import load
from dpn.cli import cli
from dpn.engine.stores.state import StateStore
from dpn.model import ResourceState, StackState
from tests.unit.test_lifecycle import applied

EXAMPLE = str(Path(__file__).resolve().parents[2] / "examples" / "environments.json")


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DPN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DPN_ENV", raising=False)
    return CliRunner()


def _plan(runner: CliRunner, *args: str) -> Any:
    result = runner.invoke(cli, ["plan", "--offline", "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_each_environment_plans_its_own_stack_names_and_sizes(runner: CliRunner) -> None:
    dev, prd = _plan(runner, EXAMPLE, "--env", "dev"), _plan(runner, EXAMPLE, "--env", "prd")
    assert (dev["stack"], prd["stack"]) == ("acme-dev-orders", "acme-prd-orders")
    names = {p["stack"]: {c["key"]: c["name"] for c in p["changes"]} for p in (dev, prd)}
    assert names["acme-dev-orders"]["etl"] == "dev-orders-etl"
    assert names["acme-prd-orders"]["etl"] == "prd-orders-etl"
    assert "scratch" in names["acme-dev-orders"] and "scratch" not in names["acme-prd-orders"]
    size = {p["stack"]: next(c["after"] for c in p["changes"] if c["key"] == "etl")
            for p in (dev, prd)}
    assert (size["acme-dev-orders"]["num_workers"], size["acme-prd-orders"]["num_workers"]) \
        == (1, 8)
    assert size["acme-prd-orders"]["node_type_id"] == "i3.2xlarge"
    tags = next(c["after"]["tags"] for c in prd["changes"] if c["key"] == "landing")
    assert tags["tier"] == "production" and tags["dpn:stack"] == "acme-prd-orders"
    assert _plan(runner, EXAMPLE, "--env", "prd") == prd  # DPN_ENV says the same:
    env = runner.invoke(cli, ["plan", "--offline", "--format", "json", EXAMPLE],
                        env={"DPN_ENV": "prd"})
    assert json.loads(env.output)["stack"] == "acme-prd-orders"


def test_without_env_commands_that_need_a_stack_exit_2_listing_the_environments(
        runner: CliRunner) -> None:
    for args in (["plan", "--offline", EXAMPLE], ["graph", EXAMPLE], ["output", EXAMPLE],
                 ["create", "--dry-run", EXAMPLE]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 2, (args, result.output)
        assert "declares environments (dev, prd): choose one with --env NAME" in result.output
    result = runner.invoke(cli, ["validate", EXAMPLE])
    assert result.exit_code == 0, result.output
    assert "environment dev" in result.output and "environment prd" in result.output
    assert runner.invoke(cli, ["plan", "--offline", EXAMPLE, "--env", "tst"]).exit_code == 2


def _record(bp: Any, key: str, **changes: Any) -> ResourceState:
    state = applied(bp)
    rec = state.resources[key]
    for field, value in changes.items():
        rec = ResourceState(rec.key, rec.type, value if field == "name" else rec.name,
                            value if field == "id" else rec.id, rec.props, rec.attrs,
                            rec.depends_on)
    return rec


def test_prevent_destroy_shows_the_plan_then_exits_2(runner: CliRunner, tmp_path: Path
                                                     ) -> None:
    bp = load(EXAMPLE, env="prd")
    old = _record(bp, "landing", name="acme-prd-orders-raw-old", id="acme-prd-orders-raw-old")
    StateStore(tmp_path / "home").save(StackState(bp.stack, 0, {"landing": old}))
    result = runner.invoke(cli, ["plan", "--offline", EXAMPLE, "--env", "prd"])
    assert result.exit_code == 2
    assert "-/+  landing" in result.output  # the plan is shown
    assert ("lifecycle.prevent_destroy: landing (aws.s3_bucket 'acme-prd-orders-raw-old') "
            "would be replaced (it changes name)") in result.output
    excluded = runner.invoke(cli, ["plan", "--offline", EXAMPLE, "--env", "prd",
                                   "--exclude", "landing", "--format", "json"])
    assert excluded.exit_code == 0, excluded.output
    plan = json.loads(excluded.output)
    assert "landing" not in {c["key"] for c in plan["changes"]}
    assert plan["selection"]["left_out"] == {"nightly": ["landing"], "orders_db": ["landing"]}


def test_only_shows_what_it_pulls_in(runner: CliRunner) -> None:
    plan = _plan(runner, EXAMPLE, "--env", "dev", "--only", "nightly")
    assert [c["key"] for c in plan["changes"]] == ["etl", "landing", "nightly"]
    assert plan["selection"]["pulled_in"] == {"etl": ["nightly"], "landing": ["nightly"]}
    text = runner.invoke(cli, ["plan", "--offline", EXAMPLE, "--env", "dev", "--only",
                               "nightly"]).output
    assert "Pulled in (needed by the keys given): etl (for nightly), landing (for nightly)" \
        in text
    bad = runner.invoke(cli, ["plan", "--offline", EXAMPLE, "--env", "dev", "--only",
                              "nightly", "--exclude", "etl"])
    assert bad.exit_code == 2
    assert "nightly needs the create of etl, which --exclude leaves out" in bad.output


def test_moved_shows_the_rename_and_no_change(runner: CliRunner, tmp_path: Path) -> None:
    bp = load(EXAMPLE, env="dev")
    old = applied(load_with_key(bp, "landing", "raw_bucket")).resources["raw_bucket"]
    StateStore(tmp_path / "home").save(StackState(bp.stack, 0, {"raw_bucket": old}))
    plan = _plan(runner, EXAMPLE, "--env", "dev")
    assert plan["moved"] == [{"from": "raw_bucket", "to": "landing"}]
    change = next(c for c in plan["changes"] if c["key"] == "landing")
    assert (change["key"], change["action"], change["moved_from"]) == (
        "landing", "no-op", "raw_bucket")
    text = runner.invoke(cli, ["plan", "--offline", EXAMPLE, "--env", "dev"]).output
    assert "Moved in the state (no platform call): raw_bucket -> landing." in text
    assert "still tagged dpn:key=raw_bucket; retagged with its next update" in text


def load_with_key(bp: Any, key: str, new_key: str) -> Any:
    """``bp`` with resource ``key`` as it was applied under ``new_key``."""
    from dpn.blueprint import from_dict

    doc = json.loads(Path(EXAMPLE).read_text())
    doc.pop("environments"), doc.pop("moved"), doc.pop("outputs")
    doc["resources"] = {new_key: doc["resources"][key]}
    return from_dict(doc)


def test_output_reads_the_state_offline(runner: CliRunner, tmp_path: Path) -> None:
    bp = load(EXAMPLE, env="dev")
    state = applied(bp)
    StateStore(tmp_path / "home").save(StackState(bp.stack, 0, {
        k: v for k, v in state.resources.items() if k != "nightly"}))
    result = runner.invoke(cli, ["output", EXAMPLE, "--env", "dev", "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["outputs"] == {"landing_uri": "s3://acme-dev-orders-raw-landing",
                              "orders_location": "s3://acme-dev-orders-raw-landing/orders/",
                              "etl_cluster_id": "id-etl", "nightly_job_id": None}
    assert out["unknown"] == ["nightly_job_id"] and out["stack"] == "acme-dev-orders"
    one = runner.invoke(cli, ["output", EXAMPLE, "landing_uri", "--env", "dev"])
    assert (one.exit_code, one.output) == (0, "s3://acme-dev-orders-raw-landing\n")
    assert runner.invoke(cli, ["output", EXAMPLE, "nightly_job_id", "--env", "dev"]
                         ).exit_code == 1
    assert runner.invoke(cli, ["output", EXAMPLE, "nope", "--env", "dev"]).exit_code == 2
    table = runner.invoke(cli, ["output", EXAMPLE, "--env", "dev"]).output
    assert "nightly_job_id  = (not applied yet)" in table


def test_outputs_of_a_resource_an_environment_leaves_out(runner: CliRunner,
                                                        tmp_path: Path) -> None:
    doc = json.loads(Path(EXAMPLE).read_text())
    doc["outputs"]["scratch"] = "${scratch.name}"
    doc["outputs"]["typo"] = "${scrach.name}"
    path = tmp_path / "bp.json"
    path.write_text(json.dumps(doc, indent=1))
    result = runner.invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2
    assert "reference to unknown resource 'scrach' (did you mean 'scratch'?)" in result.output
    del doc["outputs"]["typo"]
    path.write_text(json.dumps(doc))
    assert "scratch" not in load(path, env="prd").outputs
    assert "scratch" in load(path, env="dev").outputs
