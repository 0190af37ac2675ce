"""The Unity Catalog storage-and-access chain of the Databricks emulator, through an
unpatched databricks-sdk WorkspaceClient: storage credentials, external locations
(validated against the sandbox's own IAM, read with boto3), volumes, permissions, and
the preconditions ``enforce_access`` turns on. Each behaviour's source is named in the
emulator's code (src/dpn/sandbox/emulator/) and in docs/sandbox.md."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from databricks.sdk.errors import (
    BadRequest,
    InvalidParameterValue,
    InvalidState,
    NotFound,
    PermissionDenied,
    ResourceAlreadyExists,
)
from databricks.sdk.service.catalog import (
    AwsIamRoleRequest,
    ColumnInfo,
    ColumnTypeName,
    DataSourceFormat,
    PermissionsChange,
    Privilege,
    TableType,
    VolumeType,
)

from dpn.sandbox.faults import FaultClient

pytestmark = pytest.mark.integration

UC_MASTER = "arn:aws:iam::414351767826:role/unity-catalog-prod-UCMasterRole-14S5ZJVKOTYTL"
USER = "sandbox-user@dpn.local"
BUCKET = "lake"
S3_ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket",
              "s3:GetBucketLocation"]
Config = Callable[..., dict[str, Any]]


@pytest.fixture
def emu(clean_sandbox: Any) -> Iterator[Config]:
    """``emu(**options)``: the emulator's /_dpn/config; a reset afterwards puts every
    option back to its default."""
    admin = FaultClient(clean_sandbox.dbx_host)

    def config(**body: Any) -> dict[str, Any]:
        return dict(admin._call("POST", "/_dpn/config", body))

    yield config
    admin.reset()


@pytest.fixture(scope="module")
def iam(sandbox: Any) -> Any:
    """boto3 IAM on the sandbox's AWS side (moto), the side validation reads roles from."""
    return boto3.session.Session().client(
        "iam", endpoint_url=sandbox.aws_endpoint, region_name=sandbox.region,
        aws_access_key_id="testing", aws_secret_access_key="testing")


