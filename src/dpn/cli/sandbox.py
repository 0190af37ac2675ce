"""``dpn sandbox start|stop|status``: the local emulators (moto for S3 and Glue behind
fault injection, and dpn's Databricks emulator) as background processes on 127.0.0.1.
The token is never printed: it lives in ``$DPN_HOME/sandbox.json`` (mode 0600)."""

from __future__ import annotations

import json
import time

import click

from dpn.cli.common import App, handle_errors, pass_app

FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
                      show_default=True, help="Output format.")


def _describe(info: object | None) -> dict[str, object]:
    if info is None:
        return {"running": False}
    from dpn.sandbox.info import SandboxInfo

    assert isinstance(info, SandboxInfo)
    return {"running": True, "aws_endpoint": info.aws_endpoint, "dbx_host": info.dbx_host,
            "region": info.region, "pids": list(info.pids)}


def _show(app: App, data: dict[str, object], fmt: str, extra: str = "") -> None:
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
        return
    if not data["running"]:
        click.echo("sandbox: not running")
        return
    click.echo(f"sandbox: running{extra}")
    click.echo(f"  AWS (S3, Glue):  {data['aws_endpoint']}  region {data['region']}")
    click.echo(f"  Databricks:      {data['dbx_host']}")
    click.echo(f"  processes:       {', '.join(str(p) for p in data['pids'])}")  # type: ignore[attr-defined]
    click.echo(f"  token and endpoints in {app.home / 'sandbox.json'}; "
               "use --sandbox on any platform command")


@click.group(name="sandbox")
def sandbox() -> None:
    """Run the local sandbox: S3 and Glue (moto) and a Databricks emulator."""


@sandbox.command()
@FORMAT
@pass_app
@handle_errors
def start(app: App, fmt: str) -> None:
    """Start the sandbox in the background (or show the one already running)."""
    from dpn.sandbox import launcher

    began = time.perf_counter()
    info = launcher.start(app.home)
    _show(app, _describe(info), fmt, f" (ready in {time.perf_counter() - began:.2f} s)")


@sandbox.command()
@pass_app
@handle_errors
def stop(app: App) -> None:
    """Stop the sandbox; its Databricks objects persist for the next start."""
    from dpn.sandbox import launcher

    click.echo("sandbox: stopped" if launcher.stop(app.home) else "sandbox: not running")


@sandbox.command()
@FORMAT
@pass_app
@handle_errors
def status(app: App, fmt: str) -> None:
    """Show whether the sandbox runs, and where."""
    from dpn.sandbox import launcher

    _show(app, _describe(launcher.status(app.home)), fmt)


COMMANDS: list[click.Command] = [sandbox]
