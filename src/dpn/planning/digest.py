"""``blueprint_digest``: the fingerprint of what a blueprint asks for, which a saved plan
carries (``dpn update --plan`` refuses one whose blueprint has changed since)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from dpn import model
from dpn.planning.changes import thawed


def blueprint_digest(blueprint: model.Blueprint) -> str:
    """A fingerprint of what the blueprint asks for: stack, keys, types, names, props and
    dependencies (not the file's layout)."""
    h = hashlib.sha256(blueprint.stack.encode())
    dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
    h.update(dumps([_digest_item(key, res) for key, res in blueprint.resources.items()])
             .encode())
    if blueprint.moved:
        h.update(dumps([m.to_json() for m in blueprint.moved]).encode())
    return h.hexdigest()[:32]


def _digest_item(key: str, res: model.Resource) -> list[Any]:
    """What the digest takes of one resource, as plain data (encoded all at once)."""
    item = [key, res.type, res.name, thawed(res.props), res.depends_on]
    if not res.lifecycle.empty:
        item.append([res.lifecycle.prevent_destroy, res.lifecycle.ignore_changes])
    return item
