"""The blueprint's JSON Schema (``schema.json``, draft 2020-12): the one list of what each
resource type accepts. Checking a document against it is ``dpn.blueprint.validation``'s;
this module only reads it, for every layer that needs a type's properties."""

from __future__ import annotations

import functools
import json
import pkgutil
from typing import Any

from dpn.model import RESOURCE_OPTIONS


@functools.cache
def schema_text() -> str:
    """The blueprint JSON Schema as shipped."""
    data = pkgutil.get_data("dpn", "schema.json")  # lighter than importlib.resources
    assert data is not None
    return data.decode("utf-8")


@functools.cache
def schema() -> dict[str, Any]:
    """The blueprint JSON Schema as data (do not mutate)."""
    loaded: dict[str, Any] = json.loads(schema_text())
    return loaded


def resource_types() -> list[str]:
    return list(schema()["$defs"]["resource"]["properties"]["type"]["enum"])


def field_names(rtype: str) -> list[str]:
    """The properties of a type, without the resource options (``lifecycle``) that tell
    dpn how to manage the object rather than configure it."""
    return [f for f in schema()["$defs"][rtype]["properties"] if f not in RESOURCE_OPTIONS]
