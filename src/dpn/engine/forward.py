"""The forward phase of a transaction, before its commit point: creates, updates, imports,
replaces (two nodes: ``records.old_node(key)`` deletes the old object, ``key`` creates the
new one) and the follow-ups of creates.

Each operation writes its ``intent`` (with the before-image for what an undo restores)
before its first mutating call and its ``done`` after; what took effect is kept as an
``operations.Entry`` for a rollback to undo, and the results for the report.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Mapping

from dpn import followups
from dpn.blueprint.refs import has_unknown, resolve
from dpn.canonical import canonical
from dpn.engine.events import OpDone, OpFailed, OpStarted
from dpn.engine.operations import (
    Engine,
    Entry,
    create_or_adopt,
    live_owned,
    remove,
    settle_create,
)
from dpn.engine.ops import Operation, OpResult, Status, idempotency_token
from dpn.engine.records import Done, Failed, Image, Intent, node_key, old_node, write
from dpn.engine.stores import WalSink
from dpn.errors import DpnError, OwnershipError, ProviderError
from dpn.model import ATTACHED, TAGGED_AFTER_CREATE, UNTAGGED, Blueprint, StackState, freeze, thaw
from dpn.providers.base import Observed, Provider, Spec


class Forward:
    """Runs the forward nodes of one transaction (thread-safe: nodes run in parallel)."""

    def __init__(self, engine: Engine, wal: WalSink, tx: str, stack: str, base: StackState,
                 blueprint: Blueprint | None, ops: Mapping[str, Operation]) -> None:
        self.engine, self.wal, self.tx, self.stack = engine, wal, tx, stack
        self.base, self.blueprint, self.ops = base, blueprint, ops
        self.results: dict[str, OpResult] = {}
        self.done: dict[str, Entry] = {}    # node -> what took effect (pre-commit)
        self.done_order: list[str] = []
        self.unresolved: list[str] = []     # failed creates whose effect could not be read
        self._mutex = threading.Lock()
        self._started: dict[str, float] = {}  # key -> when its first node started

    def node(self, node: str) -> None:
        key = node_key(node)
        op = self.ops[key]
        if node != key or op.action != "replace":  # a replace starts with its delete
            self.engine.events(OpStarted(key, op.type, op.name, op.action))
            self._started[key] = time.monotonic()
        try:
            before: Image | None = None
            if node != key:
                self._replace_delete(op)
                return
            if op.action in ("create", "replace"):
                obs, spec, before = self._create(op)
            else:  # update, or import (adopt: the object may be untagged)
                obs, spec, before = self._update(op, adopt=op.action == "import")
        except Exception as exc:
            self.failed(op, exc, logged=key not in self.unresolved)
            raise
        self._record_done(op, spec, obs, before)
        if op.action in ("create", "replace"):
            self._follow_ups(op, obs)
        with self._mutex:
            self.results[key] = OpResult(key, op.action, Status.DONE, obs.id)
        self.engine.events(OpDone(key, op.action, obs.id,
                                  time.monotonic() - self._started[key]))

    def failed(self, op: Operation, exc: BaseException, *, logged: bool = True) -> None:
        """``logged=False`` leaves the intent open in the WAL, for ``dpn recover`` to
        resolve."""
        message = str(exc) or type(exc).__name__
        if logged:
            write(self.wal, Failed(op.key, op.action, message))
        with self._mutex:
            self.results[op.key] = OpResult(op.key, op.action, Status.FAILED, op.id, message)
        self.engine.events(OpFailed(op.key, op.action, message))

    def _keep(self, entry: Entry) -> None:
        with self._mutex:
            self.done[entry.node] = entry
            self.done_order.append(entry.node)

    def _record_done(self, op: Operation, spec: Spec, obs: Observed,
                     before: Image | None = None) -> None:
        """Log ``op`` as done and keep it for a rollback to undo."""
        kind = "update" if op.action in ("update", "import") else "create"
        props = canonical(op.type, obs.props)
        write(self.wal, Done(op.key, op.action, kind, obs.id, type=op.type, name=obs.name,
                             attrs=dict(obs.attrs), props=props,
                             depends_on=tuple(op.depends_on)))
        self._keep(Entry(op.key, op.key, kind, op.type, obs.id, op.action, before,
                         tuple(op.depends_on), obs.name, props, dict(obs.attrs)))

    def _follow_ups(self, op: Operation, obs: Observed) -> None:
        """The updates a create makes necessary elsewhere (``dpn.followups``): run inside
        the create's node, so what depends on the created object waits for them too."""
        if self.blueprint is None:
            return
        for follow, target_key in followups.targets(self.blueprint, op.key):
            value = obs.attrs.get(follow.attr)
            if value is None:
                raise ProviderError(f"{op.key}: {op.type} {obs.id!r} came back without its "
                                    f"{follow.attr}, which {target_key} needs")
            try:
                self._follow_up(op, target_key, follow.prop, str(value))
            except Exception as exc:
                self.failed(op, exc)
                raise

    def _follow_up(self, op: Operation, target_key: str, prop: str, value: str) -> None:
        """Update ``target_key`` (done earlier in this transaction, or unchanged in the
        state) with ``prop`` = ``value``: an intent with its before-image, the update, a
        done that becomes its state record and that a rollback undoes."""
        with self._mutex:
            done = self.done.get(target_key)
        recorded = self.base.resources.get(target_key)
        current = done.id if done is not None else (recorded.id if recorded else None)
        resource = self.blueprint.resources[target_key] if self.blueprint else None
        if current is None or resource is None:
            raise DpnError(f"{op.key}: {target_key} is neither created in this transaction "
                           "nor recorded, so it cannot be completed")
        target = Operation(target_key, resource.type, resource.name, "update",
                           resource.depends_on, current)
        spec = self._spec(target)
        spec = dataclasses.replace(spec, props=freeze({**thaw(spec.props), prop: value}))
        provider = self.engine.provider(target.type)
        before = Image.of(live_owned(self.engine, self.stack, target))
        name = followups.node(target_key, op.key)
        write(self.wal, Intent(target_key, "update", "follow_up", target.type, id=current,
                               spec=spec, before=before, node=name))
        entry = Entry(name, target_key, "follow_up", target.type, current, "update", before,
                      tuple(target.depends_on))
        try:
            obs = self.engine.call(target_key, "update",
                                   lambda: provider.update(current, spec))
        except Exception:
            self._keep(entry)  # it may have taken effect: a rollback restores the image
            raise
        props = canonical(target.type, obs.props)
        write(self.wal, Done(target_key, "update", "follow_up", obs.id, type=target.type,
                             name=obs.name, attrs=dict(obs.attrs), props=props,
                             depends_on=tuple(target.depends_on), node=name))
        self._keep(dataclasses.replace(entry, id=obs.id, name=obs.name, props=props,
                                       attrs=dict(obs.attrs)))

    def _spec(self, op: Operation) -> Spec:
        if self.blueprint is None or op.key not in self.blueprint.resources:
            raise DpnError(f"{op.key}: not in the blueprint")
        resource = self.blueprint.resources[op.key]
        props = resolve(resource.props, self._lookup)
        if has_unknown(props):
            raise DpnError(f"{op.key}: a reference could not be resolved")
        return Spec(key=op.key, type=op.type, name=resource.name,
                    props=freeze(canonical(op.type, props)),
                    token=idempotency_token(self.tx, op.key))

    def _lookup(self, key: str, attr: str) -> str | None:
        with self._mutex:
            entry = self.done.get(key)
        if entry is not None:
            value = (entry.attrs or {}).get(attr)
            return None if value is None else str(value)
        current = self.base.resources.get(key)
        if current is not None and key not in self.ops:
            value = current.attrs.get(attr)
            return None if value is None else str(value)
        return None

    def _create(self, op: Operation) -> tuple[Observed, Spec, Image | None]:
        """A create, or the second half of a replace: the new object."""
        spec = self._spec(op)
        provider = self.engine.provider(op.type)
        if op.type in ATTACHED:
            obs, before = self._attach(op, provider, spec)
            return obs, spec, before
        absent = None
        if op.action == "create" and op.type in TAGGED_AFTER_CREATE | UNTAGGED:
            found = self.engine.call(op.key, "find", lambda: provider.find(spec))
            if found is not None and found.owned_by(self.stack, op.key):
                return found, spec, None
            if found is not None:
                why = ("it carries no tags, so nothing says which stack made it; import it "
                       "or" if op.type in UNTAGGED else "it is not owned by stack "
                       f"{self.stack!r};")
                raise OwnershipError(f"{op.key}: {op.type} {spec.name!r} already exists and "
                                     f"{why} choose another name or remove it")
            absent = True
        write(self.wal, Intent(op.key, op.action, "create", op.type, spec=spec,
                               absent_before=absent))
        return self._create_settled(op, provider, spec, absent=absent), spec, None

    def _attach(self, op: Operation, provider: Provider, spec: Spec
                ) -> tuple[Observed, Image]:
        """Create settings of another object (``model.ATTACHED``: grants): what they were
        before is the intent's before-image, from which a rollback restores them."""
        found = self.engine.call(op.key, "find", lambda: provider.find(spec))
        if found is None:
            raise ProviderError(f"{op.key}: {op.type} on {spec.props.get('securable')}: the "
                                "object they belong to does not exist")
        before = Image.of(found)
        write(self.wal, Intent(op.key, op.action, "create", op.type, spec=spec, before=before))
        try:
            obs: Observed = self.engine.call(op.key, "create", lambda: provider.create(spec))
        except Exception:  # it may have taken effect in part: the rollback restores
            self._keep(Entry(op.key, op.key, "create", op.type, found.id, before=before,
                             depends_on=tuple(op.depends_on)))
            raise
        return obs, before

    def _create_settled(self, op: Operation, provider: Provider, spec: Spec, *,
                        absent: bool | None = None) -> Observed:
        """Create; if it fails, whatever part of it took effect (the object made, then a
        tag, a read-back or a wait failing) is found by name and ownership and recorded as
        done, so the rollback removes it. If even that cannot be read, the intent is left
        open and the transaction ends needing ``dpn recover``."""
        try:
            return create_or_adopt(self.engine, provider, spec, self.stack, absent_before=absent)
        except Exception:
            try:
                found = settle_create(self.engine, provider, spec, self.stack,
                                      absent_before=absent)
            except Exception:
                with self._mutex:
                    self.unresolved.append(op.key)
                raise
            if found is not None:
                self._record_done(op, spec, found)
            raise

    def _update(self, op: Operation, *, adopt: bool) -> tuple[Observed, Spec, Image]:
        """Update in place; with ``adopt`` (import), the object may be untagged: the update
        adds the ownership tags, and a rollback restores it as it was."""
        spec = self._spec(op)
        provider = self.engine.provider(op.type)
        before = Image.of(live_owned(self.engine, self.stack, op, adopt=adopt))
        write(self.wal, Intent(op.key, op.action, "update", op.type, id=op.id, spec=spec,
                               before=before))
        obs = self.engine.call(op.key, "update", lambda: provider.update(op.id or "", spec))
        return obs, spec, before

    def _replace_delete(self, op: Operation) -> None:
        """The first half of a replace: delete the old object (its before-image kept, so a
        rollback can bring it back)."""
        provider = self.engine.provider(op.type)
        before = Image.of(live_owned(self.engine, self.stack, op))
        write(self.wal, Intent(op.key, "replace", "replace_delete", op.type, id=op.id,
                               before=before))
        remove(self.engine, provider, op, self.base.resources.get(op.key))
        write(self.wal, Done(op.key, "replace", "replace_delete", op.id))
        # the old object is gone: a rollback must bring it back
        # it comes back after what it depended on when it was made (the state's record)
        recorded = self.base.resources.get(op.key)
        self._keep(Entry(old_node(op.key), op.key, "replace_delete", op.type, op.id or "",
                         before=before, depends_on=tuple(
                             recorded.depends_on if recorded else op.depends_on)))
