"""Environments, driven by tests/unit/cases/environments.json: the merge of an
environment's overrides, its stack and names, and what is refused."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from dpn.blueprint import from_dict, load_all
from dpn.blueprint.environments import merge_patch, select
from dpn.errors import DpnError

DATA = json.loads((Path(__file__).parent / "cases" / "environments.json").read_text())


def _doc(case: dict[str, Any]) -> dict[str, Any]:
    doc = merge_patch(copy.deepcopy(DATA["base"]), case.get("patch_base") or {})
    if "environments" in case:
        doc["environments"] = case["environments"]
    return doc


@pytest.mark.parametrize("case", DATA["cases"], ids=lambda c: c["name"])
def test_environment(case: dict[str, Any]) -> None:
    doc = _doc(case)
    if "error" in case:
        with pytest.raises(DpnError) as info:
            from_dict(doc, env=case["env"])
        assert case["error"] in str(info.value)
        return
    bp = from_dict(doc, env=case["env"])
    merged = select(doc, case["env"])
    if "stack" in case:
        assert bp.stack == case["stack"]
    if "metadata" in case:
        assert merged["metadata"] == case["metadata"]
    for key, name in case.get("names", {}).items():
        assert bp.resources[key].name == name
    for key, fields in case.get("resources_expected", {}).items():
        if fields == "absent":
            assert key not in bp.resources and key not in merged["resources"]
            continue
        for field, value in fields.items():
            if value == "absent":
                assert field not in merged["resources"][key]
            else:
                assert merged["resources"][key][field] == value
    assert "environments" not in doc or doc == _doc(case)  # the document is not changed


def test_validate_checks_every_environment_and_names_the_one_that_fails(
        tmp_path: Path) -> None:
    doc = _doc({"environments": {"prd": {"resources": {"etl": {"num_workers": -1}}},
                                 "stg": {}}})
    path = tmp_path / "bp.json"
    path.write_text(json.dumps(doc, indent=1))
    with pytest.raises(DpnError) as info:
        load_all(path)
    text = str(info.value)
    assert "environment 'prd': 'num_workers' must be at least 0" in text
    assert "stg" not in text and text.count("\n") == 0  # one finding, placed in prd
    doc["environments"]["prd"] = {}
    path.write_text(json.dumps(doc))
    assert [b.stack for b in load_all(path)] == ["acme-dev-lake", "acme-prd-lake",
                                                 "acme-stg-lake"]


def test_a_finding_every_environment_shares_is_reported_once(tmp_path: Path) -> None:
    doc = _doc({"environments": {"prd": {}, "stg": {}}})
    doc["resources"]["etl"]["num_workerz"] = 1
    path = tmp_path / "bp.json"
    path.write_text(json.dumps(doc, indent=1))
    with pytest.raises(DpnError) as info:
        load_all(path)
    assert str(info.value).count("unknown field 'num_workerz'") == 1
    assert "environment '" not in str(info.value)
