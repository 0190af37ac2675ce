"""Diffs per type, driven by tests/unit/cases/diffs.json."""

from __future__ import annotations

import json
from pathlib import Path
from types import MappingProxyType

import pytest

from dpn import model
from dpn.diffing import diff, managed_fields, with_defaults

CASES = json.loads((Path(__file__).parent / "cases" / "diffs.json").read_text())["cases"]


@pytest.mark.parametrize(("rtype", "old", "new", "update", "replace"), CASES)
def test_diff(rtype: str, old: dict[str, object], new: dict[str, object],
              update: list[str], replace: list[str]) -> None:
    result = diff(rtype, old, new)
    assert sorted(result.update) == sorted(update)
    assert sorted(result.replace) == sorted(replace)
    assert result.changed == bool(update or replace)
    back = diff(rtype, new, old)  # symmetric in what changes
    assert sorted(back.update) == sorted(update) and sorted(back.replace) == sorted(replace)


def test_every_type_has_cases() -> None:
    assert {c[0] for c in CASES} == set(model.RESOURCE_TYPES)


def test_frozen_and_plain_props_compare_equal() -> None:
    plain = {"columns": [{"name": "a", "type": "INT"}], "tags": {"k": "v"}}
    assert not diff(model.GLUE_TABLE, plain, model.freeze(plain)).changed


def test_with_defaults_does_not_touch_its_input() -> None:
    props = MappingProxyType({"versioning": False})
    out = with_defaults(model.S3_BUCKET, props)
    assert out == {"versioning": False, "encryption": "AES256", "block_public_access": True}
    assert dict(props) == {"versioning": False}


def test_managed_fields_exclude_naming_inputs() -> None:
    for rtype in model.RESOURCE_TYPES:
        fields = managed_fields(rtype)
        assert not {"type", "name", "layer", "domain", "purpose", "entity"} & set(fields)
        assert model.TAG_FIELD[rtype] in fields
