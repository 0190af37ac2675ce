"""The WAL's records as typed values: what each kind holds, and its JSON on disk.

Every module that writes or reads a transaction's log goes through these classes:
``write(sink, record)`` appends one (through the sink's ``append``, so the local and the
S3 WAL store the same JSON), ``parse`` reads one back. ``to_json`` writes exactly the
fields the record of that kind has always had, so logs written before these classes
recover as they did.

A transaction's graph has nodes besides its keys: ``old_node(key)`` is the delete of a
replaced object (forward) and its re-creation (undo); ``dpn.followups.node`` names a
follow-up update.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from dpn.engine.ops import Operation
from dpn.engine.stores import WalSink
from dpn.engine.wal import Rec, WalLog
from dpn.model import freeze, thaw
from dpn.providers.base import Observed, Spec

_OLD = "#old"


def old_node(key: str) -> str:
    """The node of a replace's old object: its delete, and its re-creation in an undo."""
    return key + _OLD


def is_old(node: str) -> bool:
    return node.endswith(_OLD)


def node_key(node: str) -> str:
    """The key a forward node works on (a replace's two nodes share one)."""
    return node.removesuffix(_OLD)


@dataclass(frozen=True)
class Image:
    """A before-image: what an object was, from which an undo restores or re-creates it."""

    id: str
    name: str
    props: Mapping[str, Any]

    @classmethod
    def of(cls, obs: Observed) -> Image:
        return cls(obs.id, obs.name, obs.props)

    def spec(self, key: str, rtype: str) -> Spec:
        return Spec(key=key, type=rtype, name=self.name, props=freeze(thaw(self.props)))

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "props": thaw(self.props)}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any] | None) -> Image | None:
        if raw is None:
            return None
        return cls(raw["id"], raw["name"], freeze(raw["props"]))


def spec_json(spec: Spec) -> dict[str, Any]:
    return {"key": spec.key, "type": spec.type, "name": spec.name, "props": thaw(spec.props),
            "token": spec.token}


def spec_from_json(raw: Mapping[str, Any]) -> Spec:
    return Spec(key=raw["key"], type=raw["type"], name=raw["name"],
                props=freeze(raw["props"]), token=raw.get("token", ""))


class Record:
    """One WAL record; ``kind`` is its ``record`` field."""

    kind: ClassVar[Rec]

    def to_json(self) -> dict[str, Any]:
        """The record's own fields as they are; kinds with nested or optional fields say
        how they write them."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]


@dataclass(frozen=True)
class Begin(Record):
    kind: ClassVar[Rec] = Rec.BEGIN
    tx: str
    stack: str
    base_serial: int
    ops: tuple[Operation, ...]

    def to_json(self) -> dict[str, Any]:
        return {"tx": self.tx, "stack": self.stack, "base_serial": self.base_serial,
                "ops": [op.to_json() for op in self.ops]}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Begin:
        return cls(raw.get("tx", ""), raw.get("stack", ""), raw.get("base_serial", 0),
                   tuple(Operation.from_json(o) for o in raw.get("ops") or ()))


@dataclass(frozen=True)
class Intent(Record):
    """An operation about to call a platform. ``op``: create, update, follow_up,
    replace_delete or delete; ``before`` its before-image (an update's, a delete's, an
    attached create's); ``absent_before`` whether a create's name was checked free."""

    kind: ClassVar[Rec] = Rec.INTENT
    key: str
    action: str
    op: str
    type: str
    id: str | None = None
    spec: Spec | None = None
    before: Image | None = None
    absent_before: bool | None = None
    node: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "action": self.action, "op": self.op,
                               "type": self.type}
        if self.op != "create":
            out["id"] = self.id
        if self.node is not None:
            out["node"] = self.node
        if self.spec is not None:
            out["spec"] = spec_json(self.spec)
        if self.before is not None:
            out["before"] = self.before.to_json()
        elif self.op == "create" and self.action == "create":
            out["absent_before"] = self.absent_before  # a plain create says, null or true
        return out

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Intent:
        spec = raw.get("spec")
        return cls(raw["key"], raw.get("action", ""), raw.get("op", ""), raw.get("type", ""),
                   raw.get("id"), None if spec is None else spec_from_json(spec),
                   Image.from_json(raw.get("before")), raw.get("absent_before"),
                   raw.get("node"))


@dataclass(frozen=True)
class Done(Record):
    """An operation succeeded. A create's, update's or follow-up's holds what was read
    back (its state record); a delete's whether the object was gone already."""

    kind: ClassVar[Rec] = Rec.DONE
    key: str
    action: str
    op: str
    id: str | None
    type: str | None = None
    name: str | None = None
    attrs: Mapping[str, Any] | None = None
    props: Mapping[str, Any] | None = None
    depends_on: tuple[str, ...] | None = None
    node: str | None = None
    gone_already: bool | None = None
    source: str | None = None  # a move's key before it

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "action": self.action, "op": self.op,
                               "id": self.id}
        optional = {"type": self.type, "name": self.name, "node": self.node,
                    "attrs": None if self.attrs is None else thaw(self.attrs),
                    "props": None if self.props is None else thaw(self.props),
                    "depends_on": None if self.depends_on is None else list(self.depends_on),
                    "gone_already": self.gone_already, "from": self.source}
        out.update({k: v for k, v in optional.items() if v is not None})
        return out

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Done:
        deps = raw.get("depends_on")
        return cls(raw["key"], raw.get("action", ""), raw.get("op", "create"), raw.get("id"),
                   raw.get("type"), raw.get("name"), raw.get("attrs"), raw.get("props"),
                   None if deps is None else tuple(deps), raw.get("node"),
                   raw.get("gone_already"), raw.get("from"))


