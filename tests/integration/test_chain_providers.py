"""The storage-and-access providers (SPEC section 11) against the sandbox, over real HTTP
with unpatched boto3 and databricks-sdk: IAM roles on moto, storage credentials, external
locations (validated by the emulator against that IAM), volumes and grants on the
Databricks emulator, and the owner of catalogs, schemas and tables. What the platforms hold
is checked with the sandbox's own clients (``iam``, ``workspace``), not through dpn."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from dpn.canonical import canonical, diff
from dpn.errors import (
    AlreadyExists,
    InvalidRequest,
    NotEmpty,
    PermissionDenied,
    PropagationPending,
)
from dpn.model import (
    CATALOG,
    EXTERNAL_LOCATION,
    GRANTS,
    IAM_ROLE,
    S3_BUCKET,
    SCHEMA,
    STORAGE_CREDENTIAL,
    TABLE,
    VOLUME,
    freeze,
)
from dpn.providers import aws as aws_providers
from dpn.providers import databricks as dbx_providers
from dpn.providers.aws.iam_documents import S3_POLICY, UC_MASTER_ROLE
from dpn.providers.aws.iam_role import IamRoleProvider
from dpn.providers.base import Provider, Spec
from dpn.sandbox.faults import FaultClient

pytestmark = pytest.mark.integration

STACK = "acme-dev-lake"
USER = "sandbox-user@dpn.local"
GLUE_READ = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["glue:GetTable", "glue:GetDatabase"], "Resource": "*"}]}


def spec(rtype: str, key: str, name: str, **props: Any) -> Spec:
    """A spec as the engine builds it: canonical props, ownership tags in the tag field."""
    if rtype in (IAM_ROLE, S3_BUCKET):
        props["tags"] = {"dpn:stack": STACK, "dpn:key": key, **props.get("tags", {})}
    if rtype in (CATALOG, SCHEMA, TABLE):
        props["properties"] = {"dpn:stack": STACK, "dpn:key": key}
    return Spec(key, rtype, name, freeze(canonical(rtype, props)))


class Recording:
    """A boto3 client that records the operations called through it."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.client, name)
        if not callable(attr) or name in ("get_paginator", "meta", "exceptions"):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return attr(*args, **kwargs)
        return call


@pytest.fixture
def uid() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture
def aws(clean_sandbox: Any) -> dict[str, Provider]:
    return aws_providers.build(clean_sandbox.settings(), clean_sandbox.region,
                               types={IAM_ROLE, S3_BUCKET})


@pytest.fixture
def dbx(clean_sandbox: Any, tmp_path: Any) -> dict[str, Provider]:
    return dbx_providers.build(clean_sandbox.settings(), tmp_path)


@pytest.fixture
def emu(clean_sandbox: Any) -> Iterator[Callable[..., Any]]:
    """The emulator's /_dpn/config; a reset afterwards puts the options back."""
    admin = FaultClient(clean_sandbox.dbx_host)
    yield lambda **body: admin._call("POST", "/_dpn/config", body)
    admin.reset()


@pytest.fixture
def enforced(enforcing: Any) -> Iterator[Any]:
    """``enforcing``, turned off again afterwards: tests that share the sandbox without
    resetting it (``sandbox`` rather than ``clean_sandbox``) expect it off."""
    yield enforcing
    FaultClient(enforcing.dbx_host)._call("POST", "/_dpn/config", {"enforce_access": False})


@pytest.fixture
def managed_policy(iam: Any, uid: str) -> str:
    arn: str = iam.create_policy(PolicyName=f"audit-{uid}",
                                 PolicyDocument=json.dumps(GLUE_READ))["Policy"]["Arn"]
    return arn


def trust_of(iam: Any, name: str) -> dict[str, Any]:
    doc: dict[str, Any] = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
    return doc


