"""Shared fixtures.

Sandbox (integration tests, ``@pytest.mark.integration``): ``sandbox`` starts one local
sandbox per pytest worker in a temporary home and stops it at the end; ``clean_sandbox``
empties both platforms, fault rules and request logs before a test; ``aws_faults`` and
``dbx_faults`` are fault-admin clients; ``s3``, ``glue``, ``iam`` (boto3) and ``workspace``
(databricks-sdk) are real clients against the sandbox.

CLI: ``dpn_home`` is a fresh home per test; ``run_dpn(*args, home=..., env=...)`` runs the
``dpn`` command line as a subprocess and returns its CompletedProcess.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Clusters go PENDING -> RUNNING at once in tests (a test may slow them via /_dpn/config).
os.environ.setdefault("DPN_SANDBOX_CLUSTER_DELAY", "0")
# Unity Catalog's storage preconditions are enforced by the sandbox by default, as on a real
# workspace; the tests of other things (engine, convergence, faults) use blueprints without
# the storage chain, so their sandbox starts without them. Tests of the chain ask for them
# with the ``enforcing`` fixture.
os.environ.setdefault("DPN_SANDBOX_ENFORCE_ACCESS", "0")
# ... and dpn plans them without its Unity Catalog storage-access checks, which would
# refuse those blueprints; the chain's tests set DPN_SKIP_ACCESS_CHECKS=0.
os.environ.setdefault("DPN_SKIP_ACCESS_CHECKS", "1")
# What the helpers that build a clean environment for ``dpn`` processes keep of DPN_*.
SUITE_ENV = ("DPN_SANDBOX_ENFORCE_ACCESS", "DPN_SKIP_ACCESS_CHECKS")
_CLEAN_ENV_PREFIXES = ("DATABRICKS_", "AWS_", "DPN_HOME")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", default=False,
                     help="run tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--runslow") or os.environ.get("DPN_CAMPAIGN_RUNS"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow or DPN_CAMPAIGN_RUNS")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A running sandbox (SandboxInfo), one per pytest worker."""
    from dpn.sandbox import launcher

    home = tmp_path_factory.mktemp("sandbox-home")
    info = launcher.start(home)
    try:
        yield info
    finally:
        launcher.stop(home)


@pytest.fixture
def aws_faults(sandbox: Any) -> Iterator[Any]:
    from dpn.sandbox.faults import FaultClient

    client = FaultClient(sandbox.aws_endpoint)
    yield client
    client.clear()


@pytest.fixture
def dbx_faults(sandbox: Any) -> Iterator[Any]:
    from dpn.sandbox.faults import FaultClient

    client = FaultClient(sandbox.dbx_host)
    yield client
    client.clear()


@pytest.fixture
def clean_sandbox(sandbox: Any) -> Iterator[Any]:
    """The sandbox with both platforms, their fault rules and request logs emptied."""
    from dpn.sandbox.faults import FaultClient

    fronts = [FaultClient(sandbox.aws_endpoint), FaultClient(sandbox.dbx_host)]
    for front in fronts:
        front.reset()
    yield sandbox
    for front in fronts:
        front.clear()


@pytest.fixture
def enforcing(clean_sandbox: Any) -> Any:
    """The clean sandbox with Unity Catalog's storage preconditions on, as on a real
    workspace (the next reset turns them back off for the rest of the suite)."""
    from dpn.sandbox.faults import FaultClient

    FaultClient(clean_sandbox.dbx_host)._call("POST", "/_dpn/config", {"enforce_access": True})
    return clean_sandbox


def _boto3_client(service: str, info: Any) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        service, endpoint_url=info.aws_endpoint, region_name=info.region,
        aws_access_key_id="testing", aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "max_attempts": 3},
                      connect_timeout=5, read_timeout=30))


@pytest.fixture(scope="session")
def s3(sandbox: Any) -> Any:
    return _boto3_client("s3", sandbox)


@pytest.fixture(scope="session")
def glue(sandbox: Any) -> Any:
    return _boto3_client("glue", sandbox)


@pytest.fixture(scope="session")
def iam(sandbox: Any) -> Any:
    return _boto3_client("iam", sandbox)


@pytest.fixture(scope="session")
def workspace(sandbox: Any) -> Any:
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.config import Config

    return WorkspaceClient(config=Config(host=sandbox.dbx_host, token=sandbox.dbx_token,
                                         auth_type="pat", retry_timeout_seconds=30,
                                         http_timeout_seconds=30))


@pytest.fixture
def dpn_home(tmp_path: Path) -> Path:
    home = tmp_path / "dpn-home"
    home.mkdir(mode=0o700)
    return home


def _dpn_command() -> list[str]:
    script = Path(sys.executable).parent / "dpn"
    if script.exists():
        return [str(script)]
    found = shutil.which("dpn")
    if found:
        return [found]
    return [sys.executable, "-c", "from dpn.cli import main; main()"]


@pytest.fixture
def run_dpn(dpn_home: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``dpn *args`` with ``--home`` (default: the test's ``dpn_home``); ``env`` adds
    variables to a copy of the environment without DATABRICKS_*, AWS_* and DPN_HOME."""

    def run(*args: str, home: Path | None = None, env: dict[str, str] | None = None,
            input: str | None = None, timeout: float = 120,
            check: bool = False) -> subprocess.CompletedProcess[str]:
        full_env = {k: v for k, v in os.environ.items()
                    if not k.startswith(_CLEAN_ENV_PREFIXES)}
        full_env["NO_COLOR"] = "1"
        full_env.update(env or {})
        command = [*_dpn_command(), "--home", str(home or dpn_home), *args]
        return subprocess.run(command, env=full_env, input=input, capture_output=True,
                              text=True, timeout=timeout, check=check)

    return run
