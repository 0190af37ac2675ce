"""Run a dependency graph of calls on a thread pool: each node starts as soon as everything
it waits for is done, at most ``parallelism`` at a time, in a deterministic order.

The first failure stops the scheduling of new nodes; nodes in flight finish. ``stop()``
returning true (SIGINT, SIGTERM) does the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field


@dataclass
class RunResult:
    done: list[str] = field(default_factory=list)        # in completion order
    failed: dict[str, BaseException] = field(default_factory=dict)
    not_started: list[str] = field(default_factory=list)
    stopped: bool = False                                  # stop() ended the run early


def run_graph(nodes: Iterable[str], waits_for: Mapping[str, Iterable[str]],
              fn: Callable[[str], None], *, parallelism: int = 8,
              stop: Callable[[], bool] = lambda: False) -> RunResult:
    """Call ``fn(node)`` for every node after all of ``waits_for[node]`` (restricted to
    ``nodes``) are done."""
    order = list(nodes)
    members = set(order)
    blockers = {n: {d for d in waits_for.get(n, ()) if d in members and d != n} for n in order}
    dependents: dict[str, list[str]] = {n: [] for n in order}
    for n, deps in blockers.items():
        for d in deps:
            dependents[d].append(n)
    ready = sorted(n for n in order if not blockers[n])
    result = RunResult()
    started: set[str] = set()
    in_flight: dict[Future[None], str] = {}
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        while ready or in_flight:
            halted = bool(result.failed) or result.stopped
            if not halted and stop():
                result.stopped = halted = True
            while ready and not halted and len(in_flight) < parallelism:
                node = ready.pop(0)
                started.add(node)
                in_flight[pool.submit(fn, node)] = node
            if not in_flight:
                break
            finished, _ = wait(in_flight, timeout=0.2, return_when=FIRST_COMPLETED)
            for fut in finished:
                node = in_flight.pop(fut)
                exc = fut.exception()
                if exc is not None:
                    result.failed[node] = exc
                    continue
                result.done.append(node)
                for nxt in dependents[node]:
                    blockers[nxt].discard(node)
                    if not blockers[nxt]:
                        ready.append(nxt)
                ready.sort()
    result.not_started = [n for n in order if n not in started]
    return result


def reverse_edges(nodes: Iterable[str], depends_on: Mapping[str, Iterable[str]]
                  ) -> dict[str, set[str]]:
    """For teardown: a node waits for every node that depends on it."""
    members = set(nodes)
    out: dict[str, set[str]] = {n: set() for n in members}
    for n in members:
        for d in depends_on.get(n, ()):
            if d in members:
                out[d].add(n)
    return out