def principals_and_id(doc: dict[str, Any]) -> tuple[set[str], str]:
    (statement,) = doc["Statement"]
    return (set(statement["Principal"]["AWS"]),
            statement["Condition"]["StringEquals"]["sts:ExternalId"])


# -- aws.iam_role -------------------------------------------------------------------------------


def test_role_trusts_unity_catalog_and_itself_and_keeps_a_completed_external_id(
        clean_sandbox, iam, managed_policy, uid):
    provider = IamRoleProvider(Recording(iam), clean_sandbox.region)
    name = f"acme-dev-lake-uc-{uid}"
    want = spec(IAM_ROLE, "uc", name, trust="unity_catalog",
                s3_access={"read_write": ["lake-a"], "read_only": ["lake-b"],
                           "kms_keys": ["alias/lake", "1234abcd-12ab-34cd-56ef-1234567890ab"]},
                policies={"glue-read": GLUE_READ}, managed_policy_arns=[managed_policy],
                tags={"team": "data"})
    created = provider.create(want)
    arn = created.attrs["arn"]
    assert arn == f"arn:aws:iam::123456789012:role/{name}" and created.owned_by(STACK, "uc")
    assert principals_and_id(trust_of(iam, name)) == ({UC_MASTER_ROLE, arn}, "0000")
    assert set(iam.list_role_policies(RoleName=name)["PolicyNames"]) == {S3_POLICY, "glue-read"}
    read = provider.read(name)
    assert read is not None and read.props["trust_external_id"] == "0000"
    assert canonical(IAM_ROLE, read.props) == canonical(IAM_ROLE, created.props)
    assert not diff(IAM_ROLE, read.props, want.props).changed

    completed = Spec("uc", IAM_ROLE, name, freeze({**want.props, "trust_external_id": "ext-1"}))
    provider.update(name, completed)
    assert principals_and_id(trust_of(iam, name)) == ({UC_MASTER_ROLE, arn}, "ext-1")
    provider._iam.calls.clear()
    again = provider.update(name, want)  # the blueprint's spec, without the external id
    assert again.props["trust_external_id"] == "ext-1"
    writes = [c for c in provider._iam.calls if not c.startswith(("get_", "list_"))]
    assert writes == []  # nothing differed: nothing written

    smaller = spec(IAM_ROLE, "uc", name, trust="unity_catalog",
                   s3_access={"read_only": ["lake-b"]}, tags={})
    after = provider.update(name, smaller)
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == [S3_POLICY]
    assert iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"] == []
    assert after.tags == {"dpn:stack": STACK, "dpn:key": "uc"}
    assert not diff(IAM_ROLE, after.props, smaller.props).changed

    provider.update(name, want)
    provider.delete(name)  # inline policies deleted and the managed one detached first
    assert provider.read(name) is None
    provider.delete(name)


def test_policy_documents_compare_as_iam_treats_them(clean_sandbox, aws, iam, uid):
    provider = aws[IAM_ROLE]
    name = f"acme-dev-lake-partner-{uid}"
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::210987654321:root"]},
         "Action": ["sts:AssumeRole"], "Condition": {"StringEquals": {"sts:ExternalId": "p"}}},
        {"Sid": "Ec2", "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
         "Action": "sts:AssumeRole"}]}
    want = spec(IAM_ROLE, "partner", name, trust=trust, policies={"glue-read": GLUE_READ})
    provider.create(want)
    # the same documents spelt another way: statements reordered, lists for single values
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [trust["Statement"][1] | {
            "Principal": {"Service": ["ec2.amazonaws.com"]}, "Action": ["sts:AssumeRole"]},
            trust["Statement"][0] | {"Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName=name, PolicyName="glue-read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": {"Effect": "Allow", "Resource": ["*"],
                                               "Action": ["glue:GetDatabase", "glue:GetTable"]}}))
    read = provider.read(name)
    assert read is not None and read.props["trust"] != "unity_catalog"
    assert not diff(IAM_ROLE, read.props, want.props).changed
    provider.delete(name)


