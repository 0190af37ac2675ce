"""Clusters API 2.1 of the emulator, driven through databricks-sdk's WorkspaceClient."""

from __future__ import annotations

import pytest
from databricks.sdk.errors import InvalidParameterValue, InvalidState, ResourceDoesNotExist
from databricks.sdk.errors.base import DatabricksError
from databricks.sdk.service.compute import AutoScale, State

from dpn.sandbox.faults import FaultClient

pytestmark = pytest.mark.integration


def _create(workspace, name="etl", **kw):
    kw.setdefault("num_workers", 1)
    return workspace.clusters.create(cluster_name=name, spark_version="15.4.x-scala2.12",
                                     node_type_id="i3.xlarge", **kw)


def test_create_and_wait_reaches_running(clean_sandbox, workspace):
    details = workspace.clusters.create_and_wait(
        cluster_name="etl", spark_version="15.4.x-scala2.12", node_type_id="i3.xlarge",
        num_workers=2, autotermination_minutes=30, custom_tags={"dpn:stack": "s"})
    assert details.state == State.RUNNING
    assert details.cluster_name == "etl"
    assert details.num_workers == 2
    assert details.autotermination_minutes == 30
    assert details.custom_tags == {"dpn:stack": "s"}
    assert details.default_tags["ClusterId"] == details.cluster_id


def test_new_cluster_is_pending_then_running(clean_sandbox, workspace):
    admin = FaultClient(clean_sandbox.dbx_host)
    admin._call("POST", "/_dpn/config", {"cluster_delay": 0.2})
    try:
        cluster_id = _create(workspace).cluster_id
        first = workspace.clusters.get(cluster_id)
        assert first.state == State.PENDING
        assert first.state_message
        with pytest.raises(InvalidState, match="unexpected state Pending"):
            workspace.clusters.edit(cluster_id=cluster_id, spark_version="15.4.x-scala2.12",
                                    node_type_id="i3.xlarge", num_workers=1)
        assert workspace.clusters.wait_get_cluster_running(cluster_id).state == State.RUNNING
    finally:
        admin._call("POST", "/_dpn/config", {"cluster_delay": 0})


def test_idempotency_token_returns_the_active_cluster(clean_sandbox, workspace):
    # ClustersAPI.create has no idempotency_token parameter: the REST field is sent raw
    body = {"cluster_name": "etl", "spark_version": "15.4.x-scala2.12",
            "node_type_id": "i3.xlarge", "num_workers": 1, "idempotency_token": "tok-1"}
    first = workspace.api_client.do("POST", "/api/2.1/clusters/create", body=body)["cluster_id"]
    again = workspace.api_client.do("POST", "/api/2.1/clusters/create", body=body)["cluster_id"]
    assert again == first
    assert len(list(workspace.clusters.list())) == 1
    workspace.clusters.delete_and_wait(first)
    third = workspace.api_client.do("POST", "/api/2.1/clusters/create", body=body)["cluster_id"]
    assert third != first


def test_missing_cluster_is_resource_does_not_exist(clean_sandbox, workspace):
    with pytest.raises(ResourceDoesNotExist, match="Cluster 0000-000000-nope does not exist"):
        workspace.clusters.get("0000-000000-nope")
    with pytest.raises(InvalidParameterValue):
        workspace.clusters.delete("0000-000000-nope")


def test_missing_required_field_is_invalid_parameter(clean_sandbox, workspace):
    with pytest.raises(InvalidParameterValue, match="spark_version"):
        workspace.api_client.do("POST", "/api/2.1/clusters/create",
                                body={"cluster_name": "x", "node_type_id": "i3.xlarge"})
    with pytest.raises(InvalidParameterValue, match="data_security_mode"):
        workspace.api_client.do("POST", "/api/2.1/clusters/create", body={
            "spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge",
            "data_security_mode": "WIDE_OPEN"})
    with pytest.raises(InvalidParameterValue, match="autotermination_minutes"):
        workspace.clusters.create(spark_version="15.4.x-scala2.12", node_type_id="i3.xlarge",
                                  num_workers=1, autotermination_minutes=5)
    with pytest.raises(InvalidParameterValue, match="Node type"):
        workspace.clusters.create(cluster_name="x", spark_version="15.4.x-scala2.12",
                                  node_type_id="no.such", num_workers=1)


def test_list_paginates(clean_sandbox, workspace):
    ids = {_create(workspace, name=f"c{i}").cluster_id for i in range(5)}
    first = workspace.api_client.do("GET", "/api/2.1/clusters/list", query={"page_size": 2})
    assert len(first["clusters"]) == 2 and first["next_page_token"]
    assert "prev_page_token" not in first
    second = workspace.api_client.do("GET", "/api/2.1/clusters/list",
                                     query={"page_size": 2, "page_token": first["next_page_token"]})
    assert second["prev_page_token"]
    back = workspace.api_client.do("GET", "/api/2.1/clusters/list",
                                   query={"page_size": 2, "page_token": second["prev_page_token"]})
    assert back["clusters"] == first["clusters"]
    listed = {c.cluster_id for c in workspace.clusters.list(page_size=2)}
    assert listed == ids


def test_edit_delete_start_permanent_delete(clean_sandbox, workspace):
    cluster_id = workspace.clusters.create_and_wait(
        cluster_name="etl", spark_version="15.4.x-scala2.12", node_type_id="i3.xlarge",
        num_workers=1).cluster_id
    edited = workspace.clusters.edit_and_wait(
        cluster_id=cluster_id, cluster_name="etl2", spark_version="16.4.x-scala2.12",
        node_type_id="m5d.large", autoscale=AutoScale(min_workers=1, max_workers=3))
    assert edited.cluster_name == "etl2" and edited.autoscale.max_workers == 3
    assert edited.num_workers is None
    terminated = workspace.clusters.delete_and_wait(cluster_id)
    assert terminated.state == State.TERMINATED
    assert terminated.termination_reason.code.value == "USER_REQUEST"
    assert workspace.clusters.start_and_wait(cluster_id).state == State.RUNNING
    with pytest.raises(InvalidState, match="unexpected state"):
        workspace.clusters.start(cluster_id)
    workspace.clusters.permanent_delete(cluster_id)
    with pytest.raises(ResourceDoesNotExist):
        workspace.clusters.get(cluster_id)


def test_spark_versions_and_node_types(clean_sandbox, workspace):
    versions = workspace.clusters.spark_versions().versions
    assert any(v.key == "15.4.x-scala2.12" for v in versions)
    assert workspace.clusters.select_spark_version(long_term_support=True)
    types = workspace.clusters.list_node_types().node_types
    assert any(t.node_type_id == "i3.xlarge" for t in types)


def test_error_is_a_databricks_error_with_code(clean_sandbox, workspace):
    with pytest.raises(DatabricksError) as info:
        workspace.clusters.get("nope")
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
