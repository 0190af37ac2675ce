"""Planning under the stack's rules: the state renamed by ``moved``, the live refresh, the
plan, the selection of ``--only``/``--exclude``, the names checked free, and what
``prevent_destroy`` refuses. ``preview`` is the public call; ``prepare`` the step an apply
runs under its lock."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dpn import lifecycle, moved
from dpn.api.runner import Runner
from dpn.engine.checks import check_access, preflight
from dpn.engine.ops import Operation
from dpn.engine.pool import CallPool
from dpn.engine.refresh import probe_names, refresh_state
from dpn.engine.stores import check_no_incomplete
from dpn.errors import InputError, PlanRefused
from dpn.model import Blueprint, Move, StackState
from dpn.providers.base import Provider
from dpn.selection import Item, select

if TYPE_CHECKING:
    from dpn.plan import Plan

SHOWN = 10  # taken names spelled out in a plan error; the rest are counted


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
        action = str(ch.action)
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
               if str(c.action) in allowed]
    items = [Item(c.key, str(c.action),
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


@dataclass(frozen=True)
class Preview:
    """What ``update`` would do (``dpn plan``): the plan, what the live workspace would
    refuse of it (``problems``, also among the plan's warnings) and the deletes and
    replaces ``lifecycle.prevent_destroy`` forbids (``refused``)."""

    plan: Plan
    problems: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when an apply of this plan would not be refused before any change."""
        return not (self.problems or self.refused)

    def to_json(self) -> dict[str, object]:
        """The plan's JSON, as ``dpn plan --format json`` prints it."""
        return self.plan.to_json()

    def raise_if_refused(self) -> None:
        """``PlanRefused`` for a forbidden delete or replace, ``InputError`` for what the
        workspace would refuse (both exit 2); nothing when the plan may be applied."""
        if self.refused:
            raise PlanRefused(lifecycle.refusal_message(self.refused), self.plan)
        if self.problems:
            raise InputError("the workspace would refuse this plan: "
                             + "; ".join(self.problems))


def preview(blueprint: Blueprint, runner: Runner, *, offline: bool = False,
            only: Sequence[str] = (), exclude: Sequence[str] = ()) -> Preview:
    """The plan ``update`` would carry out, against the state and (unless ``offline``)
    the live platforms. ``RecoveryNeeded`` while a transaction is incomplete: the state
    may not say what is there until it is recovered."""
    check_no_incomplete(runner.store, blueprint.stack)
    prepared = prepare(runner, blueprint, "update", offline=offline, only=only,
                       exclude=exclude)[0]
    return Preview(prepared.plan, prepared.problems, prepared.refused)
