"""Blueprints: load and validate JSON into a ``dpn.model.Blueprint``.

- ``load(path, dev_user=None)``: read a file; ``from_dict(doc, path, dev_user=None)``:
  an in-memory document. ``dev_user`` builds a per-engineer development copy (see
  ``dpn.blueprint.dev``); a bad user name is an ``InputError``. Both raise
  ``BlueprintError`` (every finding, ``FILE:LINE:COL: message``) or
  ``InputError`` (missing file, directory, unreadable, too large).
- ``BlueprintBuilder``: the same, built fluently in Python.
- ``schema_text()``: the JSON Schema (draft 2020-12) that ships with dpn.
"""

from __future__ import annotations

import json
import os
from typing import Any

from dpn.blueprint.builder import BlueprintBuilder
from dpn.blueprint.compiler import compile_doc
from dpn.blueprint.dev import check_user
from dpn.blueprint.source import Locator, parse, read_text
from dpn.blueprint.validation import schema, schema_text
from dpn.errors import BlueprintError, InputError
from dpn.model import Blueprint

__all__ = ["BlueprintBuilder", "from_dict", "load", "schema", "schema_text"]


def load(path: str | os.PathLike[str], dev_user: str | None = None) -> Blueprint:
    """Read, parse and validate the blueprint file at ``path`` (for ``dev_user``'s
    development copy, if given)."""
    user = check_user(dev_user)
    name = os.fspath(path)
    text = read_text(name)
    doc, early = parse(text, name)
    try:
        blueprint = compile_doc(doc, Locator(name, text), user)
    except BlueprintError as exc:
        raise BlueprintError(sorted([*early, *exc.diagnostics],
                                    key=lambda d: (d.line, d.col))) from None
    if early:
        raise BlueprintError(early)
    return blueprint


def from_dict(doc: Any, path: str = "<memory>", dev_user: str | None = None) -> Blueprint:
    """Validate an in-memory document (JSON-like data). Diagnostics have line and column
    0 and start with the dotted path of what they concern."""
    user = check_user(dev_user)
    try:  # normalise to plain JSON data: tuples become lists, non-JSON values are refused
        plain = json.loads(json.dumps(doc, allow_nan=False))
    except (TypeError, ValueError, RecursionError) as exc:
        raise InputError(f"{path}: not JSON data: {exc}") from None
    return compile_doc(plain, Locator(path, None), user)
