"""Adopt existing objects into a stack: ``dpn import``.

An object may be imported under a blueprint key when its name is the name the blueprint
generates for that key (for Glue tables and UC schemas, tables and volumes, in the right
parent too), no other stack owns it (its ``dpn:stack`` tag is absent or ours), and it can
be brought to the blueprint's spec in place. Objects that carry no tags
(``dpn.model.UNTAGGED``: storage credentials, external locations, volumes) show no owner,
so importing one is the user's word that no other stack manages it; a dbx.grants is not
an object and is never imported (an update grants what it lists).

The import runs as one transaction of ``import`` operations: each updates its object to the
spec, ownership tags included, and records it in state; a failure rolls every adopted
object back to what it was.

Dependencies of an imported key must be in state already or be imported in the same
transaction (``--all``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dpn import graph
from dpn.api.runner import Runner
from dpn.blueprint.attrs import static_attrs
from dpn.blueprint.refs import has_unknown, resolve
from dpn.canonical import diff
from dpn.engine.ops import ApplyResult, Operation
from dpn.engine.stores import check_no_incomplete
from dpn.engine.transaction import Transaction
from dpn.errors import InputError, OwnershipError
from dpn.model import ATTACHED, STACK_TAG, Blueprint, StackState, freeze
from dpn.providers.base import Observed, Provider, Spec


@dataclass(frozen=True)
class Candidate:
    """An object that will be adopted under ``key``; ``changes`` lists the fields the
    import changes to match the blueprint (ownership tags are in the tag field)."""

    key: str
    type: str
    name: str
    id: str
    changes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "type": self.type, "name": self.name, "id": self.id,
                "changes": list(self.changes)}


@dataclass(frozen=True)
class Skipped:
    key: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"key": self.key, "reason": self.reason}


@dataclass(frozen=True)
class ImportPlan:
    stack: str
    candidates: tuple[Candidate, ...]
    skipped: tuple[Skipped, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"stack": self.stack, "imports": [c.to_json() for c in self.candidates],
                "skipped": [s.to_json() for s in self.skipped]}


class _Refused(Exception):
    """One key cannot be imported; with an explicit id this is the user's error."""

    def __init__(self, message: str, *, ownership: bool = False) -> None:
        super().__init__(message)
        self.ownership = ownership


def plan_imports(blueprint: Blueprint, state: StackState | None,
                 providers: Mapping[str, Provider], targets: Mapping[str, str | None]
                 ) -> ImportPlan:
    """Decide what ``targets`` (key -> physical id, or None to look the object up by the
    name the blueprint generates) would adopt. Reads only. An explicit id that cannot be
    imported raises (``InputError``, or ``OwnershipError`` for another stack's object);
    a looked-up key that cannot be is skipped with its reason."""
    recorded = state.resources if state else {}
    attrs: dict[str, Mapping[str, str]] = {k: r.attrs for k, r in recorded.items()}
    deps = {k: r.depends_on for k, r in blueprint.resources.items()}
    accepted: list[Candidate] = []
    skipped: list[Skipped] = []
    for key in graph.order(deps):
        if key not in targets:
            continue
        try:
            found = _one(blueprint, key, targets[key], attrs, providers)
        except _Refused as exc:
            if targets[key] is not None:
                if exc.ownership:
                    raise OwnershipError(str(exc)) from None
                raise InputError(str(exc)) from None
            skipped.append(Skipped(key, str(exc)))
            continue
        if found is None:
            skipped.append(Skipped(key, f"no object named {blueprint.resources[key].name!r}"))
            continue
        candidate, obs = found
        attrs[key] = obs.attrs
        accepted.append(candidate)
    return ImportPlan(blueprint.stack, tuple(accepted), tuple(skipped))


