"""What the engine reports while it works. The CLI renders these; the library never prints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    pass


@dataclass(frozen=True)
class TxStarted(Event):
    stack: str
    tx: str
    operations: int


@dataclass(frozen=True)
class OpStarted(Event):
    key: str
    type: str
    name: str
    action: str


@dataclass(frozen=True)
class OpRetry(Event):
    key: str
    action: str
    attempt: int
    delay: float
    error: str


@dataclass(frozen=True)
class OpDone(Event):
    key: str
    action: str
    id: str
    seconds: float


@dataclass(frozen=True)
class OpFailed(Event):
    key: str
    action: str
    error: str


@dataclass(frozen=True)
class Committed(Event):
    tx: str


@dataclass(frozen=True)
class RollbackStarted(Event):
    reason: str
    operations: int


@dataclass(frozen=True)
class UndoStarted(Event):
    key: str
    action: str


@dataclass(frozen=True)
class UndoDone(Event):
    key: str
    action: str


@dataclass(frozen=True)
class UndoFailed(Event):
    key: str
    action: str
    error: str


@dataclass(frozen=True)
class TxFinished(Event):
    tx: str
    outcome: str


EventSink = Callable[[Event], None]


def ignore(event: Event) -> None:
    """The default sink."""
