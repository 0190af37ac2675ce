"""The ``dpn`` command line: the only code that prints. Commands live one module each."""

from __future__ import annotations

import os
from pathlib import Path

import click

from dpn import __version__
from dpn.cli.common import App, default_home


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dpn")
@click.option("--home", type=click.Path(file_okay=False), default=default_home,
              show_default="$DPN_HOME or ~/.dpn", help="Where state, WAL and locks live.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.option("--no-color", is_flag=True, help="No colours (also NO_COLOR).")
@click.pass_context
def cli(ctx: click.Context, home: str, debug: bool, no_color: bool) -> None:
    """Provision a data platform across AWS and Databricks from one JSON blueprint."""
    color = not no_color and "NO_COLOR" not in os.environ
    ctx.obj = App(home=Path(home).expanduser(), debug=debug, color=color)


def _register() -> None:
    from dpn.cli import apply, plan, sandbox, tx, validate

    for module in (validate, plan, apply, tx, sandbox):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main() -> None:
    cli(prog_name="dpn")
