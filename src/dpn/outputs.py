"""``outputs``: values the blueprint names, read from the stack's state. Pure, no I/O.

``values(blueprint, state)`` resolves each output's references from the attributes the
state records (``${key}`` is the name), with the blueprint's moves applied; an output
whose reference is not recorded yet (not applied, or a key the state lacks) is None.
"""

from __future__ import annotations

from dpn import model, moved
from dpn.blueprint.refs import has_unknown, resolve


def values(blueprint: model.Blueprint, state: model.StackState | None
           ) -> dict[str, str | None]:
    """Each output's value, None where some reference is not in the state."""
    state = moved.rename(state, blueprint)[0]
    recorded = state.resources if state else {}

    def lookup(key: str, attr: str) -> str | None:
        record = recorded.get(key)
        if record is None:
            return None
        value = record.attrs.get(attr)
        if value is None and attr == "name":
            value = record.name
        return None if value is None else str(value)

    out: dict[str, str | None] = {}
    for name, text in blueprint.outputs.items():
        value = resolve(text, lookup)
        out[name] = None if has_unknown(value) else str(value)
    return out
