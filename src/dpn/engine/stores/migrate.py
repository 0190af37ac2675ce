"""Copy stacks' state from one backend to another (``dpn state migrate``).

Both stores' locks of a stack are held while it is copied. A stack with an incomplete
transaction is refused (RecoveryNeeded: recover it first); a stack that already has
state at the destination is left alone, reported ``already there`` when it is the same
serial and refused (StateError) otherwise. The source is left as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dpn.engine.stores import check_no_incomplete
from dpn.engine.stores.base import Store
from dpn.errors import InputError, StateError

COPIED = "copied"
ALREADY_THERE = "already there"


@dataclass(frozen=True)
class Copied:
    """One stack's state at the destination."""

    stack: str
    serial: int
    resources: int      # how many resources the state records
    status: str         # COPIED, or ALREADY_THERE (the same serial was there)

    def to_json(self) -> dict[str, Any]:
        return {"stack": self.stack, "serial": self.serial, "resources": self.resources,
                "status": self.status}


@dataclass(frozen=True)
class Migration:
    source: str          # Store.describe() of each side
    destination: str
    stacks: tuple[Copied, ...]

    def to_json(self) -> dict[str, Any]:
        return {"from": self.source, "to": self.destination,
                "stacks": [c.to_json() for c in self.stacks]}


def migrate_state(src: Store, dst: Store, stack: str | None = None, *,
                  lock_timeout: float = 0) -> Migration:
    """Copy the state of ``stack`` (default: every stack of ``src`` with a state) to
    ``dst``, with the same serial and resources."""
    if src.describe() == dst.describe():
        raise InputError(f"--from and --to are the same backend ({src.describe()})")
    copied: list[Copied] = []
    for name in [stack] if stack else src.stacks():
        with src.lock(name, timeout=lock_timeout), dst.lock(name, timeout=lock_timeout):
            check_no_incomplete(src, name)
            current = src.load_state(name)
            if current is None:
                if stack:
                    raise InputError(f"stack {name!r} has no state in {src.describe()}")
                continue
            there = dst.load_state(name)
            if there is not None and there.serial != current.serial:
                raise StateError(f"stack {name!r} already has state serial {there.serial} in "
                                 f"{dst.describe()} (source: serial {current.serial}); "
                                 "not overwritten")
            if there is None:
                dst.create_state(current)
            copied.append(Copied(name, current.serial, len(current.resources),
                                 COPIED if there is None else ALREADY_THERE))
    return Migration(src.describe(), dst.describe(), tuple(copied))
