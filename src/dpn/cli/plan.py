"""``dpn plan BLUEPRINT [--offline] [--format table|json|markdown] [--out FILE]``."""

from __future__ import annotations

import sys
from typing import Any

import click

from dpn.bulk import no_collection_for_this_command
from dpn.cli.common import (
    App,
    env_option,
    handle_errors,
    pass_app,
    platform_options,
    resolve_settings,
    selection_options,
    skip_access_checks_option,
)


def _with(options: list[Any]) -> Any:
    def wrap(func: Any) -> Any:
        for opt in reversed(options):
            func = opt(func)
        return func
    return wrap


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
@env_option()
@_with(selection_options())
@skip_access_checks_option()
@platform_options
@pass_app
@handle_errors
def plan(app: App, blueprint: str, offline: bool, fmt: str, out: str | None,
         dev_user: str | None, env: str | None, only: tuple[str, ...],
         exclude: tuple[str, ...], skip_access_checks: bool, settings: Any,
         sandbox: bool) -> None:
    """Show what create/update would do: names and a diff against state (and the live
    platforms unless --offline), with drift: what changed or was deleted outside dpn."""
    import dpn.api as api
    from dpn.cli.render_plan import render_plan

    if offline:
        no_collection_for_this_command()
    bp = api.load(blueprint, dev_user=dev_user, env=env)
    if not offline:
        settings = resolve_settings(app, settings, sandbox)
    runner = api.Runner(home=app.home, settings=settings, store=app.store(settings, bp),
                        skip_access_checks=skip_access_checks)
    preview = api.preview(bp, runner, offline=offline, only=only, exclude=exclude)
    if out:
        api.write_plan(preview.plan, out)
    color = app.color and fmt == "table" and sys.stdout.isatty()
    click.echo(render_plan(preview.plan, fmt, color=color), nl=False)
    preview.raise_if_refused()  # shown, and the exit says it is forbidden or refused

COMMANDS: list[click.Command] = [plan]
