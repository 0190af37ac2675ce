"""``dpn plan BLUEPRINT [--offline] [--format table|json|markdown] [--out FILE]``."""

from __future__ import annotations

import sys
from typing import Any

import click

from dpn.cli.common import (
    App,
    handle_errors,
    pass_app,
    platform_options,
    resolve_settings,
    skip_access_checks_option,
)
from dpn.errors import InputError


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
@skip_access_checks_option()
@platform_options
@pass_app
@handle_errors
def plan(app: App, blueprint: str, offline: bool, fmt: str, out: str | None,
         dev_user: str | None, skip_access_checks: bool, settings: Any,
         sandbox: bool) -> None:
    """Show what create/update would do: names and a diff against state (and the live
    platforms unless --offline), with drift: what changed or was deleted outside dpn."""
    from dpn.blueprint import load
    from dpn.cli.render_plan import render_plan
    from dpn.engine.api import Runner, check_no_incomplete, prepare

    bp = load(blueprint, dev_user=dev_user)
    if not offline:
        settings = resolve_settings(app, settings, sandbox)
    runner = Runner(home=app.home, settings=settings, store=app.store(settings, bp),
                    skip_access_checks=skip_access_checks)
    check_no_incomplete(runner.store, bp.stack)  # exit 4: the state may lie until recovered
    prepared = prepare(runner, bp, "update", offline=offline)[0]
    result = prepared.plan
    if out:
        try:
            with open(out, "w", encoding="utf-8") as fh:
                fh.write(result.to_json_text())
        except OSError as exc:
            raise InputError(f"{out}: cannot write: {exc.strerror or exc}") from None
    color = app.color and fmt == "table" and sys.stdout.isatty()
    click.echo(render_plan(result, fmt, color=color), nl=False)
    if prepared.problems:  # the plan is shown, and the exit says it would be refused
        raise InputError("the workspace would refuse this plan: " + "; ".join(prepared.problems))


COMMANDS: list[click.Command] = [plan]
