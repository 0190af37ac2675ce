"""Read what the state records from the live platforms, in bulk."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

from dpn.model import Blueprint, StackState
from dpn.providers.base import Observed, Provider
from dpn.settings import PlatformSettings


def refresh_state(state: StackState | None, providers: Mapping[str, Provider]
                  ) -> dict[str, Observed | None]:
    """Every resource of ``state`` as it is live (None where it is gone); one bulk read per
    type."""
    if state is None:
        return {}
    by_type: dict[str, list[str]] = defaultdict(list)
    for res in state.resources.values():
        by_type[res.type].append(res.id)
    found: dict[tuple[str, str], Observed | None] = {}
    for rtype, ids in by_type.items():
        for id_, obs in providers[rtype].read_many(ids).items():
            found[(rtype, id_)] = obs
    return {k: found.get((r.type, r.id)) for k, r in state.resources.items()}


def refresh(blueprint: Blueprint, state: StackState | None, settings: PlatformSettings,
            home: Path) -> dict[str, Observed | None]:
    """The live view of ``state`` for a plan, with providers built from ``settings``."""
    from dpn.providers import registry

    if state is None or not state.resources:
        return {}
    providers = registry.build(settings, region=blueprint.metadata.region, home=home,
                               types={r.type for r in state.resources.values()})
    return refresh_state(state, providers)
