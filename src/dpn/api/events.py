"""What a transaction reports while it runs, to the ``on_event`` callback of the library
calls (and to the command line's progress display)."""

from __future__ import annotations

from dpn.engine.events import (
    Committed,
    Event,
    EventSink,
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
    ignore,
)

__all__ = ["Committed", "Event", "EventSink", "OpDone", "OpFailed", "OpRetry", "OpStarted",
           "RollbackStarted", "TxFinished", "TxStarted", "UndoDone", "UndoFailed",
           "UndoStarted", "ignore"]
