"""SIGKILL a real ``dpn create`` right after each WAL record of an 8-resource create, then
``dpn recover``: the platforms must equal the state, with no orphan, every time, and a
following ``dpn update`` reaches the blueprint."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from dpn.engine.wal import list_logs, read_wal

from .harness import BLUEPRINT_EIGHT, assert_platforms_equal_state, run

pytestmark = [pytest.mark.crash, pytest.mark.integration]

STACK = "acme-dev-crash"
# begin, an intent and a done for each of the 8 resources, commit, end
RECORDS = 1 + 2 * 8 + 2


def test_a_clean_create_writes_the_expected_records(clean_sandbox, tmp_path):
    done = run(clean_sandbox, tmp_path, "create", BLUEPRINT_EIGHT, "--yes")
    assert done.returncode == 0, done.stderr
    log = read_wal(list_logs(tmp_path, STACK)[0])
    assert len(log.records) == RECORDS
    assert [r["record"] for r in log.records].count("intent") == 8


# The default run kills after a smoke subset, one of each kind of record (begin, the first
# intent and done, one mid-way, the last done, commit); --runslow after every record. The
# recovery decisions themselves are tested record by record from tests/unit/cases/recovery.json.
SMOKE = {1, 2, 3, 10, 17, 18}


@pytest.mark.parametrize("n", [n if n in SMOKE else pytest.param(n, marks=pytest.mark.slow)
                               for n in range(1, RECORDS)])
def test_kill_after_record_then_recover(n, clean_sandbox, s3, glue, workspace, tmp_path):
    sandbox = clean_sandbox
    killed = run(sandbox, tmp_path, "create", BLUEPRINT_EIGHT, "--yes",
                 DPN_TEST_CRASH_AFTER_RECORD=str(n))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    blocked = run(sandbox, tmp_path, "create", BLUEPRINT_EIGHT, "--yes")
    assert blocked.returncode == 4, blocked.stderr
    assert "dpn recover" in blocked.stderr and "Traceback" not in blocked.stderr
    status = run(sandbox, tmp_path, "status", "--format", "json")
    assert status.returncode == 4
    assert json.loads(status.stdout)["stacks"][0]["incomplete"]
    recovered = run(sandbox, tmp_path, "recover", "--format", "json")
    assert recovered.returncode == 0, recovered.stderr
    outcome = json.loads(recovered.stdout)["recovered"][0]["outcome"]
    # the commit record is number RECORDS - 1: kills before it roll back, after it complete
    assert outcome == ("committed" if n >= RECORDS - 1 else "rolled_back")
    assert_platforms_equal_state(tmp_path, STACK, s3, glue, workspace)
    again = run(sandbox, tmp_path, "update", BLUEPRINT_EIGHT, "--yes")
    assert again.returncode == 0, again.stderr
    live = assert_platforms_equal_state(tmp_path, STACK, s3, glue, workspace)
    assert len(live) == 8


def _uc_blueprint(path, storage_root: str | None) -> str:
    """A catalog holding a schema holding a table: a new storage root replaces all three."""
    bp = json.loads(Path(BLUEPRINT_EIGHT).read_text())
    keep = {"sales", "sales_gold", "orders_gold"}
    bp["resources"] = {k: v for k, v in bp["resources"].items() if k in keep}
    bp["resources"]["orders_gold"]["storage_location"] = "s3://acme-dev-lake/gold/orders/"
    if storage_root:
        bp["resources"]["sales"]["storage_root"] = storage_root
    path.write_text(json.dumps(bp))
    return str(path)


# begin, four records for each of the 3 replaces, commit, end
REPLACE_RECORDS = 1 + 4 * 3 + 2


# The default run kills after every sixth record (begin, an old object's delete, a new
# object's create); --runslow after every record
KILL_POINTS = [n if n % 6 == 1 else pytest.param(n, marks=pytest.mark.slow)
               for n in range(1, REPLACE_RECORDS)]


@pytest.mark.parametrize("n", KILL_POINTS)
def test_kill_a_cascading_replace_after_record_then_recover(n, clean_sandbox, s3, glue,
                                                           workspace, tmp_path):
    sandbox = clean_sandbox
    old = _uc_blueprint(tmp_path / "old.json", None)
    new = _uc_blueprint(tmp_path / "new.json", "s3://acme-dev-lake/uc/sales/")
    assert run(sandbox, tmp_path, "create", old, "--yes").returncode == 0
    killed = run(sandbox, tmp_path, "update", new, "--yes", DPN_TEST_CRASH_AFTER_RECORD=str(n))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    recovered = run(sandbox, tmp_path, "recover", "--format", "json")
    assert recovered.returncode == 0, recovered.stderr
    outcome = json.loads(recovered.stdout)["recovered"][0]["outcome"]
    assert outcome == ("committed" if n >= REPLACE_RECORDS - 1 else "rolled_back")
    live = assert_platforms_equal_state(tmp_path, STACK, s3, glue, workspace)
    assert len(live) == 3
    root = workspace.catalogs.get("dev_sales").storage_root
    assert bool(root) == (outcome == "committed")
    again = run(sandbox, tmp_path, "update", new, "--yes")
    assert again.returncode == 0, again.stderr
    assert len(assert_platforms_equal_state(tmp_path, STACK, s3, glue, workspace)) == 3
    assert workspace.catalogs.get("dev_sales").storage_root.endswith("/uc/sales")
