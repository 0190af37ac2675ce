"""What the platforms have now: drift (is the stack as dpn left it? every resource the
state records read live and compared with its record: ``dpn drift``), and one resource
read beside its record (``dpn read``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dpn.api.runner import Runner
from dpn.engine.refresh import refresh_state
from dpn.engine.stores import Store, check_no_incomplete
from dpn.errors import InputError
from dpn.model import Blueprint, ResourceState, thaw
from dpn.providers.base import Observed

if TYPE_CHECKING:
    from dpn.plan import Plan


@dataclass(frozen=True)
class Drifted:
    """One resource changed (``fields`` differ live from state; ``ignored`` those that
    ``lifecycle.ignore_changes`` leaves alone) or deleted outside dpn."""

    key: str
    type: str
    name: str
    id: str | None
    kind: str          # changed | deleted
    fields: tuple[str, ...]
    action: str        # what the plan would do about it
    ignored: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Drifted:
        return cls(key=raw["key"], type=raw["type"], name=raw["name"], id=raw["id"],
                   kind=raw["kind"], fields=tuple(raw["fields"]), action=raw["action"],
                   ignored=tuple(raw.get("ignored") or ()))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "type": self.type, "name": self.name,
                               "id": self.id, "kind": self.kind, "fields": list(self.fields),
                               "action": self.action}
        if self.ignored:
            out["ignored"] = list(self.ignored)
        return out


@dataclass(frozen=True)
class DriftReport:
    """The stack against its state: ``in_sync`` unless something drifted; ``pending``
    counts the blueprint's changes not yet applied, by action."""

    stack: str
    serial: int
    in_sync: bool
    checked: int
    drift: tuple[Drifted, ...] = ()
    pending: dict[str, int] = field(default_factory=dict)
    plan: Plan | None = field(default=None, compare=False, repr=False)

    @property
    def pending_changes(self) -> int:
        return sum(self.pending.values())

    @classmethod
    def of(cls, plan: Plan, checked: int) -> DriftReport:
        """The report of a plan made against the live platforms."""
        pending = {k: v for k, v in plan.summary().items() if k != "no-op"}
        return cls(plan.stack, plan.serial, not plan.drifted, checked,
                   tuple(Drifted.from_json(d) for d in plan.drift_report()), pending, plan)

    def to_json(self) -> dict[str, Any]:
        """The JSON report of ``dpn drift`` (documented in the user guide)."""
        return {"stack": self.stack, "serial": self.serial, "in_sync": self.in_sync,
                "checked": self.checked, "drift": [d.to_json() for d in self.drift],
                "pending": self.pending}


def drift(blueprint: Blueprint, runner: Runner) -> DriftReport:
    """Read what the state records from the platforms and compare. ``RecoveryNeeded``
    while a transaction is incomplete."""
    from dpn.moved import rename
    from dpn.plan import make_plan

    check_no_incomplete(runner.store, blueprint.stack)
    state = runner.store.load_state(blueprint.stack)
    view = rename(state, blueprint)[0]
    live: dict[str, Observed | None] = {}
    if view is not None and view.resources:
        providers = runner.build_providers({r.type for r in view.resources.values()},
                                           blueprint.metadata.region)
        with runner.read_pool() as pool:
            live = refresh_state(view, providers, pool)
    plan = make_plan(blueprint, state, live)
    return DriftReport.of(plan, len(state.resources) if state else 0)


@dataclass(frozen=True)
class ReadResult:
    """``live`` is None when the object does not exist; ``record`` is the state's record
    when the resource was read by key."""

    type: str
    id: str
    live: Observed | None
    record: ResourceState | None = None

    @property
    def exists(self) -> bool:
        return self.live is not None

    def to_json(self) -> dict[str, Any]:
        """What ``dpn read --format json`` prints (with sorted keys)."""
        out: dict[str, Any] = {"type": self.type, "id": self.id, "exists": self.exists}
        if self.live is not None:
            out["live"] = {"name": self.live.name, "attrs": dict(self.live.attrs),
                           "props": thaw(self.live.props)}
        if self.record is not None:
            r = self.record
            out["state"] = {"key": r.key, "name": r.name, "id": r.id, "attrs": dict(r.attrs),
                            "props": thaw(r.props)}
        return out


def locate(store: Store | None, ref: str, *, blueprint: Blueprint | None = None,
           stack: str | None = None) -> ResourceState:
    """The state's record of key ``ref`` in ``blueprint``'s stack (its ``moved`` keys
    applied) or in ``stack``; ``InputError`` when there is none, or when neither names
    a stack (checked before the store is used). Reads the store only."""
    if blueprint is not None:
        stack = blueprint.stack
    if not stack:
        raise InputError("read by key needs --blueprint or --stack (or --type to read "
                         "by name or id)")
    assert store is not None, "a store to read the stack's state from"
    state = store.load_state(stack)
    if blueprint is not None:
        from dpn.moved import rename

        state = rename(state, blueprint)[0]  # the keys the blueprint names
    if state is None or ref not in state.resources:
        raise InputError(f"{ref!r} is not a resource of stack {stack!r}")
    return state.resources[ref]


def read(runner: Runner, ref: str, *, type: str | None = None,
         blueprint: Blueprint | None = None, stack: str | None = None,
         region: str | None = None, record: ResourceState | None = None) -> ReadResult:
    """The resource ``ref`` as the platform has it: a key of the stack's state (see
    ``locate``; ``record`` if it was located already), or with ``type`` a name or
    physical id. ``region`` defaults to the settings', else the blueprint's (read by
    key), else us-east-1."""
    region = region or runner.settings.aws_region
    if type is None:
        if blueprint is not None:
            region = region or blueprint.metadata.region
        record = record or locate(runner.store, ref, blueprint=blueprint, stack=stack)
        type, ident = record.type, record.id
    else:
        record, ident = None, ref
    providers = runner.build_providers([type], region or "us-east-1")
    return ReadResult(type, ident, providers[type].read(ident), record)
