"""Clusters API 2.1: create (with ``idempotency_token``), get, list (paginated), edit,
delete (to TERMINATED), permanent-delete, start, spark-versions, list-node-types.

States move lazily with time: PENDING -> RUNNING and RESTARTING -> RUNNING after the
emulator's ``cluster_delay``, TERMINATING -> TERMINATED likewise. A missing cluster is
400 INVALID_PARAMETER_VALUE "Cluster <id> does not exist", as on the real service.
"""

from __future__ import annotations

import random
import re
import string
import time
from typing import TYPE_CHECKING, Any

from dpn.sandbox.emulator.app import (
    USER,
    Request,
    check_type,
    now_ms,
    optional,
    page,
    prev_token,
    require,
)
from dpn.sandbox.emulator.errors import invalid, invalid_state

if TYPE_CHECKING:
    from dpn.sandbox.emulator.app import Emulator

NODE_TYPES = [
    ("i3.xlarge", 31232, 4.0, "Storage Optimized"), ("i3.2xlarge", 62464, 8.0, "Storage Optimized"),
    ("m5d.large", 8192, 2.0, "General Purpose"), ("m5d.xlarge", 16384, 4.0, "General Purpose"),
    ("m5d.2xlarge", 32768, 8.0, "General Purpose"), ("r5d.xlarge", 32768, 4.0, "Memory Optimized"),
    ("c5d.xlarge", 8192, 4.0, "Compute Optimized"), ("g4dn.xlarge", 16384, 4.0, "GPU Accelerated"),
]
SPARK_VERSIONS = [
    (f"{v}.x-{kind}scala{scala}", f"{v} LTS ({label}Apache Spark {spark}, Scala {scala})")
    for v, spark, scala in [("13.3", "3.4.1", "2.12"), ("14.3", "3.5.0", "2.12"),
                            ("15.4", "3.5.0", "2.12"), ("16.4", "3.5.2", "2.12"),
                            ("16.4", "3.5.2", "2.13")]
    for kind, label in [("", ""), ("photon-", "Photon, "), ("cpu-ml-", "ML, ")]
]
_VERSION_RE = re.compile(r"^\d+\.\d+\.x-([a-z]+-)*scala2\.1[23]$")
TERMINAL = ("TERMINATED", "TERMINATING")
EDITABLE = ("RUNNING", "TERMINATED")
MESSAGES = {"PENDING": "Finding instances for new nodes, acquiring more instances if necessary",
            "RESTARTING": "Restarting Spark", "TERMINATING": "Terminating the Spark cluster",
            "RUNNING": "", "TERMINATED": "Termination requested by " + USER}
SETTINGS = {  # field: accepted JSON type
    "cluster_name": str, "spark_version": str, "node_type_id": str, "driver_node_type_id": str,
    "num_workers": int, "autoscale": dict, "autotermination_minutes": int, "spark_conf": dict,
    "custom_tags": dict, "spark_env_vars": dict, "data_security_mode": str,
    "single_user_name": str, "runtime_engine": str, "aws_attributes": dict,
    "instance_pool_id": str, "driver_instance_pool_id": str, "policy_id": str,
    "enable_elastic_disk": bool, "ssh_public_keys": list, "init_scripts": list,
    "cluster_log_conf": dict, "kind": str, "is_single_node": bool,
    "use_ml_runtime": bool, "apply_policy_default_values": bool,
    "enable_local_disk_encryption": bool, "docker_image": dict,
}


ENUMS = {
    "data_security_mode": {"DATA_SECURITY_MODE_AUTO", "DATA_SECURITY_MODE_DEDICATED",
                           "DATA_SECURITY_MODE_STANDARD", "LEGACY_PASSTHROUGH",
                           "LEGACY_SINGLE_USER", "LEGACY_SINGLE_USER_STANDARD",
                           "LEGACY_TABLE_ACL", "NONE", "SINGLE_USER", "USER_ISOLATION"},
    "runtime_engine": {"NULL", "PHOTON", "STANDARD"},
}


def _new_id() -> str:
    tail = "".join(random.choices(string.ascii_lowercase + string.digits, k=8))
    return time.strftime("%m%d-%H%M%S-") + tail


