"""``dpn validate BLUEPRINT`` and ``dpn schema``: offline, no platform client imported."""

from __future__ import annotations

import click

from dpn.cli.common import App, env_option, handle_errors, pass_app


@click.command()
@click.argument("blueprint", type=click.Path(dir_okay=True))
@env_option("Check only this environment (default: every one the blueprint declares).")
@pass_app
@handle_errors
def validate(app: App, blueprint: str, env: str | None) -> None:
    """Check BLUEPRINT: schema, references, naming, in every environment. Offline; exit 2
    with every error."""
    from dpn.api import load, load_all
    from dpn.bulk import no_collection_for_this_command

    no_collection_for_this_command()
    built = [load(blueprint, env=env)] if env else load_all(blueprint)
    for bp in built:
        where = f"{bp.environment}: " if bp.environment else ""
        for res in bp.resources.values():
            if res.name != res.full_name:
                click.echo(f"note: {where}{res.key}: name '{res.full_name}' is cut to "
                           f"'{res.name}'", err=True)
    for bp in built:
        env_word = f"environment {bp.environment}, " if bp.environment else ""
        click.echo(f"{blueprint}: valid ({env_word}{len(bp.resources)} resources, "
                   f"stack {bp.stack})")


@click.command()
@handle_errors
def schema() -> None:
    """Print the blueprint JSON Schema (draft 2020-12)."""
    from dpn.api import schema_text

    click.echo(schema_text(), nl=False)


COMMANDS: list[click.Command] = [validate, schema]
