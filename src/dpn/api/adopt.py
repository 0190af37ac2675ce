"""Adopting existing objects into a stack (``dpn import``): see ``dpn.api.importing``
for what may be adopted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dpn.api.importing import Candidate, ImportPlan, Skipped, import_resources
from dpn.api.runner import Runner
from dpn.engine.events import EventSink
from dpn.engine.ops import ApplyResult
from dpn.model import Blueprint

__all__ = ["Candidate", "ImportPlan", "ImportResult", "Skipped", "import_objects"]


@dataclass(frozen=True)
class ImportResult:
    """What the import adopts (``plan``) and, unless nothing ran, its transaction."""

    plan: ImportPlan
    result: ApplyResult | None
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        """What ``dpn import --format json`` prints."""
        out: dict[str, Any] = {**self.plan.to_json(), "dry_run": self.dry_run}
        if self.result is not None:
            out.update(self.result.to_json())
        return out


def import_objects(blueprint: Blueprint, runner: Runner,
                   targets: Mapping[str, str] | None = None, *, all_missing: bool = False,
                   dry_run: bool = False, on_event: EventSink | None = None) -> ImportResult:
    """Adopt ``targets`` (key -> physical id) or, with ``all_missing``, every blueprint key
    missing from state whose object exists and no other stack owns, in one transaction."""
    plan, result = import_resources(runner.with_events(on_event), blueprint, dict(targets or {}),
                                    all_missing=all_missing, dry_run=dry_run)
    return ImportResult(plan, result, dry_run)
