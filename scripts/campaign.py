#!/usr/bin/env python
"""Run dpn's reliability campaigns on demand, against a sandbox of their own, and print
their figures (one JSON line per campaign).

    python scripts/campaign.py crash --runs 200 --workers 3
    python scripts/campaign.py damage --runs 40
    python scripts/campaign.py concurrency --runs 10
    python scripts/campaign.py faults --runs 20
    python scripts/campaign.py badinput --runs 10000
    python scripts/campaign.py all --runs 20 --record docs/reliability.md

``--record FILE`` appends the figures to FILE's "Recorded runs" table.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DPN_SANDBOX_CLUSTER_DELAY", "0")

from tests.campaigns.runner import Ctx, Figures, clients  # noqa: E402

# campaign -> (runner of one run, may runs share the sandbox in parallel?)
SHARED = {"crash": True, "damage": True, "concurrency": True, "faults": False,
          "badinput": True}


def one_run(name: str) -> Any:
    import importlib

    module = importlib.import_module(f"tests.campaigns.{name}")
    return getattr(module, f"{name}_run")


def run_campaign(name: str, sandbox: Any, runs: int, seed: int, workers: int,
                 workdir: Path) -> Figures:
    if name == "badinput":
        from tests.campaigns import badinput

        figures = Figures(campaign=name, seed=seed)
        badinput.campaign(figures, random.Random(seed), runs, workdir / "badinput")
        return figures
    from dpn.sandbox.faults import FaultClient

    fronts = [FaultClient(sandbox.aws_endpoint), FaultClient(sandbox.dbx_host)]
    for front in fronts:
        front.reset()
        if name in ("crash", "damage"):
            front.add(latency_ms=15)  # a wider window for random kill instants
    workers = workers if SHARED[name] else 1
    total = Figures(campaign=name, seed=seed)
    parts: list[Figures] = []
    counter = iter(range(runs))
    lock = threading.Lock()
    func = one_run(name)

    def work(w: int) -> None:
        figures = Figures(campaign=name, seed=seed + w)
        parts.append(figures)
        s3, glue, ws = clients(sandbox)
        ctx = Ctx(sandbox, s3, glue, ws, workdir / f"{name}-w{w}", figures)
        rng = random.Random(seed * 1000 + w)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            before = len(figures.failures)
            try:
                func(ctx, rng, i)
            except Exception as exc:  # a harness error is a failure, the campaign goes on
                figures.fail(f"run {i}: {type(exc).__name__}: {exc}")
            for message in figures.failures[before:]:
                print(f"FAIL {name} run {i}: {message}", file=sys.stderr, flush=True)
            if (i + 1) % 10 == 0:
                print(f"{name}: {i + 1}/{runs} runs", file=sys.stderr, flush=True)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for part in parts:
        for key, value in part.__dict__.items():
            if isinstance(value, int) and key != "seed":
                setattr(total, key, getattr(total, key) + value)
        for key, value in part.extra.items():
            total.extra[key] = total.extra.get(key, 0) + value
        total.failures += part.failures
    return total


def record(path: Path, figures: Figures) -> None:
    s = figures.summary()
    row = (f"| {time.strftime('%Y-%m-%d')} | {s['campaign']} | {s['seed']} | "
           f"{s.get('runs', 0) or s.get('blueprints', 0)} | {s.get('kills', 0)} | "
           f"{s.get('faults', 0)} | {s.get('orphans', 0)} | {s.get('tracebacks', 0)} | "
           f"{s.get('secret_hits', 0)} | {s['failures']} | {s['seconds']} |\n")
    text = path.read_text() if path.exists() else ""
    marker = "<!-- campaign rows -->"
    if marker in text:
        text = text.replace(marker, row.rstrip("\n") + "\n" + marker)
    else:
        text += row
    path.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("campaign", choices=[*SHARED, "all"])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--record", type=Path, default=None,
                        help="append the figures to this markdown file")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the sandbox on the way out
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    names = list(SHARED) if args.campaign == "all" else [args.campaign]
    failed = False
    with tempfile.TemporaryDirectory(prefix="dpn-campaign-") as tmp:
        work = Path(tmp)
        sandbox = None
        if names != ["badinput"]:
            from dpn.sandbox import launcher

            sandbox = launcher.start(work / "sandbox-home")
        try:
            for name in names:
                figures = run_campaign(name, sandbox, args.runs, seed, args.workers, work)
                print(figures.line(), flush=True)
                for message in figures.failures[:20]:
                    print(f"  FAIL: {message}", flush=True)
                failed = failed or bool(figures.failures)
                if args.record:
                    record(args.record, figures)
        finally:
            if sandbox is not None:
                from dpn.sandbox import launcher

                launcher.stop(work / "sandbox-home")
    print(json.dumps({"ok": not failed}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
