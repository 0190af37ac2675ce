"""The library's entry points for planning and applying: lock, refresh, plan, transaction.

Nothing here prints; progress goes to ``events``, questions to ``confirm``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dpn import lifecycle, moved
from dpn.engine.checks import check_access, preflight
from dpn.engine.events import EventSink, ignore
from dpn.engine.moves import joined, owned_view, write_moves
from dpn.engine.ops import ApplyResult, Operation, Outcome
from dpn.engine.pool import CallPool, read_parallelism
from dpn.engine.recover import Recovery, recover
from dpn.engine.refresh import probe_names, refresh_state
from dpn.engine.retry import RetryPolicy
from dpn.engine.stores import LocalStore, Store
from dpn.engine.transaction import Engine, Transaction
from dpn.errors import InputError, PlanRefused, RecoveryNeeded, StateError
from dpn.model import Blueprint, Move, StackState
from dpn.providers.base import Provider
from dpn.selection import Item, select
from dpn.settings import PlatformSettings

if TYPE_CHECKING:
    from dpn.plan import Plan

ProviderFactory = Callable[[Iterable[str]], dict[str, Provider]]
SHOWN = 10  # taken names spelled out in a plan error; the rest are counted


@dataclass
class Runner:
    """Everything an apply needs besides the blueprint."""

    home: Path
    settings: PlatformSettings = field(default_factory=PlatformSettings)
    events: EventSink = ignore
    parallelism: int = 8
    lock_timeout: float = 0
    cancel: threading.Event = field(default_factory=threading.Event)
    providers: ProviderFactory | None = None   # injectable; default builds from settings
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    store: Store = field(default=None)  # type: ignore[assignment]  # default: LocalStore(home)
    # leave out the Unity Catalog storage-access checks (``dpn.uc_access``): apply even
    # what they expect the workspace to refuse, and let its own answer decide
    skip_access_checks: bool = False

    def __post_init__(self) -> None:
        if self.store is None:
            self.store = LocalStore(self.home)

    def build_providers(self, types: Iterable[str], region: str) -> dict[str, Provider]:
        if self.providers is not None:
            return self.providers(types)
        from dpn.providers import registry

        return registry.build(self.settings, region=region, home=self.home, types=types)

    def engine(self, providers: dict[str, Provider]) -> Engine:
        """An engine whose calls in flight are bounded by ``parallelism`` (reads included:
        ``find``, read-backs), running twice as many operations: one waiting for its WAL
        record to be durable (an S3 round trip on the S3 backend) holds no call slot, so
        the others' calls fill it."""
        return Engine(home=self.home, providers=providers, events=self.events,
                      parallelism=2 * self.parallelism, retry=self.retry, cancel=self.cancel,
                      store=self.store, calls=CallPool(self.parallelism))

    def read_pool(self) -> CallPool:
        """The one bound of a plan's reads, both clouds together (``--read-parallelism``),
        retried by the runner's policy."""
        return CallPool(read_parallelism(self.settings.read_parallelism), self.retry)


def check_no_incomplete(store: Store | Path, stack: str) -> None:
    if not isinstance(store, Store):
        store = LocalStore(store)
    pending = store.incomplete(stack)
    if pending:
        ids = ", ".join(log.tx for log in pending)
        raise RecoveryNeeded(f"stack {stack!r} has an incomplete transaction ({ids}); "
                             f"run '{store.command('recover', stack)}' first")


@dataclass(frozen=True)
class Prepared:
    """A plan computed under the lock, with the operations an apply would run.

    ``state`` is the stack's state with the blueprint's moves applied (not yet written:
    ``base`` is the state as stored, ``moves`` what ``write_moves`` writes); ``blueprint``
    the one a transaction builds its specs from (``lifecycle.effective``); ``refused``
    the deletes and replaces that ``lifecycle.prevent_destroy`` forbids."""

    plan: Plan
    state: StackState | None
    operations: tuple[Operation, ...]
    problems: tuple[str, ...] = ()  # what the live workspace would refuse (plan warnings too)
    refused: tuple[str, ...] = ()
    blueprint: Blueprint | None = None
    base: StackState | None = None
    moves: tuple[Move, ...] = ()


ALLOWED = {"create": frozenset({"create"}),
           "update": frozenset({"create", "update", "replace", "delete"}),
           "delete": frozenset({"delete"})}


def operations_for(plan: Plan, state: StackState | None, mode: str,
                   only: Sequence[str] = ()) -> tuple[Operation, ...]:
    """The plan's changes that ``mode`` (create, update, delete) carries out."""
    allowed = ALLOWED[mode]
    resources = state.resources if state else {}
    out = []
    for ch in plan.changes:
        action = str(getattr(ch.action, "value", ch.action))
        if action not in allowed or (only and ch.key not in only):
            continue
        current = resources.get(ch.key)
        depends = tuple(current.depends_on) if action == "delete" and current else tuple(
            ch.depends_on)
        out.append(Operation(key=ch.key, type=ch.type, name=ch.name, action=action,
                             depends_on=depends, id=current.id if current else None))
    return tuple(out)


def teardown_plan(blueprint: Blueprint, state: StackState | None) -> Plan:
    """A plan that deletes every resource the state records for the stack."""
    from dpn.plan import make_plan

    empty = Blueprint(path=blueprint.path, metadata=blueprint.metadata, resources={},
                      moved=blueprint.moved)
    return make_plan(empty, state, None)


