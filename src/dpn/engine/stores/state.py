"""The state repository: one JSON file per stack, written atomically, with a serial number
and a checksum so a damaged file is detected rather than believed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from dpn.engine.files import atomic_write, check_stack_id
from dpn.errors import StateError
from dpn.model import ResourceState, StackState, freeze, thaw

FORMAT = 1


def _checksum(body: Mapping[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def encode_resource(r: ResourceState) -> dict[str, Any]:
    return {"type": r.type, "name": r.name, "id": r.id, "props": thaw(r.props),
            "attrs": dict(r.attrs), "depends_on": list(r.depends_on)}


def decode_resource(key: str, raw: Mapping[str, Any]) -> ResourceState:
    return ResourceState(key=key, type=raw["type"], name=raw["name"], id=raw["id"],
                         props=freeze(raw.get("props") or {}),
                         attrs=MappingProxyType(dict(raw.get("attrs") or {})),
                         depends_on=tuple(raw.get("depends_on") or ()))


def encode_state(state: StackState, tx: str | None) -> tuple[StackState, bytes]:
    """The document that records ``state`` with the next serial number, and that state."""
    written = StackState(stack=state.stack, serial=state.serial + 1, resources=state.resources)
    body: dict[str, Any] = {
        "format": FORMAT, "stack": state.stack, "serial": written.serial, "tx": tx,
        "resources": {k: encode_resource(r) for k, r in sorted(state.resources.items())},
    }
    body["checksum"] = _checksum(body)
    return written, json.dumps(body, indent=1, sort_keys=True, ensure_ascii=False).encode()


def decode_state(raw: bytes, stack: str, where: str) -> StackState:
    """Parse and verify a state document (checksum, format, stack)."""
    try:
        doc = json.loads(raw)
        body = {k: v for k, v in doc.items() if k != "checksum"}
        if doc.get("checksum") != _checksum(body):
            raise StateError(f"state {where} fails its checksum: it was damaged or edited; "
                             "restore it from a backup (dpn never rewrites a damaged state)")
        if doc.get("format") != FORMAT or doc.get("stack") != stack:
            raise StateError(f"state {where} is not a dpn state document for stack {stack!r}")
        resources = {k: decode_resource(k, v) for k, v in doc["resources"].items()}
        return StackState(stack=stack, serial=int(doc["serial"]),
                          resources=MappingProxyType(resources))
    except StateError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StateError(f"state {where} is unreadable: {exc}") from exc


class StateStore:
    """Reads and writes ``$DPN_HOME/state/<stack>.json``."""

    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self.dir = self.home / "state"

    def path(self, stack: str) -> Path:
        return self.dir / f"{check_stack_id(stack)}.json"

    def stacks(self) -> list[str]:
        if not self.dir.is_dir():
            return []
        return sorted(p.stem for p in self.dir.glob("*.json"))

    def load(self, stack: str) -> StackState | None:
        """The stack's state, or None if it was never applied."""
        path = self.path(stack)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateError(f"cannot read state {path}: {exc.strerror}") from exc
        return decode_state(raw, stack, str(path))

    def save(self, state: StackState, *, tx: str | None = None) -> StackState:
        """Write ``state`` with the next serial number and return what was written."""
        written, data = encode_state(state, tx)
        atomic_write(self.path(state.stack), data)
        return written
