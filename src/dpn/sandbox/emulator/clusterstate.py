"""Clusters API 2.1: a cluster's life. States move lazily with the emulator's clock:
PENDING -> RUNNING and RESTARTING -> RUNNING after ``cluster_delay``, TERMINATING ->
TERMINATED likewise, a RUNNING cluster idle for its ``autotermination_minutes`` ->
TERMINATED (INACTIVITY). A missing cluster is 400 INVALID_PARAMETER_VALUE "Cluster <id>
does not exist", as on the real service; terminated clusters leave clusters/list after
30 days and clusters/get after 60."""

from __future__ import annotations

import copy
import random
import string
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dpn.sandbox.emulator.errors import ApiError, invalid, invalid_state
from dpn.sandbox.emulator.request import Request
from dpn.sandbox.emulator.workspace import USER, Workspace

TERMINAL = ("TERMINATED", "TERMINATING")
EDITABLE = ("RUNNING", "TERMINATED")
MESSAGES = {"PENDING": "Finding instances for new nodes, acquiring more instances if necessary",
            "RESTARTING": "Restarting Spark", "TERMINATING": "Terminating the Spark cluster",
            "RUNNING": "", "TERMINATED": "Termination requested by " + USER}
DAY_MS = 86_400_000
# source: databricks-sdk ClustersAPI.list docstring ("all pinned and active clusters, and
# all clusters terminated within the last 30 days. Clusters terminated prior to this
# period are not included") and ClustersAPI.get ("Clusters can be described while they
# are running, or up to 60 days after they are terminated"). After 60 days an unpinned
# cluster is gone: get answers "Cluster X does not exist" like for any unknown id.
LIST_TERMINATED_DAYS = 30
GET_TERMINATED_DAYS = 60


def new_id(emu: Workspace) -> str:
    tail = "".join(random.choices(string.ascii_lowercase + string.digits, k=8))
    return time.strftime("%m%d-%H%M%S-", time.gmtime(emu.now())) + tail


def advance(emu: Workspace, cluster: dict[str, Any]) -> dict[str, Any]:
    """Advance a cluster's state by the time elapsed (emulator clock) since its last
    transition; a RUNNING cluster idle for its ``autotermination_minutes`` terminates
    (reason INACTIVITY), one without that setting (or 0) never does."""
    state = cluster["state"]
    if state in ("PENDING", "RESTARTING", "TERMINATING"):
        if emu.now() - cluster["_since"] >= emu.cluster_delay:
            target = "TERMINATED" if state == "TERMINATING" else "RUNNING"
            at_ms = int((cluster["_since"] + emu.cluster_delay) * 1000)  # when it happened
            set_state(emu, cluster, target, at_ms=at_ms)
            if target == "RUNNING":
                cluster["start_time"] = cluster.get("start_time") or at_ms
                cluster["last_restarted_time"] = at_ms
                cluster["spark_context_id"] = random.randint(10**17, 10**18)
            emu.store.save()
    minutes = cluster.get("autotermination_minutes") or 0
    if cluster["state"] == "RUNNING" and minutes > 0:
        idle_until = int(cluster.get("last_activity_time") or 0) + minutes * 60_000
        if emu.now_ms() >= idle_until:
            # source: databricks-sdk ClusterSpec.autotermination_minutes ("Automatically
            # terminates the cluster after it is inactive for this time in minutes") and
            # TerminationReasonCode.INACTIVITY.
            set_state(emu, cluster, "TERMINATED", at_ms=idle_until, reason={
                "code": "INACTIVITY", "type": "SUCCESS",
                "parameters": {"inactivity_duration_min": str(minutes)}})
            cluster["state_message"] = f"Inactive cluster terminated (inactive for {minutes} " \
                                       "minutes)."
            emu.store.save()
    return cluster


def set_state(emu: Workspace, cluster: dict[str, Any], state: str, at_ms: int | None = None,
               reason: dict[str, Any] | None = None) -> None:
    now = emu.now_ms() if at_ms is None else at_ms
    cluster["state"] = state
    cluster["state_message"] = MESSAGES[state]
    cluster["_since"] = now / 1000
    cluster["last_activity_time"] = now
    if state == "TERMINATED":
        cluster["terminated_time"] = now
        cluster["termination_reason"] = reason or {
            "code": "USER_REQUEST", "type": "SUCCESS", "parameters": {"username": USER}}
    elif state in ("PENDING", "RESTARTING"):
        cluster.pop("termination_reason", None)
        cluster.pop("terminated_time", None)


def public(cluster: dict[str, Any], with_spec: bool = True) -> dict[str, Any]:
    """clusters/get's answer; ``spec`` (the settings as sent) is not in clusters/list:
    source: databricks-sdk ClusterDetails.spec ("Note: not included in the response of
    the ListClusters API")."""
    out = {k: copy.deepcopy(v) for k, v in cluster.items() if not k.startswith("_")}
    if with_spec and "_spec" in cluster:
        out["spec"] = copy.deepcopy(cluster["_spec"])
    return out


def terminated_days(emu: Workspace, cluster: dict[str, Any]) -> float:
    """Days since a TERMINATED cluster was terminated (0 for any other state)."""
    if cluster["state"] != "TERMINATED" or not cluster.get("terminated_time"):
        return 0.0
    return (emu.now_ms() - int(cluster["terminated_time"])) / DAY_MS


def get_cluster(emu: Workspace, cluster_id: Any) -> dict[str, Any]:
    if not isinstance(cluster_id, str) or not cluster_id:
        raise invalid("Missing required field: cluster_id")
    cluster = emu.store["clusters"].get(cluster_id)
    if cluster is not None:
        advance(emu, cluster)
        if not cluster.get("_pinned") and terminated_days(emu, cluster) > GET_TERMINATED_DAYS:
            del emu.store["clusters"][cluster_id]  # purged, as the service does
            emu.store.save()
            cluster = None
    if cluster is None:
        raise invalid(f"Cluster {cluster_id} does not exist")
    return cluster


def unexpected_state(cluster: dict[str, Any]) -> ApiError:
    """400 INVALID_STATE for an action the cluster's state does not allow."""
    return invalid_state(f"Cluster {cluster['cluster_id']} is in unexpected state "
                         f"{cluster['state'].title()}.")


@contextmanager
def changing(emu: Workspace, request: Request) -> Iterator[dict[str, Any]]:
    """The request's cluster (``cluster_id``, else its 400), under the store's lock; the
    change is saved when the block ends without an error."""
    with emu.changing():
        cluster = get_cluster(emu, request.arg("cluster_id"))
        yield cluster
