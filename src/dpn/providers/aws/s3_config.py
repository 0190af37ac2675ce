"""An S3 bucket's configuration in dpn's vocabulary: the shape that ``props`` asks for
(``desired``), and the calls that bring a bucket to it (``apply_config``), one per field that
differs, compared in canonical form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dpn.canonical import canonical
from dpn.model import S3_BUCKET
from dpn.providers.aws.common import compact, str_map
from dpn.providers.aws.errors import aws_errors
from dpn.providers.aws.lifecycle import rules_in

NO_ENCRYPTION = "ServerSideEncryptionConfigurationNotFoundError"
NO_PAB = "NoSuchPublicAccessBlockConfiguration"
NO_TAGS = "NoSuchTagSet"
NO_OWNERSHIP = "OwnershipControlsNotFoundError"
NO_LIFECYCLE = "NoSuchLifecycleConfiguration"
PAB_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
# S3's behaviour for a bucket without ownership controls (buckets made before 2023)
NO_CONTROLS_OWNERSHIP = "ObjectWriter"


def desired(props: Mapping[str, Any]) -> dict[str, Any]:
    """The full configuration ``props`` asks for (canonical: defaults applied, rules
    sorted), every field present: the shape ``_config`` reads, so the two compare field
    by field."""
    want = canonical(S3_BUCKET, props)
    encryption = want.get("encryption")
    kms = want.get("kms_key_id") if encryption == "aws:kms" else None
    return {
        "versioning": bool(want.get("versioning")),
        "encryption": encryption,
        "kms_key_id": str(kms) if kms else None,
        "block_public_access": bool(want.get("block_public_access")),
        "object_ownership": str(want.get("object_ownership")),
        "lifecycle_rules": list(want.get("lifecycle_rules") or []),
        "tags": str_map(want.get("tags")),
    }


def encryption_config(algorithm: str, kms_key_id: str | None) -> dict[str, Any]:
    """The ServerSideEncryptionConfiguration for ``encryption``/``kms_key_id``."""
    default: dict[str, Any] = {"SSEAlgorithm": algorithm}
    if algorithm == "aws:kms" and kms_key_id:
        default["KMSMasterKeyID"] = kms_key_id
    rule: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": default}
    if algorithm == "aws:kms":
        rule["BucketKeyEnabled"] = True
    return {"Rules": [rule]}



def apply_config(s3: Any, name: str, want: Mapping[str, Any],
                 current: Mapping[str, Any] | None,
                 lifecycle: Mapping[str, Any] | None = None) -> None:
    """Apply each field of ``want`` that differs from ``current`` (None: a new bucket,
    made with its object ownership), both compared in canonical form. ``lifecycle`` is
    the bucket's raw lifecycle answer, kept where dpn's vocabulary does not reach."""
    have = canonical(S3_BUCKET, compact(current)) if current is not None else {}
    wanted = canonical(S3_BUCKET, compact(want))

    def changed(field: str) -> bool:
        return current is None or have.get(field) != wanted.get(field)

    if changed("tags") and (want["tags"] or current is not None):
        with aws_errors("PutBucketTagging", name):
            if want["tags"]:
                tagset = [{"Key": k, "Value": v} for k, v in sorted(want["tags"].items())]
                s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tagset})
            else:
                s3.delete_bucket_tagging(Bucket=name)
    if changed("versioning") and (want["versioning"] or current is not None):
        status = "Enabled" if want["versioning"] else "Suspended"
        with aws_errors("PutBucketVersioning", name):
            s3.put_bucket_versioning(Bucket=name,
                                     VersioningConfiguration={"Status": status})
    if changed("encryption") or changed("kms_key_id"):
        with aws_errors("PutBucketEncryption", name):
            if want["encryption"]:
                s3.put_bucket_encryption(
                    Bucket=name, ServerSideEncryptionConfiguration=encryption_config(
                        want["encryption"], want.get("kms_key_id")))
            elif current is not None:
                s3.delete_bucket_encryption(Bucket=name)
    if changed("block_public_access"):
        with aws_errors("PutPublicAccessBlock", name):
            if want["block_public_access"]:
                s3.put_public_access_block(
                    Bucket=name,
                    PublicAccessBlockConfiguration={f: True for f in PAB_FLAGS})
            else:
                s3.delete_public_access_block(Bucket=name)
    if current is not None and changed("object_ownership"):
        with aws_errors("PutBucketOwnershipControls", name):
            s3.put_bucket_ownership_controls(
                Bucket=name, OwnershipControls={
                    "Rules": [{"ObjectOwnership": want["object_ownership"]}]})
    if changed("lifecycle_rules") and (want["lifecycle_rules"] or current is not None):
        live = dict(lifecycle or {})
        if want["lifecycle_rules"]:
            kwargs: dict[str, Any] = {"Bucket": name, "LifecycleConfiguration": {
                "Rules": rules_in(want["lifecycle_rules"], live.get("Rules") or [])}}
            if live.get("TransitionDefaultMinimumObjectSize"):
                kwargs["TransitionDefaultMinimumObjectSize"] = (
                    live["TransitionDefaultMinimumObjectSize"])
            with aws_errors("PutBucketLifecycleConfiguration", name):
                s3.put_bucket_lifecycle_configuration(**kwargs)
        else:
            with aws_errors("DeleteBucketLifecycle", name):
                s3.delete_bucket_lifecycle(Bucket=name)
