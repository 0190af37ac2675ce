"""Checks made at plan time against the live workspace, before anything changes: each
cluster's ``spark_version`` and ``node_type_id`` against what the workspace offers
(through the provider's cache), and what Unity Catalog would refuse for want of an
external location, an explicit grant or root storage (``dpn.uc_access``, through a
provider that implements ``ChecksChanges``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, Protocol, runtime_checkable

from dpn.blueprint.refs import resolve
from dpn.errors import InvalidRequest, NotFound
from dpn.model import Blueprint, StackState, freeze
from dpn.plan import Plan
from dpn.providers.base import SERIAL, Fanout, Provider, Spec


@runtime_checkable
class ChecksSpecs(Protocol):
    """A provider that can check a spec against the platform's offer."""

    def validate_cluster_spec(self, spec: Spec) -> list[str]: ...


@runtime_checkable
class ChecksChanges(Protocol):
    """A provider that can tell which planned changes its platform would refuse."""

    access_scope: str

    def check_changes(self, changes: Sequence[Any]) -> list[str]: ...


def check_access(providers: Mapping[str, Provider], fan: Fanout = SERIAL) -> None:
    """One cheap read per credential scope (S3, Glue, the Databricks workspace), the
    scopes in parallel through ``fan``, so refused credentials stop the command (exit 5)
    before anything changes."""
    scopes: dict[str, Provider] = {}
    for provider in providers.values():
        if provider.access_scope:
            scopes.setdefault(provider.access_scope, provider)
    fan.map([partial(_probe, p) for p in scopes.values()])


def _probe(provider: Provider) -> None:
    try:
        provider.check_access()
    except (NotFound, InvalidRequest):
        pass  # the probe itself is not offered there: the real calls will tell


def preflight(plan: Plan, blueprint: Blueprint, state: StackState | None,
              providers: Mapping[str, Provider], *, access: bool = True) -> list[str]:
    """Problems that would make a planned create, update or replace fail; without
    ``access``, the storage-access checks are left out."""
    attrs = {k: r.attrs for k, r in (state.resources if state else {}).items()}
    problems: list[str] = []
    for change in plan.changes:
        provider = providers.get(change.type)
        if change.action not in ("create", "update", "replace") or not isinstance(provider,
                                                                            ChecksSpecs):
            continue
        resource = blueprint.resources[change.key]
        props = resolve(resource.props, lambda k, a: attrs.get(k, {}).get(a))
        spec = Spec(key=change.key, type=change.type, name=resource.name, props=freeze(props))
        problems += [f"{change.key}: {p}" for p in provider.validate_cluster_spec(spec)]
    scopes: set[str] = set()
    for checker in providers.values() if access else ():
        if isinstance(checker, ChecksChanges) and checker.access_scope not in scopes:
            scopes.add(checker.access_scope)
            problems += checker.check_changes(plan.changes)
    return problems
