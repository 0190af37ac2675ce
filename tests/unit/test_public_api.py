"""The public library: every name ``dpn`` offers resolves (lazily, without a platform
SDK), and the typed results serialise to the JSON the command line prints. The calls run
against the in-memory platform; the engine under them runs unmodified."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import dpn
import dpn.api as api
from dpn.cli import cli
from dpn.engine.retry import RetryPolicy
from dpn.engine.stores import LocalStore
from dpn.errors import InputError
from dpn.model import Blueprint, Metadata, Resource, freeze

from .fake_platform import FakePlatform

STACK = "acme-dev-lake"
TAG = {"aws.s3_bucket": "tags", "dbx.cluster": "custom_tags"}


def blueprint(workers: int = 1) -> Blueprint:
    meta = Metadata(org="acme", env="dev", project="lake", region="us-east-1")
    res = [Resource("bucket", "aws.s3_bucket", "acme-dev-lake-raw-landing",
                    "acme-dev-lake-raw-landing",
                    freeze({"tags": {"dpn:stack": STACK, "dpn:key": "bucket"}})),
           Resource("cluster", "dbx.cluster", "dev-lake-etl", "dev-lake-etl",
                    freeze({"num_workers": workers,
                            "custom_tags": {"dpn:stack": STACK, "dpn:key": "cluster"}}))]
    return Blueprint("<test>", meta, {r.key: r for r in res})


@pytest.fixture
def platform() -> FakePlatform:
    return FakePlatform()


@pytest.fixture
def runner(tmp_path: Path, platform: FakePlatform) -> api.Runner:
    return api.Runner(home=tmp_path, providers=platform.providers,
                      retry=RetryPolicy(base=0.001, deadline=2))


def test_every_public_name_resolves_in_dpn_and_in_dpn_api() -> None:
    assert set(dpn.__all__) == {"__version__", *api.__all__}
    assert sorted(api.__all__) == sorted(api.LAZY)
    for name in api.__all__:
        assert getattr(dpn, name) is getattr(api, name), name
    with pytest.raises(AttributeError):
        _ = dpn.no_such_name  # type: ignore[attr-defined]


def test_the_public_names_import_no_platform_sdk(tmp_path: Path) -> None:
    code = ("import sys\n"
            "import dpn\n"
            "for name in dpn.__all__:\n"
            "    getattr(dpn, name)\n"
            "import dpn.cli.apply, dpn.cli.drift, dpn.cli.importing, dpn.cli.tx\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'boto3' or "
            "m.startswith('botocore') or m.startswith('databricks.sdk') or m == 'moto')\n"
            "sys.stderr.write('IMPORTED=' + ','.join(bad))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "DPN_HOME": str(tmp_path)})
    assert "IMPORTED=" in proc.stderr, proc.stderr
    assert proc.stderr.rsplit("IMPORTED=", 1)[1] == ""


def test_create_reports_through_on_event_and_the_applied_result(runner: api.Runner) -> None:
    seen: list[api.Event] = []
    preview = api.preview(blueprint(), runner, offline=True)
    assert preview.ok and preview.to_json() == preview.plan.to_json()
    applied = api.create(blueprint(), runner, on_event=seen.append)
    assert applied.changed and applied.ok
    assert applied.to_json() == applied.result.to_json()
    assert [type(e).__name__ for e in seen][:1] == ["TxStarted"]
    assert isinstance(seen[-1], api.TxFinished) and seen[-1].outcome == "committed"
    assert runner.events is api.events.ignore  # on_event was for that call only
    again = api.update(blueprint(), runner)
    assert not again.changed and again.to_json() == again.plan.to_json()


def test_a_failed_step_rolls_back_and_the_result_says_so(runner: api.Runner,
                                                         platform: FakePlatform) -> None:
    api.create(blueprint(), runner)
    platform.fail[("cluster", "update")] = RuntimeError("boom")
    failed = api.update(blueprint(workers=2), runner)
    assert failed.result.outcome == api.Outcome.ROLLED_BACK and not failed.ok
    assert {o.key: o.status for o in failed.result.operations} == {"cluster": "failed"}
    assert "boom" in (failed.to_json()["error"] or "")


def test_status_serialises_to_what_dpn_status_prints(runner: api.Runner,
                                                     tmp_path: Path) -> None:
    api.create(blueprint(), runner)
    report = api.stack_status(LocalStore(tmp_path))
    assert [r.stack for r in report.stacks] == [STACK] and not report.needs_attention
    assert report.stacks[0].resources == {"aws.s3_bucket": 1, "dbx.cluster": 1}
    out = CliRunner().invoke(cli, ["--home", str(tmp_path), "status", "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == report.to_json()
    assert api.needs_recovery(tmp_path) == []
    rows = api.history(runner, STACK, limit=1)
    assert [r.outcome for r in rows] == ["committed"]
    shown = CliRunner().invoke(cli, ["--home", str(tmp_path), "history", "--limit", "1",
                                     "--format", "json"])
    assert json.loads(shown.output) == {"transactions": [r.to_json() for r in rows]}


def test_an_offline_preview_is_what_dpn_plan_prints(runner: api.Runner, tmp_path: Path,
                                                    ) -> None:
    path = Path(__file__).resolve().parents[2] / "examples" / "minimal.json"
    bp = dpn.load(path)
    preview = dpn.preview(bp, api.Runner(home=tmp_path), offline=True)
    out = CliRunner().invoke(cli, ["--home", str(tmp_path), "plan", "--offline",
                                   "--format", "json", str(path)])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == preview.to_json()
    api.write_plan(preview.plan, tmp_path / "plan.json")
    assert api.read_plan(tmp_path / "plan.json").to_json() == preview.to_json()

    envs = str(path.parent / "environments.json")
    outputs = api.stack_outputs(dpn.load(envs, env="dev"), tmp_path)
    assert outputs.values and outputs.unknown == list(outputs.values)
    shown = CliRunner().invoke(cli, ["--home", str(tmp_path), "output", envs, "--env", "dev",
                                     "--format", "json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output) == outputs.to_json()
    with pytest.raises(InputError, match="no output 'nope' in .*environments.json"):
        api.stack_outputs(dpn.load(envs, env="dev"), tmp_path, "nope")


def test_drift_serialises_to_the_documented_report(runner: api.Runner,
                                                   platform: FakePlatform) -> None:
    created = api.create(blueprint(), runner)
    cluster = next(o.id for o in created.result.operations if o.key == "cluster")
    assert api.drift(blueprint(), runner).in_sync
    platform.objects[("dbx.cluster", str(cluster))]["props"]["num_workers"] = 5
    report = api.drift(blueprint(), runner)
    assert report.plan is not None
    plan = report.plan
    documented = {"stack": plan.stack, "serial": plan.serial, "in_sync": not plan.drifted,
                  "checked": 2, "drift": plan.drift_report(),
                  "pending": {k: v for k, v in plan.summary().items() if k != "no-op"}}
    assert report.to_json() == documented and not report.in_sync
    assert [(d.key, d.kind, d.fields) for d in report.drift] == [
        ("cluster", "changed", ("num_workers",))]
    assert json.loads(json.dumps(report.to_json())) == documented


def test_read_import_and_recovered_serialise_as_the_cli_prints(
        runner: api.Runner, platform: FakePlatform) -> None:
    api.create(blueprint(), runner)
    found = api.read(runner, "cluster", blueprint=blueprint())
    data = found.to_json()
    assert found.exists and data["type"] == "dbx.cluster" and data["exists"] is True
    assert set(data) == {"type", "id", "exists", "live", "state"}
    assert set(data["live"]) == {"name", "attrs", "props"}
    assert data["state"]["key"] == "cluster" and data["state"]["id"] == found.id
    missing = api.read(runner, "nope", type="dbx.cluster")
    assert missing.to_json() == {"type": "dbx.cluster", "id": "nope", "exists": False}
    with pytest.raises(InputError, match="is not a resource"):
        api.read(runner, "nope", stack=STACK)

    other = api.Runner(home=runner.home / "other", providers=platform.providers)
    adopted = api.import_objects(blueprint(), other, all_missing=True, dry_run=True)
    assert adopted.result is None
    assert adopted.to_json() == {**adopted.plan.to_json(), "dry_run": True}
    done = api.import_objects(blueprint(), other, {"bucket": "acme-dev-lake-raw-landing"})
    assert done.result is not None
    assert done.to_json() == {**done.plan.to_json(), "dry_run": False,
                              **done.result.to_json()}

    rec = api.Recovered(STACK, api.Recovery(tx="t1", committed=False, outcome="rolled_back"))
    assert rec.to_json() == {"stack": STACK, "tx": "t1", "outcome": "rolled_back",
                             "actions": [], "left": []}