def _trust(role_arn: str, external_id: str, principals: list[str] | None = None) -> str:
    """The trust policy of Databricks docs "Create a storage credential for connecting to
    AWS S3": the UC master role and the role itself, with the credential's external id."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": principals or [UC_MASTER, role_arn]},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": external_id}}}]})


def _s3_policy(bucket: str = BUCKET, actions: list[str] | None = None) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": actions or S3_ACTIONS,
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]})


def _role(iam: Any, name: str, policy: str | None = None) -> str:
    """A role with a placeholder trust (the external id comes with the credential) and,
    unless ``policy`` is "", the documented S3 policy as an inline policy."""
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=_trust(
        f"arn:aws:iam::123456789012:role/{name}", "0000"))["Role"]["Arn"]
    if policy != "":
        iam.put_role_policy(RoleName=name, PolicyName="s3", PolicyDocument=policy or _s3_policy())
    return str(arn)


def _credential(workspace: Any, iam: Any, name: str = "cred", trust: bool = True,
                policy: str | None = None) -> Any:
    """A storage credential on a new role; with ``trust`` the role's trust is completed
    with the credential's external id, as the docs' step 3 says."""
    arn = _role(iam, f"role-{name}", policy)
    cred = workspace.storage_credentials.create(name, aws_iam_role=AwsIamRoleRequest(arn))
    if trust:
        iam.update_assume_role_policy(RoleName=f"role-{name}", PolicyDocument=_trust(
            arn, cred.aws_iam_role.external_id))
    return cred


def _location(workspace: Any, name: str = "loc", url: str = f"s3://{BUCKET}/data",
              credential: str = "cred", **kw: Any) -> Any:
    return workspace.external_locations.create(name, url, credential, **kw)


def _table(workspace: Any, path: str, name: str = "orders", schema: str = "gold") -> Any:
    return workspace.tables.create(
        name=name, catalog_name="sales", schema_name=schema, table_type=TableType.EXTERNAL,
        data_source_format=DataSourceFormat.DELTA, storage_location=path,
        columns=[ColumnInfo(name="id", type_name=ColumnTypeName.LONG, type_text="bigint")])


def _grant(workspace: Any, kind: str, name: str, *privileges: Privilege,
           principal: str = USER) -> Any:
    return workspace.grants.update(kind, name, changes=[
        PermissionsChange(principal=principal, add=list(privileges))])


def _granted(workspace: Any, kind: str, name: str) -> dict[str, list[str]]:
    answer = workspace.grants.get(kind, name)
    return {a.principal: [p.value for p in a.privileges]
            for a in answer.privilege_assignments or []}


# --- storage credentials ---------------------------------------------------------------
def test_storage_credential_lifecycle(clean_sandbox, workspace, iam):
    arn = _role(iam, "role-a")
    cred = workspace.storage_credentials.create("Cred_A", aws_iam_role=AwsIamRoleRequest(arn),
                                                comment="c")
    assert cred.name == "cred_a" and cred.full_name == "cred_a" and cred.id
    assert cred.aws_iam_role.role_arn == arn
    assert cred.aws_iam_role.unity_catalog_iam_arn == UC_MASTER
    assert str(uuid.UUID(cred.aws_iam_role.external_id)) == cred.aws_iam_role.external_id
    assert cred.owner == USER and cred.created_by == USER and cred.created_at
    assert cred.read_only is False and cred.comment == "c" and cred.metastore_id
    assert workspace.storage_credentials.get("CRED_A").id == cred.id
    assert [c.name for c in workspace.storage_credentials.list()] == ["cred_a"]
    updated = workspace.storage_credentials.update("cred_a", comment="d", read_only=True,
                                                   owner="data-eng", new_name="cred_b")
    assert (updated.name, updated.comment, updated.read_only, updated.owner) == \
        ("cred_b", "d", True, "data-eng")
    assert updated.aws_iam_role.external_id == cred.aws_iam_role.external_id
    workspace.storage_credentials.delete("cred_b")
    with pytest.raises(NotFound) as info:
        workspace.storage_credentials.get("cred_b")
    assert info.value.error_code == "STORAGE_CREDENTIAL_DOES_NOT_EXIST"


def test_storage_credential_refusals(clean_sandbox, workspace, iam):
    arn = _role(iam, "role-a")
    workspace.storage_credentials.create("a", aws_iam_role=AwsIamRoleRequest(arn))
    with pytest.raises(BadRequest) as info:
        workspace.storage_credentials.create("A", aws_iam_role=AwsIamRoleRequest(arn))
    assert info.value.error_code == "STORAGE_CREDENTIAL_ALREADY_EXISTS"
    with pytest.raises(InvalidParameterValue, match="Invalid role ARN"):
        workspace.storage_credentials.create("b", aws_iam_role=AwsIamRoleRequest("role-a"))
    with pytest.raises(InvalidParameterValue, match="aws_iam_role"):
        workspace.storage_credentials.create("b")


def test_credential_in_use_is_deleted_only_with_force(clean_sandbox, workspace, iam):
    _credential(workspace, iam)
    _location(workspace, skip_validation=True)
    with pytest.raises(InvalidState, match="1 dependent storage location"):
        workspace.storage_credentials.delete("cred")
    workspace.storage_credentials.delete("cred", force=True)
    assert workspace.external_locations.get("loc").credential_name == "cred"


def test_credential_in_use_changes_role_only_with_force(clean_sandbox, workspace, iam):
    _credential(workspace, iam)
    _location(workspace, skip_validation=True)
    other = AwsIamRoleRequest(_role(iam, "role-other"))
    with pytest.raises(InvalidState, match="dependent storage location.*use force option"):
        workspace.storage_credentials.update("cred", aws_iam_role=other)
    moved = workspace.storage_credentials.update("cred", aws_iam_role=other, force=True)
    assert moved.aws_iam_role.role_arn == other.role_arn


def test_credential_rename_carries_its_locations(clean_sandbox, workspace, iam):
    _credential(workspace, iam)
    _location(workspace, skip_validation=True)
    workspace.storage_credentials.update("cred", new_name="cred2")
    assert workspace.external_locations.get("loc").credential_name == "cred2"


# --- external locations ----------------------------------------------------------------
def test_external_location_lifecycle(clean_sandbox, workspace, iam):
    cred = _credential(workspace, iam)
    loc = _location(workspace, "Landing", f"s3://{BUCKET}/data//", comment="c")
    assert loc.name == "landing" and loc.url == f"s3://{BUCKET}/data"
    assert loc.credential_name == "cred" and loc.credential_id == cred.id
    assert loc.owner == USER and loc.read_only is False and loc.comment == "c"
    assert loc.created_at and loc.created_by == USER and loc.metastore_id
    assert workspace.external_locations.get("LANDING").url == loc.url
    assert [x.name for x in workspace.external_locations.list()] == ["landing"]
    updated = workspace.external_locations.update("landing", comment="d", owner="data-eng",
                                                  read_only=True, new_name="land2",
                                                  url=f"s3://{BUCKET}/other/")
    assert (updated.name, updated.comment, updated.owner, updated.read_only, updated.url) == \
        ("land2", "d", "data-eng", True, f"s3://{BUCKET}/other")
    workspace.external_locations.delete("land2")
    with pytest.raises(NotFound) as info:
        workspace.external_locations.get("land2")
    assert info.value.error_code == "EXTERNAL_LOCATION_DOES_NOT_EXIST"


def test_external_location_refusals(clean_sandbox, workspace, iam):
    _credential(workspace, iam)
    with pytest.raises(NotFound) as info:
        _location(workspace, credential="nope")
    assert info.value.error_code == "STORAGE_CREDENTIAL_DOES_NOT_EXIST"
    _location(workspace)
    with pytest.raises(BadRequest) as info:
        _location(workspace, "LOC", f"s3://{BUCKET}/elsewhere")
    assert info.value.error_code == "EXTERNAL_LOCATION_ALREADY_EXISTS"
    for url in (f"s3://{BUCKET}/data/", f"s3://{BUCKET}/data/x", f"s3://{BUCKET}"):
        with pytest.raises(InvalidParameterValue,
                           match="overlaps with an existing external location.*"
                                 "Conflicting location: loc"):
            _location(workspace, "other", url, skip_validation=True)
    assert _location(workspace, "db", f"s3://{BUCKET}/database").url == f"s3://{BUCKET}/database"
    with pytest.raises(InvalidParameterValue, match="overlaps"):
        workspace.external_locations.update("db", url=f"s3://{BUCKET}/data/y")


def test_location_with_dependents_needs_force(clean_sandbox, workspace, iam):
    _credential(workspace, iam)
    _location(workspace)
    workspace.catalogs.create(name="sales")
    workspace.schemas.create(name="gold", catalog_name="sales")
    _table(workspace, f"s3://{BUCKET}/data/orders")
    with pytest.raises(InvalidState, match="1 dependent external tables"):
        workspace.external_locations.delete("loc")
    with pytest.raises(InvalidState, match="use force option to update url"):
        workspace.external_locations.update("loc", url=f"s3://{BUCKET}/moved")
    workspace.external_locations.update("loc", url=f"s3://{BUCKET}/moved", force=True)
    workspace.external_locations.delete("loc", force=True)


# --- validation against the sandbox's IAM ----------------------------------------------
def test_validation_accepts_the_documented_role(clean_sandbox, workspace, iam):
    _credential(workspace, iam)
    assert _location(workspace).url == f"s3://{BUCKET}/data"


def test_validation_accepts_an_attached_managed_policy(clean_sandbox, workspace, iam):
    arn = iam.create_policy(PolicyName="s3", PolicyDocument=_s3_policy())["Policy"]["Arn"]
    _credential(workspace, iam, policy="")
    iam.attach_role_policy(RoleName="role-cred", PolicyArn=arn)
    assert _location(workspace).name == "loc"


def test_validation_refuses_a_missing_role(clean_sandbox, workspace, iam):
    workspace.storage_credentials.create("cred", aws_iam_role=AwsIamRoleRequest(
        "arn:aws:iam::123456789012:role/nobody"))
    with pytest.raises(PermissionDenied, match="does not have READ permissions on url "
                                               f"s3://{BUCKET}/data.*does not exist"):
        _location(workspace)


@pytest.mark.parametrize("trust", ["external id missing", "wrong external id", "no self"])
def test_validation_refuses_a_role_uc_cannot_assume(clean_sandbox, workspace, iam, trust):
    cred = _credential(workspace, iam, trust=False)
    arn, ext = cred.aws_iam_role.role_arn, cred.aws_iam_role.external_id
    documents = {"external id missing": _trust(arn, "0000"),
                 "wrong external id": _trust(arn, str(uuid.uuid4())),
                 "no self": _trust(arn, ext, principals=[UC_MASTER])}
    iam.update_assume_role_policy(RoleName="role-cred", PolicyDocument=documents[trust])
    with pytest.raises(PermissionDenied, match="does not have READ permissions.*trust policy"):
        _location(workspace)
    assert _location(workspace, skip_validation=True).name == "loc"


def test_validation_refuses_a_role_without_s3_access(clean_sandbox, workspace, iam):
    _credential(workspace, iam, policy=_s3_policy("other-bucket"))
    with pytest.raises(PermissionDenied, match="does not have READ permissions.*s3:GetObject"):
        _location(workspace)


def test_validation_of_read_only_needs_only_read(clean_sandbox, workspace, iam):
    _credential(workspace, iam, policy=_s3_policy(actions=["s3:GetObject", "s3:ListBucket"]))
    with pytest.raises(PermissionDenied, match="does not have WRITE permissions"):
        _location(workspace)
    assert _location(workspace, read_only=True).read_only is True
    with pytest.raises(PermissionDenied, match="WRITE"):
        workspace.external_locations.update("loc", read_only=False)


def test_validation_honours_an_explicit_deny(clean_sandbox, workspace, iam):
    _credential(workspace, iam)
    iam.put_role_policy(RoleName="role-cred", PolicyName="deny", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Deny", "Action": "s3:DeleteObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/*"}]}))
    with pytest.raises(PermissionDenied, match="does not have DELETE permissions"):
        _location(workspace)


def test_validation_runs_again_when_the_credential_changes(clean_sandbox, workspace, iam):
    _credential(workspace, iam)
    _location(workspace)
    workspace.storage_credentials.create("bare", aws_iam_role=AwsIamRoleRequest(
        _role(iam, "role-bare")))
    with pytest.raises(PermissionDenied, match="trust policy"):
        workspace.external_locations.update("loc", credential_name="bare")
    assert workspace.external_locations.update("loc", credential_name="bare",
                                               skip_validation=True).credential_name == "bare"


def test_validation_accepts_s3_star(clean_sandbox, workspace, iam):
    _credential(workspace, iam, policy=_s3_policy(actions=["s3:*"]))
    assert _location(workspace).name == "loc"


def test_iam_propagation_delay_runs_on_the_emulator_clock(emu, workspace, iam):
    assert emu()["iam_propagation_seconds"] == 0
    emu(iam_propagation_seconds=30)
    cred = _credential(workspace, iam)
    with pytest.raises(PermissionDenied, match="not propagated"):
        _location(workspace)
    emu(advance_clock=31)
    assert _location(workspace).name == "loc"
    iam.update_assume_role_policy(RoleName="role-cred", PolicyDocument=_trust(
        cred.aws_iam_role.role_arn, cred.aws_iam_role.external_id,
        principals=[cred.aws_iam_role.role_arn, UC_MASTER]))
    with pytest.raises(PermissionDenied, match="not propagated"):
        workspace.external_locations.update("loc", url=f"s3://{BUCKET}/data2")
    emu(advance_clock=31)
    assert workspace.external_locations.update("loc", url=f"s3://{BUCKET}/data2").url == \
        f"s3://{BUCKET}/data2"


# --- volumes ---------------------------------------------------------------------------
def _schema(workspace: Any) -> None:
    workspace.catalogs.create(name="sales")
    workspace.schemas.create(name="gold", catalog_name="sales")


def test_external_volume_lifecycle(clean_sandbox, workspace):
    _schema(workspace)
    vol = workspace.volumes.create("Sales", "GOLD", "Raw", VolumeType.EXTERNAL,
                                   storage_location=f"s3://{BUCKET}/raw/", comment="c")
    assert (vol.name, vol.full_name, vol.storage_location) == \
        ("raw", "sales.gold.raw", f"s3://{BUCKET}/raw")
    assert vol.volume_type == VolumeType.EXTERNAL and vol.owner == USER and vol.volume_id
    assert vol.created_at and vol.created_by == USER and vol.comment == "c"
    assert workspace.volumes.read("SALES.gold.RAW").volume_id == vol.volume_id
    assert [v.full_name for v in workspace.volumes.list("sales", "gold")] == ["sales.gold.raw"]
    updated = workspace.volumes.update("sales.gold.raw", comment="d", owner="data-eng",
                                       new_name="raw2")
    assert (updated.full_name, updated.comment, updated.owner) == \
        ("sales.gold.raw2", "d", "data-eng")
    workspace.volumes.delete("sales.gold.raw2")
    with pytest.raises(NotFound, match="Volume 'sales.gold.raw2' does not exist."):
        workspace.volumes.read("sales.gold.raw2")


def test_volume_refusals(clean_sandbox, workspace):
    _schema(workspace)
    with pytest.raises(InvalidParameterValue, match="storage_location can not be provided"):
        workspace.volumes.create("sales", "gold", "v", VolumeType.MANAGED,
                                 storage_location=f"s3://{BUCKET}/v")
    with pytest.raises(InvalidParameterValue, match="storage_location"):
        workspace.volumes.create("sales", "gold", "v", VolumeType.EXTERNAL)
    with pytest.raises(InvalidState, match="Metastore storage root URL does not exist"):
        workspace.volumes.create("sales", "gold", "v", VolumeType.MANAGED)
    _table(workspace, f"s3://{BUCKET}/t")
    for path in (f"s3://{BUCKET}/t", f"s3://{BUCKET}/t/inner", f"s3://{BUCKET}"):
        with pytest.raises(InvalidParameterValue, match="Conflicting tables/volumes: "
                                                        "sales.gold.orders"):
            workspace.volumes.create("sales", "gold", "v", VolumeType.EXTERNAL,
                                     storage_location=path)
    with pytest.raises(NotFound):
        workspace.volumes.create("sales", "nope", "v", VolumeType.EXTERNAL,
                                 storage_location=f"s3://{BUCKET}/v")


def test_duplicate_volume_is_refused(clean_sandbox, workspace):
    _schema(workspace)
    workspace.volumes.create("sales", "gold", "v", VolumeType.EXTERNAL,
                             storage_location=f"s3://{BUCKET}/v")
    with pytest.raises(ResourceAlreadyExists, match="Volume 'sales.gold.v' already exists"):
        workspace.volumes.create("sales", "gold", "V", VolumeType.EXTERNAL,
                                 storage_location=f"s3://{BUCKET}/w")


def test_managed_volume_lives_in_the_schema_storage(clean_sandbox, workspace):
    workspace.catalogs.create(name="sales")
    schema = workspace.schemas.create(name="gold", catalog_name="sales",
                                      storage_root=f"s3://{BUCKET}/gold")
    vol = workspace.volumes.create("sales", "gold", "m", VolumeType.MANAGED)
    assert vol.storage_location == f"{schema.storage_location}/volumes/{vol.volume_id}"


def test_volumes_count_in_a_schema_and_go_with_it(clean_sandbox, workspace):
    _schema(workspace)
    workspace.volumes.create("sales", "gold", "v", VolumeType.EXTERNAL,
                             storage_location=f"s3://{BUCKET}/v")
    with pytest.raises(InvalidState, match="1 volumes"):
        workspace.schemas.delete("sales.gold")
    workspace.schemas.update("sales.gold", new_name="silver")
    assert workspace.volumes.read("sales.silver.v").schema_name == "silver"
    workspace.catalogs.delete("sales", force=True)
    workspace.catalogs.create(name="sales")
    workspace.schemas.create(name="silver", catalog_name="sales")
    assert list(workspace.volumes.list("sales", "silver")) == []


# --- permissions -----------------------------------------------------------------------
def test_grants_add_remove_and_read(clean_sandbox, workspace):
    _schema(workspace)
    assert _granted(workspace, "schema", "sales.gold") == {}
    answer = workspace.grants.update("schema", "sales.gold", changes=[
        PermissionsChange(principal="data-eng", add=[Privilege.USE_SCHEMA, Privilege.SELECT]),
        PermissionsChange(principal=USER, add=[Privilege.EXTERNAL_USE_SCHEMA])])
    assert {a.principal for a in answer.privilege_assignments} == {"data-eng", USER}
    workspace.grants.update("SCHEMA", "SALES.GOLD", changes=[
        PermissionsChange(principal="data-eng", remove=[Privilege.SELECT])])
    assert _granted(workspace, "schema", "sales.gold") == {
        "data-eng": ["USE_SCHEMA"], USER: ["EXTERNAL_USE_SCHEMA"]}
    only = workspace.grants.get("schema", "sales.gold", principal="data-eng")
    assert [a.principal for a in only.privilege_assignments] == ["data-eng"]
    workspace.grants.update("schema", "sales.gold", changes=[
        PermissionsChange(principal="data-eng", remove=[Privilege.USE_SCHEMA])])
    assert _granted(workspace, "schema", "sales.gold") == {USER: ["EXTERNAL_USE_SCHEMA"]}


def test_grants_list_pages_through_the_assignments(clean_sandbox, workspace):
    _schema(workspace)
    _grant(workspace, "catalog", "sales", Privilege.USE_CATALOG, Privilege.BROWSE)
    listed = list(workspace.grants.list("catalog", "sales"))
    assert [(a.principal, [p.value for p in a.privileges]) for a in listed] == \
        [(USER, ["BROWSE", "USE_CATALOG"])]
    with pytest.raises(InvalidParameterValue, match="max_results"):
        workspace.grants.get("catalog", "sales", max_results=10)


def test_privilege_names_are_normalised_and_checked(clean_sandbox, workspace):
    _schema(workspace)
    workspace.api_client.do("PATCH", "/api/2.1/unity-catalog/permissions/catalog/sales",
                            body={"changes": [{"principal": "p", "add": ["use catalog"]}]})
    assert _granted(workspace, "catalog", "sales") == {"p": ["USE_CATALOG"]}
    for kind, name, privilege in (("catalog", "sales", "ABC"),
                                  ("schema", "sales.gold", "READ_FILES"),
                                  ("schema", "sales.gold", "USE_CATALOG")):
        with pytest.raises(InvalidParameterValue,
                           match=f"Privilege {privilege} is not applicable to this entity"):
            workspace.api_client.do(
                "PATCH", f"/api/2.1/unity-catalog/permissions/{kind}/{name}",
                body={"changes": [{"principal": "p", "add": [privilege]}]})


def test_grants_on_every_securable_type(clean_sandbox, workspace, iam):
    _schema(workspace)
    _table(workspace, f"s3://{BUCKET}/t")
    workspace.volumes.create("sales", "gold", "v", VolumeType.EXTERNAL,
                             storage_location=f"s3://{BUCKET}/v")
    _credential(workspace, iam)
    _location(workspace, skip_validation=True)
    for kind, name, privilege in (
            ("catalog", "sales", Privilege.USE_CATALOG),
            ("schema", "sales.gold", Privilege.EXTERNAL_USE_SCHEMA),
            ("table", "sales.gold.orders", Privilege.SELECT),
            ("volume", "sales.gold.v", Privilege.READ_VOLUME),
            ("external_location", "loc", Privilege.EXTERNAL_USE_LOCATION),
            ("storage_credential", "cred", Privilege.CREATE_EXTERNAL_LOCATION)):
        _grant(workspace, kind, name, privilege)
        assert _granted(workspace, kind, name) == {USER: [privilege.value]}
    with pytest.raises(NotFound) as info:
        workspace.grants.get("table", "sales.gold.nope")
    assert info.value.error_code == "TABLE_DOES_NOT_EXIST"
    with pytest.raises(InvalidParameterValue, match="securable type"):
        workspace.grants.get("gizmo", "sales")


def test_grants_follow_renames_and_go_with_their_securable(clean_sandbox, workspace):
    _schema(workspace)
    _table(workspace, f"s3://{BUCKET}/t")
    _grant(workspace, "schema", "sales.gold", Privilege.USE_SCHEMA)
    _grant(workspace, "table", "sales.gold.orders", Privilege.SELECT)
    workspace.catalogs.update("sales", new_name="shop")
    assert _granted(workspace, "table", "shop.gold.orders") == {USER: ["SELECT"]}
    workspace.tables.delete("shop.gold.orders")
    workspace.tables.create(
        name="orders", catalog_name="shop", schema_name="gold", table_type=TableType.EXTERNAL,
        data_source_format=DataSourceFormat.DELTA, storage_location=f"s3://{BUCKET}/t")
    assert _granted(workspace, "table", "shop.gold.orders") == {}
    workspace.catalogs.delete("shop", force=True)
    workspace.catalogs.create(name="shop")
    workspace.schemas.create(name="gold", catalog_name="shop")
    assert _granted(workspace, "schema", "shop.gold") == {}


def test_effective_permissions_include_inherited_ones(clean_sandbox, workspace):
    _schema(workspace)
    _grant(workspace, "catalog", "sales", Privilege.USE_CATALOG)
    _grant(workspace, "schema", "sales.gold", Privilege.USE_SCHEMA)
    answer = workspace.grants.get_effective("schema", "sales.gold")
    (assignment,) = answer.privilege_assignments
    by_privilege = {p.privilege.value: p for p in assignment.privileges}
    assert by_privilege["USE_SCHEMA"].inherited_from_name is None
    assert by_privilege["USE_CATALOG"].inherited_from_name == "sales"
    assert by_privilege["USE_CATALOG"].inherited_from_type.value == "CATALOG"


# --- preconditions (enforce_access) ----------------------------------------------------
def _chain(workspace: Any, iam: Any) -> None:
    """Catalog, schema, credential and a validated location over s3://lake/data."""
    _schema(workspace)
    _credential(workspace, iam)
    _location(workspace)


