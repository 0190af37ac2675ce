"""Clusters API 2.1: create (with ``idempotency_token``), get, list (paginated), edit,
delete (to TERMINATED), permanent-delete, start, pin, unpin, spark-versions,
list-node-types.

States move lazily with the emulator's clock: PENDING -> RUNNING and RESTARTING ->
RUNNING after ``cluster_delay``, TERMINATING -> TERMINATED likewise, a RUNNING cluster
idle for its ``autotermination_minutes`` -> TERMINATED (INACTIVITY). A missing cluster is
400 INVALID_PARAMETER_VALUE "Cluster <id> does not exist", as on the real service.

clusters/get answers like the SDK's ClusterDetails: the settings as the service reports
them (``data_security_mode`` as its legacy alias, AUTO resolved, a single-user cluster
bound to the caller, cloud defaults filled in, no ``apply_policy_default_values``) and
``spec``, the settings as sent; terminated clusters leave clusters/list after 30 days and
clusters/get after 60. Each behaviour names its source next to its code: the settings in
clusterspec.py, the states in clusterstate.py, the endpoints here.
"""

from __future__ import annotations

from typing import Any

from dpn.sandbox.emulator.clusterspec import (
    NODE_TYPES,
    SETTINGS,
    SPARK_VERSIONS,
    reported_settings,
    validated_spec,
)
from dpn.sandbox.emulator.clusterstate import (
    EDITABLE,
    LIST_TERMINATED_DAYS,
    TERMINAL,
    advance,
    changing,
    get_cluster,
    new_id,
    public,
    set_state,
    terminated_days,
    unexpected_state,
)
from dpn.sandbox.emulator.errors import ApiError, invalid
from dpn.sandbox.emulator.request import Request, optional, page
from dpn.sandbox.emulator.routing import Routes
from dpn.sandbox.emulator.workspace import USER, Workspace

routes = Routes(r"/api/2\.[01]/clusters/")


@routes.post("create")
def create(emu: Workspace, request: Request) -> dict[str, Any]:
    spec = validated_spec(request)
    settings = reported_settings(spec)
    token = optional(request, "idempotency_token", str)
    if token is not None and len(token) > 64:
        raise invalid("idempotency_token must be at most 64 characters.")
    with emu.store.lock:
        if token:
            for cluster in emu.store["clusters"].values():
                if cluster.get("_idempotency_token") == token and \
                        advance(emu, cluster)["state"] not in TERMINAL:
                    return {"cluster_id": cluster["cluster_id"]}
        cluster_id = new_id(emu)
        cluster = {
            "cluster_id": cluster_id, **settings, "creator_user_name": USER,
            "cluster_source": "API", "spark_context_id": 0,
            "default_tags": {"Vendor": "Databricks", "Creator": USER,
                             "ClusterName": settings["cluster_name"], "ClusterId": cluster_id},
            "cluster_memory_mb": 0, "cluster_cores": 0.0, "_idempotency_token": token,
            "_spec": spec,
        }
        set_state(emu, cluster, "PENDING")
        emu.store["clusters"][cluster_id] = cluster
        emu.store.save()
    return {"cluster_id": cluster_id}


@routes.get("get")
def get(emu: Workspace, request: Request) -> dict[str, Any]:
    with emu.store.lock:
        return public(get_cluster(emu, request.arg("cluster_id")))


@routes.get("list")
def list_(emu: Workspace, request: Request) -> dict[str, Any]:
    states = set(request.args("filter_by.cluster_states"))
    sources = set(request.args("filter_by.cluster_sources"))
    with emu.store.lock:
        for cluster_id in list(emu.store["clusters"]):
            try:
                get_cluster(emu, cluster_id)  # moves states on, purges the 60-day-old
            except ApiError:
                pass
        clusters = [public(c, with_spec=False) for c in emu.store["clusters"].values()
                    if c.get("_pinned")
                    or terminated_days(emu, c) <= LIST_TERMINATED_DAYS]
    clusters = [c for c in clusters if (not states or c["state"] in states)
                and (not sources or c["cluster_source"] in sources)]
    clusters.sort(key=lambda c: (c["state"] in TERMINAL, c["cluster_name"], c["cluster_id"]))
    found = page(clusters, request, "page_size", 100, 100)
    return {"clusters": found.items, **found.tokens(prev=True)}


@routes.post("edit")
def edit(emu: Workspace, request: Request) -> dict[str, Any]:
    with changing(emu, request) as cluster:
        if cluster["state"] not in EDITABLE:
            raise unexpected_state(cluster)
        spec = validated_spec(request)
        settings = reported_settings(spec)
        for name in SETTINGS:
            cluster.pop(name, None)
        cluster.update(settings)
        cluster["_spec"] = spec
        cluster["default_tags"]["ClusterName"] = settings["cluster_name"]
        # source: databricks-sdk ClustersAPI.edit docstring ("If a cluster is updated while
        # in a RUNNING state, it will be restarted ... If a cluster is updated while in a
        # TERMINATED state, it will remain TERMINATED"; other states: INVALID_STATE).
        if cluster["state"] == "RUNNING":
            set_state(emu, cluster, "RESTARTING")
    return {}


@routes.post("delete")
def delete(emu: Workspace, request: Request) -> dict[str, Any]:
    with changing(emu, request) as cluster:
        if cluster["state"] not in TERMINAL:
            set_state(emu, cluster, "TERMINATING")
            advance(emu, cluster)
    return {}


@routes.post("permanent-delete")
def permanent_delete(emu: Workspace, request: Request) -> dict[str, Any]:
    with changing(emu, request) as cluster:
        del emu.store["clusters"][cluster["cluster_id"]]
    return {}


@routes.post("start")
def start(emu: Workspace, request: Request) -> dict[str, Any]:
    with changing(emu, request) as cluster:
        if cluster["state"] != "TERMINATED":
            raise unexpected_state(cluster)
        set_state(emu, cluster, "PENDING")
    return {}


@routes.post("pin")
def pin(emu: Workspace, request: Request) -> dict[str, Any]:
    """A pinned cluster is always listed (and kept): source: databricks-sdk
    ClustersAPI.pin / unpin docstrings."""
    with changing(emu, request) as cluster:
        cluster["_pinned"] = True
    return {}


@routes.post("unpin")
def unpin(emu: Workspace, request: Request) -> dict[str, Any]:
    with changing(emu, request) as cluster:
        cluster.pop("_pinned", None)
    return {}


@routes.get("spark-versions")
def spark_versions(emu: Workspace, request: Request) -> dict[str, Any]:
    return {"versions": [{"key": k, "name": n} for k, n in SPARK_VERSIONS]}


@routes.get("list-node-types")
def node_types(emu: Workspace, request: Request) -> dict[str, Any]:
    return {"node_types": [
        {"node_type_id": n, "memory_mb": mem, "num_cores": cores, "description": n,
         "instance_type_id": n, "category": cat, "is_deprecated": False,
         "node_instance_type": {"instance_type_id": n, "local_disks": 1}}
        for n, mem, cores, cat in NODE_TYPES]}
