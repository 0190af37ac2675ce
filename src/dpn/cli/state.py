"""``dpn state migrate``: copy stacks' state from one backend to another."""

from __future__ import annotations

import json
from typing import Any

import click

from dpn.cli.common import App, handle_errors, pass_app, platform_options


@click.group()
def state() -> None:
    """The state backend: where state, WAL and locks live."""


@state.command()
@click.option("--to", "to", required=True, metavar="local|s3://BUCKET/PREFIX",
              help="The backend to copy to.")
@click.option("--from", "source", default=None, metavar="local|s3://BUCKET/PREFIX",
              help="The backend to copy from (default: --backend, else local).")
@click.option("--stack", default=None, help="One stack (default: every stack).")
@click.option("--lock-timeout", type=click.FloatRange(0), default=0)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@platform_options
@pass_app
@handle_errors
def migrate(app: App, to: str, source: str | None, stack: str | None, lock_timeout: float,
            fmt: str, settings: Any, sandbox: bool) -> None:
    """Copy each stack's state (same serial, same resources) to another backend.

    Both stacks' locks are held while copying. A stack with an incomplete transaction is
    refused (run 'dpn recover' first); a stack that already has state at the destination
    is left alone unless it is the same serial. The source is left as it was: point every
    runner at the destination (--backend or DPN_BACKEND) once it is copied.
    """
    from dpn.api import migrate_state
    from dpn.cli.common import resolve_settings

    settings = resolve_settings(app, settings, sandbox)
    result = migrate_state(app.store(settings, backend=source or app.backend or "local"),
                           app.store(settings, backend=to), stack,
                           lock_timeout=lock_timeout)
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2))
        return
    for row in result.stacks:
        click.echo(f"{row.stack}: serial {row.serial}, {row.resources} resource(s) "
                   f"{row.status}")
    click.echo(f"{len(result.stacks)} stack(s): {result.source} -> {result.destination}")


COMMANDS = [state]
