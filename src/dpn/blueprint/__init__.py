"""Blueprints: load and validate JSON into a ``dpn.model.Blueprint``.

- ``load(path, dev_user=None, env=None)``: read a file; ``from_dict(doc, path,
  dev_user=None, env=None)``: an in-memory document. ``dev_user`` builds a per-engineer
  development copy (see ``dpn.blueprint.dev``); a bad user name is an ``InputError``.
  ``env`` selects an environment (``dpn.blueprint.environments``): it is required when
  the blueprint declares ``environments`` (``InputError`` listing them otherwise), and
  without ``environments`` it sets ``metadata.env``. Both raise ``BlueprintError``
  (every finding, ``FILE:LINE:COL: message``) or ``InputError`` (missing file,
  directory, unreadable, too large).
- ``load_all(path)``: every environment's blueprint (the one blueprint without
  ``environments``), for ``dpn validate``; the findings of all of them at once.
- ``BlueprintBuilder``: the same, built fluently in Python.
- ``schema_text()``: the JSON Schema (draft 2020-12) that ships with dpn.
"""

from __future__ import annotations

from dpn.blueprint.builder import BlueprintBuilder
from dpn.blueprint.loading import from_dict, load, load_all
from dpn.schema import schema, schema_text

__all__ = ["BlueprintBuilder", "from_dict", "load", "load_all", "schema", "schema_text"]
