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
clusters/get after 60. Each behaviour names its source next to its code.
"""

from __future__ import annotations

import copy
import random
import re
import string
import time
from typing import TYPE_CHECKING, Any

from dpn.sandbox.emulator.app import (
    USER,
    Request,
    check_type,
    optional,
    page,
    prev_token,
    require,
)
from dpn.sandbox.emulator.errors import ApiError, invalid, invalid_state

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
DAY_MS = 86_400_000
# source: databricks-sdk ClustersAPI.list docstring ("all pinned and active clusters, and
# all clusters terminated within the last 30 days. Clusters terminated prior to this
# period are not included") and ClustersAPI.get ("Clusters can be described while they
# are running, or up to 60 days after they are terminated"). After 60 days an unpinned
# cluster is gone: get answers "Cluster X does not exist" like for any unknown id.
LIST_TERMINATED_DAYS = 30
GET_TERMINATED_DAYS = 60
SETTINGS: dict[str, type | tuple[type, ...]] = {  # every field of the SDK's ClusterSpec
    "cluster_name": str, "spark_version": str, "node_type_id": str, "driver_node_type_id": str,
    "num_workers": int, "autoscale": dict, "autotermination_minutes": int, "spark_conf": dict,
    "custom_tags": dict, "spark_env_vars": dict, "data_security_mode": str,
    "single_user_name": str, "runtime_engine": str, "aws_attributes": dict,
    "azure_attributes": dict, "gcp_attributes": dict,
    "instance_pool_id": str, "driver_instance_pool_id": str, "policy_id": str,
    "enable_elastic_disk": bool, "ssh_public_keys": list, "init_scripts": list,
    "cluster_log_conf": dict, "kind": str, "is_single_node": bool,
    "use_ml_runtime": bool, "apply_policy_default_values": bool,
    "enable_local_disk_encryption": bool, "docker_image": dict, "dependency_mode": str,
    "driver_node_type_flexibility": dict, "worker_node_type_flexibility": dict,
    "remote_disk_throughput": int, "total_initial_remote_disk_size": int,
    "workload_type": dict,
}
# Accepted in create/edit but not a field of clusters/get's top level: the SDK's
# ClusterDetails has no apply_policy_default_values; the value shows only under ``spec``.
# source: databricks-sdk ClusterDetails (no such field; ClusterDetails.spec "contains a
# snapshot of the latest user specified settings"); databricks/cli libs/testserver/
# clusters.go specSnapshot ("The cluster GET API returns apply_policy_default_values
# only under .spec, not at the top level").
SPEC_ONLY = ("apply_policy_default_values",)


ENUMS = {
    "data_security_mode": {"DATA_SECURITY_MODE_AUTO", "DATA_SECURITY_MODE_DEDICATED",
                           "DATA_SECURITY_MODE_STANDARD", "LEGACY_PASSTHROUGH",
                           "LEGACY_SINGLE_USER", "LEGACY_SINGLE_USER_STANDARD",
                           "LEGACY_TABLE_ACL", "NONE", "SINGLE_USER", "USER_ISOLATION"},
    "runtime_engine": {"NULL", "PHOTON", "STANDARD"},
    "kind": {"CLASSIC_PREVIEW"},
    "dependency_mode": {"DEPENDENCY_MODE_AUTO", "DEPENDENCY_MODE_CLUSTER_LIBRARIES",
                        "DEPENDENCY_MODE_ENVIRONMENT"},
}
# The cloud attributes the service fills into a cluster that sends none (AWS here):
# source: databricks/cli libs/testserver/clusters.go clusterFixUps ("applies server-side
# defaults that the real API sets": availability SPOT_WITH_FALLBACK, zone_id
# us-east-1c, enable_elastic_disk always sent, driver_node_type_id = node_type_id).
DEFAULT_AWS_ATTRIBUTES = {"availability": "SPOT_WITH_FALLBACK", "zone_id": "us-east-1c"}


def _new_id(emu: Emulator) -> str:
    tail = "".join(random.choices(string.ascii_lowercase + string.digits, k=8))
    return time.strftime("%m%d-%H%M%S-", time.gmtime(emu.now())) + tail


def _needs_dedicated(spec: dict[str, Any]) -> bool:
    """Whether DATA_SECURITY_MODE_AUTO picks Dedicated for this configuration: source:
    Databricks docs "Dedicated compute overview" / "Access modes" ("Auto defaults to
    Standard unless a machine learning runtime, a GPU instance type, or a Databricks
    Runtime lower than 14.3 is selected, in which case Dedicated is used") and
    databricks/cli PR #5452 (Dedicated "when the cluster configuration requires it (for
    example ML Runtime, GPUs, R, Databricks Container Services ...)")."""
    version = str(spec.get("spark_version", ""))
    if "-ml-" in version or spec.get("use_ml_runtime") or spec.get("docker_image"):
        return True
    gpu = {n[0] for n in NODE_TYPES if n[3] == "GPU Accelerated"}
    if spec.get("node_type_id") in gpu or spec.get("driver_node_type_id") in gpu:
        return True
    match = re.match(r"^(\d+)\.(\d+)\.", version)
    return match is not None and (int(match[1]), int(match[2])) < (14, 3)