@dataclass(frozen=True)
class Failed(Record):
    kind: ClassVar[Rec] = Rec.FAILED
    key: str
    action: str
    error: str


@dataclass(frozen=True)
class Undo(Record):
    kind: ClassVar[Rec] = Rec.UNDO
    node: str
    key: str
    op: str


@dataclass(frozen=True)
class Undone(Record):
    kind: ClassVar[Rec] = Rec.UNDONE
    node: str
    key: str


@dataclass(frozen=True)
class Commit(Record):
    kind: ClassVar[Rec] = Rec.COMMIT


@dataclass(frozen=True)
class RolledBack(Record):
    kind: ClassVar[Rec] = Rec.ROLLED_BACK
    reason: str


@dataclass(frozen=True)
class End(Record):
    """Committed and the delete phase ran: what it deleted and what it left."""

    kind: ClassVar[Rec] = Rec.END
    deleted: tuple[str, ...]
    left: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"outcome": "committed", "deleted": list(self.deleted), "left": list(self.left)}


@dataclass(frozen=True)
class Recovered(Record):
    """``dpn recover`` resolved the transaction: rolled back, or completed (``left``: the
    deletes it could not finish)."""

    kind: ClassVar[Rec] = Rec.RECOVERED
    outcome: str
    left: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"outcome": self.outcome}
        if self.left is not None:
            out["left"] = list(self.left)
        return out


def write(sink: WalSink, record: Record) -> int:
    """Append ``record``; durable on return unless it is an outcome (see ``dpn.engine.wal``)."""
    return sink.append(record.kind, **record.to_json())


_READERS: dict[str, Any] = {Rec.BEGIN: Begin.from_json, Rec.INTENT: Intent.from_json,
                            Rec.DONE: Done.from_json}


def parse(raw: Mapping[str, Any]) -> Record | None:
    """A record of the kinds recovery reads (begin, intent, done, failed, undone); None
    for the others."""
    kind = raw["record"]
    if kind in _READERS:
        record: Record = _READERS[kind](raw)
        return record
    if kind == Rec.FAILED:
        return Failed(raw["key"], raw.get("action", ""), raw.get("error", ""))
    if kind == Rec.UNDONE:
        return Undone(raw["node"], raw.get("key", ""))
    return None


def records_of(log: WalLog) -> list[Record]:
    """The records of ``log`` that recovery reads, typed, in order."""
    return [r for r in map(parse, log.records) if r is not None]


def begin_of(log: WalLog) -> Begin:
    return Begin.from_json(log.begin)
