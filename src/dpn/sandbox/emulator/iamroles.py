"""IAM roles as external location validation reads them (iam.py): a role's ARN, trust
policy and policy documents, read by a ``RoleReader``; by default ``AwsRoleReader``, over
boto3 against the sandbox's own AWS side (moto)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Role:
    """An IAM role as validation needs it: its ARN, trust policy and the documents of its
    inline and attached policies."""

    arn: str
    trust: dict[str, Any]
    policies: tuple[dict[str, Any], ...]


class RoleReader(Protocol):
    """Reads one IAM role by name; None if there is no such role."""

    def read(self, role_name: str) -> Role | None:
        ...


class AwsRoleReader:
    """A RoleReader over boto3's IAM client, pointed at the sandbox's moto server."""

    def __init__(self, endpoint: str) -> None:
        import boto3

        self.client = boto3.session.Session().client(
            "iam", endpoint_url=endpoint, region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing")

    def read(self, role_name: str) -> Role | None:
        try:
            role = self.client.get_role(RoleName=role_name)["Role"]
        except self.client.exceptions.NoSuchEntityException:
            return None
        docs = [_document(self.client.get_role_policy(RoleName=role_name, PolicyName=name)
                          ["PolicyDocument"])
                for name in self.client.list_role_policies(RoleName=role_name)["PolicyNames"]]
        for attached in self.client.list_attached_role_policies(
                RoleName=role_name)["AttachedPolicies"]:
            arn = attached["PolicyArn"]
            version = self.client.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            docs.append(_document(self.client.get_policy_version(
                PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]))
        return Role(arn=role["Arn"], trust=_document(role["AssumeRolePolicyDocument"]),
                    policies=tuple(docs))


def _document(value: Any) -> dict[str, Any]:
    """A policy document as a dict (boto3 decodes most, not all, of them)."""
    return json.loads(value) if isinstance(value, str) else dict(value)
