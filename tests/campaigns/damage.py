"""Damaged files: a torn last WAL line, a WAL cut at a random byte, a state file that
fails its checksum. Each must give a clear message (exit 4, no traceback) or be recovered
cleanly, and lose nothing: no orphan, no state that lies, the damaged file not rewritten."""

from __future__ import annotations

import json
import random
import signal
from pathlib import Path

from dpn.engine.wal import list_logs

from . import gen
from .crash import apply_in_process, check_equal, cleanup, incomplete, reaches
from .inventory import list_stack
from .runner import Ctx, write_blueprint

CLEAR = ("checksum", "corrupt", "unreadable", "torn")


def _killed_create(ctx: Ctx, rng: random.Random, home: Path, path: str, stack: str,
                   n: int) -> Path | None:
    crash_at = rng.randint(2, 2 * n + 2)
    done = ctx.run(home, "create", path, "--yes", DPN_TEST_CRASH_AFTER_RECORD=str(crash_at))
    if done.returncode != -signal.SIGKILL:
        ctx.figures.fail(f"{stack}: create was not killed at record {crash_at}: "
                         f"{done.returncode} {done.stderr[-300:]}")
        return None
    ctx.figures.kills += 1
    logs = list_logs(home, stack)
    return logs[0] if logs else None


def torn_tail(ctx: Ctx, rng: random.Random, home: Path, path: str, doc: dict) -> None:
    stack = gen.stack_of(doc)
    wal = _killed_create(ctx, rng, home, path, stack, len(doc["resources"]))
    if wal is None:
        return
    last = wal.read_bytes().splitlines()[-1]
    record = json.loads(last)
    record.update(seq=record["seq"] + 1, record="intent", key="torn")
    line = json.dumps(record).encode()
    if rng.random() < 0.5:
        tail = line[: rng.randint(1, len(line) - 1)]          # a write cut short
    else:
        tail = line.replace(b'"torn"', b'"tOrn"') + b"\n"      # whole, but fails its checksum
    with open(wal, "ab") as fh:
        fh.write(tail)
    ctx.figures.extra["torn_tails"] = ctx.figures.extra.get("torn_tails", 0) + 1
    _recover_and_reach(ctx, home, path, doc)


def cut_wal(ctx: Ctx, rng: random.Random, home: Path, path: str, doc: dict) -> None:
    """Cut the WAL at a random byte of its last record (the record being written when
    the process died): recover must still leave no orphan."""
    stack = gen.stack_of(doc)
    wal = _killed_create(ctx, rng, home, path, stack, len(doc["resources"]))
    if wal is None:
        return
    data = wal.read_bytes()
    start = data.rstrip(b"\n").rfind(b"\n") + 1
    cut = rng.randint(start, len(data) - 1)
    wal.write_bytes(data[:cut])
    ctx.figures.extra["wal_cuts"] = ctx.figures.extra.get("wal_cuts", 0) + 1
    _recover_and_reach(ctx, home, path, doc)


def cut_wal_anywhere(ctx: Ctx, rng: random.Random, home: Path, path: str, doc: dict) -> None:
    """Cut the WAL at any random byte, losing records that were acknowledged (a disk that
    lies about fsync): dpn must not crash, and says what it does; orphans are counted as
    ``lost_record_orphans`` (outside the guarantee, see docs/reliability.md)."""
    stack = gen.stack_of(doc)
    wal = _killed_create(ctx, rng, home, path, stack, len(doc["resources"]))
    if wal is None:
        return
    data = wal.read_bytes()
    wal.write_bytes(data[: rng.randint(1, len(data) - 1)])
    done = ctx.run(home, "recover", "--stack", stack)
    ctx.figures.extra["wal_cuts_anywhere"] = ctx.figures.extra.get("wal_cuts_anywhere", 0) + 1
    if done.returncode not in (0, 4) or (done.returncode == 4 and not done.stderr.strip()):
        ctx.figures.fail(f"{stack}: recover of a cut WAL exited {done.returncode}: "
                         f"{done.stderr[-400:]}")
    inv = list_stack(ctx.s3, ctx.glue, ctx.workspace, stack, doc["metadata"]["project"])
    from .inventory import compare

    orphans, _ = compare(home, stack, inv)
    key = "lost_record_orphans"
    ctx.figures.extra[key] = ctx.figures.extra.get(key, 0) + len(orphans)


def bad_state(ctx: Ctx, rng: random.Random, home: Path, path: str, doc: dict) -> None:
    stack = gen.stack_of(doc)
    if apply_in_process(ctx, home, doc, "create").outcome != "committed":
        ctx.figures.fail(f"{stack}: setup create did not commit")
        return
    state_file = home / "state" / f"{stack}.json"
    good = state_file.read_bytes()
    before = list_stack(ctx.s3, ctx.glue, ctx.workspace, stack, doc["metadata"]["project"])
    data = bytearray(good)
    at = rng.randrange(len(data))
    data[at] = (data[at] + rng.randint(1, 255)) % 256
    state_file.write_bytes(bytes(data))
    ctx.figures.extra["bad_states"] = ctx.figures.extra.get("bad_states", 0) + 1
    for args in (["update", path, "--yes"], ["delete", path, "--yes"], ["status"]):
        done = ctx.run(home, *args)
        if done.returncode != 4 or not any(w in (done.stderr + done.stdout).lower()
                                           for w in CLEAR):
            ctx.figures.fail(f"{stack}: {args[0]} on a damaged state exited "
                             f"{done.returncode}: {done.stderr[-400:]}{done.stdout[-200:]}")
    if state_file.read_bytes() != bytes(data):
        ctx.figures.fail(f"{stack}: the damaged state file was rewritten")
    after = list_stack(ctx.s3, ctx.glue, ctx.workspace, stack, doc["metadata"]["project"])
    if after != before:
        ctx.figures.fail(f"{stack}: the platforms changed under a damaged state")
    state_file.write_bytes(good)
    check_equal(ctx, home, doc, "after the state was restored")


def _recover_and_reach(ctx: Ctx, home: Path, path: str, doc: dict) -> None:
    stack = gen.stack_of(doc)
    done = ctx.run(home, "recover", "--stack", stack, "--format", "json")
    if done.returncode != 0:
        ctx.figures.fail(f"{stack}: recover exited {done.returncode}: {done.stderr[-400:]}")
        return
    if incomplete(home, stack):
        ctx.figures.fail(f"{stack}: recover left an incomplete transaction")
    check_equal(ctx, home, doc, "after recover of a damaged WAL")
    again = ctx.run(home, "update", path, "--yes")
    if again.returncode != 0:
        ctx.figures.fail(f"{stack}: update after recover exited {again.returncode}: "
                         f"{again.stderr[-400:]}")
    elif check_equal(ctx, home, doc, "after update"):
        reaches(ctx, home, doc)


SCENARIOS = {"torn_tail": torn_tail, "cut_wal": cut_wal, "bad_state": bad_state,
             "cut_wal_anywhere": cut_wal_anywhere}


def damage_run(ctx: Ctx, rng: random.Random, index: int, scenario: str | None = None) -> None:
    name = scenario or rng.choice(sorted(SCENARIOS))
    doc = gen.blueprint(rng, rng.randint(2, 12))
    run_dir = ctx.workdir / f"damage{index}-{doc['metadata']['project']}"
    home = run_dir / "home"
    path = write_blueprint(run_dir / "bp.json", doc)
    ctx.figures.runs += 1
    try:
        SCENARIOS[name](ctx, rng, home, path, doc)
    finally:
        cleanup(ctx, home, doc, measured=name == "cut_wal_anywhere")
        ctx.scan_secrets(home)
