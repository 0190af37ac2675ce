"""Read from the live platforms, in bulk: what the state records (``refresh_state``) and
what holds the names a plan will create (``probe_names``).

Every type reads at once, each through its provider's listings (one ``read_many`` or
``find_many`` per type: per parent or per page, per object only what no listing shows),
and every call goes through one ``CallPool`` shared by both clouds: a refresh takes
about (parents + pages) x latency / parallelism, not resources x latency.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from dpn.engine.pool import CallPool, read_parallelism
from dpn.model import Blueprint, StackState, freeze
from dpn.providers.base import SERIAL, Fanout, Observed, Provider, Spec
from dpn.settings import PlatformSettings

if TYPE_CHECKING:  # an offline plan imports this module and needs neither
    from dpn.conflicts import NameCheck
    from dpn.plan import Plan

T = TypeVar("T")


def refresh_state(state: StackState | None, providers: Mapping[str, Provider],
                  pool: CallPool | None = None) -> dict[str, Observed | None]:
    """Every resource of ``state`` as it is live (None where it is gone); one bulk read per
    type, the types side by side, their calls through ``pool`` (one after another
    without one)."""
    if state is None:
        return {}
    by_type: dict[str, list[str]] = defaultdict(list)
    for res in state.resources.values():
        by_type[res.type].append(res.id)
    fan: Fanout = pool or SERIAL
    types = list(by_type)
    reads = side_by_side([partial(providers[t].read_many, by_type[t], fan) for t in types],
                         parallel=pool is not None)
    found = {(t, id_): obs for t, read in zip(types, reads, strict=True)
             for id_, obs in read.items()}
    return {k: found.get((r.type, r.id)) for k, r in state.resources.items()}


def probe_names(plan: Plan, providers: Mapping[str, Provider], pool: CallPool | None = None
                ) -> Callable[[Sequence[NameCheck]], dict[str, Observed | None]]:
    """A probe for ``dpn.conflicts.read_names``: each type's ``find_many`` of the checked
    changes (their desired props, references resolved as the plan knows them), the
    types side by side, their calls through ``pool``."""
    after = {c.key: c.after or {} for c in plan.changes}
    fan: Fanout = pool or SERIAL

    def probe(checks: Sequence[NameCheck]) -> dict[str, Observed | None]:
        by_type: dict[str, list[Spec]] = defaultdict(list)
        for c in checks:
            by_type[c.type].append(Spec(key=c.key, type=c.type, name=c.name,
                                        props=freeze(after[c.key])))
        types = list(by_type)
        reads = side_by_side([partial(providers[t].find_many, by_type[t], fan)
                              for t in types], parallel=pool is not None)
        return {key: obs for read in reads for key, obs in read.items()}

    return probe


def side_by_side(fns: Sequence[Callable[[], T]], *, parallel: bool = True) -> list[T]:
    """Each ``fn()`` on a thread of its own (they only orchestrate: their calls take the
    pool's slots), results in order; the first failure is raised once all have ended."""
    if not parallel or len(fns) <= 1:
        return [fn() for fn in fns]
    with ThreadPoolExecutor(len(fns), thread_name_prefix="dpn-read") as threads:
        futures = [threads.submit(fn) for fn in fns]
    return [f.result() for f in futures]


def refresh(blueprint: Blueprint, state: StackState | None, settings: PlatformSettings,
            home: Path) -> dict[str, Observed | None]:
    """The live view of ``state`` for a plan, with providers built from ``settings``."""
    from dpn.providers import registry

    if state is None or not state.resources:
        return {}
    providers = registry.build(settings, region=blueprint.metadata.region, home=home,
                               types={r.type for r in state.resources.values()})
    with CallPool(read_parallelism(settings.read_parallelism)) as pool:
        return refresh_state(state, providers, pool)
