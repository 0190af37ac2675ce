"""Apply a list of operations as one transaction across both platforms.

Order: creates, updates and replaces in dependency order (independent ones in parallel);
the commit point; then deletes in reverse dependency order. Every platform call is
announced by an ``intent`` record that is durable before the call starts. A failure (or a
cancel) before the commit point rolls back everything done, in reverse order.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dpn import followups
from dpn.blueprint.refs import has_unknown, resolve
from dpn.canonical import canonical
from dpn.engine import undo
from dpn.engine.events import (
    Committed,
    EventSink,
    OpDone,
    OpFailed,
    OpRetry,
    OpStarted,
    RollbackStarted,
    TxFinished,
    TxStarted,
    ignore,
)
from dpn.engine.ops import ApplyResult, Operation, OpResult, Outcome, idempotency_token, new_tx_id
from dpn.engine.pool import CallPool
from dpn.engine.retry import RetryPolicy
from dpn.engine.scheduler import reverse_edges, run_graph
from dpn.engine.stores import LocalStore, Store, WalSink
from dpn.engine.wal import OLD, Rec
from dpn.errors import (
    AlreadyExists,
    DpnError,
    OwnershipError,
    ProviderError,
    RecoveryNeeded,
    StateError,
    Transient,
)
from dpn.model import (
    ATTACHED,
    STACK_TAG,
    TAGGED_AFTER_CREATE,
    UNTAGGED,
    Blueprint,
    ResourceState,
    StackState,
    freeze,
    thaw,
)
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


class Transaction:
    """One run of ``apply``. Use ``run()``; the caller holds the stack lock."""

    def __init__(self, engine: Engine, stack: str, state: StackState | None,
                 blueprint: Blueprint | None, operations: Sequence[Operation],
                 *, force_empty: bool = False) -> None:
        self.engine = engine
        self.stack = stack
        self.base = state or StackState(stack=stack)
        self.blueprint = blueprint
        self.ops = {op.key: op for op in operations}
        self.force_empty = force_empty
        self.tx = new_tx_id()
        self.results: dict[str, OpResult] = {}
        self.done: dict[str, dict[str, Any]] = {}   # key -> done record fields (pre-commit)
        self.done_order: list[str] = []
        self._mutex = threading.Lock()
        self.wal: WalSink | None = None
        self.unresolved: list[str] = []  # failed creates whose effect could not be read
        self._started: dict[str, float] = {}  # key -> when its first node started
        self._images: dict[str, dict[str, Any]] = {}  # attached creates' before-images

    # -- the whole run ------------------------------------------------------------------

    def run(self) -> ApplyResult:
        pre = [op.key for op in self.ops.values() if op.action != "delete"]
        dels = [op.key for op in self.ops.values() if op.action == "delete"]
        self.wal = self.engine.store.wal_writer(self.stack, self.tx)
        try:
            self.wal.append(Rec.BEGIN, tx=self.tx, stack=self.stack,
                            base_serial=self.base.serial,
                            ops=[op.to_json() for op in self.ops.values()])
            self.engine.events(TxStarted(self.stack, self.tx, len(self.ops)))
            nodes, waits = self._forward_graph(pre)
            run = run_graph(nodes, waits, self._forward, parallelism=self.engine.parallelism,
                            stop=self.engine.cancel.is_set)
            if run.failed or run.stopped:
                result = self._rollback(run.failed, cancelled=run.stopped)
            else:
                self.wal.append(Rec.COMMIT)
                self.engine.events(Committed(self.tx))
                state = self._save(self._committed_state())
                result = self._delete_phase(dels, state)
            return dataclasses.replace(result, fsyncs=self.wal.fsyncs)
        finally:
            self.wal.close()

    def _save(self, state: StackState) -> StackState:
        """Write the state past the commit point. If that fails, the WAL still holds the
        truth: the transaction is left for ``dpn recover`` to complete (exit 4)."""
        try:
            return self.engine.store.save_state(state, tx=self.tx)
        except StateError:
            raise
        except Exception as exc:
            raise RecoveryNeeded(f"transaction {self.tx} committed but its state could not be "
                                 f"written ({exc}); fix the cause and run "
                                 f"'{self.engine.store.command('recover', self.stack)}'"
                                 ) from exc

    # -- forward operations -------------------------------------------------------------

    def _forward_graph(self, pre: list[str]) -> tuple[list[str], dict[str, set[str]]]:
        """The forward phase as a graph. A replace is two nodes: ``key#old`` deletes the old
        object and ``key`` creates the new one. Deletes go children first (a replaced
        container's objects are replaced with it, and it can only go once they have), and
        creates parents first, as for any create."""
        waits = {k: set(self.ops[k].depends_on) for k in pre}
        replaced = [k for k in pre if self.ops[k].action == "replace"]
        for key in replaced:
            waits[key].add(key + OLD)
            waits[key + OLD] = {c + OLD for c in replaced if key in self.ops[c].depends_on}
        return [*pre, *(k + OLD for k in replaced)], waits

    def _forward(self, node: str) -> None:
        key = node.removesuffix(OLD)
        op = self.ops[key]
        if node != key or op.action != "replace":  # a replace starts with its delete
            self.engine.events(OpStarted(key, op.type, op.name, op.action))
            self._started[key] = time.monotonic()
        try:
            before: dict[str, Any] | None = None
            if node != key:
                self._replace_delete(op)
                return
            if op.action == "create":
                obs, spec = self._create(op)
            elif op.action == "update":
                obs, spec, before = self._update(op)
            elif op.action == "import":
                obs, spec, before = self._update(op, adopt=True)
            else:
                obs, spec = self._replace_create(op)
        except Exception as exc:
            self._record_failed(op, exc, logged=key not in self.unresolved)
            raise
        if op.type in ATTACHED and op.action in ("create", "replace"):
            with self._mutex:
                before = self._images.pop(op.key)
        self._record_done(op, spec, obs, before)
        if op.action in ("create", "replace"):
            self._follow_ups(op, obs)
        with self._mutex:
            self.results[key] = OpResult(key, op.action, "done", obs.id)
        self.engine.events(OpDone(key, op.action, obs.id,
                                  time.monotonic() - self._started[key]))

    def _record_done(self, op: Operation, spec: Spec, obs: Observed,
                     before: dict[str, Any] | None = None) -> None:
        """Log ``op`` as done (durable) and keep it for a rollback to undo."""
        fields = {"key": op.key, "action": op.action,
                  "op": "update" if op.action in ("update", "import") else "create",
                  "type": op.type, "name": obs.name,
                  "id": obs.id, "attrs": dict(obs.attrs),
                  "props": canonical(op.type, obs.props),
                  "depends_on": list(op.depends_on)}
        assert self.wal is not None
        self.wal.append(Rec.DONE, **fields)
        if before is not None:
            fields["before"] = before
        with self._mutex:
            self.done[op.key] = fields
            self.done_order.append(op.key)

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
                self._record_failed(op, exc)
                raise

    def _follow_up(self, op: Operation, target_key: str, prop: str, value: str) -> None:
        """Update ``target_key`` (done earlier in this transaction, or unchanged in the
        state) with ``prop`` = ``value``: an intent with its before-image, the update, a
        done that becomes its state record and that a rollback undoes."""
        with self._mutex:
            done = self.done.get(target_key)
        recorded = self.base.resources.get(target_key)
        current = done["id"] if done is not None else (recorded.id if recorded else None)
        resource = self.blueprint.resources[target_key] if self.blueprint else None
        if current is None or resource is None:
            raise DpnError(f"{op.key}: {target_key} is neither created in this transaction "
                           "nor recorded, so it cannot be completed")
        target = Operation(target_key, resource.type, resource.name, "update",
                           resource.depends_on, current)
        spec = self._spec(target)
        spec = dataclasses.replace(spec, props=freeze({**thaw(spec.props), prop: value}))
        provider = self.engine.provider(target.type)
        live = self._live_owned(target)
        name = followups.node(target_key, op.key)
        assert self.wal is not None
        self.wal.append(Rec.INTENT, key=target_key, node=name, action="update",
                        op="follow_up", type=target.type, id=current,
                        before=_observed_json(live), spec=_spec_json(spec))
        try:
            obs = self.engine.call(target_key, "update",
                                   lambda: provider.update(current, spec))
        except Exception:
            with self._mutex:  # it may have taken effect: a rollback restores the image
                self.done[name] = {"key": target_key, "op": "follow_up", "type": target.type,
                                   "id": current, "before": _observed_json(live),
                                   "depends_on": list(target.depends_on)}
                self.done_order.append(name)
            raise
        fields = {"key": target_key, "node": name, "action": "update", "op": "follow_up",
                  "type": target.type, "name": obs.name, "id": obs.id,
                  "attrs": dict(obs.attrs), "props": canonical(target.type, obs.props),
                  "depends_on": list(target.depends_on)}
        self.wal.append(Rec.DONE, **fields)
        with self._mutex:
            self.done[name] = {**fields, "before": _observed_json(live)}
            self.done_order.append(name)

    def _record_failed(self, op: Operation, exc: BaseException, *, logged: bool = True) -> None:
        """``logged=False`` leaves the intent open in the WAL, for ``dpn recover`` to
        resolve."""
        message = str(exc) or type(exc).__name__
        assert self.wal is not None
        if logged:
            self.wal.append(Rec.FAILED, key=op.key, action=op.action, error=message)
        with self._mutex:
            self.results[op.key] = OpResult(op.key, op.action, "failed", op.id, message)
        self.engine.events(OpFailed(op.key, op.action, message))

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
            fields = self.done.get(key)
        if fields is not None:
            value = fields["attrs"].get(attr)
            return None if value is None else str(value)
        current = self.base.resources.get(key)
        if current is not None and key not in self.ops:
            value = current.attrs.get(attr)
            return None if value is None else str(value)
        return None

    def _create(self, op: Operation) -> tuple[Observed, Spec]:
        spec = self._spec(op)
        provider = self.engine.provider(op.type)
        if op.type in ATTACHED:
            return self._attach(op, provider, spec), spec
        absent = None
        if op.type in TAGGED_AFTER_CREATE | UNTAGGED:
            found = self.engine.call(op.key, "find", lambda: provider.find(spec))
            if found is not None and found.owned_by(self.stack, op.key):
                return found, spec
            if found is not None:
                why = ("it carries no tags, so nothing says which stack made it; import it "
                       "or" if op.type in UNTAGGED else "it is not owned by stack "
                       f"{self.stack!r};")
                raise OwnershipError(f"{op.key}: {op.type} {spec.name!r} already exists and "
                                     f"{why} choose another name or remove it")
            absent = True
        assert self.wal is not None
        self.wal.append(Rec.INTENT, key=op.key, action="create", op="create", type=op.type,
                        spec=_spec_json(spec), absent_before=absent)
        return self._create_settled(op, provider, spec, absent=absent), spec

    def _attach(self, op: Operation, provider: Provider, spec: Spec) -> Observed:
        """Create settings of another object (``model.ATTACHED``: grants): what they were
        before is the intent's before-image, from which a rollback restores them."""
        before = self.engine.call(op.key, "find", lambda: provider.find(spec))
        if before is None:
            raise ProviderError(f"{op.key}: {op.type} on {spec.props.get('securable')}: the "
                                "object they belong to does not exist")
        image = _observed_json(before)
        assert self.wal is not None
        self.wal.append(Rec.INTENT, key=op.key, action=op.action, op="create", type=op.type,
                        spec=_spec_json(spec), before=image)
        try:
            obs: Observed = self.engine.call(op.key, "create", lambda: provider.create(spec))
        except Exception:
            with self._mutex:  # it may have taken effect in part: the rollback restores
                self.done[op.key] = {"key": op.key, "op": "create", "type": op.type,
                                     "id": before.id, "before": image,
                                     "depends_on": list(op.depends_on)}
                self.done_order.append(op.key)
            raise
        with self._mutex:
            self._images[op.key] = image
        return obs

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
                found = self.engine.call(op.key, "find", lambda: provider.find(spec))
            except Exception:
                with self._mutex:
                    self.unresolved.append(op.key)
                raise
            if found is not None and made_by_create(found, self.stack, op.key,
                                                    absent_before=absent):
                self._record_done(op, spec, found)
            raise

    def _live_owned(self, op: Operation, *, adopt: bool = False) -> Observed:
        assert op.id is not None
        provider = self.engine.provider(op.type)
        live = self.engine.call(op.key, "read", lambda: provider.read(op.id or ""))
        if live is None:
            raise ProviderError(f"{op.key}: {op.type} {op.id} was deleted outside dpn; "
                                "run 'dpn plan' to see the drift, then 'dpn update'")
        if adopt and (STACK_TAG not in live.tags or live.owned_by(self.stack, op.key)):
            return live  # import: an object no stack owns yet (or ours already)
        if op.type not in UNTAGGED and not live.owned_by(self.stack, op.key):
            raise OwnershipError(f"{op.key}: {op.type} {op.id} is not tagged as owned by stack "
                                 f"{self.stack!r} and key {op.key!r}; dpn will not change it")
        return live

    def _update(self, op: Operation, *, adopt: bool = False
                ) -> tuple[Observed, Spec, dict[str, Any]]:
        """Update in place; with ``adopt`` (import), the object may be untagged: the update
        adds the ownership tags, and a rollback restores it as it was."""
        spec = self._spec(op)
        provider = self.engine.provider(op.type)
        live = self._live_owned(op, adopt=adopt)
        assert self.wal is not None
        self.wal.append(Rec.INTENT, key=op.key, action=op.action, op="update", type=op.type,
                        id=op.id, before=_observed_json(live), spec=_spec_json(spec))
        obs = self.engine.call(op.key, "update", lambda: provider.update(op.id or "", spec))
        return obs, spec, _observed_json(live)

    def _replace_delete(self, op: Operation) -> None:
        """The first half of a replace: delete the old object (its before-image kept, so a
        rollback can bring it back)."""
        provider = self.engine.provider(op.type)
        live = self._live_owned(op)
        assert self.wal is not None
        self.wal.append(Rec.INTENT, key=op.key, action="replace", op="replace_delete",
                        type=op.type, id=op.id, before=_observed_json(live))
        remove(self.engine, provider, op, self.base.resources.get(op.key))
        self.wal.append(Rec.DONE, key=op.key, action="replace", op="replace_delete", id=op.id)
        with self._mutex:  # the old object is gone: a rollback must bring it back
            self.done[op.key + OLD] = {"key": op.key, "op": "replace_delete", "id": op.id,
                                       "type": op.type, "before": _observed_json(live),
                                       "depends_on": list(op.depends_on)}
            self.done_order.append(op.key + OLD)

    def _replace_create(self, op: Operation) -> tuple[Observed, Spec]:
        """The second half of a replace: create the new object."""
        spec = self._spec(op)
        provider = self.engine.provider(op.type)
        if op.type in ATTACHED:
            return self._attach(op, provider, spec), spec
        assert self.wal is not None
        self.wal.append(Rec.INTENT, key=op.key, action="replace", op="create", type=op.type,
                        spec=_spec_json(spec))
        return self._create_settled(op, provider, spec), spec

    # -- rollback -------------------------------------------------------------------------

    def _rollback(self, failed: Mapping[str, BaseException], *, cancelled: bool) -> ApplyResult:
        first = next(iter(failed.values()), None)
        reason = "cancelled" if cancelled and first is None else f"{first}"
        assert self.wal is not None
        self.engine.events(RollbackStarted(reason, len(self.done_order)))
        problems = undo.undo_all(self.engine, self.wal, self.stack, self.done, self.done_order)
        problems += [f"{key}: the create failed and whether it took effect could not be read"
                     for key in self.unresolved]
        ok = not problems
        for key in self.ops:
            if key in self.results and self.results[key].status == "done":
                r = self.results[key]
                self.results[key] = OpResult(key, r.action, "undone" if ok else "pending", r.id)
            elif key not in self.results:
                self.results[key] = OpResult(key, self.ops[key].action, "not_started")
        if ok:
            self.wal.append(Rec.ROLLED_BACK, reason=reason)
            outcome = Outcome.ROLLED_BACK
        else:
            outcome = Outcome.NEEDS_RECOVERY
        self.engine.events(TxFinished(self.tx, outcome))
        error = None if first is None else str(first)
        if first is not None and not isinstance(first, DpnError | Transient):
            error = f"{type(first).__name__}: {first}"
        if problems:
            error = f"{error}; could not undo: " + "; ".join(problems)
        nothing_done = not self.done_order
        exit_code = getattr(first, "exit_code", 1) if nothing_done else 1
        return ApplyResult(self.stack, self.tx, outcome, self._ordered_results(), error=error,
                           cancelled=cancelled, error_exit=exit_code)

    # -- commit and the delete phase -----------------------------------------------------

    def _committed_state(self) -> StackState:
        return apply_done(self.base, self.done.values())

    def _delete_phase(self, dels: list[str], state: StackState) -> ApplyResult:
        waits = reverse_edges(dels, {k: self.ops[k].depends_on for k in dels})
        # a resource to delete also waits for its state dependents that are deleted
        for key, res in self.base.resources.items():
            for dep in res.depends_on:
                if dep in waits and key in waits:
                    waits[dep].add(key)
        deleted: list[str] = []
        lock = threading.Lock()

        def delete_one(key: str) -> None:
            op = self.ops[key]
            self.engine.events(OpStarted(key, op.type, op.name, "delete"))
            started = time.monotonic()
            try:
                gone_already = delete_owned(self.engine, self.wal, self.stack, op,
                                            force_empty=self.force_empty,
                                            recorded=self.base.resources.get(key))
            except Exception as exc:
                self._record_failed(op, exc)
                raise
            assert self.wal is not None
            self.wal.append(Rec.DONE, key=key, action="delete", op="delete", id=op.id,
                            gone_already=gone_already)
            with lock:
                deleted.append(key)
                self.results[key] = OpResult(key, "delete", "done", op.id)
            self.engine.events(OpDone(key, "delete", op.id or "", time.monotonic() - started))

        run = run_graph(dels, waits, delete_one, parallelism=self.engine.parallelism,
                        stop=self.engine.cancel.is_set)
        if deleted:
            remaining = {k: v for k, v in state.resources.items() if k not in deleted}
            state = self._save(
                StackState(state.stack, state.serial, freeze_resources(remaining)))
        for key in run.not_started:
            self.results[key] = OpResult(key, "delete", "not_started", self.ops[key].id)
        first = next(iter(run.failed.values()), None)
        assert self.wal is not None
        self.wal.append(Rec.END, outcome="committed", deleted=deleted,
                        left=[k for k in dels if k not in deleted])
        self.engine.events(TxFinished(self.tx, Outcome.COMMITTED))
        return ApplyResult(self.stack, self.tx, Outcome.COMMITTED, self._ordered_results(),
                           error=None if first is None else str(first),
                           cancelled=run.stopped)

    def _ordered_results(self) -> tuple[OpResult, ...]:
        return tuple(self.results.get(k, OpResult(k, op.action, "not_started", op.id))
                     for k, op in self.ops.items())


# -- shared with recovery ------------------------------------------------------------------

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


def delete_owned(engine: Engine, wal: WalSink | None, stack: str, op: Operation,
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
    assert wal is not None
    wal.append(Rec.INTENT, key=op.key, action="delete", op="delete", type=op.type, id=op.id,
               before=_observed_json(live))
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


def apply_done(base: StackState, records: Any) -> StackState:
    """The state after the given pre-commit ``done`` records (idempotent)."""
    resources = dict(base.resources)
    for rec in records:
        if rec.get("op") == "replace_delete":
            continue
        resources[rec["key"]] = ResourceState(
            key=rec["key"], type=rec["type"], name=rec["name"], id=rec["id"],
            props=freeze(rec["props"]), attrs=freeze(rec["attrs"]),
            depends_on=tuple(rec.get("depends_on") or ()))
    return StackState(base.stack, base.serial, freeze_resources(resources))


def freeze_resources(resources: Mapping[str, ResourceState]) -> Mapping[str, ResourceState]:
    from types import MappingProxyType
    return MappingProxyType(dict(sorted(resources.items())))


def _spec_json(spec: Spec) -> dict[str, Any]:
    return {"key": spec.key, "type": spec.type, "name": spec.name, "props": thaw(spec.props),
            "token": spec.token}


def _observed_json(obs: Observed) -> dict[str, Any]:
    return {"id": obs.id, "name": obs.name, "props": thaw(obs.props)}
