"""dpn's library: everything the command line does, as calls with typed results.

Each call takes the blueprint (``dpn.load``) and a ``Runner`` (home, ``PlatformSettings``,
store, parallelism, lock timeout, the events callback); the calls that run a transaction
also take ``on_event`` for that call. Nothing here prints. Names are imported on first
use, so ``import dpn.api`` calls in neither boto3 nor databricks-sdk.

- blueprint: ``load``, ``load_all``, ``from_dict``, ``schema_text``
- plan: ``make_plan`` (offline, pure), ``preview`` (against state and live platforms)
- apply: ``create``, ``update``, ``delete``, ``apply_plan`` (``read_plan``,
  ``write_plan``) -> ``Applied`` (``plan``, ``result``: ``ApplyResult``)
- day 2: ``drift`` -> ``DriftReport``, ``import_objects`` -> ``ImportResult``,
  ``read`` -> ``ReadResult`` (``locate``: a key's record in the state)
- stacks: ``stack_status`` -> ``StatusReport`` of ``StatusRow``s, ``history``,
  ``recover`` -> ``Recovered``s, ``needs_recovery``, ``stack_outputs`` -> ``Outputs``,
  ``migrate_state`` -> ``Migration`` (copy stacks' state to another backend)
- settings: ``PlatformSettings``, ``sandbox_settings``
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

EVENTS = ("Committed", "Event", "OpDone", "OpFailed", "OpRetry", "OpStarted",
          "RollbackStarted", "TxFinished", "TxStarted", "UndoDone", "UndoFailed",
          "UndoStarted")

# public name -> module that defines it
LAZY: dict[str, str] = {
    "load": "dpn.blueprint", "load_all": "dpn.blueprint", "from_dict": "dpn.blueprint",
    "schema_text": "dpn.blueprint", "BlueprintBuilder": "dpn.blueprint",
    "Blueprint": "dpn.model", "Resource": "dpn.model",
    "make_plan": "dpn.plan", "Plan": "dpn.plan", "Change": "dpn.plan", "Action": "dpn.plan",
    "PlatformSettings": "dpn.settings",
    "Runner": "dpn.api.runner", "check_no_incomplete": "dpn.engine.stores",
    "sandbox_settings": "dpn.api.runner",
    "Preview": "dpn.api.prepare", "preview": "dpn.api.prepare",
    "Applied": "dpn.api.apply", "create": "dpn.api.apply", "update": "dpn.api.apply",
    "delete": "dpn.api.apply", "apply_plan": "dpn.api.apply", "read_plan": "dpn.api.apply",
    "write_plan": "dpn.api.apply",
    "ApplyResult": "dpn.engine.ops", "OpResult": "dpn.engine.ops", "Outcome": "dpn.engine.ops",
    "DriftReport": "dpn.api.live", "Drifted": "dpn.api.live", "drift": "dpn.api.live",
    "ImportResult": "dpn.api.adopt", "ImportPlan": "dpn.api.adopt",
    "import_objects": "dpn.api.adopt",
    "ReadResult": "dpn.api.live", "read": "dpn.api.live", "locate": "dpn.api.live",
    "StatusReport": "dpn.api.stacks", "StatusRow": "dpn.api.stacks",
    "TxSummary": "dpn.api.stacks", "Recovered": "dpn.api.stacks", "Recovery": "dpn.api.stacks",
    "stack_status": "dpn.api.stacks", "history": "dpn.api.stacks",
    "recover": "dpn.api.stacks", "needs_recovery": "dpn.api.stacks",
    "check_stack_id": "dpn.api.stacks", "Outputs": "dpn.api.stacks",
    "stack_outputs": "dpn.api.stacks", "RESOURCE_TYPES": "dpn.model",
    "Migration": "dpn.engine.stores.migrate", "migrate_state": "dpn.engine.stores.migrate",
    **{name: "dpn.api.events" for name in EVENTS},
}

__all__ = [
    "Action", "Applied", "ApplyResult", "Blueprint", "BlueprintBuilder", "Change",
    "Committed", "DriftReport", "Drifted", "Event", "ImportPlan", "ImportResult", "Migration",
    "OpDone",
    "OpFailed", "OpResult", "OpRetry", "OpStarted", "Outcome", "Outputs", "Plan",
    "PlatformSettings", "Preview", "RESOURCE_TYPES", "ReadResult", "Recovered", "Recovery",
    "Resource", "RollbackStarted", "Runner", "StatusReport", "StatusRow", "TxFinished",
    "TxStarted", "TxSummary", "UndoDone", "UndoFailed", "UndoStarted", "apply_plan",
    "check_no_incomplete", "check_stack_id", "create", "delete", "drift", "from_dict",
    "history", "import_objects", "load", "load_all", "locate", "make_plan", "migrate_state",
    "needs_recovery", "preview", "read", "read_plan", "recover", "sandbox_settings",
    "schema_text", "stack_outputs", "stack_status", "update", "write_plan",
]

if TYPE_CHECKING:  # pragma: no cover
    from dpn.api.adopt import ImportPlan, ImportResult, import_objects
    from dpn.api.apply import (
        Applied,
        apply_plan,
        create,
        delete,
        read_plan,
        update,
        write_plan,
    )
    from dpn.api.events import (
        Committed,
        Event,
        OpDone,
        OpFailed,
        OpRetry,
        OpStarted,
        RollbackStarted,
        TxFinished,
        TxStarted,
        UndoDone,
        UndoFailed,
        UndoStarted,
    )
    from dpn.api.live import Drifted, DriftReport, ReadResult, drift, locate, read
    from dpn.api.prepare import Preview, preview
    from dpn.api.runner import Runner, sandbox_settings
    from dpn.api.stacks import (
        Outputs,
        Recovered,
        Recovery,
        StatusReport,
        StatusRow,
        TxSummary,
        check_stack_id,
        history,
        needs_recovery,
        recover,
        stack_outputs,
        stack_status,
    )
    from dpn.blueprint import BlueprintBuilder, from_dict, load, load_all, schema_text
    from dpn.engine.ops import ApplyResult, OpResult, Outcome
    from dpn.engine.stores import check_no_incomplete
    from dpn.engine.stores.migrate import Migration, migrate_state
    from dpn.model import RESOURCE_TYPES, Blueprint, Resource
    from dpn.plan import Action, Change, Plan, make_plan
    from dpn.settings import PlatformSettings


def __getattr__(name: str) -> Any:
    module = LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dpn.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
