"""What the engine does on the platforms, shared by the transaction, undo and recovery:
create or adopt, settle a create that failed, delete what the stack owns, remove, and the
state after the operations done.

``Engine`` is what every one of them needs: the providers, the store, the bounded call
pool every platform call goes through, the retry policy and the event sink. ``Entry`` is
a done operation as an undo and the committed state see it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from dpn.engine.events import EventSink, OpRetry, ignore
from dpn.engine.ops import Operation
from dpn.engine.pool import CallPool
from dpn.engine.records import Image, Intent, write
from dpn.engine.retry import RetryPolicy
from dpn.engine.stores import LocalStore, Store, WalSink
from dpn.errors import AlreadyExists, OwnershipError, ProviderError, StateError, Transient
from dpn.model import ATTACHED, STACK_TAG, UNTAGGED, ResourceState, StackState, freeze, thaw
from dpn.providers.base import Observed, Provider, Spec


@dataclass
class Engine:
    """What a transaction needs: the home folder, one provider per type, and how to report."""

    home: Path
    providers: Mapping[str, Provider]
    store: Store = field(default=None)  # type: ignore[assignment]
    events: EventSink = ignore
    parallelism: int = 8
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    cancel: threading.Event = field(default_factory=threading.Event)
    calls: CallPool = field(default=None)  # type: ignore[assignment]  # default: parallelism

    def __post_init__(self) -> None:
        if self.store is None:
            self.store = LocalStore(self.home)
        self.calls = self.calls or CallPool(self.parallelism)

    def provider(self, rtype: str) -> Provider:
        return self.providers[rtype]

    def call(self, key: str, action: str, fn: Callable[[], Any]) -> Any:
        def on_retry(attempt: int, delay: float, exc: Exception) -> None:
            self.events(OpRetry(key, action, attempt, delay, str(exc)))
        return self.retry.call(lambda: self.calls.run(fn), on_retry)


@dataclass(frozen=True)
class Entry:
    """A done operation, under its graph node: a create (also a replace's new object), an
    update, a follow-up or a replace's delete of the old object. ``before`` is the
    before-image an undo restores (an update's, a follow-up's, an attached create's, the
    replaced object's); ``name``, ``props`` and ``attrs`` what was read back, for the
    state."""

    node: str
    key: str
    op: str
    type: str
    id: str
    action: str = ""
    before: Image | None = None
    depends_on: tuple[str, ...] = ()
    name: str | None = None
    props: Mapping[str, Any] | None = None
    attrs: Mapping[str, Any] | None = None


def made_by_create(found: Observed, stack: str, key: str, *,
                   absent_before: bool | None) -> bool:
    """Whether ``found`` (looked up after a create of ``key`` failed or was interrupted) is
    the object that create made: it carries the stack's ownership tags, or it was absent
    before the call and carries no owner yet (its type is tagged after it is created)."""
    return found.owned_by(stack, key) or bool(absent_before and STACK_TAG not in found.tags)


def create_or_adopt(engine: Engine, provider: Provider, spec: Spec, stack: str, *,
                    absent_before: bool | None = None) -> Observed:
    """Create; an AlreadyExists (or a transient failure whose outcome is unknown) is
    resolved by reading the object and checking its ownership tags, never by guessing
    (``made_by_create``: an untagged object counts as this create's only when the name was
    free just before it)."""
    try:
        obs: Observed = engine.call(spec.key, "create", lambda: provider.create(spec))
        return obs
    except (AlreadyExists, Transient) as exc:
        found = engine.call(spec.key, "find", lambda: provider.find(spec))
        if found is not None and made_by_create(found, stack, spec.key,
                                                absent_before=absent_before):
            return found
        if found is not None:
            raise OwnershipError(
                f"{spec.key}: {spec.type} {spec.name!r} already exists and is not owned by "
                f"stack {stack!r}; choose another name or remove it") from exc
        raise


def settle_create(engine: Engine, provider: Provider, spec: Spec, stack: str, *,
                  absent_before: bool | None) -> Observed | None:
    """After a create failed or was interrupted: the object it made (found by name and
    ownership), or None if it made none. Raises when even that cannot be read: the
    outcome stays unknown."""
    found: Observed | None = engine.call(spec.key, "find", lambda: provider.find(spec))
    if found is not None and made_by_create(found, stack, spec.key,
                                            absent_before=absent_before):
        return found
    return None


def live_owned(engine: Engine, stack: str, op: Operation, *, adopt: bool = False) -> Observed:
    """The live object of ``op``, checked to be the stack's (an untagged type's by the
    state's record); with ``adopt`` (import), also an object no stack owns yet."""
    provider = engine.provider(op.type)
    live = engine.call(op.key, "read", lambda: provider.read(op.id or ""))
    if live is None:
        raise ProviderError(f"{op.key}: {op.type} {op.id} was deleted outside dpn; "
                            "run 'dpn plan' to see the drift, then 'dpn update'")
    if adopt and (STACK_TAG not in live.tags or live.owned_by(stack, op.key)):
        return live  # import: an object no stack owns yet (or ours already)
    if op.type not in UNTAGGED and not live.owned_by(stack, op.key):
        raise OwnershipError(f"{op.key}: {op.type} {op.id} is not tagged as owned by stack "
                             f"{stack!r} and key {op.key!r}; dpn will not change it")
    return live


def delete_owned(engine: Engine, wal: WalSink, stack: str, op: Operation,
                 *, force_empty: bool, recorded: ResourceState | None = None) -> bool:
    """Delete a stack resource after checking it is ours (by its tags; an untagged type's
    by the state's record, which is where ``op.id`` comes from). True if it was already
    gone."""
    provider = engine.provider(op.type)
    live = engine.call(op.key, "read", lambda: provider.read(op.id or ""))
    if live is None:
        return True
    if op.type not in UNTAGGED and not live.owned_by(stack, op.key):
        raise OwnershipError(f"{op.key}: {op.type} {op.id} is not tagged as owned by stack "
                             f"{stack!r}; dpn will not delete it")
    write(wal, Intent(op.key, "delete", "delete", op.type, id=op.id, before=Image.of(live)))
    remove(engine, provider, op, recorded, force_empty=force_empty)
    return False


def remove(engine: Engine, provider: Provider, op: Operation,
           recorded: ResourceState | None, *, force_empty: bool = False) -> None:
    """Delete the object; for settings of another object (``model.ATTACHED``), take away
    what the state records the stack manages (each listed principal's privileges), and
    nothing else."""
    if op.type not in ATTACHED:
        engine.call(op.key, "delete",
                    lambda: provider.delete(op.id or "", force_empty=force_empty))
        return
    if recorded is None:
        raise StateError(f"{op.key}: no state record says what {op.type} manages")
    props = thaw(recorded.props)
    listed = props.get("privileges") or {}
    spec = Spec(key=op.key, type=op.type, name=recorded.name,
                props=freeze({**props, "privileges": {p: [] for p in listed}}))
    engine.call(op.key, "delete", lambda: provider.update(op.id or "", spec))


def apply_done(base: StackState, entries: Iterable[Entry]) -> StackState:
    """The state after the given pre-commit done entries (idempotent)."""
    resources = dict(base.resources)
    for entry in entries:
        if entry.op == "replace_delete":
            continue
        assert entry.name is not None and entry.props is not None and entry.attrs is not None
        resources[entry.key] = ResourceState(
            key=entry.key, type=entry.type, name=entry.name, id=entry.id,
            props=freeze(thaw(entry.props)), attrs=freeze(thaw(entry.attrs)),
            depends_on=tuple(entry.depends_on))
    return StackState(base.stack, base.serial, freeze_resources(resources))


def without(state: StackState, deleted: Iterable[str]) -> StackState:
    """``state`` less the resources ``deleted``."""
    gone = set(deleted)
    remaining = {k: v for k, v in state.resources.items() if k not in gone}
    return StackState(state.stack, state.serial, freeze_resources(remaining))


def freeze_resources(resources: Mapping[str, ResourceState]) -> Mapping[str, ResourceState]:
    return MappingProxyType(dict(sorted(resources.items())))
