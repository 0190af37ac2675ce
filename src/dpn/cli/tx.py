"""``dpn status``, ``dpn recover`` and ``dpn read``."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from dpn.cli.common import (
    App,
    env_option,
    handle_errors,
    pass_app,
    platform_options,
    resolve_settings,
)
from dpn.errors import InputError, lease_hint
from dpn.model import RESOURCE_TYPES, thaw


@click.command()
@click.option("--stack", default=None, help="One stack (default: all).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@platform_options
@pass_app
@handle_errors
def status(app: App, stack: str | None, fmt: str, settings: Any, sandbox: bool) -> None:
    """Stacks, resource counts, lock holder, incomplete transactions. The AWS options
    reach an S3 backend; the platforms themselves are not contacted."""
    from dpn.engine.api import status as stack_status

    settings = resolve_settings(app, settings, sandbox)
    store = app.store(settings)
    rows = stack_status(store, stack)
    if fmt == "json":
        click.echo(json.dumps({"backend": store.describe(),
                               "stacks": [r.to_json() for r in rows]}, indent=2))
    else:
        click.echo(f"backend: {store.describe()}")
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
    if any(r.incomplete or r.error for r in rows):
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
    from dpn.engine.api import Runner, recover_stack, status

    store = app.store(settings)
    stacks = [stack] if stack else [s.stack for s in status(store) if s.incomplete]
    if tx and not stack:
        raise InputError("--tx needs --stack")
    if not any(store.incomplete(s) for s in stacks):
        if fmt == "json":
            click.echo(json.dumps({"recovered": []}))
        else:
            click.echo("nothing to recover")
        return
    runner = Runner(home=app.home, settings=resolve_settings(app, settings, sandbox),
                    lock_timeout=lock_timeout, store=store)
    done = []
    for name in stacks:
        for rec in recover_stack(runner, name, tx=tx, dry_run=dry_run,
                                 region=settings.aws_region or "us-east-1"):
            done.append({"stack": name, **rec.to_json()})
            if fmt != "json":
                click.echo(f"{name} {rec.tx}: {rec.outcome}")
                for line in rec.actions:
                    click.echo(f"  {line}")
                if rec.left:
                    click.echo(f"  not deleted (rerun 'dpn update'): {', '.join(rec.left)}")
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
    from dpn.providers import registry

    region = settings.aws_region or "us-east-1"
    record = None
    if rtype is None:
        bp = None
        if blueprint:
            from dpn.blueprint import load

            bp = load(blueprint, env=env)
            stack, region = bp.stack, settings.aws_region or bp.metadata.region
        if not stack:
            raise InputError("read by key needs --blueprint or --stack (or --type to read "
                             "by name or id)")
        state = app.store(settings, bp).load_state(stack)
        if bp is not None:
            from dpn.moved import rename

            state = rename(state, bp)[0]  # the keys the blueprint names
        if state is None or ref not in state.resources:
            raise InputError(f"{ref!r} is not a resource of stack {stack!r}")
        record = state.resources[ref]
        rtype, ident = record.type, record.id
    else:
        ident = ref
    providers = registry.build(resolve_settings(app, settings, sandbox), region=region,
                               home=app.home, types=[rtype])
    live = providers[rtype].read(ident)
    out: dict[str, Any] = {"type": rtype, "id": ident, "exists": live is not None}
    if live is not None:
        out["live"] = {"name": live.name, "attrs": dict(live.attrs), "props": thaw(live.props)}
    if record is not None:
        out["state"] = {"key": record.key, "name": record.name, "id": record.id,
                        "attrs": dict(record.attrs), "props": thaw(record.props)}
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