def test_enforcement_is_on_unless_the_sandbox_starts_without_it() -> None:
    import os
    import subprocess
    import sys

    code = "from dpn.sandbox.emulator import options; print(options.ENFORCE_ACCESS_DEFAULT)"
    env = {k: v for k, v in os.environ.items() if k != "DPN_SANDBOX_ENFORCE_ACCESS"}
    on = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    off = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**env, "DPN_SANDBOX_ENFORCE_ACCESS": "0"})
    assert (on.stdout.strip(), off.stdout.strip()) == ("True", "False")


def test_the_suites_sandbox_starts_without_enforcement_and_reset_restores_it(
        emu, workspace, sandbox):
    assert emu()["enforce_access"] is False and emu()["metastore_root"] is None
    _schema(workspace)
    assert _table(workspace, f"s3://{BUCKET}/anywhere").name == "orders"
    emu(enforce_access=True, metastore_root="s3://root/", iam_propagation_seconds=5)
    assert emu()["metastore_root"] == "s3://root"
    FaultClient(sandbox.dbx_host).reset()
    assert (emu()["enforce_access"], emu()["metastore_root"],
            emu()["iam_propagation_seconds"]) == (False, None, 0)


@pytest.mark.parametrize("body", [{"enforce_access": "yes"}, {"metastore_root": "root"},
                                  {"iam_propagation_seconds": -1}, {"user_groups": "x"}])
