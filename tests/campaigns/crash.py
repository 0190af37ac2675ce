"""The crash campaign: SIGKILL ``dpn`` at a random instant of a create, update or delete
(a timer after the transaction began, or the WAL hook after a random record), sometimes
kill ``dpn recover`` too, then recover; the platforms must equal the state with no orphan,
and a following ``dpn update`` (or ``dpn delete``) must reach the blueprint."""

from __future__ import annotations

import json
import random
import signal
import time
from pathlib import Path
from typing import Any

from dpn.engine.wal import list_logs, read_wal

from . import gen
from .inventory import compare, list_stack
from .runner import Ctx, write_blueprint


def apply_in_process(ctx: Ctx, home: Path, doc: dict[str, Any], mode: str,
                     force_empty: bool = False) -> Any:
    from dpn.api.apply import apply
    from dpn.blueprint import from_dict

    _, result = apply(ctx.runner(home), from_dict(doc), mode, force_empty=force_empty)
    return result


def planned_operations(ctx: Ctx, home: Path, doc: dict[str, Any], mode: str) -> int:
    """How many operations ``dpn <mode>`` of ``doc`` will run (offline plan on the state),
    so kills are drawn inside the transaction's own records."""
    from dpn.api.prepare import prepare
    from dpn.blueprint import from_dict

    prepared, _ = prepare(ctx.runner(home), from_dict(doc), mode, offline=True)
    return len(prepared.operations)


def check_equal(ctx: Ctx, home: Path, doc: dict[str, Any], what: str) -> bool:
    """Platforms (by tag and by name) equal the state; count orphans and missing."""
    stack, project = gen.stack_of(doc), doc["metadata"]["project"]
    inv = list_stack(ctx.s3, ctx.glue, ctx.workspace, stack, project)
    orphans, missing = compare(home, stack, inv)
    ctx.figures.orphans += len(orphans)
    ctx.figures.missing += len(missing)
    if orphans or missing:
        ctx.figures.fail(f"{stack} {what}: orphans {orphans} missing {missing}")
    return not orphans and not missing


def reaches(ctx: Ctx, home: Path, doc: dict[str, Any]) -> bool:
    """The state holds exactly the blueprint's keys and a fresh plan has nothing to do."""
    from dpn.api.prepare import prepare
    from dpn.blueprint import from_dict
    from dpn.engine.stores.state import StateStore

    bp = from_dict(doc)
    state = StateStore(home).load(bp.stack)
    keys = set(state.resources) if state else set()
    prepared, _ = prepare(ctx.runner(home), bp, "update")
    if keys != set(bp.resources) or prepared.operations:
        ctx.figures.fail(f"{bp.stack}: does not reach the blueprint: state {sorted(keys)}, "
                         f"left {[(o.key, o.action) for o in prepared.operations]}")
        return False
    return True


