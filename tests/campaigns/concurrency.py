"""The concurrency campaign: 8 ``dpn`` processes hammering one stack, then one stack and
several stacks together. Exactly one transaction per stack at a time (their WAL intervals
never overlap), no lost update (every committed update is in the state, the last one
wins, serials count every commit), no deadlock (every process ends)."""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

from dpn.engine.stores.state import StateStore
from dpn.engine.wal import list_logs, read_wal

from . import gen
from .crash import check_equal, cleanup, reaches
from .runner import Ctx, write_blueprint

PROCS = 8


def _start_all(ctx: Ctx, home: Path, commands: list[list[str]]) -> list[tuple[int, str]]:
    procs = [ctx.popen(home, *cmd) for cmd in commands]
    out = []
    for proc in procs:
        try:
            code, _, err = ctx.finish(proc, timeout=240)
        except Exception:  # a process that never ends is a deadlock
            proc.kill()
            ctx.finish(proc)
            code, err = -1, "did not finish in 240 s (deadlock?)"
        out.append((code, err))
    return out


def _transactions(home: Path, stack: str) -> list[dict[str, Any]]:
    out = []
    for path in list_logs(home, stack):
        log = read_wal(path)
        out.append({"tx": log.tx, "start": log.records[0]["ts"], "end": log.records[-1]["ts"],
                    "committed": log.committed, "complete": log.complete})
    return sorted(out, key=lambda t: t["start"])


def _one_at_a_time(ctx: Ctx, home: Path, stack: str) -> list[dict[str, Any]]:
    txs = _transactions(home, stack)
    for a, b in zip(txs, txs[1:], strict=False):
        if b["start"] < a["end"]:
            ctx.figures.fail(f"{stack}: transactions {a['tx']} and {b['tx']} overlap")
    if any(not t["complete"] for t in txs):
        ctx.figures.fail(f"{stack}: a transaction was left incomplete")
    return txs


def _variant(doc: dict[str, Any], writer: int) -> dict[str, Any]:
    new = copy.deepcopy(doc)
    new["metadata"]["tags"] = {**new["metadata"].get("tags", {}), "writer": f"w{writer}"}
    return new


def concurrency_run(ctx: Ctx, rng: random.Random, index: int) -> None:
    doc = gen.blueprint(rng, rng.randint(3, 8))
    stack = gen.stack_of(doc)
    run_dir = ctx.workdir / f"conc{index}-{doc['metadata']['project']}"
    home = run_dir / "home"
    others = [gen.blueprint(rng, rng.randint(2, 5)) for _ in range(3)]
    ctx.figures.runs += 1
    try:
        # 1. eight creates of one stack at once, no waiting: one winner, the rest exit 3
        #    (or find nothing left to do if they start after the winner finished)
        path = write_blueprint(run_dir / "bp.json", doc)
        results = _start_all(ctx, home, [["create", path, "--yes"]] * PROCS)
        codes = [c for c, _ in results]
        winners = [t for t in _one_at_a_time(ctx, home, stack) if t["committed"]]
        ctx.figures.extra["locked_out"] = ctx.figures.extra.get("locked_out", 0) + codes.count(3)
        if len(winners) != 1 or set(codes) - {0, 3}:
            ctx.figures.fail(f"{stack}: {len(winners)} winners, exit codes {codes}: "
                             f"{[e[-200:] for c, e in results if c not in (0, 3)]}")
        for code, err in results:
            if code == 3 and "locked by another process" not in err:
                ctx.figures.fail(f"{stack}: exit 3 without naming the holder: {err[-200:]}")
        check_equal(ctx, home, doc, "after 8 concurrent creates")
        # 2. five updates of that stack (waiting their turn) and three creates of other
        #    stacks, all at once: every one succeeds, one at a time per stack
        serial0 = StateStore(home).load(stack).serial  # type: ignore[union-attr]
        writers = list(range(5))
        paths = [write_blueprint(run_dir / f"w{w}.json", _variant(doc, w)) for w in writers]
        other_paths = [write_blueprint(run_dir / f"o{i}.json", o) for i, o in enumerate(others)]
        commands = [["update", p, "--yes", "--lock-timeout", "200"] for p in paths]
        commands += [["create", p, "--yes", "--lock-timeout", "200"] for p in other_paths]
        order = list(range(len(commands)))
        rng.shuffle(order)
        results = _start_all(ctx, home, [commands[i] for i in order])
        bad = [(commands[i][0], c, e[-300:]) for i, (c, e) in zip(order, results, strict=True)
               if c != 0]
        if bad:
            ctx.figures.fail(f"{stack}: concurrent commands failed: {bad}")
        txs = _one_at_a_time(ctx, home, stack)
        committed = [t for t in txs if t["committed"]][1:]
        state = StateStore(home).load(stack)
        assert state is not None
        if state.serial != serial0 + len(committed):
            ctx.figures.fail(f"{stack}: serial {state.serial} after {len(committed)} "
                             f"commits from {serial0}: an update was lost")
        # the last committed transaction's writer is what the state and platforms hold
        last = read_wal(next(p for p in list_logs(home, stack) if p.stem == committed[-1]["tx"]))
        tags = [str(r.get("props")) for r in last.records if r["record"] == "done"]
        winner = next((w for w in writers if f"'w{w}'" in "".join(tags)), None)
        if winner is None:
            ctx.figures.fail(f"{stack}: cannot tell the last writer")
        elif reaches(ctx, home, _variant(doc, winner)):
            check_equal(ctx, home, doc, "after concurrent updates")
        for i, other in enumerate(others):
            _one_at_a_time(ctx, home, gen.stack_of(other))
            if check_equal(ctx, home, other, f"other stack {i}"):
                reaches(ctx, home, other)
        ctx.figures.extra["transactions"] = ctx.figures.extra.get("transactions", 0) + len(txs)
    finally:
        for d in (doc, *others):
            cleanup(ctx, home, d)
        ctx.scan_secrets(home)
