"""The ``dpn`` command line: the only code that prints. Commands live one module each."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import click

from dpn import __version__
from dpn.cli.common import App, default_home

# command name -> module under dpn.cli that defines it; imported only when used
COMMANDS: dict[str, str] = {
    "validate": "validate", "schema": "validate", "plan": "plan",
    "create": "apply", "update": "apply", "delete": "apply",
    "read": "tx", "status": "tx", "recover": "tx", "sandbox": "sandbox",
    "state": "state",
    "drift": "drift", "import": "importing", "graph": "graph", "history": "history",
}


class LazyGroup(click.Group):
    """Imports a command's module only when that command (or the help) needs it."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        module_name = COMMANDS.get(cmd_name)
        if module_name is None:
            return None
        module = importlib.import_module(f"dpn.cli.{module_name}")
        for command in module.COMMANDS:
            if command.name == cmd_name:
                return command
        return None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dpn")
@click.option("--home", type=click.Path(file_okay=False), default=default_home,
              show_default="$DPN_HOME or ~/.dpn", help="Where state, WAL and locks live.")
@click.option("--backend", envvar="DPN_BACKEND", default=None, metavar="local|s3://BUCKET/PREFIX",
              help="Where state, WAL and locks live (default: local, under --home).")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.option("--no-color", is_flag=True, help="No colours (also NO_COLOR).")
@click.pass_context
def cli(ctx: click.Context, home: str, backend: str | None, debug: bool,
        no_color: bool) -> None:
    """Provision a data platform across AWS and Databricks from one JSON blueprint."""
    color = not no_color and "NO_COLOR" not in os.environ
    ctx.obj = App(home=Path(home).expanduser(), debug=debug, color=color, backend=backend)


def main() -> None:
    cli(prog_name="dpn")
