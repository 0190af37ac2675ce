"""SIGKILL a real ``dpn create`` right after each WAL record of an 8-resource create, then
``dpn recover``: the platforms must equal the state, with no orphan, every time."""

from __future__ import annotations

import json
import signal

import pytest

from dpn.engine.wal import list_logs, read_wal

from .harness import HERE, assert_platforms_equal_state, run

pytestmark = [pytest.mark.crash, pytest.mark.integration]

BLUEPRINT = str(HERE / "eight.json")
STACK = "acme-dev-crash"


def _records_of_a_clean_create(sandbox, home) -> int:
    done = run(sandbox, home, "create", BLUEPRINT, "--yes")
    assert done.returncode == 0, done.stderr
    return len(read_wal(list_logs(home, STACK)[0]).records)


def test_kill_after_every_record_then_recover(clean_sandbox, s3, glue, workspace, tmp_path):
    sandbox = clean_sandbox
    total = _records_of_a_clean_create(sandbox, tmp_path / "probe")
    assert total >= 1 + 2 * 8 + 2
    run(sandbox, tmp_path / "probe", "delete", BLUEPRINT, "--yes", "--force-empty")
    outcomes = {}
    for n in range(1, total):
        home = tmp_path / f"k{n}"
        killed = run(sandbox, home, "create", BLUEPRINT, "--yes",
                     DPN_TEST_CRASH_AFTER_RECORD=str(n))
        assert killed.returncode == -signal.SIGKILL, (n, killed.stderr)
        assert "Traceback" not in killed.stderr
        blocked = run(sandbox, home, "create", BLUEPRINT, "--yes")
        assert blocked.returncode == 4, (n, blocked.stderr)
        status = run(sandbox, home, "status", "--format", "json")
        assert status.returncode == 4
        assert json.loads(status.stdout)["stacks"][0]["incomplete"]
        recovered = run(sandbox, home, "recover", "--format", "json")
        assert recovered.returncode == 0, (n, recovered.stderr)
        outcomes[n] = json.loads(recovered.stdout)["recovered"][0]["outcome"]
        assert_platforms_equal_state(home, STACK, s3, glue, workspace)
        # the stack is usable again: converge, then tear down for the next kill
        again = run(sandbox, home, "update", BLUEPRINT, "--yes")
        assert again.returncode == 0, (n, again.stderr)
        assert_platforms_equal_state(home, STACK, s3, glue, workspace)
        gone = run(sandbox, home, "delete", BLUEPRINT, "--yes", "--force-empty")
        assert gone.returncode == 0, (n, gone.stderr)
        assert_platforms_equal_state(home, STACK, s3, glue, workspace)
    # kills before the commit point roll back, kills after it complete
    assert "rolled_back" in outcomes.values() and "committed" in outcomes.values()