def reported_mode(spec: dict[str, Any]) -> str | None:
    """The ``data_security_mode`` clusters/get reports for what was sent.

    The new names come back as their legacy aliases, AUTO resolved:
    DATA_SECURITY_MODE_DEDICATED -> SINGLE_USER, DATA_SECURITY_MODE_STANDARD ->
    USER_ISOLATION, DATA_SECURITY_MODE_AUTO -> SINGLE_USER or USER_ISOLATION (see
    _needs_dedicated), while ``spec.data_security_mode`` keeps the value as sent. source:
    terraform-provider-databricks clusters/resource_cluster.go
    DataSecurityModeDiffSuppressFunc (old SINGLE_USER / new DEDICATED, old USER_ISOLATION /
    new STANDARD, old SINGLE_USER or USER_ISOLATION / new AUTO), issue #4909 (payload
    "data_security_mode": "SINGLE_USER" with "spec": {"data_security_mode":
    "DATA_SECURITY_MODE_DEDICATED"}); databricks-sdk DataSecurityMode docstring
    (USER_ISOLATION / SINGLE_USER are the legacy aliases of STANDARD / DEDICATED).

    None sent: with ``kind = CLASSIC_PREVIEW`` it is resolved as AUTO (the simple form,
    which is kind CLASSIC_PREVIEW, defaults the access mode to Auto: Databricks docs
    "Access mode selection"; the SDK's Kind docstring: "Depending on kind, different ...
    default values will be applied"); without ``kind`` none is reported (the "Custom"
    access mode: terraform-provider-databricks PR #2866, checked on a workspace, "omitting
    the field results in a cluster with data_security_mode: undefined"). The provider's
    "old != '' && new == ''" branch suppresses the value a policy or kind fills in.
    Job clusters differ: see jobs.cluster_defaults."""
    mode = spec.get("data_security_mode")
    if mode is None and spec.get("kind") == "CLASSIC_PREVIEW":
        mode = "DATA_SECURITY_MODE_AUTO"
    if mode == "DATA_SECURITY_MODE_DEDICATED":
        return "SINGLE_USER"
    if mode == "DATA_SECURITY_MODE_STANDARD":
        return "USER_ISOLATION"
    if mode == "DATA_SECURITY_MODE_AUTO":
        return "SINGLE_USER" if _needs_dedicated(spec) else "USER_ISOLATION"
    return None if mode is None else str(mode)


def _spec(request: Request) -> dict[str, Any]:
    """The settings of a create or edit body as sent, validated (clusters/get's ``spec``)."""
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
    for script in out.get("init_scripts") or []:
        if not isinstance(script, dict) or len(script) != 1 or \
                not isinstance(next(iter(script.values())), dict):
            raise invalid("Invalid value for 'init_scripts': each entry names exactly one "
                          "destination, like {\"workspace\": {\"destination\": ...}}.")
    if "cluster_log_conf" in out and len(out["cluster_log_conf"]) != 1:
        raise invalid("Invalid value for 'cluster_log_conf': exactly one destination "
                      "(dbfs, s3 or volumes) must be specified.")
    keys = out.get("ssh_public_keys") or []
    if len(keys) > 10 or not all(isinstance(k, str) for k in keys):
        raise invalid("Invalid value for 'ssh_public_keys': up to 10 strings.")
    if "docker_image" in out and not isinstance(out["docker_image"].get("url"), str):
        raise invalid("Missing required field: docker_image.url")
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
    elif out.get("num_workers", 0) < 0:
        raise invalid("num_workers must be non-negative.")
    if len(out.get("custom_tags") or {}) > 45:
        raise invalid("Cluster custom_tags cannot exceed 45 tags.")
    return out


