"""The storage-and-access types offline: how the blueprint spells their typed references,
what it refuses, their attributes before apply, the IAM documents dpn writes and reads
back, and the grant changes it computes (SPEC section 11)."""

from __future__ import annotations

from typing import Any

import pytest

from dpn.blueprint import BlueprintBuilder, from_dict
from dpn.blueprint.attrs import static_attrs
from dpn.canonical import canonical
from dpn.errors import BlueprintError
from dpn.model import GRANTS, IAM_ROLE, thaw
from dpn.providers.aws import iam_documents as docs
from dpn.providers.databricks.grants import assignments, changes

META = {"org": "acme", "env": "dev", "project": "lake", "region": "us-east-1"}
ROLE_ARN = "arn:aws:iam::123456789012:role/acme-dev-lake-uc"


def chain() -> BlueprintBuilder:
    return (BlueprintBuilder().with_metadata(**META)
            .add_s3_bucket("data", layer="raw", purpose="data", encryption="aws:kms",
                           kms_key_id="alias/lake")
            .add_iam_role("uc", purpose="uc", trust="unity_catalog",
                          s3_access={"read_write": ["${data}"], "read_only": ["other-bucket"]})
            .add_storage_credential("cred", purpose="lake", aws_iam_role="${uc}")
            .add_external_location("loc", purpose="lake", url="s3://${data}/",
                                   credential="${cred}")
            .add_catalog("sales", domain="sales", storage_root="s3://${data}/uc")
            .add_schema("gold", catalog="${sales}", layer="gold")
            .add_volume("files", schema="${gold}", entity="files",
                        storage_location="s3://${data}/files/")
            .add_grants("loc_grants", "${loc}", {"me@x": ["EXTERNAL USE LOCATION"]}))


def test_typed_references_are_spelt_as_the_providers_take_them() -> None:
    bp = chain().build()
    props = {k: thaw(r.props) for k, r in bp.resources.items()}
    assert props["cred"]["aws_iam_role"] == "${uc.arn}"
    assert props["loc"]["credential"] == "${cred.name}"
    assert props["loc_grants"]["securable"] == "external_location:${loc.full_name}"
    assert props["uc"]["s3_access"]["kms_keys"] == ["alias/lake"]
    assert props["files"]["schema"] == "${gold.full_name}"
    assert bp.resources["loc_grants"].name == "loc_grants"  # not a named object: its key
    assert bp.resources["loc_grants"].depends_on == ("loc",)
    assert bp.resources["uc"].props["tags"]["dpn:key"] == "uc"
    assert "tags" not in props["cred"] and "properties" not in props["loc"]
    assert bp.resources["uc"].name == "acme-dev-lake-uc"
    assert bp.resources["cred"].name == bp.resources["loc"].name == "dev_lake"


def _errors(resources: dict[str, Any]) -> list[str]:
    with pytest.raises(BlueprintError) as info:
        from_dict({"version": 1, "metadata": META, "resources": resources})
    return [d.message for d in info.value.diagnostics]


@pytest.mark.parametrize(("resources", "expected"), [
    ({"b": {"type": "aws.s3_bucket", "layer": "raw", "purpose": "b"},
      "c": {"type": "dbx.storage_credential", "purpose": "c", "aws_iam_role": "${b}"}},
     "'aws_iam_role' must refer to a resource of type aws.iam_role; 'b' is of type"),
    ({"c": {"type": "dbx.catalog", "domain": "c"},
      "l": {"type": "dbx.external_location", "purpose": "l", "url": "s3://x/",
            "credential": "${c}"}},
     "'credential' must refer to a resource of type dbx.storage_credential"),
    ({"b": {"type": "aws.s3_bucket", "layer": "raw", "purpose": "b"},
      "g": {"type": "dbx.grants", "securable": "${b}", "privileges": {"a": ["SELECT"]}}},
     "'securable' must refer to a resource of type one of dbx.catalog"),
    ({"g": {"type": "dbx.grants", "securable": "catalog:main", "privileges": {"a": ["X"]}},
      "h": {"type": "dbx.grants", "securable": "catalog:main", "privileges": {"b": ["X"]}}},
     "dbx.grants 'h' is on the same securable as 'g'"),
    ({"g": {"type": "dbx.grants", "securable": "catalog:main", "name": "x",
            "privileges": {"a": ["X"]}}}, "unknown field 'name'"),
    ({"g": {"type": "dbx.grants", "securable": "main", "privileges": {"a": ["X"]}}},
     "does not match"),
    ({"g": {"type": "dbx.grants", "securable": "catalog:main", "privileges": {}}},
     "'privileges' must have at least 1 entry"),
    ({"r": {"type": "aws.iam_role", "purpose": "r", "trust": "unity_catalog",
            "policies": {"dpn-s3-access": {"Statement": []}}}},
     "'policies': the key \"dpn-s3-access\" is reserved"),
    ({"r": {"type": "aws.iam_role", "purpose": "r", "trust": "uc"}},
     "'trust': \"uc\" does not match ^unity_catalog$"),
    ({"c": {"type": "dbx.catalog", "domain": "c"},
      "r": {"type": "aws.iam_role", "purpose": "r", "trust": "unity_catalog",
            "s3_access": {"read_write": ["${c}", "Bad.Bucket"]}}},
     "'c' is of type dbx.catalog, not aws.s3_bucket"),
    ({"r": {"type": "aws.iam_role", "name": "uc role", "trust": "unity_catalog"}},
     "must be letters, digits and '+=,.@_-'"),
    ({"r": {"type": "aws.iam_role", "name": "UC-Role", "trust": "unity_catalog"},
      "s": {"type": "aws.iam_role", "name": "uc-role", "trust": "unity_catalog"}},
     "names are unique within the AWS account"),
])
def test_the_blueprint_refuses(resources: dict[str, Any], expected: str) -> None:
    assert any(expected in message for message in _errors(resources)), _errors(resources)


