"""Applying: ``create``, ``update`` and ``delete`` a blueprint's stack, or ``apply_plan`` a
saved plan, each as one transaction under the stack lock, with the plan and the
transaction's result in one ``Applied``."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dpn import lifecycle, moved
from dpn.api.prepare import operations_for, prepare
from dpn.api.runner import Runner
from dpn.engine.events import EventSink
from dpn.engine.moves import joined, owned_view, write_moves
from dpn.engine.ops import ApplyResult, Outcome
from dpn.engine.stores import check_no_incomplete
from dpn.engine.transaction import Transaction
from dpn.errors import InputError, PlanRefused
from dpn.model import Blueprint

if TYPE_CHECKING:
    from dpn.plan import Plan

Confirm = Callable[["Plan"], bool]


def _always(plan: Plan) -> bool:
    return True


@dataclass(frozen=True)
class Applied:
    """The plan an apply made (or was given) and what its transaction did. ``result.tx``
    is None when nothing ran (a dry run, or a plan with nothing to do)."""

    plan: Plan
    result: ApplyResult

    @property
    def changed(self) -> bool:
        """True when a transaction ran."""
        return self.result.tx is not None

    @property
    def ok(self) -> bool:
        return self.result.ok

    def to_json(self) -> dict[str, Any]:
        """What ``dpn create/update/delete --format json`` prints: the transaction's
        result, or the plan when no transaction ran."""
        return self.result.to_json() if self.changed else self.plan.to_json()


def create(blueprint: Blueprint, runner: Runner, *, on_event: EventSink | None = None,
           only: Sequence[str] = (), exclude: Sequence[str] = (), dry_run: bool = False,
           confirm: Confirm = _always) -> Applied:
    """Create what is missing, as one transaction (``dpn create``)."""
    return Applied(*apply(runner.with_events(on_event), blueprint, "create", only=only,
                          exclude=exclude, dry_run=dry_run, confirm=confirm))


def update(blueprint: Blueprint, runner: Runner, *, on_event: EventSink | None = None,
           only: Sequence[str] = (), exclude: Sequence[str] = (), dry_run: bool = False,
           confirm: Confirm = _always) -> Applied:
    """Converge: create, update in place, replace, delete what left the blueprint
    (``dpn update``)."""
    return Applied(*apply(runner.with_events(on_event), blueprint, "update", only=only,
                          exclude=exclude, dry_run=dry_run, confirm=confirm))


def delete(blueprint: Blueprint, runner: Runner, *, on_event: EventSink | None = None,
           only: Sequence[str] = (), exclude: Sequence[str] = (), force_empty: bool = False,
           dry_run: bool = False, confirm: Confirm = _always) -> Applied:
    """Delete the stack's resources in reverse dependency order (``dpn delete``);
    ``force_empty`` deletes non-empty containers with their content."""
    return Applied(*apply(runner.with_events(on_event), blueprint, "delete", only=only,
                          exclude=exclude, force_empty=force_empty, dry_run=dry_run,
                          confirm=confirm))


def apply_plan(blueprint: Blueprint, saved: Plan, runner: Runner, *,
               on_event: EventSink | None = None, dry_run: bool = False,
               confirm: Confirm = _always) -> Applied:
    """Apply exactly the changes of ``saved`` (``dpn update --plan FILE``): see
    ``apply_saved``."""
    return Applied(*apply_saved(runner.with_events(on_event), blueprint, saved,
                                dry_run=dry_run, confirm=confirm))


def read_plan(path: str | Path) -> Plan:
    """A plan file written by ``dpn plan --out`` (``InputError`` when it cannot be read or
    is not JSON)."""
    from dpn.plan import Plan

    try:
        with open(path, encoding="utf-8") as fh:
            raw = json.load(fh)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise InputError(f"{path}: not JSON: {exc}") from None
    return Plan.from_json(raw)


def write_plan(plan: Plan, path: str | Path) -> None:
    """Write ``plan`` as JSON for ``apply_plan`` (``dpn plan --out``)."""
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(plan.to_json_text())
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None


def apply(runner: Runner, blueprint: Blueprint, mode: str, *, only: Sequence[str] = (),
          exclude: Sequence[str] = (), force_empty: bool = False, dry_run: bool = False,
          confirm: Confirm = _always) -> tuple[Plan, ApplyResult]:
    """Plan and apply ``mode`` (create, update, delete) for the blueprint's stack. A plan
    that ``lifecycle.prevent_destroy`` forbids raises ``PlanRefused`` (with the plan),
    dry run or not, before any change."""
    stack = blueprint.stack
    lock = runner.store.lock(stack, timeout=runner.lock_timeout)
    with lock:
        check_no_incomplete(runner.store, stack)
        prepared, providers = prepare(runner, blueprint, mode, only=only, exclude=exclude)
        if prepared.refused:
            raise PlanRefused(lifecycle.refusal_message(prepared.refused), prepared.plan)
        if prepared.problems and not dry_run:
            raise InputError("the workspace would refuse this plan: "
                             + "; ".join(prepared.problems))
        if dry_run or not (prepared.operations or prepared.moves):
            return prepared.plan, ApplyResult(stack, None, Outcome.COMMITTED)
        if not confirm(prepared.plan):
            raise InputError("not confirmed: nothing was changed")
        state, renames = prepared.state, None
        if prepared.moves and prepared.base is not None and state is not None:
            state, renames = write_moves(runner.store, stack, prepared.base, state,
                                         prepared.moves)
        if not prepared.operations:
            assert renames is not None
            return prepared.plan, renames
        tx = Transaction(runner.engine(owned_view(providers, state, stack)), stack, state,
                         prepared.blueprint or blueprint, prepared.operations,
                         force_empty=force_empty)
        lock.set_tx(tx.tx)
        return prepared.plan, joined(renames, tx.run())


def apply_saved(runner: Runner, blueprint: Blueprint, saved: Plan, *, dry_run: bool = False,
                confirm: Confirm = _always
                ) -> tuple[Plan, ApplyResult]:
    """Apply exactly the changes of ``saved`` (``dpn plan --out``, then ``dpn update
    --plan``). Refused with ``InputError`` when the plan is for another stack, the
    blueprint changed since (``Plan.digest``) or the state moved since (``Plan.serial``);
    ``RecoveryNeeded`` while a transaction is incomplete. No new plan is made."""
    from dpn.plan import blueprint_digest

    stack = blueprint.stack
    if saved.stack != stack:
        raise InputError(f"the plan is for stack {saved.stack!r}, the blueprint for {stack!r}")
    if saved.digest != blueprint_digest(blueprint):
        raise InputError("the blueprint changed since the plan was made: make a new plan")
    lock = runner.store.lock(stack, timeout=runner.lock_timeout)
    with lock:
        check_no_incomplete(runner.store, stack)
        base = runner.store.load_state(stack)
        serial = base.serial if base else 0
        if serial != saved.serial:
            raise InputError(f"the state of stack {stack!r} moved since the plan was made "
                             f"(serial {saved.serial}, now {serial}): make a new plan")
        state, moves = moved.rename(base, blueprint)
        ops = operations_for(saved, state, "update")
        refused = lifecycle.refusals([c for c in saved.changes
                                      if c.key in {op.key for op in ops}],
                                     blueprint.resources, state.resources if state else {})
        if refused:
            raise PlanRefused(lifecycle.refusal_message(refused), saved)
        if dry_run or not (ops or moves):
            return saved, ApplyResult(stack, None, Outcome.COMMITTED)
        if not confirm(saved):
            raise InputError("not confirmed: nothing was changed")
        renames = None
        if moves and base is not None and state is not None:
            state, renames = write_moves(runner.store, stack, base, state, moves)
        if not ops:
            assert renames is not None
            return saved, renames
        providers = runner.build_providers({op.type for op in ops}, blueprint.metadata.region)
        tx = Transaction(runner.engine(owned_view(providers, state, stack)), stack, state,
                         lifecycle.effective(blueprint, saved.changes), ops)
        lock.set_tx(tx.tx)
        return saved, joined(renames, tx.run())
