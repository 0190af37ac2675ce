"""Render engine events: a live table in a terminal, plain lines otherwise, nothing for
JSON output (the result is printed at the end)."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

import click

from dpn.api import events as ev


class PlainRenderer:
    """One line per event, to stderr (stdout is kept for results)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __call__(self, event: ev.Event) -> None:
        line = describe(event)
        if line:
            with self._lock:
                click.echo(line, err=True)

    def close(self) -> None:
        pass


def describe(event: ev.Event) -> str | None:
    match event:
        case ev.TxStarted(stack=stack, tx=tx, operations=n):
            return f"transaction {tx} on {stack}: {n} operation(s)"
        case ev.OpStarted(key=key, type=rtype, name=name, action=action):
            return f"  {action:<8} {key} ({rtype} {name}) ..."
        case ev.OpRetry(key=key, attempt=attempt, delay=delay, error=error):
            return f"  retry    {key}: attempt {attempt} in {delay:.1f}s ({error})"
        case ev.OpDone(key=key, action=action, id=id_, seconds=s):
            return f"  done     {key} {action} {id_} [{s:.1f}s]"
        case ev.OpFailed(key=key, action=action, error=error):
            return f"  FAILED   {key} {action}: {error}"
        case ev.Committed(tx=tx):
            return f"commit point reached ({tx})"
        case ev.RollbackStarted(reason=reason, operations=n):
            return f"rolling back {n} operation(s): {reason}"
        case ev.UndoDone(key=key, action=action):
            return f"  undone   {key} ({action})"
        case ev.UndoFailed(key=key, action=action, error=error):
            return f"  UNDO FAILED {key} ({action}): {error}"
        case ev.TxFinished(tx=tx, outcome=outcome):
            return f"transaction {tx}: {outcome}"
    return None


class LiveRenderer:
    """A rich table with a line per resource and its elapsed time."""

    def __init__(self, color: bool) -> None:
        from rich.console import Console
        from rich.live import Live

        self.console = Console(stderr=True, no_color=not color)
        self.rows: dict[str, dict[str, Any]] = {}
        self.header = ""
        self.footer: list[str] = []
        self._lock = threading.Lock()
        self.live = Live(self._table(), console=self.console, refresh_per_second=8,
                         transient=False)
        self.live.__enter__()

    def _table(self) -> Any:
        from rich.table import Table

        table = Table(title=self.header or None, show_edge=False, box=None)
        for col in ("resource", "action", "status", "id", "elapsed"):
            table.add_column(col)
        now = time.monotonic()
        for key, row in self.rows.items():
            elapsed = (row.get("end") or now) - row["start"]
            table.add_row(key, row["action"], row["status"], row.get("id", ""),
                          f"{elapsed:.1f}s")
        for line in self.footer:
            table.add_row(line, "", "", "", "")
        return table

    def __call__(self, event: ev.Event) -> None:
        with self._lock:
            match event:
                case ev.TxStarted(stack=stack, tx=tx):
                    self.header = f"{stack} — transaction {tx}"
                case ev.OpStarted(key=key, action=action):
                    self.rows[key] = {"action": action, "status": "running",
                                      "start": time.monotonic()}
                case ev.OpRetry(key=key, attempt=attempt) if key in self.rows:
                    self.rows[key]["status"] = f"retry {attempt}"
                case ev.OpDone(key=key, id=id_) if key in self.rows:
                    self.rows[key].update(status="done", id=id_, end=time.monotonic())
                case ev.OpFailed(key=key, error=error) if key in self.rows:
                    self.rows[key].update(status="[red]failed[/]", end=time.monotonic())
                    self.footer.append(f"{key}: {error}")
                case ev.UndoDone(key=key) if key in self.rows:
                    self.rows[key]["status"] = "undone"
                case ev.UndoFailed(key=key, error=error):
                    self.footer.append(f"undo of {key} failed: {error}")
                case ev.TxFinished(outcome=outcome):
                    self.footer.append(f"outcome: {outcome}")
            self.live.update(self._table())

    def close(self) -> None:
        self.live.__exit__(None, None, None)


def renderer(fmt: str, color: bool) -> Any:
    if fmt == "json":
        return None
    if sys.stderr.isatty():
        return LiveRenderer(color)
    return PlainRenderer()
