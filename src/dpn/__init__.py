"""dpn: provision a data platform across AWS and Databricks from one blueprint, as one
transaction, with rollback and crash recovery."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
