"""``dpn plan BLUEPRINT [--offline] [--format table|json|markdown] [--out FILE]``."""

from __future__ import annotations

import sys
from typing import Any

import click

from dpn.cli.common import App, handle_errors, pass_app, platform_options
from dpn.errors import InputError


def _state(app: App, stack: str) -> Any:
    return app.store().load_state(stack)


def _check_recovered(app: App, stack: str) -> None:
    """Exit 4 while the stack has an incomplete transaction: its state may lie."""
    from dpn.engine.api import check_no_incomplete

    check_no_incomplete(app.store(), stack)


def _live(app: App, blueprint: Any, state: Any, settings: Any, sandbox: bool) -> Any:
    from dpn.cli.common import resolve_settings
    from dpn.engine.refresh import refresh

    return refresh(blueprint, state, resolve_settings(app, settings, sandbox), app.home)


@click.command()
@click.argument("blueprint", type=click.Path(dir_okay=True))
@click.option("--offline", is_flag=True,
              help="Compare with the recorded state only; call no platform.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]),
              default="table", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Also write the plan as JSON to this file (apply it with "
                   "'dpn update --plan FILE').")
@click.option("--dev-user", envvar="DPN_DEV_USER", default=None, metavar="NAME",
              help="Plan NAME's development copy of the stack (prefixed names).")
@platform_options
@pass_app
@handle_errors
def plan(app: App, blueprint: str, offline: bool, fmt: str, out: str | None,
         dev_user: str | None, settings: Any, sandbox: bool) -> None:
    """Show what create/update would do: names and a diff against state (and the live
    platforms unless --offline), with drift: what changed or was deleted outside dpn."""
    from dpn.blueprint import load
    from dpn.cli.render_plan import render_plan
    from dpn.plan import make_plan

    bp = load(blueprint, dev_user=dev_user)
    _check_recovered(app, bp.stack)
    state = _state(app, bp.stack)
    live = None if offline else _live(app, bp, state, settings, sandbox)
    result = make_plan(bp, state, live)
    if out:
        try:
            with open(out, "w", encoding="utf-8") as fh:
                fh.write(result.to_json_text())
        except OSError as exc:
            raise InputError(f"{out}: cannot write: {exc.strerror or exc}") from None
    color = app.color and fmt == "table" and sys.stdout.isatty()
    click.echo(render_plan(result, fmt, color=color), nl=False)


COMMANDS: list[click.Command] = [plan]
