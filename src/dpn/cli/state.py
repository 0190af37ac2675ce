"""``dpn state migrate``: copy stacks' state from one backend to another."""

from __future__ import annotations

import json
from typing import Any

import click

from dpn.cli.common import App, handle_errors, pass_app, platform_options


@click.group()
def state() -> None:
    """The state backend: where state, WAL and locks live."""


@state.command()
@click.option("--to", "to", required=True, metavar="local|s3://BUCKET/PREFIX",
              help="The backend to copy to.")
@click.option("--from", "source", default=None, metavar="local|s3://BUCKET/PREFIX",
              help="The backend to copy from (default: --backend, else local).")
@click.option("--stack", default=None, help="One stack (default: every stack).")
@click.option("--lock-timeout", type=click.FloatRange(0), default=0)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@platform_options
@pass_app
@handle_errors
def migrate(app: App, to: str, source: str | None, stack: str | None, lock_timeout: float,
            fmt: str, settings: Any, sandbox: bool) -> None:
    """Copy each stack's state (same serial, same resources) to another backend.

    Both stacks' locks are held while copying. A stack with an incomplete transaction is
    refused (run 'dpn recover' first); a stack that already has state at the destination
    is left alone unless it is the same serial. The source is left as it was: point every
    runner at the destination (--backend or DPN_BACKEND) once it is copied.
    """
    from dpn.api import check_no_incomplete
    from dpn.cli.common import resolve_settings
    from dpn.engine.store import open_store
    from dpn.errors import InputError, StateError

    settings = resolve_settings(app, settings, sandbox)
    src = open_store(app.home, source or app.backend, settings)
    dst = open_store(app.home, to, settings)
    if src.describe() == dst.describe():
        raise InputError(f"--from and --to are the same backend ({src.describe()})")
    stacks = [stack] if stack else src.stacks()
    copied: list[dict[str, Any]] = []
    for name in stacks:
        with src.lock(name, timeout=lock_timeout), dst.lock(name, timeout=lock_timeout):
            check_no_incomplete(src, name)
            current = src.load_state(name)
            if current is None:
                if stack:
                    raise InputError(f"stack {name!r} has no state in {src.describe()}")
                continue
            there = dst.load_state(name)
            if there is not None and there.serial != current.serial:
                raise StateError(f"stack {name!r} already has state serial {there.serial} in "
                                 f"{dst.describe()} (source: serial {current.serial}); "
                                 "not overwritten")
            if there is None:
                _write_as_is(dst, current)
            copied.append({"stack": name, "serial": current.serial,
                           "resources": len(current.resources),
                           "status": "copied" if there is None else "already there"})
    if fmt == "json":
        click.echo(json.dumps({"from": src.describe(), "to": dst.describe(),
                               "stacks": copied}, indent=2))
        return
    for row in copied:
        click.echo(f"{row['stack']}: serial {row['serial']}, {row['resources']} resource(s) "
                   f"{row['status']}")
    click.echo(f"{len(copied)} stack(s): {src.describe()} -> {dst.describe()}")


def _write_as_is(dst: Any, current: Any) -> None:
    """Write ``current`` with its own serial to a backend that has no state for it."""
    from dpn.model import StackState

    create = getattr(dst, "create_state", None)
    if create is not None:
        create(current)
    else:
        dst.save_state(StackState(current.stack, current.serial - 1, current.resources))


COMMANDS = [state]
