"""The ``dpn`` command line: the only code that prints. Commands live one module each."""

from __future__ import annotations

import gc
import importlib
import os
from pathlib import Path
from typing import Any

import click

from dpn import __version__
from dpn.bulk import this_process_runs_one_command
from dpn.cli.common import App, default_home

GC_THRESHOLD = 10_000  # allocations between collections of the youngest generation

# command name -> module under dpn.cli that defines it; imported only when used
COMMANDS: dict[str, str] = {
    "validate": "validate", "schema": "validate", "plan": "plan",
    "create": "apply", "update": "apply", "delete": "apply",
    "read": "tx", "status": "tx", "recover": "tx", "sandbox": "sandbox",
    "state": "state",
    "drift": "drift", "import": "importing", "graph": "graph", "history": "history",
    "output": "output",
}


def _set_global(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """A global option given after the command: it overrides the one before it."""
    if value is None or value is False or ctx.resilient_parsing:
        return
    app = ctx.find_object(App)
    if app is None:
        return
    if param.name == "home":
        app.home = Path(value).expanduser()
    elif param.name == "no_color":
        app.color = False
    else:
        setattr(app, str(param.name), value)


def _global_options() -> list[click.Option]:
    """The group's options, also accepted after the command (``dpn create bp.json
    --backend s3://...``), as every tool of the kind does."""
    return [
        click.Option(["--home"], type=click.Path(file_okay=False), default=None,
                     expose_value=False, callback=_set_global,
                     help="Where state, WAL and locks live ($DPN_HOME or ~/.dpn)."),
        click.Option(["--backend"], default=None, metavar="local|s3://BUCKET/PREFIX",
                     expose_value=False, callback=_set_global,
                     help="Where state, WAL and locks live (default: local, under --home)."),
        click.Option(["--debug"], is_flag=True, expose_value=False, callback=_set_global,
                     help="Show tracebacks."),
        click.Option(["--no-color"], is_flag=True, expose_value=False, callback=_set_global,
                     help="No colours (also NO_COLOR)."),
    ]


def _with_global_options(command: click.Command) -> click.Command:
    taken = {opt for p in command.params for opt in getattr(p, "opts", ())}
    command.params.extend(o for o in _global_options() if not taken & set(o.opts))
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _with_global_options(sub)
    return command


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
                self.commands[cmd_name] = _with_global_options(command)
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
    # A plan of thousands of resources allocates millions of small containers and no
    # cycles to speak of: collecting every 700 allocations (CPython's default) spends a
    # tenth of such a run walking them (mypy raises its threshold for the same reason).
    gc.set_threshold(GC_THRESHOLD, 50, 50)
    this_process_runs_one_command()  # an offline command may turn the collector off
    cli(prog_name="dpn")