def _one(blueprint: Blueprint, key: str, id_: str | None,
         attrs: Mapping[str, Mapping[str, str]], providers: Mapping[str, Provider]
         ) -> tuple[Candidate, Observed] | None:
    res = blueprint.resources[key]
    if res.type in ATTACHED:
        raise _Refused(f"{key}: a {res.type} is not an object to adopt: 'dpn update' grants "
                       "the listed principals their privileges (and leaves the others)")
    missing = [d for d in res.depends_on if d not in attrs]
    if missing:
        raise _Refused(f"{key} depends on {', '.join(missing)}, which is neither in the "
                       "stack's state nor imported with it: import or create it first")

    def lookup(k: str, a: str) -> str | None:
        value = attrs.get(k, {}).get(a)
        return None if value is None else str(value)

    props = resolve(res.props, lookup)
    if has_unknown(props):
        raise _Refused(f"{key}: a reference could not be resolved from the stack's state")
    provider = providers[res.type]
    spec = Spec(key=key, type=res.type, name=res.name, props=freeze(props))
    obs = provider.read(id_) if id_ is not None else provider.find(spec)
    if obs is None:
        if id_ is not None:
            raise _Refused(f"{key}: no {res.type} with id {id_!r}")
        return None
    if obs.name != res.name:
        raise _Refused(f"{key}: {res.type} {obs.id} is named {obs.name!r}, but the blueprint "
                       f"names {key} {res.name!r}")
    expected = static_attrs(res.type, res.name, props).get("id")
    if expected is not None and obs.id != expected:
        raise _Refused(f"{key}: {res.type} {obs.id!r} is not where the blueprint puts it "
                       f"({expected!r})")
    owner = obs.tags.get(STACK_TAG)
    if owner and not obs.owned_by(blueprint.stack, key):
        raise _Refused(f"{key}: {res.type} {obs.id} is owned by stack {owner!r} (key "
                       f"{obs.tags.get('dpn:key')!r}); dpn will not take it",
                       ownership=True)
    d = diff(res.type, obs.props, props)
    if d.replace:
        raise _Refused(f"{key}: {res.type} {obs.id} differs from the blueprint in "
                       f"{', '.join(d.replace)}, which cannot change in place: align the "
                       "blueprint first")
    return Candidate(key, res.type, res.name, obs.id, tuple(d.update)), obs


def import_resources(runner: Runner, blueprint: Blueprint, targets: Mapping[str, str],
                     *, all_missing: bool = False, dry_run: bool = False
                     ) -> tuple[ImportPlan, ApplyResult | None]:
    """Adopt ``targets`` (key -> physical id) or, with ``all_missing``, every blueprint
    key missing from state whose object exists and is free. One transaction, under the
    stack lock; returns the import plan and the result (None when nothing ran)."""
    stack = blueprint.stack
    unknown = [k for k in targets if k not in blueprint.resources]
    if unknown:
        raise InputError(f"not in the blueprint: {', '.join(sorted(unknown))}")
    lock = runner.store.lock(stack, timeout=runner.lock_timeout)
    with lock:
        check_no_incomplete(runner.store, stack)
        state = runner.store.load_state(stack)
        recorded = state.resources if state else {}
        managed = [f"{k} (id {recorded[k].id})" for k in targets if k in recorded]
        if managed:
            raise InputError(f"already in the stack's state: {', '.join(managed)}")
        wanted: dict[str, str | None] = dict(targets)
        if all_missing:
            wanted = {k: None for k in blueprint.resources if k not in recorded}
        types = {blueprint.resources[k].type for k in wanted}
        providers = runner.build_providers(types, blueprint.metadata.region) if types else {}
        plan = plan_imports(blueprint, state, providers, wanted)
        if dry_run or not plan.candidates:
            return plan, None
        ops = [Operation(key=c.key, type=c.type, name=c.name, action="import",
                         depends_on=blueprint.resources[c.key].depends_on, id=c.id)
               for c in plan.candidates]
        tx = Transaction(runner.engine(providers), stack, state, blueprint, ops)
        lock.set_tx(tx.tx)
        return plan, tx.run()
