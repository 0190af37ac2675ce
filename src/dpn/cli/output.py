"""``dpn output BLUEPRINT [NAME] [--format table|json]``: the blueprint's outputs, from
the stack's state. Offline: no platform is called (an S3 backend is read for the state)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from dpn.cli.common import App, env_option, handle_errors, pass_app, platform_options


@click.command()
@click.argument("blueprint", type=click.Path(dir_okay=False))
@click.argument("name", required=False)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.option("--dev-user", envvar="DPN_DEV_USER", default=None, metavar="NAME",
              help="The outputs of NAME's development copy of the stack.")
@env_option()
@platform_options
@pass_app
@handle_errors
def output(app: App, blueprint: str, name: str | None, fmt: str, dev_user: str | None,
           env: str | None, settings: Any, sandbox: bool) -> None:
    """The blueprint's outputs with their values from the state (offline). With NAME, just
    that value (exit 1 while it is not known yet)."""
    del sandbox
    import dpn.api as api

    bp = api.load(blueprint, dev_user=dev_user, env=env)
    result = api.stack_outputs(bp, app.store(settings, bp), name)
    found, unknown = result.values, result.unknown
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2))
    elif name is not None:
        if found[name] is not None:
            click.echo(found[name])
    else:
        if not found:
            click.echo(f"{bp.stack}: the blueprint has no outputs")
        width = max((len(k) for k in found), default=0)
        for key, value in found.items():
            shown = value if value is not None else "(not applied yet)"
            click.echo(f"{key.ljust(width)} = {shown}")
    if name is not None and unknown:
        click.echo(f"output {name!r} is not known yet: apply the blueprint first", err=True)
        sys.exit(1)


COMMANDS: list[click.Command] = [output]
