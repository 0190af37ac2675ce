"""dpn: provision a data platform across AWS and Databricks from one blueprint, as one
transaction, with rollback and crash recovery.

The public library is ``dpn.api`` (see ``docs/python-api.md``); every one of its names is
offered here too. They are imported lazily (on first attribute access), so ``import dpn``
and ``dpn --version`` stay fast and call in neither boto3 nor databricks-sdk.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dpn import api as _api

__version__ = "0.1.0"

__all__ = ["__version__", *_api.__all__]

if TYPE_CHECKING:  # pragma: no cover
    from dpn.api import *  # noqa: F403


def __getattr__(name: str) -> Any:
    if name not in _api.LAZY:
        raise AttributeError(f"module 'dpn' has no attribute {name!r}")
    value = getattr(_api, name)
    globals()[name] = value
    return value
