"""Reading blueprint JSON: limits, duplicate keys, and ``FILE:LINE:COL`` positions.

The fast path parses with the C ``json`` module. Positions are computed only when there
is something to report, by ``scan``: a token scanner over the text that finds where each
JSON path starts, duplicate keys, non-standard constants and nesting beyond ``MAX_DEPTH``.
"""

from __future__ import annotations

import bisect
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dpn.errors import BlueprintError, Diagnostic, InputError

MAX_BYTES = 10 * 1024 * 1024   # a blueprint larger than 10 MB is refused
MAX_DEPTH = 64                 # JSON nesting deeper than this is refused
MAX_DIGITS = 4000              # below Python's int-parsing limit (4300)

Path = tuple[str | int, ...]

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+')


def dotted(path: Iterable[str | int]) -> str:
    """``resources.orders.columns[0].name`` for a JSON path."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


@dataclass
class _Frame:
    path: Path
    is_object: bool
    index: int = 0
    key: str | None = None
    expect_key: bool = True
    keys: dict[str, int] = field(default_factory=dict)


@dataclass
class ScanResult:
    """Offsets of keys and values by path, and what the scanner itself found wrong."""

    key_at: dict[Path, int] = field(default_factory=dict)
    value_at: dict[Path, int] = field(default_factory=dict)
    problems: list[tuple[int, str]] = field(default_factory=list)


def scan(text: str, wanted: set[Path] | None = None) -> ScanResult:
    """One pass over (syntactically valid) JSON text. Records the offsets of ``wanted``
    paths and their prefixes (all paths when None), duplicate keys, NaN/Infinity, huge
    numbers, and the first place nesting exceeds ``MAX_DEPTH`` (where it stops)."""
    prefixes: set[Path] | None = None
    if wanted is not None:
        prefixes = {p[:i] for p in wanted for i in range(len(p) + 1)}
    res = ScanResult()
    stack: list[_Frame] = []

    def value_path() -> Path:
        if not stack:
            return ()
        top = stack[-1]
        last: str | int = (top.key or "") if top.is_object else top.index
        return (*top.path, last)

    for m in _TOKEN.finditer(text):
        tok = m.group()
        off = m.start()
        top = stack[-1] if stack else None
        if tok in ("{", "["):
            path = value_path()
            if prefixes is None or path in prefixes:
                res.value_at.setdefault(path, off)
            if len(stack) >= MAX_DEPTH:
                res.problems.append((off, f"nested deeper than {MAX_DEPTH} levels"))
                return res
            stack.append(_Frame(path, tok == "{"))
        elif tok in ("}", "]"):
            if stack:
                stack.pop()
        elif tok == ":":
            if top:
                top.expect_key = False
        elif tok == ",":
            if top:
                if top.is_object:
                    top.expect_key = True
                else:
                    top.index += 1
        elif top is not None and top.is_object and top.expect_key:
            try:
                key = json.loads(tok)
            except ValueError:
                key = tok
            top.key = key
            path = (*top.path, key)
            if prefixes is None or path in prefixes:
                res.key_at.setdefault(path, off)
            if key in top.keys:
                first = top.keys[key]
                res.problems.append((off, f"duplicate key '{key}' (first defined at "
                                          f"line {text.count(chr(10), 0, first) + 1})"))
            else:
                top.keys[key] = off
        else:
            path = value_path()
            if prefixes is None or path in prefixes:
                res.value_at.setdefault(path, off)
            if tok in ("NaN", "Infinity", "-Infinity"):
                res.problems.append((off, f"{tok} is not valid JSON"))
            elif tok[0] in "-0123456789" and len(tok) > MAX_DIGITS:
                res.problems.append((off, f"number longer than {MAX_DIGITS} digits"))
    return res


class Locator:
    """Turns ``(path, message)`` findings into located Diagnostics.

    With source text, each path becomes ``FILE:LINE:COL`` (of the key where the path ends
    at an object member, else of the value; the nearest existing ancestor when the path
    does not exist). Without text (``from_dict``, the builder), line and column are 0 and
    the message starts with the dotted path.
    """

    def __init__(self, file: str, text: str | None) -> None:
        self.file = file
        self.text = text
        self._newlines: list[int] | None = None

    def line_col(self, offset: int) -> tuple[int, int]:
        if self._newlines is None:
            assert self.text is not None
            self._newlines = [m.start() for m in re.finditer("\n", self.text)]
        line = bisect.bisect_left(self._newlines, offset)
        start = self._newlines[line - 1] + 1 if line else 0
        return line + 1, offset - start + 1

    def at_offset(self, offset: int, message: str) -> Diagnostic:
        line, col = self.line_col(offset)
        return Diagnostic(self.file, line, col, message)

    def locate(self, findings: list[tuple[Path, str]]) -> list[Diagnostic]:
        if self.text is None:
            return [Diagnostic(self.file, 0, 0, f"{dotted(p)}: {msg}") for p, msg in findings]
        res = scan(self.text, {p for p, _ in findings})
        out = []
        for path, msg in findings:
            offset = 0
            for i in range(len(path), -1, -1):
                prefix = path[:i]
                found = res.key_at.get(prefix, res.value_at.get(prefix))
                if found is not None:
                    offset = found
                    break
            out.append(self.at_offset(offset, msg))
        out.sort(key=lambda d: (d.line, d.col))
        return out


def read_text(path: str | os.PathLike[str]) -> str:
    """The file's text, or InputError (missing, directory, unreadable, too large) or
    BlueprintError (not UTF-8)."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > MAX_BYTES:
                raise InputError(f"{name}: file is {size} bytes; blueprints are limited to "
                                 f"{MAX_BYTES // (1024 * 1024)} MB")
            data = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory, not a blueprint file") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise InputError(f"{name}: blueprints are limited to {MAX_BYTES // (1024 * 1024)} MB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise BlueprintError([Diagnostic(name, line, col,
                                         "not valid UTF-8 text (is this a JSON file?)")]) from None


_FAILED = object()


class _BadConstant(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _BadConstant(name)


def parse(text: str, file: str) -> tuple[Any, list[Diagnostic]]:
    """Parse JSON text into ``(document, duplicate-key diagnostics)``; raise BlueprintError,
    located, for syntax errors, NaN/Infinity, huge numbers and excessive nesting. Duplicate
    keys are returned rather than raised so that validation can report them along with
    everything else (the last value of a duplicated key is the one validated)."""
    duplicates = 0

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal duplicates
        obj = dict(pairs)
        if len(obj) != len(pairs):
            duplicates += 1
        return obj

    locator = Locator(file, text)
    doc: Any = _FAILED
    try:
        doc = json.loads(text, object_pairs_hook=pairs_hook, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise BlueprintError([Diagnostic(file, exc.lineno, exc.colno,
                                         f"invalid JSON: {exc.msg}")]) from None
    except (RecursionError, ValueError, MemoryError):
        doc = _FAILED  # too deep, a bad constant or a huge number: the scanner says where
    if doc is not _FAILED and not duplicates:
        return doc, []
    problems = scan(text, set()).problems or [(0, "invalid JSON")]
    found = [locator.at_offset(off, msg) for off, msg in problems]
    if doc is _FAILED or any(not d.message.startswith("duplicate key") for d in found):
        raise BlueprintError(found)
    return doc, found
