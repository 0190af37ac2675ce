"""``aws.iam_role``: IAM roles with their inline policies and attached managed policies.

Props (blueprint vocabulary): ``trust`` (``"unity_catalog"`` or an assume-role policy
document), ``s3_access`` {``read_write``, ``read_only``: bucket names; ``kms_keys``: the KMS
keys of ``aws:kms`` buckets, filled in by the blueprint compiler}, ``policies`` (inline
policy name -> document), ``managed_policy_arns``, ``tags`` (IAM role tags, where
``dpn:stack``/``dpn:key`` live). Physical id: the role name; attributes ``name``, ``id``,
``arn``. Documents are built and recognised in ``iam_documents``.

``trust_external_id`` is an internal prop, never in a blueprint: the external id of the
Unity Catalog trust, which exists only once the storage credential that names the role
does. The engine sets it in the spec of an update once it knows it (the credential's
``external_id`` attribute); left out, ``create`` uses the placeholder ``0000`` and
``update`` keeps the role's live external id, so an update made for another reason never
undoes a completed trust. ``read`` reports it whenever the trust is the Unity Catalog
template, so a before-image restores it.

Calls: ``read`` = GetRole (trust, tags) + ListRolePolicies + GetRolePolicy each +
ListAttachedRolePolicies. ``create`` = CreateRole (with tags; for ``unity_catalog`` trusting
the master role only, since a role cannot name itself before it exists) +
UpdateAssumeRolePolicy (adding the role itself) + PutRolePolicy and AttachRolePolicy each;
a failure after CreateRole removes the role again. ``update`` reads, then calls only what
differs (documents compared in canonical form). ``delete`` deletes the inline policies and
detaches the managed ones first, as IAM requires, then DeleteRole.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from dpn.canonical.policy import policy_document
from dpn.errors import InvalidRequest, NotEmpty, NotFound, ProviderError
from dpn.model import IAM_ROLE, KEY_TAG, STACK_TAG, thaw
from dpn.providers.aws import iam_documents as docs
from dpn.providers.aws.common import compact, failed_create, str_map, undone
from dpn.providers.aws.errors import PLATFORM, aws_errors
from dpn.providers.base import Observed, Provider, Spec

PATH = "/"


@dataclass(frozen=True)
class LiveRole:
    """A role as IAM holds it: what ``read`` and ``update`` work from."""

    name: str
    arn: str
    trust: Any
    inline: Mapping[str, Any]    # policy name -> document
    managed: tuple[str, ...]
    tags: Mapping[str, str]


def _tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def role_props(role: LiveRole, region: str) -> dict[str, Any]:
    """Blueprint props of a live role (pure): the Unity Catalog trust recognised, the
    ``dpn-s3-access`` policy read back as ``s3_access`` when it is dpn's rendering."""
    policies = dict(role.inline)
    access = None
    if docs.S3_POLICY in policies:
        access = docs.s3_access_of(policies[docs.S3_POLICY], role.arn, region)
        if access is not None:
            del policies[docs.S3_POLICY]
    return compact({
        **docs.trust_props(role.trust, role.arn), "s3_access": access,
        "policies": {k: policy_document(v) for k, v in policies.items()},
        "managed_policy_arns": sorted(role.managed), "tags": dict(role.tags)})


def wanted_inline(props: Mapping[str, Any], arn: str, region: str) -> dict[str, Any]:
    """The inline policies ``props`` ask for: ``policies`` plus ``dpn-s3-access``."""
    out = {str(k): v for k, v in (props.get("policies") or {}).items()}
    if props.get("s3_access"):
        out[docs.S3_POLICY] = docs.s3_policy(props["s3_access"], arn, region)
    return out


