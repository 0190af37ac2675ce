"""dpn from Python: provision examples/lakehouse.json in the local sandbox, show the plan,
make one step of a change fail and show the rollback through the result, then delete.

    python examples/python_api.py            # the sandbox of $DPN_HOME (or .dpn-example)
    python examples/python_api.py --keep     # leave the stack in place at the end

The sandbox is the one ``dpn sandbox start`` runs for that home (started here if none
runs); its fault injection makes the create of a new cluster answer 400.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import threading
from pathlib import Path

import dpn
from dpn.sandbox.faults import FaultClient

ROOT = Path(__file__).resolve().parent
BLUEPRINT = ROOT / "lakehouse.json"
_PRINTING = threading.Lock()  # operations run on a thread pool: one line at a time


def show(event: dpn.Event) -> None:
    """The events callback: one line per step of a transaction."""
    with _PRINTING:
        _show(event)


def _show(event: dpn.Event) -> None:
    match event:
        case dpn.TxStarted(tx=tx, operations=n):
            print(f"transaction {tx}: {n} operation(s)")
        case dpn.OpDone(key=key, action=action, id=id_):
            print(f"  done     {action:<7} {key} ({id_})")
        case dpn.OpFailed(key=key, action=action, error=error):
            print(f"  FAILED   {action:<7} {key}: {error}")
        case dpn.RollbackStarted(operations=n):
            print(f"  rolling back {n} operation(s)")
        case dpn.UndoDone(key=key, action=action):
            print(f"  undone   {action:<7} {key}")
        case dpn.TxFinished(outcome=outcome):
            print(f"  -> {outcome}")


def changed(blueprint_doc: dict[str, object]) -> dpn.Blueprint:
    """The lakehouse with a change: one more cluster, and the nightly job allowed two
    concurrent runs."""
    doc = copy.deepcopy(blueprint_doc)
    resources = doc["resources"]
    assert isinstance(resources, dict)
    resources["reporting"] = {"type": "dbx.cluster", "purpose": "reporting",
                              "spark_version": "15.4.x-scala2.12",
                              "node_type_id": "i3.xlarge", "num_workers": 1,
                              "autotermination_minutes": 15,
                              "data_security_mode": "USER_ISOLATION"}
    resources["nightly"]["max_concurrent_runs"] = 2
    return dpn.from_dict(doc, path=str(BLUEPRINT))


def main(argv: list[str] | None = None) -> dict[str, object]:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--keep", action="store_true", help="do not delete at the end")
    keep = args.parse_args(argv).keep

    home = Path(os.environ.get("DPN_HOME") or ".dpn-example").resolve()
    settings = dpn.sandbox_settings(home)  # endpoints, region, keys and token
    runner = dpn.Runner(home=home, settings=settings, parallelism=8)
    blueprint = dpn.load(BLUEPRINT)

    # 1. the plan, against the state and the live platforms
    preview = dpn.preview(blueprint, runner)
    preview.raise_if_refused()
    print(f"plan for {blueprint.stack}: {preview.plan.summary()}")
    for change in preview.plan.changes:
        print(f"  {change.action.value:<7} {change.key} ({change.type} {change.name})")

    # 2. create it, as one transaction
    created = dpn.create(blueprint, runner, on_event=show)
    print(f"create: {created.result.outcome}")

    # 3. a change whose new cluster the workspace refuses: the whole change rolls back
    faults = FaultClient(settings.dbx_host or "")
    faults.add(method="POST", path=r"/clusters/create$", status=400,
               error_code="INVALID_PARAMETER_VALUE", message="injected: no capacity")
    try:
        failed = dpn.update(changed(json.loads(BLUEPRINT.read_text())), runner,
                            on_event=show)
    finally:
        faults.clear()
    result = failed.result
    print(f"update: {result.outcome} ({result.error})")
    for op in result.operations:
        print(f"  {op.key:<12} {op.action:<7} {op.status}")

    # 4. delete everything the stack holds
    deleted = None if keep else dpn.delete(blueprint, runner, on_event=show)
    if deleted is not None:
        print(f"delete: {deleted.result.outcome}")
    summary = {"stack": blueprint.stack, "created": created.result.outcome,
               "update": result.outcome, "error": result.error,
               "operations": {op.key: op.status for op in result.operations},
               "deleted": deleted.result.outcome if deleted else None}
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
