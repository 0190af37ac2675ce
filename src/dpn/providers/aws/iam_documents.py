"""The IAM policy documents dpn writes for an ``aws.iam_role``, and how it recognises them
when it reads them back. Pure: no I/O.

- Trust ``"unity_catalog"``: the trust relationship Databricks documents for a Unity
  Catalog storage credential ("Create a storage credential for connecting to AWS S3",
  step 3; the KB article "AWS S3 storage credential validation failure due to external
  ID"): one statement letting the UC master role and the role itself (self-assuming,
  required since 2024-09-20) call ``sts:AssumeRole`` with ``sts:ExternalId`` equal to the
  credential's external id. The id exists only once the credential does: until then it is
  Databricks' documented placeholder ``0000``. The role must exist before it can trust
  itself (IAM rejects a principal that does not exist yet), so a create first trusts the
  master role alone, then adds the role (``uc_trust(None, ...)``, then ``uc_trust(arn, ...)``).
- ``s3_access``: the inline policy ``dpn-s3-access``, the S3 policy of the same page
  (read-write: get, put, delete, list and the multipart calls; read-only: get and list),
  plus ``sts:AssumeRole`` on the role itself, and KMS use of the keys of ``aws:kms``
  buckets (``kms_keys``: key ids, key ARNs, or aliases, which IAM matches by the
  ``kms:ResourceAliases`` condition since an alias ARN in ``Resource`` grants nothing).

Each statement has its own ``Sid``, so reading back is parsing by ``Sid`` and checking
that rendering the result gives the same document (``dpn.canonical.policy``): anything
else is not dpn's rendering and is reported as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dpn.canonical.policy import VERSION, policy_document

UC_MASTER_ROLE = "arn:aws:iam::414351767826:role/unity-catalog-prod-UCMasterRole-14S5ZJVKOTYTL"
PLACEHOLDER_EXTERNAL_ID = "0000"
UNITY_CATALOG = "unity_catalog"
S3_POLICY = "dpn-s3-access"

READ_WRITE = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket",
              "s3:GetBucketLocation", "s3:ListBucketMultipartUploads",
              "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload")
READ_ONLY = ("s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation")
KMS_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*")
SIDS = {"read_write": "DpnS3ReadWrite", "read_only": "DpnS3ReadOnly"}
SID_SELF, SID_KEYS, SID_ARNS, SID_ALIASES = ("DpnAssumeSelf", "DpnKmsKeys", "DpnKmsKeyArns",
                                             "DpnKmsAliases")
_BUCKET_ARN = "arn:aws:s3:::"


def role_arn(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def account_of(arn: str) -> str:
    """The account of an ARN (``arn:aws:iam::123456789012:role/x`` -> ``123456789012``)."""
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


# -- trust ------------------------------------------------------------------------------------

def uc_trust(self_arn: str | None, external_id: str) -> dict[str, Any]:
    """The Unity Catalog trust policy; without ``self_arn``, the master role alone."""
    principals = [UC_MASTER_ROLE, *([self_arn] if self_arn else [])]
    return {"Version": VERSION, "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": principals}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": external_id}}}]}


def trust_document(trust: Any, self_arn: str | None, external_id: str | None) -> Any:
    """The assume-role policy for a ``trust`` prop."""
    if trust == UNITY_CATALOG:
        return uc_trust(self_arn, external_id or PLACEHOLDER_EXTERNAL_ID)
    return trust


def external_id_of(doc: Any) -> str | None:
    """The ``sts:ExternalId`` a trust policy asks of the UC master role, if any."""
    form = policy_document(doc)
    for statement in form.get("Statement", []) if isinstance(form, Mapping) else []:
        principal = statement.get("Principal")
        if isinstance(principal, Mapping) and UC_MASTER_ROLE in principal.get("AWS", []):
            ids = statement.get("Condition", {}).get("StringEquals", {}).get("sts:ExternalId")
            if ids and len(ids) == 1:
                return str(ids[0])
    return None


def trust_props(doc: Any, self_arn: str) -> dict[str, Any]:
    """``trust`` (and ``trust_external_id``) in blueprint vocabulary for a live trust
    policy: ``"unity_catalog"`` when it is exactly the Unity Catalog template, else the
    document."""
    external_id = external_id_of(doc)
    if external_id is not None and policy_document(doc) == policy_document(
            uc_trust(self_arn, external_id)):
        return {"trust": UNITY_CATALOG, "trust_external_id": external_id}
    return {"trust": policy_document(doc)}


# -- S3 access ---------------------------------------------------------------------------------

def _bucket_resources(buckets: Any) -> list[str]:
    return [r for b in sorted(set(buckets or [])) for r in (f"{_BUCKET_ARN}{b}",
                                                              f"{_BUCKET_ARN}{b}/*")]


def _kms_statements(keys: Any, region: str, account: str) -> list[dict[str, Any]]:
    """KMS use of the buckets' keys: key ids as key ARNs of the role's account and region,
    ARNs as given, aliases through ``kms:ResourceAliases``."""
    keys = sorted(set(keys or []))
    ids = [k for k in keys if not k.startswith(("arn:", "alias/"))]
    arns = [k for k in keys if k.startswith("arn:")]
    aliases = [k for k in keys if k.startswith("alias/")]
    out: list[dict[str, Any]] = []
    if ids:
        out.append({"Sid": SID_KEYS, "Effect": "Allow", "Action": list(KMS_ACTIONS),
                    "Resource": [f"arn:aws:kms:{region}:{account}:key/{k}" for k in ids]})
    if arns:
        out.append({"Sid": SID_ARNS, "Effect": "Allow", "Action": list(KMS_ACTIONS),
                    "Resource": arns})
    if aliases:
        out.append({"Sid": SID_ALIASES, "Effect": "Allow", "Action": list(KMS_ACTIONS),
                    "Resource": f"arn:aws:kms:{region}:{account}:key/*",
                    "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": aliases}}})
    return out


def s3_policy(access: Mapping[str, Any], self_arn: str, region: str) -> dict[str, Any]:
    """The ``dpn-s3-access`` policy document for an ``s3_access`` prop."""
    statements: list[dict[str, Any]] = []
    for field, actions in (("read_write", READ_WRITE), ("read_only", READ_ONLY)):
        if access.get(field):
            statements.append({"Sid": SIDS[field], "Effect": "Allow", "Action": list(actions),
                               "Resource": _bucket_resources(access[field])})
    statements += _kms_statements(access.get("kms_keys"), region, account_of(self_arn))
    statements.append({"Sid": SID_SELF, "Effect": "Allow", "Action": "sts:AssumeRole",
                       "Resource": self_arn})
    return {"Version": VERSION, "Statement": statements}


def _by_sid(doc: Any) -> dict[str, dict[str, Any]]:
    form = policy_document(doc)
    statements = form.get("Statement", []) if isinstance(form, Mapping) else []
    return {str(s.get("Sid", "")): s for s in statements}


def s3_access_of(doc: Any, self_arn: str, region: str) -> dict[str, Any] | None:
    """The ``s3_access`` prop a ``dpn-s3-access`` policy was rendered from, or None when
    the document is not a rendering of any (edited outside dpn)."""
    statements = _by_sid(doc)
    access: dict[str, Any] = {}
    for field, sid in SIDS.items():
        buckets = {r[len(_BUCKET_ARN):].split("/", 1)[0]
                   for r in statements.get(sid, {}).get("Resource", [])}
        if buckets:
            access[field] = sorted(buckets)
    keys = [r.rsplit("/", 1)[-1] for r in statements.get(SID_KEYS, {}).get("Resource", [])]
    keys += statements.get(SID_ARNS, {}).get("Resource", [])
    aliases = statements.get(SID_ALIASES, {}).get("Condition", {}).get(
        "ForAnyValue:StringEquals", {}).get("kms:ResourceAliases", [])
    if keys or aliases:
        access["kms_keys"] = sorted({*keys, *aliases})
    if policy_document(s3_policy(access, self_arn, region)) != policy_document(doc):
        return None
    return access
