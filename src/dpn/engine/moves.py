"""``moved`` in the engine: renaming keys in the state, and the ownership of a moved object
that still carries its old key (``dpn.moved``).

``write_moves`` records the renames as a transaction of their own: ``begin`` (one ``move``
operation per renamed key, with the key it came from), ``commit``, the state written
with the new keys, a ``done`` per move and ``end``. No platform is called. Nothing is
``done`` before the commit point, so ``dpn recover`` rolls back an interrupted move by
doing nothing, and completes a committed one by keeping the state as it is; the next
command applies a move again whose state was not written (a move is idempotent).

``owned_view`` wraps a transaction's providers so that an object the state records under
key K, whose recorded tags still say the old key J (moved, not yet retagged), counts as
K's when its live tags say ``(stack, J)``: its reads show the tag ``dpn:key`` as K (the
before-images keep the object's real settings, J included). The next update of it sets
K on the platform; a replace or delete needs no retag.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from dpn.engine.ops import ApplyResult, Operation, OpResult, Outcome, Status, new_tx_id
from dpn.engine.records import Begin, Commit, Done, End, write
from dpn.engine.stores import Store
from dpn.model import KEY_TAG, STACK_TAG, Move, StackState
from dpn.moved import recorded_key
from dpn.providers.base import SERIAL, Fanout, Observed, Provider, Spec


def write_moves(store: Store, stack: str, base: StackState, renamed: StackState,
                moves: Sequence[Move]) -> tuple[StackState, ApplyResult]:
    """Write ``renamed`` (``base`` with ``moves`` applied) as a transaction of its own;
    the state as written (its serial one above ``base``'s) and the result."""
    tx = new_tx_id()
    records = {m.target: renamed.resources[m.target] for m in moves}
    wal = store.wal_writer(stack, tx)
    try:
        write(wal, Begin(tx, stack, base.serial, tuple(
            Operation(m.target, records[m.target].type, records[m.target].name, "move",
                      id=records[m.target].id, source=m.source) for m in moves)))
        write(wal, Commit())
        written = store.save_state(renamed, tx=tx)
        for m in moves:
            write(wal, Done(m.target, "move", "move", records[m.target].id, source=m.source))
        write(wal, End((), ()))
    finally:
        wal.close()
    ops = tuple(OpResult(m.target, "move", Status.DONE, records[m.target].id) for m in moves)
    return written, ApplyResult(stack, tx, Outcome.COMMITTED, ops)


def joined(moves: ApplyResult | None, result: ApplyResult) -> ApplyResult:
    """``result`` with the moves' operations before its own."""
    if moves is None:
        return result
    return dataclasses.replace(result, operations=(*moves.operations, *result.operations))


class _MovedOwnership(Provider):
    """A provider whose reads show moved objects' ``dpn:key`` as their new key."""

    def __init__(self, inner: Provider, stack: str, keys: Mapping[str, tuple[str, str]]
                 ) -> None:
        self.inner = inner
        self.type = inner.type
        self.access_scope = inner.access_scope
        self.stack = stack
        self.keys = keys  # physical id -> (old key on the object, key in the state)

    def _seen(self, obs: Observed | None) -> Observed | None:
        if obs is None or obs.id not in self.keys:
            return obs
        old, new = self.keys[obs.id]
        if obs.tags.get(STACK_TAG) != self.stack or obs.tags.get(KEY_TAG) != old:
            return obs
        return dataclasses.replace(obs, tags={**obs.tags, KEY_TAG: new})

    def physical_id(self, spec: Spec) -> str | None:
        return self.inner.physical_id(spec)

    def read(self, id: str) -> Observed | None:
        return self._seen(self.inner.read(id))

    def read_many(self, ids: Sequence[str], fan: Fanout = SERIAL
                  ) -> dict[str, Observed | None]:
        return {i: self._seen(o) for i, o in self.inner.read_many(ids, fan).items()}

    def find(self, spec: Spec) -> Observed | None:
        return self._seen(self.inner.find(spec))

    def find_many(self, specs: Sequence[Spec], fan: Fanout = SERIAL
                  ) -> dict[str, Observed | None]:
        return {k: self._seen(o) for k, o in self.inner.find_many(specs, fan).items()}

    def create(self, spec: Spec) -> Observed:
        return self.inner.create(spec)

    def update(self, id: str, spec: Spec) -> Observed:
        return self.inner.update(id, spec)

    def delete(self, id: str, *, force_empty: bool = False) -> None:
        self.inner.delete(id, force_empty=force_empty)

    def check_access(self) -> None:
        self.inner.check_access()


def owned_view(providers: Mapping[str, Provider], state: StackState | None, stack: str
               ) -> dict[str, Provider]:
    """``providers``, with the types of moved objects not yet retagged wrapped (see the
    module docstring); the others as they are."""
    by_type: dict[str, dict[str, tuple[str, str]]] = {}
    for key, record in (state.resources if state else {}).items():
        old = recorded_key(record)
        if old is not None:
            by_type.setdefault(record.type, {})[record.id] = (old, key)
    return {t: _MovedOwnership(p, stack, by_type[t]) if t in by_type else p
            for t, p in providers.items()}