def _settings(request: Request) -> dict[str, Any]:
    """Validated cluster settings from a create or edit body."""
    spark_version = require(request, "spark_version")
    if not _VERSION_RE.match(spark_version):
        raise invalid(f"Invalid spark version {spark_version}.")
    out: dict[str, Any] = {}
    for name, kind in SETTINGS.items():
        if request.body.get(name) is not None:
            out[name] = check_type(name, request.body[name], kind)
    for name, allowed in ENUMS.items():
        if name in out and out[name] not in allowed:
            raise invalid(f"Invalid value '{out[name]}' for field '{name}'.")
    for name in ("spark_conf", "custom_tags", "spark_env_vars"):
        for key, value in (out.get(name) or {}).items():
            if not isinstance(value, str):
                raise invalid(f"Invalid value for '{name}.{key}': expected a string.")
    if "autotermination_minutes" in out and not (
            out["autotermination_minutes"] == 0 or 10 <= out["autotermination_minutes"] <= 10000):
        raise invalid("autotermination_minutes must be 0 or between 10 and 10000.")
    if "instance_pool_id" not in out:
        node = out.get("node_type_id")
        if node is None:
            raise invalid("Missing required field: node_type_id")
        if node not in {n[0] for n in NODE_TYPES}:
            raise invalid(f"Node type {node} is not supported.")
    if "num_workers" in out and "autoscale" in out:
        raise invalid("Exactly one of num_workers or autoscale must be specified.")
    scale = out.get("autoscale")
    if scale is not None:
        lo, hi = scale.get("min_workers"), scale.get("max_workers")
        if not isinstance(lo, int) or not isinstance(hi, int) or lo < 0 or hi < lo:
            raise invalid("Invalid autoscale: need 0 <= min_workers <= max_workers.")
    elif out.setdefault("num_workers", 0) < 0:
        raise invalid("num_workers must be non-negative.")
    if len(out.get("custom_tags") or {}) > 45:
        raise invalid("Cluster custom_tags cannot exceed 45 tags.")
    out.setdefault("driver_node_type_id", out.get("node_type_id"))
    out.setdefault("cluster_name", "")
    return out


def _move(emu: Emulator, cluster: dict[str, Any]) -> dict[str, Any]:
    """Advance a cluster's state by the time elapsed since its last transition."""
    state = cluster["state"]
    if state in ("PENDING", "RESTARTING", "TERMINATING"):
        if time.time() - cluster["_since"] >= emu.cluster_delay:
            target = "TERMINATED" if state == "TERMINATING" else "RUNNING"
            _set_state(cluster, target)
            if target == "RUNNING":
                cluster["start_time"] = cluster.get("start_time") or now_ms()
                cluster["spark_context_id"] = random.randint(10**17, 10**18)
            emu.store.save()
    return cluster


def _set_state(cluster: dict[str, Any], state: str) -> None:
    cluster["state"] = state
    cluster["state_message"] = MESSAGES[state]
    cluster["_since"] = time.time()
    cluster["last_activity_time"] = now_ms()
    if state == "TERMINATED":
        cluster["terminated_time"] = now_ms()
        cluster["termination_reason"] = {"code": "USER_REQUEST", "type": "SUCCESS",
                                         "parameters": {"username": USER}}
    elif state in ("PENDING", "RESTARTING"):
        cluster.pop("termination_reason", None)
        cluster.pop("terminated_time", None)


def _public(cluster: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in cluster.items() if not k.startswith("_")}


def _get(emu: Emulator, cluster_id: Any) -> dict[str, Any]:
    if not isinstance(cluster_id, str) or not cluster_id:
        raise invalid("Missing required field: cluster_id")
    cluster = emu.store["clusters"].get(cluster_id)
    if cluster is None:
        raise invalid(f"Cluster {cluster_id} does not exist")
    return _move(emu, cluster)


def create(emu: Emulator, request: Request) -> dict[str, Any]:
    settings = _settings(request)
    token = optional(request, "idempotency_token", str)
    if token is not None and len(token) > 64:
        raise invalid("idempotency_token must be at most 64 characters.")
    with emu.store.lock:
        if token:
            for cluster in emu.store["clusters"].values():
                if cluster.get("_idempotency_token") == token and \
                        _move(emu, cluster)["state"] not in TERMINAL:
                    return {"cluster_id": cluster["cluster_id"]}
        cluster_id = _new_id()
        cluster = {
            "cluster_id": cluster_id, **settings, "creator_user_name": USER,
            "cluster_source": "API", "spark_context_id": 0,
            "default_tags": {"Vendor": "Databricks", "Creator": USER,
                             "ClusterName": settings["cluster_name"], "ClusterId": cluster_id},
            "cluster_memory_mb": 0, "cluster_cores": 0.0, "_idempotency_token": token,
        }
        _set_state(cluster, "PENDING")
        emu.store["clusters"][cluster_id] = cluster
        emu.store.save()
    return {"cluster_id": cluster_id}


