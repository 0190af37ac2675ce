"""``dpn status``, ``dpn recover`` and ``dpn read``."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from dpn.api import RESOURCE_TYPES
from dpn.cli.common import (
    App,
    env_option,
    handle_errors,
    pass_app,
    platform_options,
    resolve_settings,
)
from dpn.errors import InputError, lease_hint


@click.command()
@click.option("--stack", default=None, help="One stack (default: all).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@platform_options
@pass_app
@handle_errors
def status(app: App, stack: str | None, fmt: str, settings: Any, sandbox: bool) -> None:
    """Stacks, resource counts, lock holder, incomplete transactions. The AWS options
    reach an S3 backend; the platforms themselves are not contacted."""
    import dpn.api as api

    settings = resolve_settings(app, settings, sandbox)
    store = app.store(settings)
    report = api.stack_status(store, stack)
    rows = report.stacks
    if fmt == "json":
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        click.echo(f"backend: {report.backend}")
        if not rows:
            click.echo("no stacks")
    for r in rows if fmt != "json" else ():
        total = sum(r.resources.values())
        click.echo(f"{r.stack}: {total} resource(s), state serial {r.serial}")
        for rtype, n in sorted(r.resources.items()):
            click.echo(f"  {rtype:<18} {n}")
        if r.lock_holder:
            who = ", ".join(f"{k}={v}" for k, v in r.lock_holder.items())
            click.echo(f"  locked by {who}")
            hint = lease_hint(r.lock_holder)
            if hint:
                click.echo(f"  {hint}")
        if r.incomplete:
            click.echo(f"  INCOMPLETE transaction(s): {', '.join(r.incomplete)} "
                       f"-> run '{store.command('recover', r.stack)}'")
        if r.error:
            click.echo(f"  ERROR: {r.error}")
    if report.needs_attention:
        sys.exit(4)


@click.command()
@click.option("--stack", default=None, help="The stack (default: every stack with work).")
@click.option("--tx", default=None, help="Only this transaction.")
@click.option("--dry-run", is_flag=True, help="Say what would be done; change nothing.")
@click.option("--lock-timeout", type=click.FloatRange(0), default=0)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@platform_options
@pass_app
@handle_errors
def recover(app: App, stack: str | None, tx: str | None, dry_run: bool, lock_timeout: float,
            fmt: str, settings: Any, sandbox: bool) -> None:
    """Resolve every incomplete transaction: roll back or complete it."""
    import dpn.api as api

    store = app.store(settings)
    stacks = api.needs_recovery(store, stack)
    if tx and not stack:
        raise InputError("--tx needs --stack")
    if not stacks:
        if fmt == "json":
            click.echo(json.dumps({"recovered": []}))
        else:
            click.echo("nothing to recover")
        return
    runner = api.Runner(home=app.home, settings=resolve_settings(app, settings, sandbox),
                        lock_timeout=lock_timeout, store=store)
    done = []
    for rec in api.recover(runner, stacks, tx=tx, dry_run=dry_run,
                           region=settings.aws_region or "us-east-1"):
        done.append(rec.to_json())
        if fmt != "json":
            click.echo(f"{rec.stack} {rec.recovery.tx}: {rec.recovery.outcome}")
            for line in rec.recovery.actions:
                click.echo(f"  {line}")
            if rec.recovery.left:
                click.echo(f"  not deleted (rerun 'dpn update'): "
                           f"{', '.join(rec.recovery.left)}")
    if fmt == "json":
        click.echo(json.dumps({"recovered": done}, indent=2))


@click.command()
@click.argument("ref")
@click.option("--type", "rtype", type=click.Choice(RESOURCE_TYPES), default=None,
              help="Read by name or id instead of by key.")
@click.option("--blueprint", type=click.Path(dir_okay=False), default=None)
@env_option("With --blueprint: the blueprint's environment NAME.")
@click.option("--stack", default=None)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@platform_options
@pass_app
@handle_errors
def read(app: App, ref: str, rtype: str | None, blueprint: str | None, env: str | None,
         stack: str | None, fmt: str, settings: Any, sandbox: bool) -> None:
    """A resource by key (with --blueprint or --stack) or by name or id (with --type)."""
    import dpn.api as api

    bp = api.load(blueprint, env=env) if rtype is None and blueprint else None
    by_key = rtype is None
    store = app.store(settings, bp) if by_key and (bp or stack) else None  # read by id: none
    record = api.locate(store, ref, blueprint=bp, stack=stack) if by_key else None
    runner = api.Runner(home=app.home, settings=resolve_settings(app, settings, sandbox),
                        store=store)  # type: ignore[arg-type]  # None: unused, local
    found = api.read(runner, ref, type=rtype, blueprint=bp, region=settings.aws_region,
                     record=record)
    out = found.to_json()
    live, record = found.live, found.record
    rtype, ident = found.type, found.id
    if fmt == "json":
        click.echo(json.dumps(out, indent=2, sort_keys=True))
    else:
        click.echo(f"{rtype} {ident}: {'exists' if live else 'NOT FOUND'}")
        if live is not None:
            for k, v in sorted(out["live"]["attrs"].items()):
                click.echo(f"  {k:<10} {v}")
            click.echo("  properties:")
            for k, v in sorted(out["live"]["props"].items()):
                click.echo(f"    {k}: {json.dumps(v, sort_keys=True)}")
        if record is not None:
            click.echo(f"  state: key {record.key}, serial record id {record.id}")
    if live is None:
        sys.exit(1)


COMMANDS = [status, recover, read]
