"""dpn: provision a data platform across AWS and Databricks from one blueprint, as one
transaction, with rollback and crash recovery.

Public names are imported lazily (on first attribute access), so ``import dpn`` and
``dpn --version`` stay fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY = {
    "load": "dpn.blueprint",
    "from_dict": "dpn.blueprint",
    "BlueprintBuilder": "dpn.blueprint",
    "Blueprint": "dpn.model",
    "Resource": "dpn.model",
    "make_plan": "dpn.plan",
    "Plan": "dpn.plan",
    "Change": "dpn.plan",
    "Action": "dpn.plan",
}

__all__ = [
    "Action", "Blueprint", "BlueprintBuilder", "Change", "Plan", "Resource", "__version__",
    "from_dict", "load", "make_plan",
]

if TYPE_CHECKING:  # pragma: no cover
    from dpn.blueprint import BlueprintBuilder, from_dict, load
    from dpn.model import Blueprint, Resource
    from dpn.plan import Action, Change, Plan, make_plan


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dpn' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
