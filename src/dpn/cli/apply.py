"""``dpn create``, ``dpn update``, ``dpn delete``: plan under the lock, confirm, apply."""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from dpn.cli.common import (
    App,
    env_option,
    handle_errors,
    pass_app,
    platform_options,
    resolve_settings,
    selection_options,
    skip_access_checks_option,
)

if TYPE_CHECKING:
    from dpn.api import ApplyResult


def _apply_options(func: Any) -> Any:
    opts = [
        click.argument("blueprint", type=click.Path(dir_okay=False)),
        click.option("--dry-run", is_flag=True, help="Plan only; change nothing."),
        click.option("--parallelism", type=click.IntRange(1, 64), default=8, show_default=True,
                     help="Platform calls in flight at once."),
        click.option("--yes", "-y", is_flag=True, help="Do not ask before deletes and replaces."),
        click.option("--lock-timeout", type=click.FloatRange(0), default=0, show_default=True,
                     help="Seconds to wait for another process's lock on the stack."),
        click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
                     show_default=True),
        click.option("--dev-user", envvar="DPN_DEV_USER", default=None, metavar="NAME",
                     help="Work on NAME's development copy of the stack (prefixed names, "
                          "own state)."),
        env_option(),
        *selection_options(),
        skip_access_checks_option(),
    ]
    for opt in reversed(opts):
        func = opt(func)
    return func


@contextmanager
def _graceful(cancel: Any) -> Iterator[None]:
    """SIGINT/SIGTERM: stop scheduling, let in-flight calls end, roll back."""
    previous = {}

    def handler(signum: int, frame: Any) -> None:
        cancel.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run_apply(app: App, mode: str, blueprint_path: str, *, settings: Any, sandbox: bool,
              dry_run: bool, parallelism: int, yes: bool, lock_timeout: float, fmt: str,
              only: tuple[str, ...] = (), exclude: tuple[str, ...] = (),
              force_empty: bool = False, dev_user: str | None = None,
              env: str | None = None, plan_file: str | None = None,
              skip_access_checks: bool = False) -> None:
    import dpn.api as api
    from dpn.cli.progress import renderer
    from dpn.cli.render_plan import render_plan
    from dpn.errors import InputError, PlanRefused

    blueprint = api.load(blueprint_path, dev_user=dev_user, env=env)
    if plan_file and (only or exclude):
        raise InputError("--plan applies the saved plan as it is: --only and --exclude "
                         "belong to 'dpn plan'")
    saved = api.read_plan(plan_file) if plan_file else None
    events = renderer(fmt, app.color)
    resolved = resolve_settings(app, settings, sandbox)
    runner = api.Runner(home=app.home, settings=resolved, parallelism=parallelism,
                        lock_timeout=lock_timeout, store=app.store(resolved, blueprint),
                        skip_access_checks=skip_access_checks)

    def confirm(plan: Any) -> bool:
        if fmt != "json":
            click.echo(render_plan(plan, "table", color=app.color), err=True)
        destructive = [c for c in plan.changes
                       if str(c.action) in ("delete", "replace")
                       and (mode != "create")]
        if not destructive or yes:
            return True
        if not sys.stdin.isatty():
            raise click.UsageError(
                f"{len(destructive)} resource(s) would be deleted or replaced; "
                "pass --yes to proceed without a terminal")
        return click.confirm(f"{len(destructive)} resource(s) will be deleted or replaced. "
                             "Proceed?", default=False, err=True)

    calls = {"create": api.create, "update": api.update}
    try:
        with _graceful(runner.cancel):
            if saved is not None:
                applied = api.apply_plan(blueprint, saved, runner, on_event=events,
                                         dry_run=dry_run, confirm=confirm)
            elif mode == "delete":
                applied = api.delete(blueprint, runner, on_event=events, only=only,
                                     exclude=exclude, force_empty=force_empty,
                                     dry_run=dry_run, confirm=confirm)
            else:
                applied = calls[mode](blueprint, runner, on_event=events, only=only,
                                      exclude=exclude, dry_run=dry_run, confirm=confirm)
    except PlanRefused as exc:  # shown, then refused: nothing was changed
        if fmt == "json":
            click.echo(json.dumps(exc.plan.to_json(), indent=2))  # type: ignore[attr-defined]
        else:
            click.echo(render_plan(exc.plan, "table", color=app.color), err=True)
        raise
    finally:
        if events is not None:
            events.close()
    plan, result = applied.plan, applied.result
    if dry_run or not applied.changed:
        if fmt == "json":
            click.echo(json.dumps(applied.to_json(), indent=2))
        else:
            click.echo(render_plan(plan, "table", color=app.color))
            if not applied.changed and not dry_run:
                click.echo("nothing to do: the platforms match the blueprint")
        return
    _report(result, fmt, runner.store)
    sys.exit(exit_code(result))


def exit_code(result: ApplyResult) -> int:
    return result.exit_code


def _report(result: ApplyResult, fmt: str, store: Any) -> None:
    from dpn.api import Outcome

    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2))
        return
    counts: dict[str, int] = {}
    for op in result.operations:
        counts[op.status] = counts.get(op.status, 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    click.echo(f"{result.outcome}: transaction {result.tx} ({summary})")
    if result.error:
        click.echo(f"cause: {result.error}", err=True)
    left = [op.key for op in result.operations if op.status in ("failed", "not_started")
            and op.action == "delete" and result.outcome == Outcome.COMMITTED]
    if left:
        click.echo(f"not deleted yet: {', '.join(left)}; rerun the command to finish", err=True)
    if result.outcome == Outcome.NEEDS_RECOVERY:
        click.echo("the rollback could not finish: run "
                   f"'{store.command('recover', result.stack)}'", err=True)


@click.command()
@_apply_options
@platform_options
@pass_app
@handle_errors
def create(app: App, blueprint: str, **kw: Any) -> None:
    """Create what is missing, as one transaction."""
    run_apply(app, "create", blueprint, **kw)


@click.command()
@_apply_options
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False), default=None,
              metavar="FILE", help="Apply exactly this plan ('dpn plan --out FILE'); refused "
                                   "if the state or the blueprint moved since.")
@platform_options
@pass_app
@handle_errors
def update(app: App, blueprint: str, **kw: Any) -> None:
    """Converge: create, update in place, replace, delete what left the blueprint."""
    run_apply(app, "update", blueprint, **kw)


@click.command()
@_apply_options
@click.option("--force-empty", is_flag=True,
              help="Delete non-empty buckets, databases, catalogs and schemas with their content.")
@platform_options
@pass_app
@handle_errors
def delete(app: App, blueprint: str, **kw: Any) -> None:
    """Delete the stack's resources in reverse dependency order."""
    run_apply(app, "delete", blueprint, **kw)


COMMANDS = [create, update, delete]
