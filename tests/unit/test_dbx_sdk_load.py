"""``dpn.providers.databricks.workspace.load_sdk``: the SDK package registered without its
``__init__`` stays whole for every thread that asks it for a name of its own."""

from __future__ import annotations

import subprocess
import sys
import textwrap

PROGRAM = textwrap.dedent("""
    import sys, threading
    from dpn.providers.databricks.workspace import load_sdk

    load_sdk()
    import databricks.sdk.service.catalog  # a submodule: the package's __init__ not run
    assert "databricks.sdk.service.ml" not in sys.modules
    got, failed = [], []

    def ask():
        try:
            from databricks.sdk import AccountClient, WorkspaceClient
            got.append((WorkspaceClient.__name__, AccountClient.__name__))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failed.append(repr(exc))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    import databricks.sdk as sdk
    missing = not hasattr(sdk, "NoSuchName")
    print(len(got), failed, missing, "databricks.sdk.service.ml" in sys.modules)
""")


def test_eight_threads_asking_for_workspace_client_at_once_all_get_it() -> None:
    done = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["8", "[]", "True", "True"], done.stdout
