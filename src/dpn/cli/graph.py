"""``dpn graph BLUEPRINT [--format dot|mermaid]``: the dependency graph, offline.

An edge ``a -> b`` means ``b`` depends on ``a`` (``a`` is created first, deleted last).
AWS nodes and Databricks nodes are coloured differently.
"""

from __future__ import annotations

import json
from typing import Any

import click

from dpn.cli.common import App, env_option, handle_errors, pass_app

COLOURS = {"aws": ("#FF9900", "#232F3E"), "databricks": ("#FF3621", "#FFFFFF")}


def _dot_text(value: str) -> str:
    return json.dumps(value)  # a double-quoted string with escapes, valid in DOT


def to_dot(blueprint: Any) -> str:
    """The graph in Graphviz DOT."""
    lines = [f"digraph {_dot_text(blueprint.stack)} {{", "  rankdir=LR;",
             '  node [shape=box, style="rounded,filled", fontname="Helvetica"];']
    for key, res in blueprint.resources.items():
        fill, font = COLOURS[res.platform]
        label = f"{key}\\n{res.type}\\n{res.name}"
        lines.append(f'  {_dot_text(key)} [label="{_escape_label(label)}", '
                     f'fillcolor="{fill}", fontcolor="{font}"];')
    for key, res in blueprint.resources.items():
        for dep in res.depends_on:
            lines.append(f"  {_dot_text(dep)} -> {_dot_text(key)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _escape_label(text: str) -> str:
    return text.replace('"', '\\"')


def _mermaid_text(value: str) -> str:
    return value.replace('"', "#quot;")


def to_mermaid(blueprint: Any) -> str:
    """The graph as a Mermaid flowchart."""
    lines = ["flowchart LR"]
    for key, res in blueprint.resources.items():
        label = _mermaid_text(f"{key}<br/>{res.type}<br/>{res.name}")
        lines.append(f'  r_{key}["{label}"]:::{res.platform}')
    for key, res in blueprint.resources.items():
        for dep in res.depends_on:  # ids get a prefix: a key may be a Mermaid word (end)
            lines.append(f"  r_{dep} --> r_{key}")
    for platform, (fill, font) in COLOURS.items():
        lines.append(f"  classDef {platform} fill:{fill},color:{font},stroke:#333")
    return "\n".join(lines) + "\n"


@click.command()
@click.argument("blueprint", type=click.Path(dir_okay=True))
@click.option("--format", "fmt", type=click.Choice(["dot", "mermaid"]), default="dot",
              show_default=True)
@click.option("--dev-user", envvar="DPN_DEV_USER", default=None, metavar="NAME",
              help="Names of NAME's development copy of the stack.")
@env_option()
@pass_app
@handle_errors
def graph(app: App, blueprint: str, fmt: str, dev_user: str | None, env: str | None) -> None:
    """The blueprint's dependency graph (offline), coloured by platform."""
    del app
    from dpn.api import load

    bp = load(blueprint, dev_user=dev_user, env=env)
    click.echo(to_dot(bp) if fmt == "dot" else to_mermaid(bp), nl=False)


COMMANDS: list[click.Command] = [graph]
