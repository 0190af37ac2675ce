"""Benchmark ``dpn validate`` and ``dpn plan --offline`` on generated blueprints.

Generates blueprints of 1,000 and 10,000 resources (all 8 types, with references across
platforms), runs each command as a subprocess several times, and reports the median wall
time, the peak RSS of the children, the 10x growth ratio, and ``dpn --version`` against
``python -c pass``. Writes the section "## Validate and offline plan" of
docs/benchmarks.md.

    .venv/bin/python bench/bench_validate.py [--runs 5] [--no-write]

Targets: 10k resources under 2 s each; 10x the resources at most 12x the time; peak RSS
under 300 MB; ``dpn --version`` under 100 ms over bare python.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
SECTION = "## Validate and offline plan"
DPN = [str(Path(sys.executable).parent / "dpn")]
# the benchmarks' metastore root storage: catalogs need none of their own, as on most
# workspaces (Unity Catalog refuses a catalog with neither)
METASTORE_ROOT = "s3://bench-metastore/uc"


def estate_resources(units: int) -> dict[str, Any]:
    """``units`` Glue databases with a table each and as many catalogs with a schema each:
    the estate of the scale and engine benchmarks."""
    res: dict[str, Any] = {}
    for i in range(units):
        res[f"db{i}"] = {"type": "aws.glue_database", "domain": f"d{i}", "layer": "raw"}
        res[f"t{i}"] = {"type": "aws.glue_table", "database": f"${{db{i}}}", "entity": "t",
                        "columns": [{"name": "id", "type": "bigint"}], "format": "parquet",
                        "location": f"s3://bench-data/t{i}/"}
        res[f"cat{i}"] = {"type": "dbx.catalog", "domain": f"c{i}"}
        res[f"s{i}"] = {"type": "dbx.schema", "catalog": f"${{cat{i}}}", "layer": "gold"}
    return res


def generate(n: int) -> dict[str, object]:
    """A valid blueprint of ``n`` resources (n a multiple of 8): per unit a bucket, a Glue
    database and table, a cluster, a job, a catalog, a schema and a UC table, referring to
    each other."""
    resources: dict[str, object] = {}
    for i in range(n // 8):
        b, db, t, c, j, cat, sch, tab = (f"{p}{i}" for p in
                                         ("b", "db", "t", "c", "j", "cat", "sch", "tab"))
        resources[b] = {"type": "aws.s3_bucket", "layer": "raw", "purpose": f"p{i}",
                        "tags": {"unit": str(i)}}
        resources[db] = {"type": "aws.glue_database", "domain": f"d{i}", "layer": "silver",
                         "location_uri": f"s3://${{{b}.name}}/db/"}
        resources[t] = {"type": "aws.glue_table", "database": f"${{{db}}}", "entity": f"e{i}",
                        "columns": [{"name": "id", "type": "bigint"},
                                    {"name": "v", "type": "string"}],
                        "partition_keys": [{"name": "dt", "type": "string"}],
                        "format": "parquet", "location": f"s3://${{{b}.name}}/t/"}
        resources[c] = {"type": "dbx.cluster", "purpose": f"c{i}",
                        "spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge",
                        "num_workers": 2, "autotermination_minutes": 30}
        resources[j] = {"type": "dbx.job", "purpose": f"j{i}",
                        "tasks": [{"task_key": "run", "existing_cluster_id": f"${{{c}.id}}",
                                   "notebook_task": {
                                       "notebook_path": "/Shared/run",
                                       "base_parameters": {"table": f"${{{t}.full_name}}"}}}],
                        "schedule": {"quartz_cron_expression": "0 0 2 * * ?",
                                     "timezone_id": "UTC"}}
        resources[cat] = {"type": "dbx.catalog", "domain": f"d{i}",
                          "storage_root": f"s3://${{{b}.name}}/uc/"}
        resources[sch] = {"type": "dbx.schema", "catalog": f"${{{cat}}}", "layer": "gold"}
        resources[tab] = {"type": "dbx.table", "schema": f"${{{sch}}}", "entity": f"e{i}",
                          "columns": [{"name": "id", "type": "BIGINT"}],
                          "storage_location": f"s3://${{{b}.name}}/gold/"}
    return {"version": 1,
            "metadata": {"org": "acme", "env": "prd", "project": "bench",
                         "region": "us-east-1", "tags": {"cost_center": "cc-1"}},
            "resources": resources}


CPU: dict[str, list[float]] = {}


def command_env(**extra: str) -> dict[str, str]:
    """The environment of a timed command: this one's, but bytecode is written (the
    warm-up run leaves the .pyc files an installed dpn has), with ``extra``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **extra}


