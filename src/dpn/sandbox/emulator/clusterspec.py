"""Clusters API 2.1: what a create or edit body may hold and what the service reports
for it. ``validated_spec`` checks the settings as sent (clusters/get's ``spec``);
``reported_settings`` derives clusters/get's top level from them: ``data_security_mode``
as its legacy alias, AUTO resolved, a single-user cluster bound to the caller, cloud
defaults filled in, no ``apply_policy_default_values``. Each behaviour names its source
next to its code."""

from __future__ import annotations

import copy
import re
from typing import Any

from dpn.sandbox.emulator.errors import invalid
from dpn.sandbox.emulator.request import Request, check_type, require, string_map
from dpn.sandbox.emulator.workspace import USER

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
    Job clusters differ: see jobdefaults.cluster_defaults."""
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


def validated_spec(request: Request) -> dict[str, Any]:
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
        string_map(name, out.get(name) or {})
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


def reported_settings(spec: dict[str, Any]) -> dict[str, Any]:
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
