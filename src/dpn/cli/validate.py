"""``dpn validate BLUEPRINT`` and ``dpn schema``: offline, no platform client imported."""

from __future__ import annotations

import click

from dpn.cli.common import App, handle_errors, pass_app


@click.command()
@click.argument("blueprint", type=click.Path(dir_okay=True))
@pass_app
@handle_errors
def validate(app: App, blueprint: str) -> None:
    """Check BLUEPRINT: schema, references, naming. Offline; exit 2 with every error."""
    from dpn.blueprint import load

    bp = load(blueprint)
    for res in bp.resources.values():
        if res.name != res.full_name:
            click.echo(f"note: {res.key}: name '{res.full_name}' is cut to '{res.name}'",
                       err=True)
    click.echo(f"{blueprint}: valid ({len(bp.resources)} resources, stack {bp.stack})")


@click.command()
@handle_errors
def schema() -> None:
    """Print the blueprint JSON Schema (draft 2020-12)."""
    from dpn.blueprint import schema_text

    click.echo(schema_text(), nl=False)


COMMANDS: list[click.Command] = [validate, schema]
