"""The order storage paths and grants imply, from JSON cases
(tests/unit/cases/implied_edges.json), through the compiler."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dpn.blueprint import from_dict
from dpn.errors import BlueprintError

DATA = json.loads((Path(__file__).parent / "cases" / "implied_edges.json").read_text())
META = {"org": "acme", "env": "prd", "project": "lake", "region": "us-east-1"}


@pytest.mark.parametrize("case", DATA["cases"], ids=[c["name"] for c in DATA["cases"]])
def test_implied_edges_case(case: dict[str, Any]) -> None:
    bp = from_dict({"version": 1, "metadata": META, "resources": case["resources"]})
    for key, deps in case["expect"].items():
        assert sorted(bp.resources[key].depends_on) == deps, key


def test_an_implied_order_that_makes_a_cycle_is_a_blueprint_error() -> None:
    resources = {
        "sales": {"type": "dbx.catalog", "domain": "sales", "storage_root": "s3://acme-x/uc"},
        "loc": {"type": "dbx.external_location", "purpose": "x", "url": "s3://acme-x/uc",
                "credential": "cred", "comment": "${sales.name}"},
    }
    with pytest.raises(BlueprintError, match="dependency cycle through the order"):
        from_dict({"version": 1, "metadata": META, "resources": resources})
