"""``dpn graph``: DOT and Mermaid output, coloured by platform, offline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from dpn.blueprint import from_dict
from dpn.cli import cli
from dpn.cli.graph import to_dot, to_mermaid

EIGHT = str(Path(__file__).resolve().parents[1] / "crash" / "eight.json")
META = {"org": "acme", "env": "dev", "project": "lake", "region": "us-east-1"}


def test_dot_has_every_node_coloured_by_platform_and_every_edge() -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["graph", EIGHT, "--format", "dot"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith('digraph "acme-dev-crash" {')
    assert '"landing" [label="landing\\naws.s3_bucket\\nacme-dev-crash-raw-landing", ' \
           'fillcolor="#FF9900"' in out
    assert '"etl" [label="etl\\ndbx.cluster\\ndev-crash-etl", fillcolor="#FF3621"' in out
    for edge in ('"landing" -> "sales_db"', '"sales_db" -> "orders"', '"etl" -> "nightly"',
                 '"sales" -> "sales_gold"', '"sales_gold" -> "orders_gold"',
                 '"landing" -> "orders_gold"'):
        assert edge in out
    assert out.count(" -> ") == 7


def test_mermaid_uses_class_defs_per_platform_and_safe_ids() -> None:
    bp = from_dict({"version": 1, "metadata": META, "resources": {
        "end": {"type": "aws.s3_bucket", "layer": "raw", "purpose": "a"},
        "db": {"type": "aws.glue_database", "domain": "s", "layer": "raw",
               "location_uri": "s3://${end}/"},
        "cat": {"type": "dbx.catalog", "domain": "s"}}})
    out = to_mermaid(bp)
    assert out.splitlines()[0] == "flowchart LR"
    assert 'r_end["end<br/>aws.s3_bucket<br/>acme-dev-lake-raw-a"]:::aws' in out
    assert 'r_cat["cat<br/>dbx.catalog<br/>dev_s"]:::databricks' in out
    assert "r_end --> r_db" in out
    assert "classDef aws fill:#FF9900" in out and "classDef databricks fill:#FF3621" in out
    assert to_dot(bp).count("->") == 1


def test_graph_dev_user_and_bad_input() -> None:
    runner = CliRunner()
    dev = runner.invoke(cli, ["graph", EIGHT, "--format", "mermaid", "--dev-user", "al"])
    assert dev.exit_code == 0 and "dev-al-dev-crash-etl" in dev.output
    assert runner.invoke(cli, ["graph", "/nonexistent.json"]).exit_code == 2
    assert runner.invoke(cli, ["graph", EIGHT, "--format", "png"]).exit_code == 2


def test_graph_and_history_import_no_platform_sdk(tmp_path: Path) -> None:
    for args in (["graph", EIGHT], ["history"], ["graph", "--help"], ["drift", "--help"],
                 ["import", "--help"]):
        code = ("import sys\n"
                "from dpn.cli import cli\n"
                "try:\n"
                f"    cli.main(args={args!r}, prog_name='dpn', standalone_mode=True)\n"
                "except SystemExit:\n"
                "    pass\n"
                "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', "
                "'botocore', 'moto') or m.startswith('databricks.sdk'))\n"
                "sys.stderr.write('IMPORTED=' + ','.join(bad))\n")
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=60, env={**os.environ, "DPN_HOME": str(tmp_path)})
        assert proc.stderr.rsplit("IMPORTED=", 1)[1] == "", (args, proc.stderr)