def _settings(spec: dict[str, Any]) -> dict[str, Any]:
    """What clusters/get reports at its top level for the settings ``spec``."""
    out = {k: copy.deepcopy(v) for k, v in spec.items() if k not in SPEC_ONLY}
    if "autoscale" not in out:
        out.setdefault("num_workers", 0)
    if out.get("node_type_id") is not None:
        out.setdefault("driver_node_type_id", out["node_type_id"])
    # source: databricks-sdk ClusterDetails.cluster_name ("If not specified at creation,
    # the cluster name will be an empty string").
    out.setdefault("cluster_name", "")
    mode = reported_mode(spec)
    if mode is None:
        out.pop("data_security_mode", None)
    else:
        out["data_security_mode"] = mode
    # A SINGLE_USER cluster (sent as SINGLE_USER, DATA_SECURITY_MODE_DEDICATED, or AUTO
    # resolved to it) without single_user_name is bound to the caller, the user
    # scim/v2/Me answers. source: databricks/cli libs/testserver/clusters.go
    # ClustersCreate ("Match cloud behavior: SINGLE_USER clusters automatically get
    # single_user_name set to the current user"); done on edit too, which replaces the
    # whole specification (the testserver shows create).
    if mode == "SINGLE_USER" and not out.get("single_user_name"):
        out["single_user_name"] = USER
    if not any(k in out for k in ("aws_attributes", "azure_attributes", "gcp_attributes")):
        out["aws_attributes"] = dict(DEFAULT_AWS_ATTRIBUTES)
    out.setdefault("enable_elastic_disk", False)
    # autotermination_minutes left out stays out: "If not set, this cluster will not be
    # automatically terminated" (databricks-sdk ClusterSpec / ClusterDetails
    # .autotermination_minutes); the service fills in no value (databricks/cli
    # libs/testserver/clusters.go stores none, and bundle/direct/dresources/resources.yml
    # lists no backend default for it; Terraform's 60 is the provider's own default).
    return out


def _move(emu: Emulator, cluster: dict[str, Any]) -> dict[str, Any]:
    """Advance a cluster's state by the time elapsed (emulator clock) since its last
    transition; a RUNNING cluster idle for its ``autotermination_minutes`` terminates
    (reason INACTIVITY), one without that setting (or 0) never does."""
    state = cluster["state"]
    if state in ("PENDING", "RESTARTING", "TERMINATING"):
        if emu.now() - cluster["_since"] >= emu.cluster_delay:
            target = "TERMINATED" if state == "TERMINATING" else "RUNNING"
            at_ms = int((cluster["_since"] + emu.cluster_delay) * 1000)  # when it happened
            _set_state(emu, cluster, target, at_ms=at_ms)
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
            _set_state(emu, cluster, "TERMINATED", at_ms=idle_until, reason={
                "code": "INACTIVITY", "type": "SUCCESS",
                "parameters": {"inactivity_duration_min": str(minutes)}})
            cluster["state_message"] = f"Inactive cluster terminated (inactive for {minutes} " \
                                       "minutes)."
            emu.store.save()
    return cluster


