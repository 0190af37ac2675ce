"""Run the real ``dpn`` CLI as a subprocess against the sandbox, and compare platforms with
state."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from dpn.engine.stores.state import StateStore
from tests.conftest import SUITE_ENV
from tests.platform_listing import platform_inventory, state_inventory

HERE = Path(__file__).parent
BLUEPRINT_EIGHT = str(HERE / "eight.json")


def dpn_env(sandbox: Any, home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABRICKS_", "AWS_", "DPN_")) or k in SUITE_ENV}
    env.update({"DPN_HOME": str(home), "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                "DATABRICKS_TOKEN": sandbox.dbx_token, "NO_COLOR": "1"})
    env.update(extra)
    return env


def run(sandbox: Any, home: Path, *args: str, timeout: float = 120,
        **extra: str) -> subprocess.CompletedProcess[str]:
    platform_args = []
    if args and args[0] in ("create", "update", "delete", "recover", "read", "plan"):
        platform_args = ["--aws-endpoint-url", sandbox.aws_endpoint,
                         "--aws-region", "us-east-1", "--dbx-host", sandbox.dbx_host]
    cmd = [sys.executable, "-m", "dpn", *args[:1], *platform_args, *args[1:]]
    return subprocess.run(cmd, env=dpn_env(sandbox, home, **extra), capture_output=True,
                          text=True, timeout=timeout)


def assert_platforms_equal_state(home: Path, stack: str, s3: Any, glue: Any,
                                 workspace: Any) -> set[tuple[str, str]]:
    state = StateStore(home).load(stack)
    live = platform_inventory(s3, glue, workspace)
    recorded = state_inventory(state)
    # the catalog's platform-made schemas are not dpn's: the state records only its own
    orphans = live - recorded
    missing = recorded - live
    assert not orphans, f"orphaned objects: {sorted(orphans)}"
    assert not missing, f"state records objects that do not exist: {sorted(missing)}"
    return live
