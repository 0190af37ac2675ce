"""Dependency order in batches (Kahn's algorithm), deterministic, with cycles spelled out.

- ``batches(deps)``: lists of keys; every key comes after all keys it depends on, each
  batch sorted. Dependencies on keys outside the mapping are ignored.
- ``reverse_batches(deps)``: the same batches reversed: the order for deletion.
- A cycle raises ``CycleError`` whose ``cycle`` is ``[a, b, a]`` and whose message is
  ``a -> b -> a``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class CycleError(ValueError):
    """The dependencies contain a cycle; ``cycle`` lists it, first key repeated last."""

    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        super().__init__(" -> ".join(cycle))


def _find_cycle(remaining: Mapping[str, set[str]]) -> list[str]:
    """A cycle among ``remaining`` (every node there has a dependency there)."""
    start = min(remaining)
    seen: dict[str, int] = {}
    path: list[str] = []
    node = start
    while node not in seen:
        seen[node] = len(path)
        path.append(node)
        node = min(remaining[node])
    cycle = path[seen[node]:]
    # Start the cycle at its smallest key, for a stable message.
    i = cycle.index(min(cycle))
    cycle = cycle[i:] + cycle[:i]
    return [*cycle, cycle[0]]


def batches(deps: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Keys in dependency batches; raises ``CycleError``."""
    pending: dict[str, set[str]] = {k: {d for d in v if d in deps} for k, v in deps.items()}
    dependents: dict[str, list[str]] = {k: [] for k in pending}
    for k, ds in pending.items():
        for d in ds:
            dependents[d].append(k)
    ready = sorted(k for k, ds in pending.items() if not ds)
    out: list[list[str]] = []
    done = 0
    while ready:
        out.append(ready)
        done += len(ready)
        nxt: list[str] = []
        for k in ready:
            for child in dependents[k]:
                ds = pending[child]
                ds.discard(k)
                if not ds:
                    nxt.append(child)
        ready = sorted(nxt)
    if done != len(pending):
        placed = {k for b in out for k in b}
        remaining = {k: ds for k, ds in pending.items() if k not in placed}
        # keep only nodes on or leading to a cycle: every remaining node has a remaining dep
        raise CycleError(_find_cycle(remaining))
    return out


def reverse_batches(deps: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Batches for deletion: dependents before what they depend on."""
    return list(reversed(batches(deps)))


def order(deps: Mapping[str, Iterable[str]]) -> list[str]:
    """The batches flattened."""
    return [k for b in batches(deps) for k in b]
