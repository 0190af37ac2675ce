"""Which names a plan is about to take, and which of those the platforms already hold. Pure.

A create fails mid-apply when its name is taken, and everything done before it is then
undone; so a live plan reads, before any change, whether each name it will create is free
and refuses the plan (exit 2) when one is held by an object the stack does not own:

- ``name_checks(plan, state)``: the names to check: every create, and every replace that
  moves to a new physical id; each with the planned create that holds it (its parent);
- ``read_names(checks, probe)``: what holds each name, read by ``probe`` (the engine's
  bulk ``find_many``, one listing per parent) containers first: the contents of a
  container that is itself about to be created and was found absent are absent too, and
  cost no call;
- ``judge(stack, checks, found)``: errors for names held by an object that is not the
  stack's own under that key; warnings for cluster and job names, which the platform lets
  two objects share (dpn tells them apart by their tags). An object that carries the
  stack's own tags for the key is no conflict: the create adopts it. An object of a type
  that carries no tags (``model.UNTAGGED``) always is: nothing says which stack made it.

Settings of another object (``model.ATTACHED``: grants) take no name and are not checked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from dpn import model
from dpn.plan import Action, Plan
from dpn.providers.base import Observed

# Types whose names the platform lets two objects share.
SHARED_NAMES: frozenset[str] = frozenset({model.CLUSTER, model.JOB})

Probe = Callable[[Sequence["NameCheck"]], Mapping[str, Observed | None]]


@dataclass(frozen=True)
class NameCheck:
    """One name the plan will create. ``id``: the physical id it will have, where known
    before apply (``catalog.schema``); ``parent``: the key of the planned create that
    holds it (a table's database), when there is one."""

    key: str
    type: str
    name: str
    id: str | None = None
    parent: str | None = None


@dataclass(frozen=True)
class Verdict:
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def name_checks(plan: Plan, state: model.StackState | None) -> tuple[NameCheck, ...]:
    """The creates of ``plan``, and its replaces whose new physical id differs from the
    recorded one (a replace under the same id takes back its own name), in plan order.
    A change whose scope is not known before apply (a parent field holding a value known
    only then) cannot be checked and is left out."""
    recorded = state.resources if state else {}
    moving = [c for c in plan.changes if c.type not in model.ATTACHED and (
        c.action is Action.CREATE or (c.action is Action.REPLACE and c.key in recorded
                                      and _moves(c.id, c.name, recorded[c.key])))]
    ids = {(c.type, str(c.id).lower()): c.key for c in moving if c.id}
    out = []
    for change in moving:
        parent = model.PARENT_FIELD.get(change.type)
        holder = None
        if parent is not None:
            value = (change.after or {}).get(parent[0])
            if not isinstance(value, str) or not value or model.UNKNOWN in value \
                    or "${" in value:
                continue
            holder = ids.get((parent[1], value.lower()))
        out.append(NameCheck(change.key, change.type, change.name, change.id, holder))
    return tuple(out)


def _moves(new_id: str | None, new_name: str, old: model.ResourceState) -> bool:
    if new_id is None:  # clusters and jobs: the platform assigns the id; the name moves
        return new_name != old.name
    return new_id.lower() != old.id.lower()


def rounds(checks: Sequence[NameCheck]) -> list[list[NameCheck]]:
    """``checks`` in rounds, each check after the round of its parent."""
    depth: dict[str, int] = {}
    by_key = {c.key: c for c in checks}

    def level(check: NameCheck) -> int:
        if check.key not in depth:
            parent = by_key.get(check.parent or "")
            depth[check.key] = 0 if parent is None else level(parent) + 1
        return depth[check.key]

    out: list[list[NameCheck]] = []
    for check in checks:
        n = level(check)
        while len(out) <= n:
            out.append([])
        out[n].append(check)
    return out


def read_names(checks: Sequence[NameCheck], probe: Probe) -> dict[str, Observed | None]:
    """What holds each checked name (None: free), by key, read round by round with
    ``probe``; a check whose parent was found absent is absent without a read."""
    found: dict[str, Observed | None] = {}
    for batch in rounds(checks):
        todo = [c for c in batch if not (c.parent in found and found[c.parent] is None)]
        found.update(dict.fromkeys((c.key for c in batch if c not in todo), None))
        if todo:
            seen = probe(todo)
            found.update({c.key: seen.get(c.key) for c in todo})
    return found


def judge(stack: str, checks: Sequence[NameCheck],
          found: Mapping[str, Observed | None]) -> Verdict:
    """Errors and warnings for the names that are already held (see the module)."""
    errors, warnings = [], []
    for check in checks:
        held = found.get(check.key)
        if held is None or held.owned_by(stack, check.key) or _made_by_platform(check, held):
            continue
        what = f"{check.type} {check.id or check.name!r} already exists{_owner(check, held)}"
        if check.type in SHARED_NAMES:
            warnings.append(f"{check.key}: {what}; the platform allows a second one, which "
                            "dpn tells apart by its dpn:stack and dpn:key tags")
        else:
            errors.append(f"{check.key}: {what}")
    return Verdict(tuple(errors), tuple(warnings))


def _owner(check: NameCheck, held: Observed) -> str:
    """Who holds the name, as the end of "... already exists"."""
    if check.type in model.UNTAGGED:
        return (" and can carry no tags, so nothing says which stack made it (import it, "
                "or remove it)")
    owner = held.tags.get(model.STACK_TAG)
    if owner is None:
        return ", with no dpn:stack tag (not made by dpn, or by another account)"
    key = held.tags.get(model.KEY_TAG)
    return f", owned by stack {owner!r}" + (f" (key {key!r})" if key else "")


def _made_by_platform(check: NameCheck, held: Observed) -> bool:
    """The ``default`` schema the platform puts in a new catalog: creating a schema of
    that name adopts it (``SchemaProvider.create``)."""
    return (check.type == model.SCHEMA and check.name.lower() == "default"
            and model.STACK_TAG not in held.tags)
