"""``dpn import BLUEPRINT KEY ID`` and ``dpn import BLUEPRINT --all``: adopt existing
objects into the stack's state, in one transaction."""

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
from dpn.errors import InputError


@click.command("import")
@click.argument("blueprint", type=click.Path(dir_okay=False))
@click.argument("key", required=False)
@click.argument("id", required=False)
@click.option("--all", "all_missing", is_flag=True,
              help="Adopt every object whose name the blueprint generates for a key the "
                   "state lacks (and that no other stack owns).")
@click.option("--dry-run", is_flag=True, help="Say what would be adopted; change nothing.")
@click.option("--lock-timeout", type=click.FloatRange(0), default=0, show_default=True,
              help="Seconds to wait for another process's lock on the stack.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.option("--dev-user", envvar="DPN_DEV_USER", default=None, metavar="NAME",
              help="Work on NAME's development copy of the stack.")
@env_option()
@platform_options
@pass_app
@handle_errors
def import_(app: App, blueprint: str, key: str | None, id: str | None, all_missing: bool,
            dry_run: bool, lock_timeout: float, fmt: str, dev_user: str | None,
            env: str | None, settings: Any, sandbox: bool) -> None:
    """Adopt an existing object (KEY ID) or every matching one (--all) into the stack.

    The object's name must be the one the blueprint generates for KEY and no other stack
    may own it; the import updates it to the blueprint's spec, ownership tags included."""
    import dpn.api as api
    from dpn.cli.apply import exit_code

    if all_missing and (key or id):
        raise InputError("give either KEY ID or --all, not both")
    if not all_missing and not (key and id):
        raise InputError("give KEY and ID (the object's physical id), or --all")
    bp = api.load(blueprint, dev_user=dev_user, env=env)
    resolved = resolve_settings(app, settings, sandbox)
    runner = api.Runner(home=app.home, settings=resolved, lock_timeout=lock_timeout,
                        store=app.store(resolved, bp))
    targets = {} if all_missing else {str(key): str(id)}
    adopted = api.import_objects(bp, runner, targets, all_missing=all_missing,
                                 dry_run=dry_run)
    plan, result = adopted.plan, adopted.result
    if fmt == "json":
        click.echo(json.dumps(adopted.to_json(), indent=2))
    else:
        verb = "would import" if dry_run else "import"
        for c in plan.candidates:
            what = f"; changes {', '.join(c.changes)}" if c.changes else ""
            click.echo(f"{verb} {c.key}: {c.type} {c.name!r} (id {c.id}){what}")
        for s in plan.skipped:
            click.echo(f"skipped {s.key}: {s.reason}")
        if not plan.candidates:
            click.echo("nothing to import")
        if result is not None:
            click.echo(f"{result.outcome}: transaction {result.tx}")
            if result.error:
                click.echo(f"cause: {result.error}", err=True)
    if result is not None:
        sys.exit(exit_code(result))


COMMANDS: list[click.Command] = [import_]
