"""``moved``: resource keys renamed in the state, without any platform call. Pure.

- ``targets(moves)``: each old key to the key it ends at (a key renamed twice, ``a -> b``
  and ``b -> c``, ends at ``c``);
- ``rename(state, blueprint)``: the state with every recorded key that a ``moved`` entry
  names renamed (and the dependencies of every record that name it), and the moves that
  applied. An entry whose old key the state does not hold does nothing, so entries may
  stay in the blueprint for as long as some copy of the stack still has the old key. A
  target the state already holds, or a target of another type, is an ``InputError``;
- ``recorded_key(record)``: the ``dpn:key`` that a recorded object still carries when it
  is not the record's own key: an object moved and not yet retagged.

A moved object keeps its ownership tag ``dpn:key`` (the old key) until dpn next updates
it, when the update sets the new key with everything else; until then the state's record
(the new key, with the old one in its recorded tags) is what makes it the stack's. So a
``moved`` followed by ``dpn update`` changes nothing on the platforms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from dpn import model
from dpn.errors import InputError


def targets(moves: Sequence[model.Move]) -> dict[str, str]:
    """Each ``from`` key to the key its chain of moves ends at."""
    step = {m.source: m.target for m in moves}
    out = {}
    for source in step:
        seen = {source}
        target = step[source]
        while target in step and target not in seen:
            seen.add(target)
            target = step[target]
        out[source] = target
    return out


def rename(state: model.StackState | None, blueprint: model.Blueprint
           ) -> tuple[model.StackState | None, tuple[model.Move, ...]]:
    """``state`` with ``blueprint.moved`` applied (same serial), and the moves applied."""
    if state is None or not blueprint.moved:
        return state, ()
    ends = targets(blueprint.moved)
    recorded = state.resources
    applied = [model.Move(key, ends[key]) for key in recorded if key in ends]
    if not applied:
        return state, ()
    problems = []
    for move in applied:
        wanted = blueprint.resources.get(move.target)
        if move.target in recorded:
            problems.append(f"{move.source} -> {move.target}: the state holds both keys "
                            f"({recorded[move.source].type} {recorded[move.source].id!r} and "
                            f"{recorded[move.target].type} {recorded[move.target].id!r}); "
                            "remove the moved entry, or delete one of them first")
        elif wanted is not None and wanted.type != recorded[move.source].type:
            problems.append(f"{move.source} -> {move.target}: {move.source} is a "
                            f"{recorded[move.source].type} and {move.target} a {wanted.type}; "
                            "a move keeps the type")
    if problems:
        raise InputError("moved: " + "; ".join(problems))
    new_key = {m.source: m.target for m in applied}
    out: dict[str, model.ResourceState] = {}
    for key, res in recorded.items():
        key2 = new_key.get(key, key)
        deps = tuple(new_key.get(d, d) for d in res.depends_on)
        out[key2] = model.ResourceState(key=key2, type=res.type, name=res.name, id=res.id,
                                        props=res.props, attrs=res.attrs, depends_on=deps)
    renamed = model.StackState(state.stack, state.serial,
                               MappingProxyType(dict(sorted(out.items()))))
    return renamed, tuple(applied)


def recorded_key(record: model.ResourceState) -> str | None:
    """The ``dpn:key`` tag the recorded object carries, when it is not ``record.key``."""
    field = model.TAG_FIELD.get(record.type)
    tags = record.props.get(field) if field else None
    if not isinstance(tags, Mapping):
        return None
    value = tags.get(model.KEY_TAG)
    return str(value) if value and value != record.key else None