def test_options_refuse_bad_values(emu, body):
    with pytest.raises(OSError, match="400"):
        emu(**body)
    assert emu()["enforce_access"] is False


def test_external_table_needs_a_covering_location(emu, workspace, iam):
    _chain(workspace, iam)
    emu(enforce_access=True)
    _grant(workspace, "schema", "sales.gold", Privilege.EXTERNAL_USE_SCHEMA)
    with pytest.raises(PermissionDenied, match="no external location covers"):
        _table(workspace, f"s3://{BUCKET}/database/t")


def test_external_table_needs_explicit_external_use_grants(emu, workspace, iam):
    _chain(workspace, iam)
    emu(enforce_access=True)
    path = f"s3://{BUCKET}/data/orders"
    _grant(workspace, "schema", "sales.gold", Privilege.ALL_PRIVILEGES)
    _grant(workspace, "external_location", "loc", Privilege.ALL_PRIVILEGES)
    with pytest.raises(PermissionDenied, match="EXTERNAL USE SCHEMA on Schema 'sales.gold'"):
        _table(workspace, path)
    _grant(workspace, "schema", "sales.gold", Privilege.EXTERNAL_USE_SCHEMA)
    with pytest.raises(PermissionDenied, match="EXTERNAL USE LOCATION on External Location"):
        _table(workspace, path)
    _grant(workspace, "external_location", "loc", Privilege.EXTERNAL_USE_LOCATION)
    assert _table(workspace, path).storage_location == path


