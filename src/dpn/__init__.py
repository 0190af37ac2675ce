"""dpn: provision a data platform across AWS and Databricks from one blueprint, as one
transaction, with rollback and crash recovery.

The public library is ``dpn.api`` (see ``docs/python-api.md``); every one of its names is
offered here too. They are imported lazily (on first attribute access), so ``import dpn``
and ``dpn --version`` stay fast and call in neither boto3 nor databricks-sdk.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "__version__", "Action", "Applied", "ApplyResult", "Blueprint", "BlueprintBuilder",
    "Change", "Committed", "DriftReport", "Drifted", "Event", "ImportPlan", "ImportResult",
    "Migration",
    "OpDone", "OpFailed", "OpResult", "OpRetry", "OpStarted", "Outcome", "Outputs", "Plan",
    "PlatformSettings", "Preview", "RESOURCE_TYPES", "ReadResult", "Recovered", "Recovery",
    "Resource", "RollbackStarted", "Runner", "StatusReport", "StatusRow", "TxFinished",
    "TxStarted", "TxSummary", "UndoDone", "UndoFailed", "UndoStarted", "apply_plan",
    "check_no_incomplete", "check_stack_id", "create", "delete", "drift", "from_dict",
    "history", "import_objects", "load", "load_all", "locate", "make_plan", "migrate_state",
    "needs_recovery", "preview", "read", "read_plan", "recover", "sandbox_settings",
    "schema_text", "stack_outputs", "stack_status", "update", "write_plan",
]

if TYPE_CHECKING:  # pragma: no cover
    from dpn.api import (
        RESOURCE_TYPES,
        Action,
        Applied,
        ApplyResult,
        Blueprint,
        BlueprintBuilder,
        Change,
        Committed,
        Drifted,
        DriftReport,
        Event,
        ImportPlan,
        ImportResult,
        Migration,
        OpDone,
        OpFailed,
        OpResult,
        OpRetry,
        OpStarted,
        Outcome,
        Outputs,
        Plan,
        PlatformSettings,
        Preview,
        ReadResult,
        Recovered,
        Recovery,
        Resource,
        RollbackStarted,
        Runner,
        StatusReport,
        StatusRow,
        TxFinished,
        TxStarted,
        TxSummary,
        UndoDone,
        UndoFailed,
        UndoStarted,
        apply_plan,
        check_no_incomplete,
        check_stack_id,
        create,
        delete,
        drift,
        from_dict,
        history,
        import_objects,
        load,
        load_all,
        locate,
        make_plan,
        migrate_state,
        needs_recovery,
        preview,
        read,
        read_plan,
        recover,
        sandbox_settings,
        schema_text,
        stack_outputs,
        stack_status,
        update,
        write_plan,
    )


def __getattr__(name: str) -> Any:
    api = importlib.import_module("dpn.api")
    if name not in api.LAZY:
        raise AttributeError(f"module 'dpn' has no attribute {name!r}")
    value = getattr(api, name)
    globals()[name] = value
    return value
