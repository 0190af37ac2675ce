"""``--only KEY...`` and ``--exclude KEY...``: which of a plan's changes a command carries
out, with the dependency closure. Pure, no I/O.

A change is carried out only with the pending changes it needs:

- a create or an update needs the pending creates, updates and replaces of what it
  depends on (it is made after them, from their names and ids);
- a replace needs those, and the pending changes of what depends on it (they refer to
  the old object: a job to a replaced cluster's id, a table to its replaced schema);
- a delete needs the pending changes of what the state records as depending on it (they
  go first, or it would take something from under them).

``--only`` starts from the named keys and pulls in the creates and updates they need,
never a delete or a replace: a selection that needs one it was not given is refused
(``InputError``, exit 2), and so is one that needs a key ``--exclude`` names.
``--exclude`` leaves out the named keys and everything that needs them, and says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dpn.errors import InputError

DESTRUCTIVE = ("delete", "replace")


@dataclass(frozen=True)
class Selection:
    """What ``--only``/``--exclude`` chose: ``pulled_in`` maps each key ``--only`` added
    to the keys that need it; ``left_out`` each key ``--exclude`` took out with the keys
    it needs; ``skipped`` counts the pending changes not carried out."""

    only: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    pulled_in: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    left_out: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    skipped: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"only": list(self.only), "exclude": list(self.exclude),
                "pulled_in": {k: list(v) for k, v in self.pulled_in.items()},
                "left_out": {k: list(v) for k, v in self.left_out.items()},
                "skipped": self.skipped}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Selection:
        return cls(only=tuple(raw.get("only") or ()), exclude=tuple(raw.get("exclude") or ()),
                   pulled_in={k: tuple(v) for k, v in (raw.get("pulled_in") or {}).items()},
                   left_out={k: tuple(v) for k, v in (raw.get("left_out") or {}).items()},
                   skipped=int(raw.get("skipped") or 0))


@dataclass(frozen=True)
class Item:
    """One planned change, as the selection sees it."""

    key: str
    action: str
    depends_on: tuple[str, ...] = ()   # the blueprint's (the state's, for a delete)


def needs(items: Sequence[Item], recorded: Mapping[str, Sequence[str]]
          ) -> dict[str, set[str]]:
    """For each pending change, the pending changes it cannot be carried out without."""
    act = {i.key: i.action for i in items}
    out: dict[str, set[str]] = {i.key: set() for i in items}
    for item in items:
        if item.action != "delete":
            out[item.key] |= {d for d in item.depends_on
                              if d in act and act[d] != "delete"}
    for item in items:
        for dep in set(item.depends_on) | set(recorded.get(item.key, ())):
            if dep in act and act[dep] in DESTRUCTIVE and dep != item.key:
                out[dep].add(item.key)   # a replace or delete of dep needs item first
    return out


def select(items: Sequence[Item], recorded: Mapping[str, Sequence[str]],
           only: Iterable[str] = (), exclude: Iterable[str] = ()
           ) -> tuple[list[str], Selection]:
    """The keys of ``items`` (the pending changes a command may carry out) to carry out,
    in order, and what ``only``/``exclude`` did; ``InputError`` where they would break a
    dependency."""
    only_t, exclude_t = tuple(dict.fromkeys(only)), tuple(dict.fromkeys(exclude))
    both = sorted(set(only_t) & set(exclude_t))
    if both:
        raise InputError(f"given to both --only and --exclude: {', '.join(both)}")
    act = {i.key: i.action for i in items}
    need = needs(items, recorded)
    chosen: set[str]
    pulled: dict[str, list[str]] = {}
    if only_t:
        chosen = {k for k in only_t if k in act}
        todo = sorted(chosen)
        problems = []
        while todo:
            key = todo.pop(0)
            for dep in sorted(need[key]):
                if dep in chosen:
                    continue
                if dep in exclude_t:
                    problems.append(f"{key} needs the {act[dep]} of {dep}, which --exclude "
                                    "leaves out")
                elif act[dep] in DESTRUCTIVE:
                    problems.append(f"{key} needs the {act[dep]} of {dep}: name it with "
                                    "--only too")
                else:
                    pulled.setdefault(dep, []).append(key)
                    chosen.add(dep)
                    todo.append(dep)
                    continue
            for dep in sorted(need[key]):
                if dep in chosen and dep in pulled and key not in pulled[dep]:
                    pulled[dep].append(key)
        if problems:
            raise InputError("--only would break a dependency: " + "; ".join(problems))
    else:
        chosen = set(act) - set(exclude_t)
    left: dict[str, list[str]] = {}
    changed = True
    while changed:  # what needs something left out is left out with it
        changed = False
        for key in sorted(chosen):
            missing = sorted(need[key] - chosen)
            if missing:
                chosen.discard(key)
                left[key] = missing
                changed = True
    keys = [i.key for i in items if i.key in chosen]
    return keys, Selection(only=only_t, exclude=exclude_t,
                           pulled_in={k: tuple(v) for k, v in sorted(pulled.items())},
                           left_out={k: tuple(v) for k, v in sorted(left.items())},
                           skipped=len(items) - len(keys))
