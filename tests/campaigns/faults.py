"""The fault campaign: random transient faults (429 with Retry-After, 503, dropped
connections before or after the request took effect, added latency) on about 20 % of the
calls to both platforms: every apply succeeds. A random permanent fault: a clean rollback
every time. A throttling storm is ridden out, not amplified.

Faults land on random calls by rule chaining: a pass-through rule with ``count=k`` lets k
requests by, then a ``count=1`` fault rule takes the next one (the first live rule wins).
"""

from __future__ import annotations

import random
import threading
from pathlib import Path
from typing import Any

from dpn.engine.wal import list_logs
from dpn.sandbox.faults import FaultClient

from . import gen
from .crash import _wait_for_wal, apply_in_process, check_equal, cleanup, reaches
from .inventory import list_stack, state_set
from .runner import Ctx, write_blueprint

RATE = 0.2


def _fronts(ctx: Ctx) -> dict[str, FaultClient]:
    return {"aws": FaultClient(ctx.sandbox.aws_endpoint),
            "dbx": FaultClient(ctx.sandbox.dbx_host)}


def _transient(rng: random.Random, platform: str) -> dict[str, Any]:
    kind = rng.choice(["429", "503", "drop", "drop_after", "latency"])
    if kind == "429":
        code = "ThrottlingException" if platform == "aws" else "REQUEST_LIMIT_EXCEEDED"
        return {"status": 429, "error_code": code, "message": "slow down", "retry_after": 1}
    if kind == "503":
        code = "ServiceUnavailable" if platform == "aws" else "TEMPORARILY_UNAVAILABLE"
        return {"status": 503, "error_code": code, "message": "try again"}
    if kind == "drop":
        return {"drop": True}
    if kind == "drop_after":
        return {"drop": True, "after": True}
    return {"latency_ms": rng.randint(100, 600)}


def arm_random(ctx: Ctx, rng: random.Random, make: Any, rate: float = RATE,
               calls: int = 400, once: bool = False) -> None:
    """Chain rules on both fronts so that each of the next ``calls`` requests is hit with
    probability ``rate`` (``once``: only the first hit)."""
    for platform, front in _fronts(ctx).items():
        front.clear()
        left = calls
        while left > 0:
            gap = 0
            while rng.random() >= rate and gap < left:
                gap += 1
            if gap:
                front.add(count=gap)
            front.add(count=1, **make(rng, platform))
            left -= gap + 1
            if once:
                break


def disarm(ctx: Ctx) -> int:
    """Clear every rule; returns how many faults (errors and drops) were served."""
    hits = ctx.faults_hit()
    for front in _fronts(ctx).values():
        front.clear()
    ctx.figures.faults += hits
    return hits


def transient_run(ctx: Ctx, rng: random.Random, home: Path, run_dir: Path) -> None:
    doc = gen.blueprint(rng, rng.randint(4, 14))
    stack = gen.stack_of(doc)
    try:
        for step, target in enumerate([doc, gen.mutate(rng, doc)]):
            path = write_blueprint(run_dir / f"bp{step}.json", target)
            arm_random(ctx, rng, _transient)
            done = ctx.run(home, "update" if step else "create", path, "--yes")
            disarm(ctx)
            if done.returncode != 0:
                ctx.figures.fail(f"{stack}: apply under transient faults exited "
                                 f"{done.returncode}: {done.stderr[-600:]}")
                return
            if check_equal(ctx, home, target, "after transient faults"):
                reaches(ctx, home, target)
    finally:
        disarm(ctx)
        cleanup(ctx, home, doc)


def _permanent(rng: random.Random, platform: str) -> dict[str, Any]:
    if platform == "aws":
        return rng.choice([
            {"status": 400, "error_code": "InvalidInputException", "message": "bad"},
            {"status": 403, "error_code": "AccessDeniedException", "message": "no"},
            {"status": 400, "error_code": "ValidationException", "message": "bad"}])
    return rng.choice([
        {"status": 400, "error_code": "INVALID_PARAMETER_VALUE", "message": "bad"},
        {"status": 403, "error_code": "PERMISSION_DENIED", "message": "no"},
        {"status": 500, "error_code": "INTERNAL_ERROR", "message": "broken"}])


