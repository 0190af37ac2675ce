"""Pure configuration diffs per resource type (no I/O).

- ``with_defaults(rtype, props)``: a copy with the type's defaults filled in. These are
  the values dpn sends when a field is omitted:

  ================  ==========================  ==========================================
  type              field                        default
  ================  ==========================  ==========================================
  aws.s3_bucket     versioning                   true
  aws.s3_bucket     encryption                   "AES256"
  aws.s3_bucket     block_public_access          true
  dbx.cluster       autotermination_minutes      120 (the Databricks UI default; 0 = never)
  dbx.cluster       num_workers                  0 when ``autoscale`` is absent
  dbx.job           max_concurrent_runs          1 (the Jobs API default)
  dbx.table         data_source_format           "DELTA"
  ================  ==========================  ==========================================

- ``diff(rtype, old, new)``: the managed fields that differ, each under ``update`` (changed
  in place) or ``replace`` (delete and re-create). Replace-forcing fields: Glue table
  ``database``; catalog ``storage_root``; schema ``catalog``; every field of a UC table
  (the Unity Catalog API cannot change columns, location or format in place). S3 buckets,
  Glue databases, clusters and jobs change everything in place (a bucket's name is its
  identity: a new name is a new bucket, which the planner handles).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from dpn import model
from dpn.providers.base import Diff

DEFAULTS: Mapping[str, Mapping[str, Any]] = MappingProxyType({
    model.S3_BUCKET: MappingProxyType(
        {"versioning": True, "encryption": "AES256", "block_public_access": True}),
    model.CLUSTER: MappingProxyType({"autotermination_minutes": 120}),
    model.JOB: MappingProxyType({"max_concurrent_runs": 1}),
    model.TABLE: MappingProxyType({"data_source_format": "DELTA"}),
})

ALL = "*"
REPLACE_FIELDS: Mapping[str, frozenset[str]] = MappingProxyType({
    model.S3_BUCKET: frozenset(),
    model.GLUE_DATABASE: frozenset(),
    model.GLUE_TABLE: frozenset({"database"}),
    model.CLUSTER: frozenset(),
    model.JOB: frozenset(),
    model.CATALOG: frozenset({"storage_root"}),
    model.SCHEMA: frozenset({"catalog"}),
    model.TABLE: frozenset({ALL}),
})

_NOT_PROPS = frozenset({"type", "name", "layer", "domain", "purpose", "entity"})


@functools.cache
def managed_fields(rtype: str) -> tuple[str, ...]:
    """The properties dpn manages for a type (the schema's, minus naming inputs)."""
    from dpn.blueprint.validation import field_names

    return tuple(f for f in field_names(rtype) if f not in _NOT_PROPS)


def with_defaults(rtype: str, props: Mapping[str, Any]) -> dict[str, Any]:
    """A plain copy of ``props`` (top level) with the type's defaults where absent."""
    out = dict(props)
    for name, value in DEFAULTS.get(rtype, {}).items():
        if out.get(name) is None:
            out[name] = value
    if rtype == model.CLUSTER and out.get("autoscale") is None and out.get("num_workers") is None:
        out["num_workers"] = 0
    return out


def _plain(value: Any) -> Any:
    """Comparable form: an empty mapping, list or string means the same as an absent field,
    at every depth (the platforms leave out, or answer ``{}`` for, fields never set)."""
    return _prune(model.thaw(value))


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        value = {k: v for k, v in pruned.items() if v is not None}
    elif isinstance(value, list):
        value = [_prune(v) for v in value]
    return None if value in ({}, [], "") else value


def diff(rtype: str, old_props: Mapping[str, Any], new_props: Mapping[str, Any]) -> Diff:
    """The managed fields that differ between two configurations, defaults applied to
    both; empty when they are equal."""
    old = with_defaults(rtype, old_props)
    new = with_defaults(rtype, new_props)
    forcing = REPLACE_FIELDS.get(rtype, frozenset())
    update: list[str] = []
    replace: list[str] = []
    for field in managed_fields(rtype):
        if _plain(old.get(field)) == _plain(new.get(field)):
            continue
        (replace if ALL in forcing or field in forcing else update).append(field)
    return Diff(update=tuple(update), replace=tuple(replace))