def get(emu: Emulator, request: Request) -> dict[str, Any]:
    with emu.store.lock:
        return _public(_get(emu, request.arg("cluster_id")))


def list_(emu: Emulator, request: Request) -> dict[str, Any]:
    states = set(request.args("filter_by.cluster_states"))
    sources = set(request.args("filter_by.cluster_sources"))
    with emu.store.lock:
        clusters = [_public(_move(emu, c)) for c in emu.store["clusters"].values()]
    clusters = [c for c in clusters if (not states or c["state"] in states)
                and (not sources or c["cluster_source"] in sources)]
    clusters.sort(key=lambda c: (c["state"] in TERMINAL, c["cluster_name"], c["cluster_id"]))
    chunk, nxt = page(clusters, request, "page_size", 100, 100)
    out: dict[str, Any] = {"clusters": chunk}
    if nxt:
        out["next_page_token"] = nxt
    prev = prev_token(request, "page_size", 100, 100)
    if prev:
        out["prev_page_token"] = prev
    return out


def edit(emu: Emulator, request: Request) -> dict[str, Any]:
    with emu.store.lock:
        cluster = _get(emu, request.arg("cluster_id"))
        if cluster["state"] not in EDITABLE:
            raise invalid_state(f"Cluster {cluster['cluster_id']} is in unexpected state "
                                f"{cluster['state'].title()}.")
        settings = _settings(request)
        for name in SETTINGS:
            cluster.pop(name, None)
        cluster.update(settings)
        cluster["default_tags"]["ClusterName"] = settings["cluster_name"]
        if cluster["state"] == "RUNNING":
            _set_state(cluster, "RESTARTING")
        emu.store.save()
    return {}


def delete(emu: Emulator, request: Request) -> dict[str, Any]:
    with emu.store.lock:
        cluster = _get(emu, request.arg("cluster_id"))
        if cluster["state"] not in TERMINAL:
            _set_state(cluster, "TERMINATING")
            _move(emu, cluster)
        emu.store.save()
    return {}


def permanent_delete(emu: Emulator, request: Request) -> dict[str, Any]:
    with emu.store.lock:
        cluster = _get(emu, request.arg("cluster_id"))
        del emu.store["clusters"][cluster["cluster_id"]]
        emu.store.save()
    return {}


def start(emu: Emulator, request: Request) -> dict[str, Any]:
    with emu.store.lock:
        cluster = _get(emu, request.arg("cluster_id"))
        if cluster["state"] != "TERMINATED":
            raise invalid_state(f"Cluster {cluster['cluster_id']} is in unexpected state "
                                f"{cluster['state'].title()}.")
        _set_state(cluster, "PENDING")
        emu.store.save()
    return {}


def spark_versions(emu: Emulator, request: Request) -> dict[str, Any]:
    return {"versions": [{"key": k, "name": n} for k, n in SPARK_VERSIONS]}


def node_types(emu: Emulator, request: Request) -> dict[str, Any]:
    return {"node_types": [
        {"node_type_id": n, "memory_mb": mem, "num_cores": cores, "description": n,
         "instance_type_id": n, "category": cat, "is_deprecated": False,
         "node_instance_type": {"instance_type_id": n, "local_disks": 1}}
        for n, mem, cores, cat in NODE_TYPES]}


_P = r"/api/2\.[01]/clusters/"
ROUTES = [
    ("POST", _P + "create", create), ("GET", _P + "get", get), ("GET", _P + "list", list_),
    ("POST", _P + "edit", edit), ("POST", _P + "delete", delete),
    ("POST", _P + "permanent-delete", permanent_delete), ("POST", _P + "start", start),
    ("GET", _P + "spark-versions", spark_versions), ("GET", _P + "list-node-types", node_types),
]
