"""The Databricks client dpn builds (``dpn.providers.databricks.workspace``): the SDK's
own API classes, the SDK package loaded without its ``__init__``, the environment's
proxies read once; checked against ``WorkspaceClient`` and the sandbox over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from dpn.providers.databricks.workspace import APIS, Workspace

pytestmark = pytest.mark.integration

# In a fresh interpreter: dpn's client lists the sandbox's catalogs, then a program that
# uses dpn as a library imports WorkspaceClient as usual and gets the same answer.
PROGRAM = textwrap.dedent("""
    import json, sys
    from dpn.providers.databricks.client import ClientOptions, make_client
    from dpn.settings import PlatformSettings

    settings = PlatformSettings(dbx_host=sys.argv[1], dbx_token=sys.argv[2])
    client = make_client(settings, ClientOptions(retry_timeout_seconds=1,
                                                connect_timeout_seconds=1))
    ours = sorted(c.name for c in client.catalogs.list())
    loaded = sorted(m for m in sys.modules if m.startswith("databricks.sdk.service."))
    from databricks.sdk import WorkspaceClient
    theirs = sorted(c.name for c in WorkspaceClient(config=client.config).catalogs.list())
    print(json.dumps({"ours": ours, "theirs": theirs, "loaded": loaded,
                      "full": "databricks.sdk.service.ml" in sys.modules}))
""")


def run(sandbox: Any, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items()
             if not k.upper().endswith("_PROXY") and not k.startswith("DATABRICKS_")}
    return subprocess.run([sys.executable, "-c", PROGRAM, sandbox.dbx_host, sandbox.dbx_token],
                          capture_output=True, text=True, timeout=120, env={**clean, **env})


def test_dpn_loads_only_the_services_it_calls_and_the_sdk_stays_whole(clean_sandbox,
                                                                         workspace):
    workspace.catalogs.create(name="wsp_probe", storage_root="s3://wsp-probe/root")
    try:  # (storage is checked against external locations only when enforcing access)
        done = run(clean_sandbox)
    finally:
        workspace.catalogs.delete("wsp_probe", force=True)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert "wsp_probe" in seen["ours"] and seen["ours"] == seen["theirs"]
    assert "databricks.sdk.service.catalog" in seen["loaded"], seen["loaded"]
    for unused in ("ml", "jobs", "compute", "sql", "serving"):
        assert f"databricks.sdk.service.{unused}" not in seen["loaded"], seen["loaded"]
    assert seen["full"]  # WorkspaceClient ran the package's __init__ after all


def test_each_api_is_the_class_workspace_client_gives(workspace):
    ours = Workspace(workspace.config)
    for name in APIS:
        assert type(getattr(ours, name)) is type(getattr(workspace, name)), name


def test_an_api_whose_class_moved_is_the_one_workspace_client_uses(workspace, monkeypatch):
    monkeypatch.setitem(APIS, "jobs", ("databricks.sdk.service.no_such_module", "JobsAPI"))
    monkeypatch.setitem(APIS, "volumes", ("databricks.sdk.service.catalog", "NoSuchAPI"))
    ours = Workspace(workspace.config)
    for name in ("jobs", "volumes"):
        assert type(getattr(ours, name)) is type(getattr(workspace, name)), name
        assert getattr(ours, name)._api is ours.api_client  # over dpn's own client


def test_the_environment_proxy_is_still_used(clean_sandbox):
    # A proxy that refuses connections: every call through it fails...
    refused = run(clean_sandbox, HTTP_PROXY="http://127.0.0.1:9", NO_PROXY="")
    assert refused.returncode != 0
    assert "proxy" in refused.stderr.lower() or "refused" in refused.stderr.lower(), \
        refused.stderr[-2000:]
    # ...unless NO_PROXY exempts the host.
    exempt = run(clean_sandbox, HTTP_PROXY="http://127.0.0.1:9", NO_PROXY="127.0.0.1")
    assert exempt.returncode == 0, exempt.stderr[-2000:]
