"""The one comparison path, driven by JSON cases: tests/unit/cases/diffs.json (two
configurations -> the fields that differ), canonical.json and canonical_aws.json (a
configuration -> its canonical form)."""

from __future__ import annotations

import json
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from dpn import model
from dpn.canonical import canonical, diff, effects, managed_fields, resolved, rules, sql_type

CASES_DIR = Path(__file__).parent / "cases"
DIFFS = json.loads((CASES_DIR / "diffs.json").read_text())["cases"]
FORMS = [case for name in ("canonical.json", "canonical_aws.json")
         if (CASES_DIR / name).exists()
         for case in json.loads((CASES_DIR / name).read_text())["cases"]]


@pytest.mark.parametrize("case", DIFFS, ids=lambda c: f"{c[0]}")
def test_diff(case: list[Any]) -> None:
    rtype, old, new, update, replace = case[:5]
    result = diff(rtype, old, new)
    assert sorted(result.update) == sorted(update)
    assert sorted(result.replace) == sorted(replace)
    assert result.changed == bool(update or replace)
    if "one-way" not in case[5:]:
        back = diff(rtype, new, old)  # symmetric in what changes
        assert sorted(back.update) == sorted(update)
        assert sorted(back.replace) == sorted(replace)


@pytest.mark.parametrize("case", FORMS, ids=lambda c: f"{c[0]}")
def test_canonical_form(case: list[Any]) -> None:
    rtype, props, expected = case
    form = canonical(rtype, props)
    assert form == expected
    assert canonical(rtype, form) == form  # idempotent
    assert not diff(rtype, props, expected).changed


def _rule_fields(node: Any, seen: frozenset[str] = frozenset()) -> set[str]:
    """Every field name a rule node mentions, at any depth (a shared node once)."""
    if node.get("use") in seen:
        return set()
    seen = seen | {node["use"]} if "use" in node else seen
    node = resolved(node)
    out: set[str] = set()
    for kind in ("defaults", "aliases", "case", "transform", "fields", "items", "sort_by",
                 "platform_keys", "when_present"):
        out |= set(node.get(kind, {}))
    for kind in ("trim_slash", "computed", "internal", "replace", "directives"):
        out |= set(node.get(kind, ())) - {"*"}
    for pair in node.get("exclusive", ()):
        out |= set(pair)
    for kind in ("fields", "items", "when_present"):
        for sub in node.get(kind, {}).values():
            out |= _rule_fields(sub, seen)
    return out


def _mentioned(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _mentioned(v)}
    if isinstance(value, list):
        return {k for v in value for k in _mentioned(v)}
    return set()


@pytest.mark.parametrize("rtype", model.RESOURCE_TYPES)
def test_every_rule_has_a_case(rtype: str) -> None:
    """A rule of rules.json without a case of its type fails here."""
    seen: set[str] = set()
    for case in DIFFS + FORMS:
        if case[0] == rtype:
            seen |= _mentioned(case[1]) | _mentioned(case[2])
    assert _rule_fields(rules(rtype)) - seen == set()


def test_every_type_has_cases() -> None:
    assert {c[0] for c in DIFFS} == set(model.RESOURCE_TYPES)


def test_rules_name_only_schema_fields() -> None:
    for rtype in model.RESOURCE_TYPES:
        node = rules(rtype)
        top = set(node.get("defaults", {})) | set(node.get("computed", ())) | set(
            node.get("replace", ())) - {"*"}
        assert top <= set(managed_fields(rtype)) | set(node.get("directives", ())), rtype
        # internal props are the engine's and the provider's, never the schema's
        assert not set(node.get("internal", ())) & set(managed_fields(rtype)), rtype


def test_frozen_and_plain_props_compare_equal() -> None:
    plain = {"columns": [{"name": "a", "type": "INT"}], "tags": {"k": "v"}}
    assert not diff(model.GLUE_TABLE, plain, model.freeze(plain)).changed


def test_canonical_does_not_touch_its_input() -> None:
    props = MappingProxyType({"versioning": False})
    out = canonical(model.S3_BUCKET, props)
    assert out["versioning"] is False and out["encryption"] == "AES256"
    assert dict(props) == {"versioning": False}


def test_drift_is_judged_by_what_the_blueprint_asks() -> None:
    state = {"single_user_name": "me@x", "data_security_mode": "SINGLE_USER"}
    live = {"single_user_name": "you@x", "data_security_mode": "SINGLE_USER"}
    # a computed field the blueprint leaves to the service is not dpn's to report
    assert not diff(model.CLUSTER, state, live, asked={}).changed
    assert diff(model.CLUSTER, state, live, asked=state).fields == ("single_user_name",)
    props = {"properties": {"delta.lastCommitTimestamp": "1"}}
    later = {"properties": {"delta.lastCommitTimestamp": "2"}}
    assert not diff(model.TABLE, props, later, asked={}).changed


def test_managed_fields_exclude_naming_inputs_and_directives() -> None:
    for rtype in model.RESOURCE_TYPES:
        fields = managed_fields(rtype)
        assert not model.NAMING_INPUTS & set(fields)
        assert not set(rules(rtype).get("directives", ())) & set(fields)
        assert rtype in model.UNTAGGED or model.TAG_FIELD[rtype] in fields


def test_a_cluster_update_says_it_restarts_a_running_cluster() -> None:
    assert effects(model.CLUSTER, "RUNNING") == ("restarts the running cluster",)
    assert effects(model.CLUSTER, "TERMINATED") == ()
    assert effects(model.CLUSTER, None) == ("restarts the cluster if it is running",)
    assert effects(model.JOB, "RUNNING") == ()


@pytest.mark.parametrize(("given", "expected"), [
    ("bigint", "BIGINT"), ("decimal(10, 2)", "DECIMAL(10,2)"), ("DECIMAL", "DECIMAL(10,0)"),
    ("decimal(5)", "DECIMAL(5,0)"), ("map<string,  int>", "MAP<STRING,INT>"),
    ("struct<a: int, b: string>", "STRUCT<A:INT,B:STRING>"), ("integer", "INT"),
])
def test_sql_type(given: str, expected: str) -> None:
    assert sql_type(given) == expected
