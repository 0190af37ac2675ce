"""``dpn history [--stack ID] [--format table|json]``: past transactions from the WAL."""

from __future__ import annotations

import json
import time
from typing import Any

import click

from dpn.cli.common import App, handle_errors, pass_app, platform_options, resolve_settings


@click.command()
@click.option("--stack", default=None, help="One stack (default: every stack).")
@click.option("--limit", type=click.IntRange(1), default=None,
              help="Only the most recent N transactions.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@platform_options
@pass_app
@handle_errors
def history(app: App, stack: str | None, limit: int | None, fmt: str, settings: Any,
            sandbox: bool) -> None:
    """Past transactions: outcome, duration and operations, oldest first. The AWS options
    reach an S3 backend."""
    import dpn.api as api

    if stack:  # before the sandbox is started for the store
        api.check_stack_id(stack)
    settings = resolve_settings(app, settings, sandbox)
    rows = api.history(app.store(settings), stack, limit=limit)
    if fmt == "json":
        click.echo(json.dumps({"transactions": [r.to_json() for r in rows]}, indent=2))
        return
    if not rows:
        click.echo("no transactions" + (f" for stack {stack}" if stack else ""))
        return
    for r in rows:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(r.started)) if r.started else "?"
        click.echo(f"{when}Z  {r.stack}  {r.tx}  {r.outcome}  {r.duration:.2f}s  "
                   f"{len(r.operations)} operation(s)")
        for op in r.operations:
            error = f"  ({op.error})" if op.error else ""
            click.echo(f"    {op.action:<8} {op.key:<24} {op.type:<18} {op.status}{error}")


COMMANDS: list[click.Command] = [history]
