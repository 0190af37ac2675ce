"""Plan rendering for the terminal and for files: ``table`` (rich in a colour terminal,
aligned plain text otherwise), ``markdown`` and ``json`` (SPEC section 5's stable shape)."""

from __future__ import annotations

import io
from typing import Any

SYMBOLS = {"create": "+", "update": "~", "replace": "-/+", "delete": "-", "no-op": " "}
STYLES = {"create": "green", "update": "yellow", "replace": "magenta", "delete": "red",
          "no-op": "dim"}
FORMATS = ("table", "json", "markdown")


def _action(change: Any) -> str:
    return str(change.action)


def _drift_text(change: Any) -> str:
    if getattr(change, "deleted_outside", False):
        return "deleted outside dpn"
    fields = getattr(change, "drift", ())
    ignored = getattr(change, "ignored", ())
    if not fields:
        return ""
    text = f"changed outside dpn: {', '.join(fields)}"
    if ignored:
        text += f"; left alone: lifecycle.ignore_changes covers {', '.join(ignored)}"
    return text


def _rows(plan: Any) -> list[tuple[str, str, str, str, str]]:
    rows = []
    for c in plan.changes:
        action = _action(c)
        detail = ", ".join(c.diff_fields) if c.diff_fields else ""
        moved_from = getattr(c, "moved_from", None)
        if moved_from:
            detail = f"moved from {moved_from}; {detail}" if detail else \
                f"moved from {moved_from}"
        drift = _drift_text(c)
        if drift:
            detail = f"{detail} ({drift})" if detail else f"({drift})"
        for effect in getattr(c, "effects", ()):
            detail = f"{detail}; {effect}" if detail else effect
        rows.append((action, c.key, c.type, c.name, detail))
    return rows


def _notes(plan: Any) -> list[str]:
    """Lines under the summary: renamed keys and what --only/--exclude chose."""
    out = []
    moves = getattr(plan, "moved", ())
    if moves:
        out.append("Moved in the state (no platform call): "
                   + ", ".join(f"{m.source} -> {m.target}" for m in moves) + ".")
    sel = getattr(plan, "selection", None)
    if sel is not None:
        if sel.only:
            out.append(f"Only: {', '.join(sel.only)}.")
        if sel.pulled_in:
            out.append("Pulled in (needed by the keys given): " + ", ".join(
                f"{k} (for {', '.join(v)})" for k, v in sel.pulled_in.items()) + ".")
        if sel.exclude:
            out.append(f"Excluded: {', '.join(sel.exclude)}.")
        if sel.left_out:
            out.append("Left out with them (they need an excluded change): " + ", ".join(
                f"{k} (needs {', '.join(v)})" for k, v in sel.left_out.items()) + ".")
        if sel.skipped:
            out.append(f"{sel.skipped} pending change(s) not in this run.")
    return out


def _drift_line(plan: Any) -> str | None:
    report = plan.drift_report() if hasattr(plan, "drift_report") else []
    if not report:
        return None
    changed = sum(1 for d in report if d["kind"] == "changed")
    deleted = len(report) - changed
    left = sum(1 for d in report if d["kind"] == "changed"
               and set(d["fields"]) <= set(d.get("ignored", ())))
    if left == len(report):
        return (f"Drift: {changed} resource(s) changed outside dpn, only in what "
                "lifecycle.ignore_changes leaves alone; nothing to repair.")
    tail = (f" ({left} of them only in what lifecycle.ignore_changes leaves alone)"
            if left else "")
    return (f"Drift: {changed} resource(s) changed{tail} and {deleted} deleted outside dpn; "
            "'dpn update' repairs it.")


def _summary_line(plan: Any) -> str:
    s = plan.summary()
    return (f"Plan for {plan.stack}: {s['create']} to create, {s['update']} to update, "
            f"{s['replace']} to replace, {s['delete']} to delete, {s['no-op']} unchanged.")