def run(cmd: list[str], env: dict[str, str]) -> float:
    """Wall time of one run; its CPU time (user + system) is kept in ``CPU``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr[-2000:]!r}")
    CPU.setdefault(" ".join(cmd), []).append(
        after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return elapsed


def median_time(cmd: list[str], env: dict[str, str], runs: int) -> float:
    run(cmd, env)  # warm the page cache and .pyc files
    CPU.pop(" ".join(cmd), None)
    return statistics.median(run(cmd, env) for _ in range(runs))


def median_cpu(cmd: list[str]) -> float:
    return statistics.median(CPU[" ".join(cmd)])


def peak_rss_mb(cmd: list[str], env: dict[str, str]) -> float:
    """Peak RSS of one run, measured in a fresh helper process so that earlier children
    do not count (ru_maxrss of RUSAGE_CHILDREN is a maximum over all children)."""
    code = ("import resource,subprocess,sys;"
            "subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,check=True);"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, *cmd], env=env, check=True,
                         capture_output=True, text=True).stdout
    return int(out.strip()) / 1024  # Linux reports KiB


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    env = command_env(NO_COLOR="1")
    results: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        env["DPN_HOME"] = str(Path(tmp) / "home")
        for n in (1000, 10000):
            path = Path(tmp) / f"bp{n}.json"
            path.write_text(json.dumps(generate(n), indent=1))
            row: dict[str, float] = {"bytes": path.stat().st_size}
            for name, cmd in (("validate", [*DPN, "validate", str(path)]),
                              ("plan", [*DPN, "plan", "--offline", str(path)])):
                row[name] = median_time(cmd, env, args.runs)
                row[f"{name}_cpu"] = median_cpu(cmd)
                row[f"{name}_rss"] = peak_rss_mb(cmd, env)
            results[n] = row
            print(f"{n:>6} resources ({row['bytes'] / 1e6:.1f} MB): "
                  f"validate {row['validate']:.3f} s (cpu {row['validate_cpu']:.3f} s, "
                  f"{row['validate_rss']:.0f} MB), plan --offline {row['plan']:.3f} s "
                  f"(cpu {row['plan_cpu']:.3f} s, {row['plan_rss']:.0f} MB)")
        bare = median_time([sys.executable, "-c", "pass"], env, args.runs * 2)
        version = median_time([*DPN, "--version"], env, args.runs * 2)
        load = os.getloadavg()[0]
    growth = {k: results[10000][k] / results[1000][k] for k in ("validate", "plan")}
    over = (version - bare) * 1000
    print(f"10x growth: validate {growth['validate']:.1f}x, plan {growth['plan']:.1f}x")
    cpu_over = (median_cpu([*DPN, "--version"]) - median_cpu([sys.executable, "-c", "pass"]))
    print(f"dpn --version {version * 1000:.0f} ms, python -c pass {bare * 1000:.0f} ms "
          f"(+{over:.0f} ms; CPU +{cpu_over * 1000:.0f} ms)")
    rss = max(results[n][k] for n in results for k in ("validate_rss", "plan_rss"))
    checks = [
        ("10k resources: validate < 2 s", results[10000]["validate"] < 2),
        ("10k resources: plan --offline < 2 s", results[10000]["plan"] < 2),
        ("10x resources: at most 12x time", max(growth.values()) <= 12),
        ("peak RSS < 300 MB", rss < 300),
        ("dpn --version < 100 ms over bare python", over < 100),
    ]
    for label, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {label}")
    if not args.no_write:
        write_section(results, growth, version, bare, cpu_over, rss, checks, args.runs, load)


def write_section(results: dict[int, dict[str, float]], growth: dict[str, float],
                  version: float, bare: float, cpu_over: float, rss: float,
                  checks: list[tuple[str, bool]], runs: int, load: float) -> None:
    lines = [
        SECTION, "",
        f"Measured by `bench/bench_validate.py` ({runs} runs, median; "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.system()}, "
        f"load average {load:.1f} at the end). "
        "Each blueprint holds all 8 resource types in equal numbers, with references "
        "across platforms; every command runs as a subprocess.", "",
        "| resources | file | `dpn validate` (CPU) | `dpn plan --offline` (CPU) | peak RSS |",
        "|---:|---:|---:|---:|---:|",
    ]
    for n, row in results.items():
        lines.append(f"| {n:,} | {row['bytes'] / 1e6:.1f} MB | {row['validate']:.2f} s "
                     f"({row['validate_cpu']:.2f} s) | {row['plan']:.2f} s "
                     f"({row['plan_cpu']:.2f} s) | "
                     f"{max(row['validate_rss'], row['plan_rss']):.0f} MB |")
    lines += [
        "",
        f"- 10x the resources: validate {growth['validate']:.1f}x the time, "
        f"plan {growth['plan']:.1f}x (target: at most 12x).",
        f"- `dpn --version`: {version * 1000:.0f} ms against {bare * 1000:.0f} ms for "
        f"`python -c pass` (+{(version - bare) * 1000:.0f} ms, CPU +{cpu_over * 1000:.0f} ms; "
        "target: under 100 ms).",
        f"- Peak RSS: {rss:.0f} MB (target: under 300 MB).",
        "",
        *[f"- {'pass' if ok else 'FAIL'}: {label}" for label, ok in checks],
        "",
    ]
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n\n"
    block = "\n".join(lines)
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: block + "\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + block
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text.rstrip("\n") + "\n")


if __name__ == "__main__":
    main()
