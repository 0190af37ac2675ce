"""``dpn update`` converges: update in place, replace, delete; and its rollback restores
the before-images, a replaced object included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.crash.harness import BLUEPRINT_EIGHT, assert_platforms_equal_state, run

pytestmark = pytest.mark.integration
STACK = "acme-dev-crash"


def changed_blueprint(tmp_path: Path) -> str:
    doc = json.loads(Path(BLUEPRINT_EIGHT).read_text())
    res = doc["resources"]
    res["sales_db"]["description"] = "sales, silver layer"
    res["orders_gold"]["columns"].append({"name": "amount", "type": "DECIMAL(10,2)"})
    del res["nightly"]
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(doc))
    return str(path)


def test_update_replace_delete_then_rollback_of_all_three(
        clean_sandbox, dbx_faults, s3, glue, workspace, tmp_path):
    home = tmp_path / "home"
    assert run(clean_sandbox, home, "create", BLUEPRINT_EIGHT, "--yes").returncode == 0
    changed = changed_blueprint(tmp_path)
    plan = run(clean_sandbox, home, "plan", changed, "--format", "json")
    actions = {c["key"]: c["action"] for c in json.loads(plan.stdout)["changes"]}
    assert actions["sales_db"] == "update" and actions["orders_gold"] == "replace"
    assert actions["nightly"] == "delete"

    # a fault on the new table's create: the replace's delete and the update are undone
    dbx_faults.add(method="POST", path=r"/unity-catalog/tables$", status=400,
                   error_code="INVALID_PARAMETER_VALUE", message="injected", count=1)
    failed = run(clean_sandbox, home, "update", changed, "--yes", "--format", "json")
    assert failed.returncode == 1, failed.stderr
    assert json.loads(failed.stdout)["outcome"] == "rolled_back"
    assert_platforms_equal_state(home, STACK, s3, glue, workspace)
    db = glue.get_database(Name="dev_sales_silver")["Database"]
    assert "Description" not in db
    table = workspace.tables.get("dev_sales.gold.orders")
    assert [c.name for c in table.columns] == ["order_id"]
    assert len(list(workspace.jobs.list())) == 1

    done = run(clean_sandbox, home, "update", changed, "--yes")
    assert done.returncode == 0, done.stderr
    assert_platforms_equal_state(home, STACK, s3, glue, workspace)
    assert glue.get_database(Name="dev_sales_silver")["Database"]["Description"]
    table = workspace.tables.get("dev_sales.gold.orders")
    assert [c.name for c in table.columns] == ["order_id", "amount"]
    assert list(workspace.jobs.list()) == []
    again = run(clean_sandbox, home, "plan", changed, "--format", "json")
    assert json.loads(again.stdout)["summary"]["no-op"] == 7