def test_external_table_needs_create_external_table(emu, workspace, iam):
    _chain(workspace, iam)
    emu(enforce_access=True)
    workspace.external_locations.update("loc", owner="someone-else")
    _grant(workspace, "schema", "sales.gold", Privilege.EXTERNAL_USE_SCHEMA)
    _grant(workspace, "external_location", "loc", Privilege.EXTERNAL_USE_LOCATION)
    with pytest.raises(PermissionDenied, match="CREATE EXTERNAL TABLE on External Location"):
        _table(workspace, f"s3://{BUCKET}/data/orders")
    _grant(workspace, "external_location", "loc", Privilege.CREATE_EXTERNAL_TABLE)
    assert _table(workspace, f"s3://{BUCKET}/data/orders").name == "orders"


def test_grants_to_account_users_count_for_the_caller(emu, workspace, iam):
    _chain(workspace, iam)
    emu(enforce_access=True)
    _grant(workspace, "schema", "sales.gold", Privilege.EXTERNAL_USE_SCHEMA,
           principal="account users")
    _grant(workspace, "external_location", "loc", Privilege.EXTERNAL_USE_LOCATION,
           principal="account users")
    assert _table(workspace, f"s3://{BUCKET}/data/orders").name == "orders"


def test_grants_to_a_group_of_the_caller_count_and_me_lists_its_groups(emu, workspace, iam):
    _chain(workspace, iam)
    emu(enforce_access=True)
    assert [g.display for g in workspace.current_user.me().groups] == ["data-platform"]
    _grant(workspace, "schema", "sales.gold", Privilege.EXTERNAL_USE_SCHEMA,
           principal="data-platform")
    _grant(workspace, "external_location", "loc", Privilege.EXTERNAL_USE_LOCATION,
           principal="data-platform")
    emu(user_groups=["analysts"])      # no longer a member: the grants stop counting
    assert [g.display for g in workspace.current_user.me().groups] == ["analysts"]
    with pytest.raises(PermissionDenied, match="EXTERNAL USE SCHEMA"):
        _table(workspace, f"s3://{BUCKET}/data/orders")
    emu(user_groups=["data-platform"])
    assert _table(workspace, f"s3://{BUCKET}/data/orders").name == "orders"