def test_attributes_known_before_apply() -> None:
    assert static_attrs("dbx.grants", "g", {"securable": "SCHEMA:Main.Gold"}) == {
        "id": "schema/main.gold"}
    assert static_attrs("dbx.external_location", "l", {"url": "s3://b/p/"})["uri"] == \
        "s3://b/p"
    assert "arn" not in static_attrs("aws.iam_role", "r", {})  # holds the account
    assert static_attrs("dbx.volume", "v", {"schema": "c.s"})["full_name"] == "c.s.v"


# -- IAM documents ---------------------------------------------------------------------------


def test_the_unity_catalog_trust_reads_back_as_unity_catalog_with_its_external_id() -> None:
    live = docs.uc_trust(ROLE_ARN, "ext-1")
    live["Statement"][0]["Principal"]["AWS"].reverse()  # IAM may answer in any order
    assert docs.trust_props(live, ROLE_ARN) == {"trust": "unity_catalog",
                                                "trust_external_id": "ext-1"}
    # without the role itself (a create interrupted before its second step): not the template
    half = docs.trust_props(docs.uc_trust(None, "0000"), ROLE_ARN)
    assert half["trust"] != "unity_catalog"
    assert docs.trust_document("unity_catalog", ROLE_ARN, None) == docs.uc_trust(ROLE_ARN, "0000")


@pytest.mark.parametrize("access", [
    {"read_write": ["a", "b"]},
    {"read_only": ["c"], "kms_keys": ["alias/x"]},
    {"read_write": ["a"], "read_only": ["c"],
     "kms_keys": ["1234abcd-12ab-34cd-56ef-1234567890ab", "arn:aws:kms:us-east-1:1:key/k",
                  "alias/y"]},
])
def test_the_s3_policy_reads_back_as_the_access_it_was_written_from(access: dict[str, Any]
                                                                   ) -> None:
    policy = docs.s3_policy(access, ROLE_ARN, "us-east-1")
    assert docs.s3_access_of(policy, ROLE_ARN, "us-east-1") == canonical(
        IAM_ROLE, {"s3_access": access})["s3_access"]


def test_an_s3_policy_edited_outside_dpn_is_not_read_as_access() -> None:
    policy = docs.s3_policy({"read_write": ["a"]}, ROLE_ARN, "us-east-1")
    policy["Statement"].append({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    assert docs.s3_access_of(policy, ROLE_ARN, "us-east-1") is None


# -- grants ----------------------------------------------------------------------------------


def test_grant_changes_touch_only_the_listed_principals() -> None:
    held = assignments({"privilege_assignments": [
        {"principal": "analysts", "privileges": ["SELECT", "MODIFY"]},
        {"principal": "auditors", "privileges": ["BROWSE"]},
        {"principal": "gone", "privileges": []}]})
    assert held == {"analysts": ["MODIFY", "SELECT"], "auditors": ["BROWSE"]}
    assert changes({"analysts": ["select", "use schema"], "me": ["USE_SCHEMA"], "x": []},
                   held) == [
        {"principal": "analysts", "add": ["USE_SCHEMA"], "remove": ["MODIFY"]},
        {"principal": "me", "add": ["USE_SCHEMA"], "remove": []}]
    assert changes({"analysts": []}, held) == [
        {"principal": "analysts", "add": [], "remove": ["MODIFY", "SELECT"]}]
    assert changes({"analysts": ["SELECT", "MODIFY"]}, held) == []
    assert canonical(GRANTS, {"privileges": {"a": ["use schema"]}})["privileges"] == {
        "a": ["USE_SCHEMA"]}
