"""The stacks a store holds: their status, their past transactions, and the recovery of
incomplete ones. ``status`` and ``history`` read the store only; ``recover`` calls the
platforms to settle what an interrupted transaction left."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dpn.api.runner import Runner
from dpn.engine.files import check_stack_id
from dpn.engine.moves import owned_view
from dpn.engine.recover import Recovery
from dpn.engine.recover import recover as recover_log
from dpn.engine.stores import LocalStore, Store
from dpn.engine.stores.history import TxSummary
from dpn.engine.stores.history import history as read_history
from dpn.errors import InputError, StateError
from dpn.model import Blueprint

__all__ = ["Outputs", "Recovered", "StackStatus", "StatusReport", "StatusRow", "TxSummary",
           "check_stack_id", "history", "needs_recovery", "recover", "recover_stack",
           "stack_outputs", "stack_status", "status"]


@dataclass(frozen=True)
class StatusRow:
    """One stack: its state's serial, resources by type, lock holder and incomplete
    transactions (``error``: a damaged file, reported rather than raised)."""

    stack: str
    serial: int
    resources: dict[str, int]
    lock_holder: dict[str, object] | None
    incomplete: tuple[str, ...]
    error: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"stack": self.stack, "serial": self.serial, "resources": self.resources,
                "lock_holder": self.lock_holder, "incomplete": list(self.incomplete),
                "error": self.error}


StackStatus = StatusRow  # the earlier name


@dataclass(frozen=True)
class StatusReport:
    """``dpn status``: the backend and a row per stack."""

    backend: str
    stacks: tuple[StatusRow, ...]

    @property
    def needs_attention(self) -> bool:
        """True when a stack has an incomplete transaction or a damaged file (exit 4)."""
        return any(r.incomplete or r.error for r in self.stacks)

    def to_json(self) -> dict[str, object]:
        return {"backend": self.backend, "stacks": [r.to_json() for r in self.stacks]}


def _store(where: Runner | Store | Path) -> Store:
    if isinstance(where, Runner):
        return where.store
    return where if isinstance(where, Store) else LocalStore(where)


def status(store: Runner | Store | Path, stack: str | None = None) -> list[StatusRow]:
    """A row per stack of the store (or just ``stack``)."""
    store = _store(store)
    stacks = [stack] if stack else store.stacks()
    out = []
    for name in stacks:
        counts: dict[str, int] = {}
        serial, error = 0, None
        try:
            state = store.load_state(name)
            if state:
                serial = state.serial
                for r in state.resources.values():
                    counts[r.type] = counts.get(r.type, 0) + 1
            pending = tuple(log.tx for log in store.incomplete(name))
        except Exception as exc:  # a damaged file is reported, not fatal to status
            error, pending = str(exc), ()
        out.append(StatusRow(name, serial, counts, store.holder(name), pending, error))
    return out


def stack_status(where: Runner | Store | Path, stack: str | None = None) -> StatusReport:
    """``status`` with the backend it read (``dpn status``)."""
    store = _store(where)
    return StatusReport(store.describe(), tuple(status(store, stack)))


def history(where: Runner | Store | Path, stack: str | None = None, *,
            limit: int | None = None) -> list[TxSummary]:
    """Past transactions from the WAL, oldest first (the last ``limit`` of them)."""
    if stack:
        check_stack_id(stack)
    rows = read_history(_store(where), stack)
    return rows[-limit:] if limit else rows


def needs_recovery(where: Runner | Store | Path, stack: str | None = None) -> list[str]:
    """The stacks with an incomplete transaction: ``stack`` if it has one, else every
    such stack of the store."""
    store = _store(where)
    stacks = [stack] if stack else [s.stack for s in status(store) if s.incomplete]
    return [s for s in stacks if store.incomplete(s)]


def recover_stack(runner: Runner, stack: str, *, region: str = "us-east-1",
                  tx: str | None = None, dry_run: bool = False) -> list[Recovery]:
    """Resolve every incomplete transaction of ``stack`` (or only ``tx``)."""
    with runner.store.lock(stack, timeout=runner.lock_timeout):
        logs = [log for log in runner.store.incomplete(stack) if tx in (None, log.tx)]
        if tx is not None and not logs:
            raise InputError(f"no incomplete transaction {tx!r} in stack {stack!r}")
        out = []
        try:  # moved objects not yet retagged are the stack's by its record
            state = runner.store.load_state(stack)
        except StateError:
            state = None  # recovery reports a damaged state where it needs it
        for log in logs:
            types = {o["type"] for o in log.begin.get("ops", [])}
            providers = owned_view(runner.build_providers(types, region), state, stack)
            out.append(recover_log(runner.engine(providers), log, dry_run=dry_run))
        return out


@dataclass(frozen=True)
class Recovered:
    """One transaction recovery settled, and its stack."""

    stack: str
    recovery: Recovery

    def to_json(self) -> dict[str, Any]:
        return {"stack": self.stack, **self.recovery.to_json()}


def recover(runner: Runner, stacks: Sequence[str] | None = None, *, tx: str | None = None,
            dry_run: bool = False, region: str | None = None) -> Iterator[Recovered]:
    """Roll back or complete every incomplete transaction of ``stacks`` (default: every
    stack that has one), yielding each as it is settled (``dpn recover``)."""
    if tx and (stacks is None or len(stacks) != 1):
        raise InputError("a transaction id (--tx) needs exactly one stack (--stack)")
    chosen = needs_recovery(runner) if stacks is None else list(stacks)
    for name in chosen:
        for rec in recover_stack(runner, name, tx=tx, dry_run=dry_run,
                                 region=region or runner.settings.aws_region or "us-east-1"):
            yield Recovered(name, rec)


@dataclass(frozen=True)
class Outputs:
    """The blueprint's outputs with their values from the state (``None``: not known
    until the blueprint is applied)."""

    stack: str
    serial: int
    values: dict[str, str | None]

    @property
    def unknown(self) -> list[str]:
        return [k for k, v in self.values.items() if v is None]

    def to_json(self) -> dict[str, object]:
        """What ``dpn output --format json`` prints."""
        return {"stack": self.stack, "serial": self.serial, "outputs": self.values,
                "unknown": self.unknown}


def stack_outputs(blueprint: Blueprint, where: Runner | Store | Path,
                  name: str | None = None) -> Outputs:
    """The outputs of ``blueprint`` (only ``name``, if given: ``InputError`` when the
    blueprint has no such output), read from the stack's state; no platform is called."""
    from dpn.outputs import values

    state = _store(where).load_state(blueprint.stack)
    found = values(blueprint, state)
    if name is not None:
        if name not in found:
            known = ", ".join(found) or "none"
            raise InputError(f"no output {name!r} in {blueprint.path} (outputs: {known})")
        found = {name: found[name]}
    return Outputs(blueprint.stack, state.serial if state else 0, found)