def permanent_run(ctx: Ctx, rng: random.Random, home: Path, run_dir: Path) -> None:
    doc = gen.blueprint(rng, rng.randint(3, 12))
    stack = gen.stack_of(doc)
    update = rng.random() < 0.5
    target = doc
    try:
        if update:
            apply_in_process(ctx, home, doc, "create")
            target = gen.mutate(rng, doc)
        before = state_set(home, stack)
        state_file = home / "state" / f"{stack}.json"
        state_bytes = state_file.read_bytes() if state_file.exists() else b""
        path = write_blueprint(run_dir / "bp.json", target)
        platform = rng.choice(["aws", "dbx"])
        front = _fronts(ctx)[platform]
        front.clear()
        front.add(count=rng.randint(0, 15))
        front.add(count=1, **_permanent(rng, platform))
        done = ctx.run(home, "update" if update else "create", path, "--yes")
        disarm(ctx)
        if done.returncode == 0:
            ctx.figures.extra["fault_after_last_call"] = (
                ctx.figures.extra.get("fault_after_last_call", 0) + 1)
            check_equal(ctx, home, target, "apply past the fault")
            return
        if done.returncode not in (1, 5) or "rolled_back" not in done.stdout + done.stderr \
                and done.returncode == 1 and "error" not in done.stderr:
            ctx.figures.fail(f"{stack}: permanent fault exited {done.returncode}: "
                             f"{done.stdout[-300:]} {done.stderr[-400:]}")
        ctx.figures.extra["rollbacks"] = ctx.figures.extra.get("rollbacks", 0) + 1
        now = state_file.read_bytes() if state_file.exists() else b""
        if now != state_bytes or state_set(home, stack) != before:
            ctx.figures.fail(f"{stack}: a rolled-back apply changed the state")
        inv = list_stack(ctx.s3, ctx.glue, ctx.workspace, stack, doc["metadata"]["project"])
        if inv.all != before:
            ctx.figures.orphans += len(inv.all - before)
            ctx.figures.fail(f"{stack}: after rollback the platforms hold {sorted(inv.all)}, "
                             f"the state {sorted(before)}")
        if update:
            reaches(ctx, home, doc)  # every updated property restored
    finally:
        disarm(ctx)
        cleanup(ctx, home, target)


def storm_run(ctx: Ctx, rng: random.Random, home: Path, run_dir: Path,
              seconds: float = 3.0) -> None:
    """Every call answered 429 (Retry-After: 1) for ``seconds``: the apply waits it out,
    and sends no more requests than its in-flight operations retrying once a second."""
    doc = gen.blueprint(rng, rng.randint(8, 16))
    stack = gen.stack_of(doc)
    path = write_blueprint(run_dir / "bp.json", doc)
    fronts = _fronts(ctx)
    try:
        before = set(list_logs(home, stack))
        proc = ctx.popen(home, "create", path, "--yes")
        _wait_for_wal(home, stack, proc, before)  # the storm breaks once the transaction began
        for platform, front in fronts.items():
            front.clear()
            front.add(**_transient_429(platform))
        timer = threading.Timer(seconds, lambda: [f.clear() for f in fronts.values()])
        timer.start()
        code, _, err = ctx.finish(proc, timeout=300)
        timer.join()
        throttled = sum(1 for f in fronts.values() for r in f.requests() if r.get("status") == 429)
        ctx.figures.faults += throttled
        ctx.figures.extra["storm_429s"] = ctx.figures.extra.get("storm_429s", 0) + throttled
        bound = 2 * 8 * (seconds + 2)  # both fronts, 8 in flight, once a second plus slack
        if throttled > bound:
            ctx.figures.fail(f"{stack}: {throttled} requests answered 429 in a {seconds} s "
                             f"storm (bound {bound}): retries amplify the storm")
        if code != 0:
            ctx.figures.fail(f"{stack}: create through a throttling storm exited {code}: "
                             f"{err[-400:]}")
        elif check_equal(ctx, home, doc, "after the storm"):
            reaches(ctx, home, doc)
    finally:
        for front in fronts.values():
            front.clear()
        cleanup(ctx, home, doc)


def _transient_429(platform: str) -> dict[str, Any]:
    code = "ThrottlingException" if platform == "aws" else "REQUEST_LIMIT_EXCEEDED"
    return {"status": 429, "error_code": code, "message": "storm", "retry_after": 1}


KINDS = {"transient": transient_run, "permanent": permanent_run, "storm": storm_run}


def faults_run(ctx: Ctx, rng: random.Random, index: int, kind: str | None = None) -> None:
    kind = kind or rng.choice(["transient", "transient", "permanent", "permanent", "storm"])
    run_dir = ctx.workdir / f"faults{index}-{kind}"
    home = run_dir / "home"
    for front in _fronts(ctx).values():
        front.clear_requests()
    ctx.figures.runs += 1
    try:
        KINDS[kind](ctx, rng, home, run_dir)
    finally:
        ctx.scan_secrets(home)