def _set_state(emu: Emulator, cluster: dict[str, Any], state: str, at_ms: int | None = None,
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


def _public(cluster: dict[str, Any], with_spec: bool = True) -> dict[str, Any]:
    """clusters/get's answer; ``spec`` (the settings as sent) is not in clusters/list:
    source: databricks-sdk ClusterDetails.spec ("Note: not included in the response of
    the ListClusters API")."""
    out = {k: copy.deepcopy(v) for k, v in cluster.items() if not k.startswith("_")}
    if with_spec and "_spec" in cluster:
        out["spec"] = copy.deepcopy(cluster["_spec"])
    return out


def _terminated_days(emu: Emulator, cluster: dict[str, Any]) -> float:
    """Days since a TERMINATED cluster was terminated (0 for any other state)."""
    if cluster["state"] != "TERMINATED" or not cluster.get("terminated_time"):
        return 0.0
    return (emu.now_ms() - int(cluster["terminated_time"])) / DAY_MS


def _get(emu: Emulator, cluster_id: Any) -> dict[str, Any]:
    if not isinstance(cluster_id, str) or not cluster_id:
        raise invalid("Missing required field: cluster_id")
    cluster = emu.store["clusters"].get(cluster_id)
    if cluster is not None:
        _move(emu, cluster)
        if not cluster.get("_pinned") and _terminated_days(emu, cluster) > GET_TERMINATED_DAYS:
            del emu.store["clusters"][cluster_id]  # purged, as the service does
            emu.store.save()
            cluster = None
    if cluster is None:
        raise invalid(f"Cluster {cluster_id} does not exist")
    return cluster


def create(emu: Emulator, request: Request) -> dict[str, Any]:
    spec = _spec(request)
    settings = _settings(spec)
    token = optional(request, "idempotency_token", str)
    if token is not None and len(token) > 64:
        raise invalid("idempotency_token must be at most 64 characters.")
    with emu.store.lock:
        if token:
            for cluster in emu.store["clusters"].values():
                if cluster.get("_idempotency_token") == token and \
                        _move(emu, cluster)["state"] not in TERMINAL:
                    return {"cluster_id": cluster["cluster_id"]}
        cluster_id = _new_id(emu)
        cluster = {
            "cluster_id": cluster_id, **settings, "creator_user_name": USER,
            "cluster_source": "API", "spark_context_id": 0,
            "default_tags": {"Vendor": "Databricks", "Creator": USER,
                             "ClusterName": settings["cluster_name"], "ClusterId": cluster_id},
            "cluster_memory_mb": 0, "cluster_cores": 0.0, "_idempotency_token": token,
            "_spec": spec,
        }
        _set_state(emu, cluster, "PENDING")
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
        for cluster_id in list(emu.store["clusters"]):
            try:
                _get(emu, cluster_id)  # moves states on, purges the 60-day-old
            except ApiError:
                pass
        clusters = [_public(c, with_spec=False) for c in emu.store["clusters"].values()
                    if c.get("_pinned")
                    or _terminated_days(emu, c) <= LIST_TERMINATED_DAYS]
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
        spec = _spec(request)
        settings = _settings(spec)
        for name in SETTINGS:
            cluster.pop(name, None)
        cluster.update(settings)
        cluster["_spec"] = spec
        cluster["default_tags"]["ClusterName"] = settings["cluster_name"]
        # source: databricks-sdk ClustersAPI.edit docstring ("If a cluster is updated while
        # in a RUNNING state, it will be restarted ... If a cluster is updated while in a
        # TERMINATED state, it will remain TERMINATED"; other states: INVALID_STATE).
        if cluster["state"] == "RUNNING":
            _set_state(emu, cluster, "RESTARTING")
        emu.store.save()
    return {}


def delete(emu: Emulator, request: Request) -> dict[str, Any]:
    with emu.store.lock:
        cluster = _get(emu, request.arg("cluster_id"))
        if cluster["state"] not in TERMINAL:
            _set_state(emu, cluster, "TERMINATING")
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
        _set_state(emu, cluster, "PENDING")
        emu.store.save()
    return {}


def pin(emu: Emulator, request: Request) -> dict[str, Any]:
    """A pinned cluster is always listed (and kept): source: databricks-sdk
    ClustersAPI.pin / unpin docstrings."""
    with emu.store.lock:
        _get(emu, request.arg("cluster_id"))["_pinned"] = True
        emu.store.save()
    return {}


def unpin(emu: Emulator, request: Request) -> dict[str, Any]:
    with emu.store.lock:
        _get(emu, request.arg("cluster_id")).pop("_pinned", None)
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
    ("POST", _P + "pin", pin), ("POST", _P + "unpin", unpin),
    ("GET", _P + "spark-versions", spark_versions), ("GET", _P + "list-node-types", node_types),
]