def test_external_volume_needs_create_external_volume(emu, workspace, iam):
    _chain(workspace, iam)
    emu(enforce_access=True)
    with pytest.raises(PermissionDenied, match="no external location covers"):
        workspace.volumes.create("sales", "gold", "v", VolumeType.EXTERNAL,
                                 storage_location=f"s3://{BUCKET}/raw")
    workspace.external_locations.update("loc", owner="someone-else")
    with pytest.raises(PermissionDenied, match="CREATE EXTERNAL VOLUME on External Location"):
        workspace.volumes.create("sales", "gold", "v", VolumeType.EXTERNAL,
                                 storage_location=f"s3://{BUCKET}/data/v")
    _grant(workspace, "external_location", "loc", Privilege.CREATE_EXTERNAL_VOLUME)
    assert workspace.volumes.create("sales", "gold", "v", VolumeType.EXTERNAL,
                                    storage_location=f"s3://{BUCKET}/data/v").name == "v"


def test_catalog_needs_root_storage(emu, workspace):
    emu(enforce_access=True)
    with pytest.raises(InvalidState, match="Metastore storage root URL does not exist"):
        workspace.catalogs.create(name="sales")
    assert workspace.metastores.summary().storage_root is None
    emu(metastore_root="s3://root/uc")
    assert workspace.metastores.summary().storage_root == "s3://root/uc"
    assert workspace.catalogs.create(name="sales").name == "sales"


def test_managed_storage_needs_a_covering_location(emu, workspace, iam):
    _credential(workspace, iam)
    _location(workspace)
    emu(enforce_access=True)
    with pytest.raises(PermissionDenied, match="no external location covers"):
        workspace.catalogs.create(name="sales", storage_root="s3://elsewhere/root")
    catalog = workspace.catalogs.create(name="sales", storage_root=f"s3://{BUCKET}/data/c")
    assert catalog.storage_root == f"s3://{BUCKET}/data/c"
    workspace.external_locations.update("loc", owner="someone-else")
    with pytest.raises(PermissionDenied, match="CREATE MANAGED STORAGE"):
        workspace.schemas.create(name="gold", catalog_name="sales",
                                 storage_root=f"s3://{BUCKET}/data/s")
    _grant(workspace, "external_location", "loc", Privilege.CREATE_MANAGED_STORAGE)
    assert workspace.schemas.create(name="gold", catalog_name="sales",
                                    storage_root=f"s3://{BUCKET}/data/s").name == "gold"
