"""``dpn drift BLUEPRINT``: is the stack as dpn left it? For scheduled CI checks.

Reads every resource the state records from the live platforms and compares. Exit codes:
``0`` in sync; ``6`` drifted (an attribute changed outside dpn, or an object deleted
outside dpn; with ``--strict`` also when the blueprint has changes not yet applied);
``2``, ``4`` and ``5`` keep their usual meanings (bad input, recovery needed,
credentials refused).
"""

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

DRIFT_EXIT = 6


@click.command()
@click.argument("blueprint", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.option("--strict", is_flag=True,
              help="Also exit 6 when the blueprint has changes not yet applied.")
@click.option("--dev-user", envvar="DPN_DEV_USER", default=None, metavar="NAME",
              help="Check NAME's development copy of the stack.")
@env_option()
@platform_options
@pass_app
@handle_errors
def drift(app: App, blueprint: str, fmt: str, strict: bool, dev_user: str | None,
          env: str | None, settings: Any, sandbox: bool) -> None:
    """Compare the live platforms with the state: exit 0 in sync, 6 drifted."""
    import dpn.api as api

    bp = api.load(blueprint, dev_user=dev_user, env=env)
    resolved = resolve_settings(app, settings, sandbox)
    runner = api.Runner(home=app.home, settings=resolved, store=app.store(resolved, bp))
    result = api.drift(bp, runner)
    pending = result.pending_changes
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2))
    else:
        for d in result.drift:
            what = ("deleted outside dpn" if d.kind == "deleted"
                    else f"changed outside dpn: {', '.join(d.fields)}")
            if d.ignored:
                what += (f" (left alone: lifecycle.ignore_changes covers "
                         f"{', '.join(d.ignored)})")
            click.echo(f"{d.key}: {d.type} {d.name!r} (id {d.id}) {what}")
        state_word = "in sync" if result.in_sync else "DRIFTED"
        click.echo(f"{bp.stack}: {state_word} ({result.checked} resource(s) checked, "
                   f"{len(result.drift)} drifted, {pending} pending blueprint change(s))")
        if not result.in_sync:
            click.echo("run 'dpn plan' to review and 'dpn update' to repair", err=True)
    if not result.in_sync or (strict and pending):
        sys.exit(DRIFT_EXIT)

COMMANDS: list[click.Command] = [drift]