class IamRoleProvider(Provider):
    type = IAM_ROLE
    access_scope = "aws.iam"

    def __init__(self, iam: Any, region: str) -> None:
        self._iam = iam
        self._region = region

    def check_access(self) -> None:
        """ListRoles (one item): the credentials work for IAM."""
        with aws_errors("ListRoles", "*"):
            self._iam.list_roles(MaxItems=1)

    def physical_id(self, spec: Spec) -> str | None:
        return spec.name

    # -- reading -----------------------------------------------------------------------

    def _live(self, name: str) -> LiveRole | None:
        try:
            with aws_errors("GetRole", name):
                role = self._iam.get_role(RoleName=name)["Role"]
            inline = {}
            with aws_errors("ListRolePolicies", name):
                pages = self._iam.get_paginator("list_role_policies").paginate(RoleName=name)
                names = [n for page in pages for n in page.get("PolicyNames", [])]
            for policy in names:
                with aws_errors("GetRolePolicy", f"{name}/{policy}"):
                    inline[policy] = self._iam.get_role_policy(
                        RoleName=name, PolicyName=policy)["PolicyDocument"]
            with aws_errors("ListAttachedRolePolicies", name):
                pages = self._iam.get_paginator("list_attached_role_policies").paginate(
                    RoleName=name)
                managed = tuple(p["PolicyArn"] for page in pages
                                for p in page.get("AttachedPolicies", []))
        except NotFound:
            return None
        tags = {t["Key"]: t["Value"] for t in role.get("Tags") or [] if "Key" in t}
        return LiveRole(name=str(role["RoleName"]), arn=str(role["Arn"]),
                        trust=role.get("AssumeRolePolicyDocument"), inline=inline,
                        managed=managed, tags=tags)

    def _observed(self, role: LiveRole) -> Observed:
        return Observed(id=role.name, name=role.name, props=role_props(role, self._region),
                        attrs={"name": role.name, "id": role.name, "arn": role.arn},
                        tags=dict(role.tags))

    def read(self, id: str) -> Observed | None:
        role = self._live(id)
        return None if role is None else self._observed(role)

    def find(self, spec: Spec) -> Observed | None:
        return self.read(spec.name)

    # -- creating ----------------------------------------------------------------------

    def create(self, spec: Spec) -> Observed:
        name, props = spec.name, thaw(spec.props)
        tags = str_map(props.get("tags"))
        external_id = props.get("trust_external_id")
        unity = props.get("trust") == docs.UNITY_CATALOG
        first = docs.trust_document(props.get("trust"), None, external_id)
        try:
            answer = self._iam.create_role(
                RoleName=name, Path=PATH, AssumeRolePolicyDocument=json.dumps(first),
                Tags=_tag_list(tags))["Role"]
        except (ClientError, BotoCoreError) as exc:
            def ours() -> bool:
                seen = self.read(name)
                return seen is not None and seen.owned_by(
                    tags.get(STACK_TAG, ""), tags.get(KEY_TAG, ""))
            raise failed_create(exc, op="CreateRole", target=name, probe=ours,
                                remove=lambda: self._remove(name)) from exc
        arn = str(answer["Arn"])
        trust = docs.trust_document(props.get("trust"), arn, external_id)
        inline = wanted_inline(props, arn, self._region)
        managed = tuple(sorted(props.get("managed_policy_arns") or ()))
        try:
            if unity:
                self._put_trust(name, trust)
            for policy, doc in inline.items():
                self._put_policy(name, policy, doc)
            for policy_arn in managed:
                self._attach(name, policy_arn)
        except ProviderError as exc:
            raise undone(exc, lambda: self._remove(name), f"aws CreateRole {name}") from exc
        return self._observed(LiveRole(name=name, arn=arn, trust=trust, inline=inline,
                                       managed=managed, tags=tags))

    def _put_trust(self, name: str, trust: Any) -> None:
        with aws_errors("UpdateAssumeRolePolicy", name):
            self._iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))

    def _put_policy(self, name: str, policy: str, doc: Any) -> None:
        with aws_errors("PutRolePolicy", f"{name}/{policy}"):
            self._iam.put_role_policy(RoleName=name, PolicyName=policy,
                                      PolicyDocument=json.dumps(doc))

    def _attach(self, name: str, policy_arn: str) -> None:
        """AttachRolePolicy; a missing policy is the blueprint's mistake, not a missing
        role (IAM answers NoSuchEntity for both)."""
        try:
            with aws_errors("AttachRolePolicy", f"{name} {policy_arn}"):
                self._iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
        except NotFound as exc:
            if self._live(name) is None:
                raise
            raise InvalidRequest(f"aws AttachRolePolicy {name}: managed policy {policy_arn} "
                                 "does not exist or cannot be attached", platform=PLATFORM,
                                 code=exc.code) from exc

    # -- updating ----------------------------------------------------------------------

    def update(self, id: str, spec: Spec) -> Observed:
        """Read, then only what differs: the trust, each inline policy, each attachment,
        the tags. A Unity Catalog trust keeps the live external id unless the spec
        brings one."""
        live = self._live(id)
        if live is None:
            raise NotFound(f"aws UpdateRole {id}: role does not exist", platform=PLATFORM,
                           code="NoSuchEntity")
        props = thaw(spec.props)
        external_id = props.get("trust_external_id") or docs.external_id_of(live.trust)
        trust = docs.trust_document(props.get("trust"), live.arn, external_id)
        if policy_document(trust) != policy_document(live.trust):
            self._put_trust(id, trust)
        want = wanted_inline(props, live.arn, self._region)
        for policy, doc in want.items():
            if policy not in live.inline or \
                    policy_document(doc) != policy_document(live.inline[policy]):
                self._put_policy(id, policy, doc)
        for policy in sorted(set(live.inline) - set(want)):
            self._delete_policy(id, policy)
        managed = set(props.get("managed_policy_arns") or ())
        for policy_arn in sorted(managed - set(live.managed)):
            self._attach(id, policy_arn)
        for policy_arn in sorted(set(live.managed) - managed):
            self._detach(id, policy_arn)
        self._retag(id, live.tags, str_map(props.get("tags")))
        observed = self.read(id)
        if observed is None:
            raise NotFound(f"aws UpdateRole {id}: role vanished", platform=PLATFORM,
                           code="NoSuchEntity")
        return observed

    def _retag(self, name: str, old: Mapping[str, str], new: Mapping[str, str]) -> None:
        add = {k: v for k, v in new.items() if old.get(k) != v}
        remove = sorted(k for k in old if k not in new)
        if add:
            with aws_errors("TagRole", name):
                self._iam.tag_role(RoleName=name, Tags=_tag_list(add))
        if remove:
            with aws_errors("UntagRole", name):
                self._iam.untag_role(RoleName=name, TagKeys=remove)

    # -- deleting ----------------------------------------------------------------------

    def _delete_policy(self, name: str, policy: str) -> None:
        with aws_errors("DeleteRolePolicy", f"{name}/{policy}"):
            self._iam.delete_role_policy(RoleName=name, PolicyName=policy)

    def _detach(self, name: str, policy_arn: str) -> None:
        with aws_errors("DetachRolePolicy", f"{name} {policy_arn}"):
            self._iam.detach_role_policy(RoleName=name, PolicyArn=policy_arn)

    def _remove(self, name: str) -> None:
        """Inline policies deleted and managed ones detached (IAM refuses to delete a role
        that has either: DeleteConflict), then the role."""
        live = self._live(name)
        if live is None:
            return
        for policy in live.inline:
            self._delete_policy(name, policy)
        for policy_arn in live.managed:
            self._detach(name, policy_arn)
        with aws_errors("DeleteRole", name):
            self._iam.delete_role(RoleName=name)

    def delete(self, id: str, *, force_empty: bool = False) -> None:
        """Idempotent. A role still in an instance profile (which dpn does not manage) is
        refused with ``NotEmpty``: removing it from there is someone else's change."""
        try:
            self._remove(id)
        except NotFound:
            return
        except NotEmpty as exc:
            raise NotEmpty(f"aws DeleteRole {id}: the role is still in use (an instance "
                           f"profile?): {exc}", platform=PLATFORM, code=exc.code) from exc