def _plain(plan: Any) -> str:
    header = ("", "KEY", "TYPE", "NAME", "CHANGES")
    rows = [(SYMBOLS[a], k, t, n, d) for a, k, t, n, d in _rows(plan)]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
             for r in [header, *rows]]
    lines.append("")
    lines.append(_summary_line(plan))
    lines.extend(_notes(plan))
    drift = _drift_line(plan)
    if drift:
        lines.append(drift)
    lines.extend(f"warning: {w}" for w in plan.warnings)
    return "\n".join(lines) + "\n"


def _rich(plan: Any) -> str:
    import shutil

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"Plan for {plan.stack}", header_style="bold")
    for col in ("", "key", "type", "name", "changes"):
        table.add_column(col)
    for action, key, rtype, name, detail in _rows(plan):
        style = STYLES[action]
        # Text, not markup: names and keys are user data
        table.add_row(Text(SYMBOLS[action], style=style), Text(key), Text(rtype),
                      Text(name, style=style), Text(detail))
    buf = io.StringIO()
    width = max(80, shutil.get_terminal_size((120, 24)).columns)
    console = Console(file=buf, force_terminal=True, color_system="standard", width=width)
    console.print(table)
    console.print(Text(_summary_line(plan)), highlight=False)
    for note in _notes(plan):
        console.print(Text(note), highlight=False)
    drift = _drift_line(plan)
    if drift:
        console.print(Text(drift, style="yellow"), highlight=False)
    for w in plan.warnings:
        console.print(Text.assemble(("warning: ", "yellow"), w), highlight=False)
    return buf.getvalue()


def _md(text: str) -> str:
    """User data inside a Markdown table cell: pipes escaped, no line breaks."""
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{_md(text).replace('`', '')}`"


def _markdown(plan: Any) -> str:
    """A pull-request comment: counts, a table of changes and names, drift, warnings."""
    s = plan.summary()
    changing = [r for r in _rows(plan) if r[0] != "no-op"]
    lines = [f"### Plan for `{_md(plan.stack)}`", "",
             "| create | update | replace | delete | unchanged |", "|---:|---:|---:|---:|---:|",
             f"| {s['create']} | {s['update']} | {s['replace']} | {s['delete']} | "
             f"{s['no-op']} |", ""]
    destructive = s["delete"] + s["replace"]
    if destructive:
        lines += [f"> **{destructive} resource(s) will be deleted or replaced.**", ""]
    if changing:
        lines += ["| action | key | type | name | changes |", "|---|---|---|---|---|"]
        for action, key, rtype, name, detail in changing:
            lines.append(f"| {action} | {_code(key)} | {_code(rtype)} | {_code(name)} | "
                         f"{_md(detail)} |")
    else:
        lines.append("No changes: the platforms match the blueprint.")
    lines += ["", _summary_line(plan)]
    lines += [f"\n{note}" for note in _notes(plan)]
    drift = _drift_line(plan)
    if drift:
        lines += ["", f"**{drift}**"]
    if plan.warnings:
        lines += ["", "**Warnings**", "", *[f"- {_md(w)}" for w in plan.warnings]]
    unchanged = [r for r in _rows(plan) if r[0] == "no-op"]
    if unchanged:
        lines += ["", f"<details><summary>{len(unchanged)} unchanged</summary>", "",
                  "| key | type | name |", "|---|---|---|",
                  *[f"| {_code(k)} | {_code(t)} | {_code(n)} |" for _, k, t, n, _ in unchanged],
                  "", "</details>"]
    return "\n".join(lines) + "\n"


def render_plan(plan: Any, fmt: str = "table", *, color: bool = False) -> str:
    """The plan as text in ``fmt``; ``color`` asks for rich output (terminal only)."""
    if fmt == "json":
        text: str = plan.to_json_text()
        return text
    if fmt == "markdown":
        return _markdown(plan)
    return _rich(plan) if color else _plain(plan)