def _wait_for_wal(home: Path, stack: str, proc: Any, before: set[Path],
                  deadline: float = 60) -> Path | None:
    """The log of the transaction ``proc`` starts (one not in ``before``)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        new = [p for p in list_logs(home, stack) if p not in before]
        if new:
            return new[0]
        if proc.poll() is not None:
            return None
        time.sleep(0.005)
    return None


def _wait_for_records(log: Path, proc: Any, count: int) -> None:
    end = time.monotonic() + 60
    while time.monotonic() < end and proc.poll() is None:
        if log.read_bytes().count(b"\n") >= count:
            return
        time.sleep(0.003)


def killed(ctx: Ctx, rng: random.Random, home: Path, args: list[str], stack: str,
           n_records: int) -> bool:
    """Run ``dpn *args`` and SIGKILL it at a random instant (or after a random WAL record).
    True if it died by SIGKILL."""
    if rng.random() < 0.3:
        crash_at = rng.randint(1, max(1, n_records))
        done = ctx.run(home, *args, DPN_TEST_CRASH_AFTER_RECORD=str(crash_at))
        dead = done.returncode == -signal.SIGKILL
    else:
        before = set(list_logs(home, stack))
        proc = ctx.popen(home, *args)
        log = _wait_for_wal(home, stack, proc, before)
        if log is not None:
            # a random instant inside the transaction: once a random number of records
            # is written, plus a random delay (so rarely right at a record boundary)
            _wait_for_records(log, proc, rng.randint(1, max(1, n_records - 2)))
            time.sleep(rng.uniform(0, 0.05))
        dead = proc.poll() is None
        if dead:
            proc.send_signal(signal.SIGKILL)
        code, _, err = ctx.finish(proc)
        if not dead and code != 0:
            ctx.figures.fail(f"{' '.join(args[:2])} exited {code} before the kill: {err[-400:]}")
    if dead:
        ctx.figures.kills += 1
    return dead


def incomplete(home: Path, stack: str) -> list[Any]:
    return [log for p in list_logs(home, stack) if not (log := read_wal(p)).complete]


def recover(ctx: Ctx, rng: random.Random, home: Path, stack: str) -> None:
    """``dpn recover`` (killed at a random instant first, now and then), to completion."""
    if incomplete(home, stack) and rng.random() < 0.2:
        proc = ctx.popen(home, "recover", "--stack", stack)
        time.sleep(rng.uniform(0.8, 2.5))  # the SDK import takes most of a second
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            ctx.figures.kills += 1
            ctx.figures.recover_kills += 1
        ctx.finish(proc)
    done = ctx.run(home, "recover", "--stack", stack, "--format", "json")
    if done.returncode != 0:
        ctx.figures.fail(f"{stack}: recover exited {done.returncode}: {done.stderr[-600:]}")
        return
    for rec in json.loads(done.stdout or "{}").get("recovered", []):
        if rec["outcome"] == "rolled_back":
            ctx.figures.rolled_back += 1
        elif rec["outcome"] == "committed":
            ctx.figures.committed += 1


def crash_run(ctx: Ctx, rng: random.Random, index: int) -> None:
    """One run of the campaign; violations go to ``ctx.figures.failures``."""
    doc = gen.blueprint(rng)
    stack = gen.stack_of(doc)
    run_dir = ctx.workdir / f"run{index}-{doc['metadata']['project']}"
    home = run_dir / "home"
    phase = rng.choice(["create", "create", "update", "update", "delete"])
    target = doc
    try:
        if phase != "create":
            if apply_in_process(ctx, home, doc, "create").outcome != "committed":
                ctx.figures.fail(f"{stack}: setup create did not commit")
                return
        ops = 0
        for _ in range(5 if phase == "update" else 1):  # an update that changes something
            if phase == "update":
                target = gen.mutate(rng, doc)
            ops = planned_operations(ctx, home, target, phase)
            if ops:
                break
        path = write_blueprint(run_dir / "bp.json", target)
        ctx.figures.runs += 1
        # begin, an intent and an outcome per operation, commit; the kill lands before end
        if killed(ctx, rng, home, [phase, path, "--yes"], stack, 2 * ops + 2):
            if incomplete(home, stack):
                ctx.figures.kills_in_tx += 1

        recover(ctx, rng, home, stack)
        check_equal(ctx, home, target, f"after recover ({phase})")
        final = ctx.run(home, "delete" if phase == "delete" else "update", path, "--yes")
        if final.returncode != 0:
            ctx.figures.fail(f"{stack}: final {phase} exited {final.returncode}: "
                             f"{final.stderr[-600:]}")
        elif check_equal(ctx, home, target, "after the following command"):
            if phase == "delete":
                from .inventory import state_set
                if state_set(home, stack):
                    ctx.figures.fail(f"{stack}: delete left state")
            else:
                reaches(ctx, home, target)
    finally:
        cleanup(ctx, home, target)
        ctx.scan_secrets(home)


def cleanup(ctx: Ctx, home: Path, doc: dict[str, Any], *, measured: bool = False) -> None:
    """Delete the stack through the library, then nothing of it may be left anywhere.
    ``measured``: the run damaged what dpn relies on (outside the guarantee), so what is
    left is purged by hand and counted, not failed."""
    stack = gen.stack_of(doc)
    try:
        if incomplete(home, stack):
            from dpn.api.stacks import recover_stack
            recover_stack(ctx.runner(home), stack)
        apply_in_process(ctx, home, doc, "delete", force_empty=True)
    except Exception as exc:  # reported, then the checks below count what is left
        if not measured:
            ctx.figures.fail(f"{stack}: cleanup failed: {type(exc).__name__}: {exc}")
    inv = list_stack(ctx.s3, ctx.glue, ctx.workspace, stack, doc["metadata"]["project"])
    if inv.all and measured:
        purge(ctx, inv.all)
    elif inv.all:
        ctx.figures.orphans += len(inv.all)
        ctx.figures.fail(f"{stack}: left after delete: {sorted(inv.all)}")


PURGE_ORDER = ("dbx.job", "dbx.cluster", "dbx.table", "dbx.schema", "dbx.catalog",
               "aws.glue_table", "aws.glue_database", "aws.s3_bucket")


def purge(ctx: Ctx, objects: Any) -> None:
    """Delete objects straight through the platform clients (children first)."""
    for rtype in PURGE_ORDER:
        for kind, ident in sorted(objects):
            if kind != rtype:
                continue
            try:
                if rtype == "dbx.job":
                    ctx.workspace.jobs.delete(int(ident))
                elif rtype == "dbx.cluster":
                    ctx.workspace.clusters.permanent_delete(ident)
                elif rtype == "dbx.table":
                    ctx.workspace.tables.delete(ident)
                elif rtype == "dbx.schema":
                    ctx.workspace.schemas.delete(ident, force=True)
                elif rtype == "dbx.catalog":
                    ctx.workspace.catalogs.delete(ident, force=True)
                elif rtype == "aws.glue_table":
                    db, table = ident.split(".", 1)
                    ctx.glue.delete_table(DatabaseName=db, Name=table)
                elif rtype == "aws.glue_database":
                    ctx.glue.delete_database(Name=ident)
                else:
                    ctx.s3.delete_bucket(Bucket=ident)
            except Exception as exc:  # what cannot be purged is reported
                ctx.figures.fail(f"purge of {kind} {ident} failed: {exc}")