def test_an_s3_access_policy_edited_outside_dpn_is_drift_that_an_update_repairs(
        clean_sandbox, aws, iam, uid):
    provider = aws[IAM_ROLE]
    name = f"acme-dev-lake-uc-{uid}"
    want = spec(IAM_ROLE, "uc", name, trust="unity_catalog", s3_access={"read_write": ["lake"]})
    provider.create(want)
    iam.put_role_policy(RoleName=name, PolicyName=S3_POLICY, PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    edited = provider.read(name)
    assert edited is not None and "s3_access" not in edited.props
    assert set(diff(IAM_ROLE, edited.props, want.props).update) == {"policies", "s3_access"}
    repaired = provider.update(name, want)
    assert not diff(IAM_ROLE, repaired.props, want.props).changed
    provider.delete(name)


def test_a_missing_managed_policy_fails_the_create_and_leaves_no_role(clean_sandbox, aws, iam,
                                                                     uid):
    provider = aws[IAM_ROLE]
    name = f"acme-dev-lake-uc-{uid}"
    with pytest.raises(InvalidRequest, match="managed policy"):
        provider.create(spec(IAM_ROLE, "uc", name, trust="unity_catalog",
                             managed_policy_arns=["arn:aws:iam::123456789012:policy/none"]))
    assert provider.read(name) is None
    provider.create(spec(IAM_ROLE, "uc", name, trust="unity_catalog"))
    with pytest.raises(AlreadyExists):
        provider.create(spec(IAM_ROLE, "uc", name, trust="unity_catalog"))
    provider.delete(name)


# -- the chain: bucket, role, credential, location, catalog, schema, volume, grants ----------


def _role_and_credential(aws: dict[str, Provider], dbx: dict[str, Provider], uid: str,
                         bucket: str, *, complete: bool = True) -> tuple[str, Any]:
    """A role with the UC trust and S3 access to ``bucket``, a credential naming it, and
    (``complete``) the trust completed with the credential's external id, as the engine's
    follow-up update does."""
    role = f"acme-dev-lake-uc-{uid}"
    role_spec = spec(IAM_ROLE, "uc", role, trust="unity_catalog",
                     s3_access={"read_write": [bucket]})
    arn = aws[IAM_ROLE].create(role_spec).attrs["arn"]
    credential = dbx[STORAGE_CREDENTIAL].create(spec(
        STORAGE_CREDENTIAL, "cred", f"dev_uc_{uid}", aws_iam_role=arn, comment="uc"))
    if complete:
        aws[IAM_ROLE].update(role, Spec("uc", IAM_ROLE, role, freeze({
            **role_spec.props, "trust_external_id": credential.attrs["external_id"]})))
    return role, credential


def test_the_storage_chain_round_trips(clean_sandbox, aws, dbx, workspace, uid):
    bucket = f"acme-dev-lake-raw-{uid}"
    aws[S3_BUCKET].create(spec(S3_BUCKET, "raw", bucket))
    role, credential = _role_and_credential(aws, dbx, uid, bucket)
    assert credential.attrs["external_id"] and credential.props["read_only"] is False

    locations = dbx[EXTERNAL_LOCATION]
    loc_spec = spec(EXTERNAL_LOCATION, "loc", f"dev_raw_{uid}", url=f"s3://{bucket}/",
                    credential=credential.name, comment="raw data", owner=USER)
    location = locations.create(loc_spec)  # validated by the emulator against the role
    assert location.attrs["uri"] == f"s3://{bucket}" and location.props["owner"] == USER
    assert not diff(EXTERNAL_LOCATION, locations.read(location.id).props, loc_spec.props).changed
    with pytest.raises(AlreadyExists):
        locations.create(loc_spec)

    catalog = dbx[CATALOG].create(spec(CATALOG, "sales", f"dev_sales_{uid}",
                                       storage_root=f"s3://{bucket}/uc", owner="data-admins"))
    assert catalog.props["owner"] == "data-admins"
    assert workspace.catalogs.get(catalog.id).owner == "data-admins"
    schema = dbx[SCHEMA].create(spec(SCHEMA, "gold", "gold", catalog=catalog.id, owner=USER))
    assert schema.props["owner"] == USER

    volumes = dbx[VOLUME]
    vol_spec = spec(VOLUME, "exports", "exports", schema=schema.id,
                    storage_location=f"s3://{bucket}/volumes/exports/", comment="out",
                    owner="data-admins")
    volume = volumes.create(vol_spec)
    assert volume.id == f"{schema.id}.exports"
    assert volume.props["storage_location"] == f"s3://{bucket}/volumes/exports"
    assert not diff(VOLUME, volumes.read(volume.id).props, vol_spec.props).changed
    changed = spec(VOLUME, "exports", "exports", schema=schema.id,
                   storage_location=f"s3://{bucket}/volumes/exports", comment="files",
                   owner=USER)
    assert diff(VOLUME, volume.props, changed.props).update == ("comment", "owner")
    assert volumes.update(volume.id, changed).props["comment"] == "files"
    assert set(volumes.read_many([volume.id, f"{schema.id}.nope"])) == {
        volume.id, f"{schema.id}.nope"}

    grants = dbx[GRANTS]
    g_spec = spec(GRANTS, "loc_grants", "loc_grants",
                  securable=f"external_location:{location.id}",
                  privileges={USER: ["external use location", "CREATE_EXTERNAL_TABLE"]})
    granted = grants.create(g_spec)
    assert granted.id == f"external_location/{location.id}"
    assert not diff(GRANTS, grants.read(granted.id).props, g_spec.props).changed

    with pytest.raises(NotEmpty, match="volumes"):
        dbx[SCHEMA].delete(schema.id)  # a volume is content, as a table is
    for key, kind, id_ in (("exports", VOLUME, volume.id), ("gold", SCHEMA, schema.id),
                           ("sales", CATALOG, catalog.id), ("loc", EXTERNAL_LOCATION,
                                                           location.id),
                           ("cred", STORAGE_CREDENTIAL, credential.id)):
        dbx[kind].delete(id_, force_empty=True)
        assert dbx[kind].read(id_) is None, key
        dbx[kind].delete(id_)  # idempotent
    aws[IAM_ROLE].delete(role)


def test_a_location_whose_role_does_not_trust_it_yet_is_propagation_pending(
        clean_sandbox, aws, dbx, emu, uid):
    bucket = f"acme-dev-lake-raw-{uid}"
    aws[S3_BUCKET].create(spec(S3_BUCKET, "raw", bucket))
    role, credential = _role_and_credential(aws, dbx, uid, bucket, complete=False)
    loc_spec = spec(EXTERNAL_LOCATION, "loc", f"dev_raw_{uid}", url=f"s3://{bucket}/",
                    credential=credential.name)
    with pytest.raises(PropagationPending, match="does not have READ permissions"):
        dbx[EXTERNAL_LOCATION].create(loc_spec)  # the trust still says "0000"
    assert dbx[EXTERNAL_LOCATION].read(f"dev_raw_{uid}") is None

    emu(iam_propagation_seconds=30)
    aws[IAM_ROLE].update(role, spec(IAM_ROLE, "uc", role, trust="unity_catalog",
                                    s3_access={"read_write": [bucket]},
                                    trust_external_id=credential.attrs["external_id"]))
    with pytest.raises(PropagationPending):
        dbx[EXTERNAL_LOCATION].create(loc_spec)  # right, but IAM has not propagated
    emu(advance_clock=31)
    assert dbx[EXTERNAL_LOCATION].create(loc_spec).id == f"dev_raw_{uid}"

    skipped = spec(EXTERNAL_LOCATION, "other", f"dev_other_{uid}",
                   url=f"s3://other-{uid}/", credential=credential.name, skip_validation=True)
    assert dbx[EXTERNAL_LOCATION].create(skipped).props["url"] == f"s3://other-{uid}"


def test_a_storage_credential_updates_its_fields_one_call_for_the_owner(clean_sandbox, aws, dbx,
                                                                       uid):
    bucket = f"acme-dev-lake-raw-{uid}"
    _role, credential = _role_and_credential(aws, dbx, uid, bucket, complete=False)
    provider = dbx[STORAGE_CREDENTIAL]
    arn = credential.props["aws_iam_role"]
    want = spec(STORAGE_CREDENTIAL, "cred", credential.name, aws_iam_role=arn,
                comment="uc v2", read_only=True, owner="data-admins")
    assert set(diff(STORAGE_CREDENTIAL, credential.props, want.props).update) == {
        "comment", "owner", "read_only"}
    updated = provider.update(credential.id, want)
    assert not diff(STORAGE_CREDENTIAL, updated.props, want.props).changed
    back = spec(STORAGE_CREDENTIAL, "cred", credential.name, aws_iam_role=arn)
    assert provider.update(credential.id, back).props["read_only"] is False
    other = provider.create(spec(STORAGE_CREDENTIAL, "other", f"dev_other_{uid}",
                                 aws_iam_role=arn))
    found = provider.read_many([credential.id, other.id, "dev_none"])
    assert found["dev_none"] is None and found[other.id] is not None
    assert found[credential.id] is not None
    assert found[credential.id].attrs["external_id"] == credential.attrs["external_id"]


# -- dbx.grants ---------------------------------------------------------------------------------


def test_grants_manage_exactly_the_listed_principals(clean_sandbox, dbx, workspace, uid):
    from databricks.sdk.service.catalog import PermissionsChange, Privilege

    catalog = dbx[CATALOG].create(spec(CATALOG, "sales", f"dev_sales_{uid}"))
    provider = dbx[GRANTS]
    securable = f"catalog:{catalog.id}"
    workspace.grants.update("catalog", catalog.id, changes=[  # someone else's grants
        PermissionsChange(principal="auditors", add=[Privilege.BROWSE]),
        PermissionsChange(principal="analysts", add=[Privilege.BROWSE])])
    want = spec(GRANTS, "g", "g", securable=securable,
                privileges={"analysts": ["USE_CATALOG", "use schema"], USER: ["USE_CATALOG"]})
    before = provider.find(want)
    assert before is not None and dict(before.props["privileges"]) == {
        "analysts": ("BROWSE",), USER: ()}
    created = provider.create(want)
    assert dict(created.props["privileges"]) == {"analysts": ("USE_CATALOG", "USE_SCHEMA"),
                                                 USER: ("USE_CATALOG",)}
    live = provider.read(created.id)
    assert live is not None and live.props["privileges"]["auditors"] == ("BROWSE",)
    assert not diff(GRANTS, live.props, want.props).changed  # auditors are not compared

    smaller = spec(GRANTS, "g", "g", securable=securable, privileges={"analysts": ["SELECT"]})
    assert diff(GRANTS, live.props, smaller.props).update == ("privileges",)
    provider.update(created.id, smaller)
    held = {a.principal: {p.value for p in a.privileges or []} for a in
            workspace.grants.get("catalog", catalog.id).privilege_assignments or []}
    assert held["analysts"] == {"SELECT"} and held["auditors"] == {"BROWSE"}
    assert held[USER] == {"USE_CATALOG"}  # not listed any more: left as it was

    # undoing the create: its before-image, each listed principal with what it held
    provider.update(created.id, Spec("g", GRANTS, "g", before.props))
    held = {a.principal: {p.value for p in a.privileges or []} for a in
            workspace.grants.get("catalog", catalog.id).privilege_assignments or []
            if a.privileges}
    assert held == {"analysts": {"BROWSE"}, "auditors": {"BROWSE"}}

    with pytest.raises(InvalidRequest, match="not a Unity Catalog privilege"):
        provider.update(created.id, spec(GRANTS, "g", "g", securable=securable,
                                         privileges={"analysts": ["FLY"]}))
    with pytest.raises(InvalidRequest, match="which principals"):
        provider.delete(created.id)
    assert provider.read("catalog/dev_none") is None
    gone = Spec("g", GRANTS, "g", freeze({"securable": "catalog:dev_none",
                                          "privileges": {"analysts": []}}))
    assert provider.update("catalog/dev_none", gone).props["privileges"] == {}  # nothing left
    assert provider.find(spec(GRANTS, "g", "g", securable="catalog:dev_none",
                              privileges={"a": ["SELECT"]})) is None


def test_a_table_owner_is_set_after_the_create_and_changed_in_place(clean_sandbox, dbx, uid):
    catalog = dbx[CATALOG].create(spec(CATALOG, "sales", f"dev_sales_{uid}"))
    schema = dbx[SCHEMA].create(spec(SCHEMA, "gold", "gold", catalog=catalog.id))
    columns = [{"name": "id", "type": "BIGINT"}]
    want = spec(TABLE, "orders", "orders", schema=schema.id, columns=columns,
                storage_location=f"s3://lake-{uid}/orders", owner="data-admins")
    table = dbx[TABLE].create(want)
    assert table.props["owner"] == "data-admins"
    moved = spec(TABLE, "orders", "orders", schema=schema.id, columns=columns,
                 storage_location=f"s3://lake-{uid}/orders", owner=USER)
    d = diff(TABLE, table.props, moved.props)
    assert d.update == ("owner",) and not d.replace
    assert dbx[TABLE].update(table.id, moved).props["owner"] == USER
    dbx[CATALOG].delete(catalog.id, force_empty=True)


def test_with_the_preconditions_enforced_the_chain_is_what_a_table_needs(enforced, aws, dbx,
                                                                        uid):
    bucket = f"acme-dev-lake-raw-{uid}"
    aws[S3_BUCKET].create(spec(S3_BUCKET, "raw", bucket))
    _role, credential = _role_and_credential(aws, dbx, uid, bucket)
    location = dbx[EXTERNAL_LOCATION].create(spec(
        EXTERNAL_LOCATION, "loc", f"dev_raw_{uid}", url=f"s3://{bucket}/",
        credential=credential.name))
    dbx[GRANTS].create(spec(GRANTS, "loc_grants", "loc_grants",
                            securable=f"external_location:{location.id}",
                            privileges={USER: ["EXTERNAL_USE_LOCATION", "CREATE_EXTERNAL_TABLE",
                                               "CREATE_EXTERNAL_VOLUME",
                                               "CREATE_MANAGED_STORAGE"]}))
    catalog = dbx[CATALOG].create(spec(CATALOG, "sales", f"dev_sales_{uid}",
                                       storage_root=f"s3://{bucket}/uc"))
    schema = dbx[SCHEMA].create(spec(SCHEMA, "gold", "gold", catalog=catalog.id))
    table = spec(TABLE, "orders", "orders", schema=schema.id,
                 columns=[{"name": "id", "type": "BIGINT"}],
                 storage_location=f"s3://{bucket}/gold/orders")
    with pytest.raises(PermissionDenied, match="EXTERNAL USE SCHEMA|EXTERNAL_USE_SCHEMA"):
        dbx[TABLE].create(table)  # ownership does not carry EXTERNAL USE SCHEMA
    dbx[GRANTS].create(spec(GRANTS, "gold_grants", "gold_grants",
                            securable=f"schema:{schema.id}",
                            privileges={USER: ["EXTERNAL_USE_SCHEMA"]}))
    assert dbx[TABLE].create(table).id == f"{schema.id}.orders"
    assert dbx[VOLUME].create(spec(VOLUME, "exports", "exports", schema=schema.id,
                                   storage_location=f"s3://{bucket}/volumes/exports")).id
