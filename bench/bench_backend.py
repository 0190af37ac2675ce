"""S3 backend benchmark against the local sandbox (moto server behind the fault front).

    .venv/bin/python bench/bench_backend.py [--runs 3] [--cycles 50] [--write]

1. Lock latency: ``--cycles`` acquire/release cycles of one stack's lock, local (flock)
   against S3 (a create-only put, a conditional delete), with no latency injected and
   with 20 ms injected on every S3 request (about an in-region S3 round trip).
2. Apply overhead: 40 Glue resources (20 databases, 20 tables) created through
   ``dpn.api.apply.apply`` with parallelism 8, with the local store against the S3 store
   (state, WAL and lock in the sandbox's S3), medians of ``--runs``; the S3 requests the
   store made are counted.
3. Reading a transaction's whole WAL from another machine (what ``recover`` and every
   incomplete-transaction check do), and the lock heartbeat's cost.

Timings are of library calls in one warm process. With ``--write`` the "## S3 backend"
section of docs/benchmarks.md is replaced (or appended).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3

from dpn.api.apply import apply
from dpn.api.runner import Runner
from dpn.blueprint import from_dict
from dpn.engine.stores import LocalStore, Store
from dpn.engine.stores.s3 import S3Store
from dpn.providers.aws.objects import opener
from dpn.sandbox import launcher
from dpn.sandbox.faults import FaultClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import write_section  # noqa: E402

META = {"org": "bench", "env": "dev", "region": "us-east-1"}
BUCKET = "bench-dpn-backend"


def glue_blueprint(project: str, n: int) -> Any:
    res: dict[str, Any] = {}
    for i in range(n // 2):
        res[f"db{i}"] = {"type": "aws.glue_database", "domain": f"d{i}", "layer": "raw"}
        res[f"t{i}"] = {"type": "aws.glue_table", "database": f"${{db{i}}}", "entity": "t",
                        "columns": [{"name": "id", "type": "bigint"}], "format": "parquet",
                        "location": f"s3://bench-data/t{i}/"}
    return from_dict({"version": 1, "metadata": {**META, "project": project},
                      "resources": res})


def ms(values: list[float]) -> str:
    q = statistics.quantiles(values, n=20) if len(values) >= 2 else values
    return f"{statistics.median(values) * 1000:.1f} ms (p95 {q[-1] * 1000:.1f})"


def lock_cycles(store: Store, stack: str, cycles: int) -> tuple[list[float], list[float]]:
    acquire, release = [], []
    for _ in range(cycles):
        lock = store.lock(stack)
        began = time.perf_counter()
        lock.__enter__()
        acquire.append(time.perf_counter() - began)
        began = time.perf_counter()
        lock.__exit__(None, None, None)
        release.append(time.perf_counter() - began)
    return acquire, release


def apply_once(runner: Runner, bp: Any) -> float:
    began = time.perf_counter()
    _, result = apply(runner, bp, "create")
    elapsed = time.perf_counter() - began
    assert result.ok, result
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cycles", type=int, default=50)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        info = launcher.start(home / "sandbox-home")
        try:
            figures = run(home, info, args.runs, args.cycles)
        finally:
            launcher.stop(home / "sandbox-home")
    body = report(figures, args)
    print(body)
    if args.write:
        write_section("S3 backend", body)


def run(home: Path, info: Any, runs: int, cycles: int) -> dict[str, Any]:
    settings = info.settings()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    faults = FaultClient(info.aws_endpoint)
    faults.reset()

    def fresh_bucket() -> S3Store:
        s3 = boto3.client("s3", endpoint_url=info.aws_endpoint, region_name="us-east-1")
        if BUCKET not in [b["Name"] for b in s3.list_buckets().get("Buckets", [])]:
            s3.create_bucket(Bucket=BUCKET)
        return S3Store.from_url(f"s3://{BUCKET}/team", objects=opener(settings))

    out: dict[str, Any] = {}
    local = LocalStore(home / "local")
    lock_cycles(local, "warm", 3)
    out["lock_local"] = lock_cycles(local, "bench", cycles)
    remote = fresh_bucket()
    lock_cycles(remote, "warm", 3)
    out["lock_s3"] = lock_cycles(remote, "bench", cycles)
    faults.add(latency_ms=20, path=rf"^/{BUCKET}/")
    out["lock_s3_20ms"] = lock_cycles(remote, "bench", max(10, cycles // 2))
    faults.clear()

    times: dict[str, list[float]] = {"local": [], "s3": []}
    requests: list[int] = []
    for r in range(runs):
        for kind in ("local", "s3"):
            faults.reset()
            store: Store = (LocalStore(home / f"l{r}") if kind == "local" else fresh_bucket())
            runner = Runner(home=home / f"h{kind}{r}", settings=settings, parallelism=8,
                            store=store)
            times[kind].append(apply_once(runner, glue_blueprint(f"ovh{kind}{r}", 40)))
            if isinstance(store, S3Store):
                requests.append(store.requests)
    out["apply"] = {k: statistics.median(v) for k, v in times.items()}
    out["apply_requests"] = statistics.median(requests)
    reader = fresh_bucket()
    stack = glue_blueprint(f"ovhs3{runs - 1}", 2).stack
    began = time.perf_counter()
    logs = reader.logs(stack)
    out["read_log"] = (time.perf_counter() - began, len(logs[0].records))
    began = time.perf_counter()
    reader.incomplete(stack)
    out["incomplete_check"] = time.perf_counter() - began
    slow: list[float] = []
    for r in range(runs):
        faults.reset()
        faults.add(latency_ms=20, path=rf"^/{BUCKET}/")
        runner = Runner(home=home / f"slow{r}", settings=settings, parallelism=8,
                        store=fresh_bucket())
        slow.append(apply_once(runner, glue_blueprint(f"slow{r}", 40)))
    faults.clear()
    out["apply_s3_20ms"] = statistics.median(slow)
    faults.reset()
    return out


def report(f: dict[str, Any], args: Any) -> str:
    local, s3 = f["apply"]["local"], f["apply"]["s3"]
    seconds, records = f["read_log"]
    slow = f["apply_s3_20ms"]
    rows = [
        ("lock acquire (median, p95)", ms(f["lock_local"][0]), ms(f["lock_s3"][0])),
        ("lock release", ms(f["lock_local"][1]), ms(f["lock_s3"][1])),
        ("lock acquire, 20 ms per S3 request", "", ms(f["lock_s3_20ms"][0])),
        ("lock release, 20 ms per S3 request", "", ms(f["lock_s3_20ms"][1])),
        ("apply: create 40 Glue resources, parallelism 8", f"{local:.2f} s", f"{s3:.2f} s"),
        ("apply overhead of the S3 backend", "",
         f"{s3 - local:+.2f} s ({(s3 / local - 1) * 100:+.0f}%), "
         f"{f['apply_requests']:.0f} S3 requests"),
        ("apply, 20 ms per S3 backend request", "",
         f"{slow:.2f} s ({slow - local:+.2f} s against local)"),
        (f"read one transaction's WAL ({records} records) from another machine", "",
         f"{seconds * 1000:.0f} ms"),
        ("incomplete-transaction check of that stack", "",
         f"{f['incomplete_check'] * 1000:.0f} ms"),
    ]
    table = "\n".join(f"| {a} | {b} | {c} |" for a, b, c in rows)
    return f"""Measured by `bench/bench_backend.py` ({args.runs} runs, {args.cycles} lock cycles;
Python {platform.python_version()}, {os.cpu_count()} CPUs, load average
{os.getloadavg()[0]:.1f} at the end). S3 is moto on 127.0.0.1, far quicker than real S3
(tens of ms a request): the rows with 20 ms injected on every backend request are closer to
a runner in the bucket's region.

| measure | local (flock, files) | S3 backend |
|---|---|---|
{table}

- Acquire is one create-only PutObject when the lock is free (a GetObject more when it is
  held); release is a conditional DeleteObject; the heartbeat adds one conditional
  PutObject per renewal period (10 s by default), off the transaction's path.
- WAL records are group-committed: the records that are ready while a PutObject is in
  flight go together in the next one (one object, in sequence order), an intent durable
  before its call starts and an outcome riding with the next record waited for, so the
  overhead grows with the batches, not the records; then two state writes (commit, delete
  phase) and a GetObject at plan time.
- Reading a log lists its prefix and fetches records with 8 threads; the incomplete check
  reads only the last record of a finished transaction.
"""


if __name__ == "__main__":
    main()
