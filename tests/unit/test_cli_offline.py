"""The offline commands: validate, plan --offline, schema, --help; exit codes; imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dpn.cli import cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LAKEHOUSE = str(EXAMPLES / "lakehouse.json")
ENVIRONMENTS = str(EXAMPLES / "environments.json")


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DPN_HOME", str(tmp_path / "home"))
    return CliRunner()


def test_validate_ok(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["validate", LAKEHOUSE])
    assert result.exit_code == 0, result.output
    assert "valid (24 resources, stack acme-prd-lakehouse)" in result.output


def test_validate_reports_every_error_located(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 1,\n "metadata": {"org": "acme"},\n "resources": {"x": 1}}\n')
    result = runner.invoke(cli, ["validate", str(bad)])
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert f"{bad}:2:2: missing required field 'env'" in lines
    assert f"{bad}:3:16: resource 'x' must be an object, not an integer" in lines
    assert lines[-1].endswith("error(s)")
    assert "Traceback" not in result.output


def test_schema_prints_the_shipped_schema(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["schema"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert data["additionalProperties"] is False


def test_plan_offline_table_json_markdown_and_out(runner: CliRunner, tmp_path: Path) -> None:
    table = runner.invoke(cli, ["plan", "--offline", LAKEHOUSE])
    assert table.exit_code == 0, table.output
    assert "+  landing" in table.output
    assert "24 to create, 0 to update, 0 to replace, 0 to delete, 0 unchanged." in table.output
    out = tmp_path / "plan.json"
    as_json = runner.invoke(cli, ["plan", "--offline", "--format", "json", "--out", str(out),
                                  LAKEHOUSE])
    assert as_json.exit_code == 0
    data = json.loads(as_json.output)
    assert data == json.loads(out.read_text())
    assert data["summary"]["create"] == 24
    nightly = next(c for c in data["changes"] if c["key"] == "nightly")
    assert nightly["after"]["tasks"][0]["existing_cluster_id"] == "(known after apply)"
    md = runner.invoke(cli, ["plan", "--offline", "--format", "markdown", LAKEHOUSE])
    assert md.exit_code == 0 and "| create | `landing` | `aws.s3_bucket` |" in md.output


def test_plan_against_recorded_state(runner: CliRunner, tmp_path: Path) -> None:
    """With a state file written by the state store, unchanged resources are no-ops."""
    from dpn.blueprint import load
    from dpn.engine.stores.state import StateStore
    from dpn.model import ResourceState, StackState, freeze

    bp = load(EXAMPLES / "minimal.json")
    res = bp.resources["landing"]
    record = ResourceState(res.key, res.type, res.name, res.name, res.props,
                           freeze({"name": res.name, "id": res.name}))
    store = StateStore(tmp_path / "home")
    store.save(StackState(bp.stack, 0, {"landing": record}))
    result = runner.invoke(cli, ["plan", "--offline", "--format", "json",
                                 str(EXAMPLES / "minimal.json")])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["summary"]["no-op"] == 1


def test_plan_out_unwritable(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["plan", "--offline", "--out", str(tmp_path / "no" / "x.json"),
                                 LAKEHOUSE])
    assert result.exit_code == 2
    assert "cannot write" in result.output


def _dpn(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from dpn.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


BAD_INPUTS = {
    "missing": None,
    "binary": b"\x00\x01\x02\xff\xfe garbage",
    "invalid-utf8": b'{"version": 1, "x": "\xc3\x28"}',
    "syntax": b'{"version": 1,,}',
    "empty": b"",
    "deep": b"[" * 100_000 + b"]" * 100_000,
    "deep-object": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "duplicate": b'{"version": 1, "version": 1}',
    "nan": b'{"version": NaN}',
    "huge-number": b'{"version": ' + b"9" * 5000 + b"}",
    "not-object": b"[1, 2, 3]",
    "null": b"null",
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_exits_2_with_a_location(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.json"
    content = BAD_INPUTS[name]
    if content is not None:
        path.write_bytes(content)
    proc = _dpn("validate", str(path), env={"DPN_HOME": str(tmp_path / "home")})
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert str(path) in proc.stderr
    if name != "missing":
        assert f"{path}:1:" in proc.stderr, proc.stderr


def test_directory_and_oversized_file(tmp_path: Path) -> None:
    proc = _dpn("validate", str(tmp_path))
    assert proc.returncode == 2 and "is a directory" in proc.stderr
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    proc = _dpn("validate", str(big))
    assert proc.returncode == 2 and "limited to 10 MB" in proc.stderr


def test_plan_exit_codes(tmp_path: Path) -> None:
    home = {"DPN_HOME": str(tmp_path / "home")}
    assert _dpn("plan", "--offline", LAKEHOUSE, env=home).returncode == 0
    assert _dpn("plan", "--offline", str(tmp_path / "none.json"), env=home).returncode == 2
    assert _dpn("plan", "--offline", "--format", "yaml", LAKEHOUSE, env=home).returncode == 2


@pytest.mark.parametrize("args", [
    ["--help"], ["--version"], ["schema"], ["validate", LAKEHOUSE],
    ["plan", "--offline", LAKEHOUSE], ["plan", "--help"], ["validate", "/nonexistent.json"],
    ["validate", ENVIRONMENTS], ["plan", "--offline", "--env", "prd", ENVIRONMENTS],
    ["output", ENVIRONMENTS, "--env", "dev", "--format", "json"],
])
def test_offline_paths_import_no_platform_sdk(args: list[str], tmp_path: Path) -> None:
    code = ("import sys\n"
            "from dpn.cli import cli\n"
            "try:\n"
            f"    cli.main(args={args!r}, prog_name='dpn', standalone_mode=True)\n"
            "except SystemExit:\n"
            "    pass\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'boto3' or "
            "m.startswith('botocore') or m.startswith('databricks.sdk') or m == 'moto')\n"
            "sys.stderr.write('IMPORTED=' + ','.join(bad))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "DPN_HOME": str(tmp_path / "h")})
    assert "IMPORTED=" in proc.stderr, proc.stderr
    assert proc.stderr.rsplit("IMPORTED=", 1)[1] == ""


def test_rich_table_treats_names_as_text() -> None:
    from dpn.blueprint import from_dict
    from dpn.cli.render_plan import render_plan
    from dpn.plan import make_plan

    bp = from_dict({"version": 1, "metadata": {"org": "acme", "env": "dev", "project": "x1",
                                               "region": "us-east-1"},
                    "resources": {"c": {"type": "dbx.cluster", "name": "[bold]x[/]",
                                        "spark_version": "15.4.x-scala2.12",
                                        "node_type_id": "i3.xlarge"}}})
    text = render_plan(make_plan(bp, None), "table", color=True)
    assert "[bold]x[/]" in text and "\x1b[" in text
    plain = render_plan(make_plan(bp, None), "table", color=False)
    assert "\x1b[" not in plain and "+  c    dbx.cluster  [bold]x[/]" in plain


def test_plan_exits_4_while_a_transaction_is_incomplete(runner: CliRunner,
                                                        tmp_path: Path) -> None:
    from dpn.engine import wal

    home = tmp_path / "home"
    directory = wal.wal_dir(home, "acme-dev-demo")
    directory.mkdir(parents=True, exist_ok=True)
    writer = wal.WalWriter(directory / "tx1.jsonl")
    writer.append(wal.Rec.BEGIN, tx="tx1", plan={})
    writer.close()
    result = runner.invoke(cli, ["plan", "--offline", str(EXAMPLES / "minimal.json")])
    assert result.exit_code == 4, result.output
    assert "incomplete transaction" in result.output


def test_global_options_are_taken_after_the_command_too(tmp_path: Path) -> None:
    from dpn.blueprint import load
    from dpn.engine.stores.state import StateStore
    from dpn.model import ResourceState, StackState, freeze

    bp = load(EXAMPLES / "minimal.json")
    res = bp.resources["landing"]
    home = tmp_path / "after"
    StateStore(home).save(StackState(bp.stack, 0, {"landing": ResourceState(
        res.key, res.type, res.name, res.name, res.props, freeze({}))}))
    env = {"DPN_HOME": str(tmp_path / "elsewhere")}
    after = _dpn("status", "--home", str(home), "--no-color", env=env)
    assert after.returncode == 0 and f"local {home}" in after.stdout, after.stderr
    assert bp.stack in after.stdout
    before = _dpn("--home", str(home), "plan", str(EXAMPLES / "minimal.json"), "--offline",
                  "--format", "json", env=env)
    mixed = _dpn("plan", str(EXAMPLES / "minimal.json"), "--offline", "--home", str(home),
                 "--format", "json", "--backend", "local", env=env)
    assert mixed.returncode == before.returncode == 0, mixed.stderr
    assert json.loads(mixed.stdout)["summary"] == json.loads(before.stdout)["summary"]
    assert json.loads(mixed.stdout)["summary"]["no-op"] == 1
    bad = _dpn("status", "--backend", "ftp://x", env=env)
    assert bad.returncode == 2 and "ftp://x" in bad.stderr, bad.stderr
    assert "Traceback" not in bad.stderr


@pytest.mark.parametrize("words,cword,expected", [
    ("dpn cr", "1", "create"),
    ("dpn plan bp.json --format", "4", "markdown"),
    ("dpn create bp.json --ba", "3", "--backend"),      # global options after the command
])
def test_shell_completion_through_click(words: str, cword: str, expected: str) -> None:
    done = _dpn(env={"_DPN_COMPLETE": "bash_complete", "COMP_WORDS": words,
                     "COMP_CWORD": cword})
    assert done.returncode == 0, done.stderr
    assert f"plain,{expected}" in done.stdout.splitlines()
    for shell, first in (("bash", "_dpn_completion()"), ("zsh", "#compdef dpn"),
                         ("fish", "function _dpn_completion")):
        script = _dpn(env={"_DPN_COMPLETE": f"{shell}_source"})
        assert script.stdout.startswith(first) or first in script.stdout