def prepare(runner: Runner, blueprint: Blueprint, mode: str, *, offline: bool = False,
            only: Sequence[str] = (), exclude: Sequence[str] = ()
            ) -> tuple[Prepared, dict[str, Provider]]:
    """Refresh and plan (the caller holds the lock, or does not need one)."""
    from dpn.plan import make_plan

    base = runner.store.load_state(blueprint.stack)
    state, moves = moved.rename(base, blueprint)
    _check_keys(blueprint, state, mode, only, exclude)
    types = {r.type for r in blueprint.resources.values()}
    if state:
        types |= {r.type for r in state.resources.values()}
    providers: dict[str, Provider] = {}
    live = None
    plan = teardown_plan(blueprint, base) if mode == "delete" else None
    if plan is not None and (only or exclude):
        plan = selected(plan, state, mode, only, exclude)
    if plan is not None and lifecycle.refusals(plan.changes, blueprint.resources, {}):
        offline = True  # a delete that is refused anyway needs no read
    with contextlib.nullcontext() if offline else runner.read_pool() as pool:
        if pool is not None:
            providers = runner.build_providers(types, blueprint.metadata.region)
            check_access(providers, pool)
            live = refresh_state(state, providers, pool)
        if plan is None:
            plan = make_plan(blueprint, base, live)
            if only or exclude:
                plan = selected(plan, state, mode, only, exclude)
            if pool is not None:
                plan = _names_checked(plan, state, providers, pool)
    problems: list[str] = []
    if providers and mode != "delete":
        problems = preflight(plan, blueprint, state, providers,
                             access=not runner.skip_access_checks)
        plan = dataclasses.replace(plan, warnings=tuple(plan.warnings) + tuple(problems))
    ops = operations_for(plan, state, mode)
    op_keys = {op.key for op in ops}
    refused = lifecycle.refusals([c for c in plan.changes if c.key in op_keys],
                                 blueprint.resources, state.resources if state else {})
    return Prepared(plan, state, ops, tuple(problems), tuple(refused),
                    lifecycle.effective(blueprint, plan.changes), base, moves), providers


def _check_keys(blueprint: Blueprint, state: StackState | None, mode: str,
                only: Sequence[str], exclude: Sequence[str]) -> None:
    """Every key of ``--only`` and ``--exclude`` names a resource (of the state, for a
    delete)."""
    from dpn.blueprint.validation import suggest

    recorded = set(state.resources) if state else set()
    known = recorded if mode == "delete" else recorded | set(blueprint.resources)
    where = "the stack's state" if mode == "delete" else "the blueprint or the stack's state"
    for option, keys in (("--only", only), ("--exclude", exclude)):
        unknown = [f"{k}{suggest(k, known)}" for k in keys if k not in known]
        if unknown:
            raise InputError(f"{option}: not in {where}: {', '.join(unknown)}")


def selected(plan: Plan, state: StackState | None, mode: str, only: Sequence[str],
             exclude: Sequence[str]) -> Plan:
    """The plan with only the changes ``--only``/``--exclude`` select (``dpn.selection``),
    and what they chose in ``plan.selection``; ``InputError`` where they would break a
    dependency."""
    allowed = ALLOWED[mode]
    recorded = {k: r.depends_on for k, r in (state.resources if state else {}).items()}
    pending = [c for c in plan.changes
               if str(getattr(c.action, "value", c.action)) in allowed]
    items = [Item(c.key, str(getattr(c.action, "value", c.action)),
                  tuple(recorded.get(c.key, ())) if c.action == "delete" else c.depends_on)
             for c in pending]
    keys, choice = select(items, recorded, only, exclude)
    chosen = set(keys)
    return dataclasses.replace(plan, changes=tuple(c for c in plan.changes if c.key in chosen),
                               selection=choice)


def _names_checked(plan: Plan, state: StackState | None, providers: dict[str, Provider],
                   pool: CallPool) -> Plan:
    """``plan`` once every name it creates was read free or the stack's own (SPEC section
    13), with warnings for shared cluster and job names; ``InputError`` (exit 2, before
    any change) naming each object that holds one and its owner."""
    from dpn.conflicts import judge, name_checks, read_names

    checks = name_checks(plan, state)
    verdict = judge(plan.stack, checks, read_names(checks, probe_names(plan, providers,
                                                                        pool)))
    if verdict.errors:
        shown = "; ".join(verdict.errors[:SHOWN])
        more = len(verdict.errors) - SHOWN
        raise InputError("names this plan would create are already taken on the platform "
                         f"(nothing was changed): {shown}"
                         + (f"; and {more} more" if more > 0 else "")
                         + "; rename these resources, or remove or import the objects")
    return dataclasses.replace(plan, warnings=tuple(plan.warnings) + verdict.warnings)


def apply(runner: Runner, blueprint: Blueprint, mode: str, *, only: Sequence[str] = (),
          exclude: Sequence[str] = (), force_empty: bool = False, dry_run: bool = False,
          confirm: Callable[[Plan], bool] = lambda plan: True) -> tuple[Plan, ApplyResult]:
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
                confirm: Callable[[Plan], bool] = lambda plan: True
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
            out.append(recover(runner.engine(providers), log, dry_run=dry_run))
        return out


@dataclass(frozen=True)
class StackStatus:
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


def status(store: Store | Path, stack: str | None = None) -> list[StackStatus]:
    if not isinstance(store, Store):
        store = LocalStore(store)
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
        out.append(StackStatus(name, serial, counts, store.holder(name), pending, error))
    return out
