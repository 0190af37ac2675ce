"""``aws.s3_bucket``: S3 general-purpose buckets.

Props (blueprint vocabulary): ``versioning`` (bool, default true), ``encryption``
(``AES256`` default, ``aws:kms``, or None when the bucket has no default-encryption rule),
``kms_key_id`` (with ``aws:kms``), ``block_public_access`` (bool, default true: all four
flags), ``object_ownership`` (``BucketOwnerEnforced`` default; a bucket without ownership
controls is ``ObjectWriter``), ``lifecycle_rules`` (see ``dpn.providers.aws.lifecycle``),
``tags``. Defaults are those of ``dpn.canonical`` (rules.json). Physical id: the bucket name.

Calls: ``read`` = HeadBucket + 6 detail calls (versioning, encryption, public access block,
tagging, ownership controls, lifecycle); ``read_many`` of n >= 2 buckets = ListBuckets
pages + 6 per existing bucket (buckets in parallel); ``find_many`` = ``find`` per bucket.
``update`` compares the canonical forms field by field and calls only what differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from dpn.errors import AlreadyExists, NotFound, ProviderError, Transient
from dpn.model import S3_BUCKET
from dpn.providers.aws.common import compact, failed_create
from dpn.providers.aws.errors import NOT_FOUND, PLATFORM, aws_errors, error_code
from dpn.providers.aws.lifecycle import rules_out
from dpn.providers.aws.s3_config import (
    NO_CONTROLS_OWNERSHIP,
    NO_ENCRYPTION,
    NO_LIFECYCLE,
    NO_OWNERSHIP,
    NO_PAB,
    NO_TAGS,
    PAB_FLAGS,
    apply_config,
    desired,
)
from dpn.providers.base import SERIAL, Fanout, Observed, Provider, Spec


def attrs_of(name: str) -> dict[str, str]:
    return {"name": name, "id": name, "full_name": name, "arn": f"arn:aws:s3:::{name}",
            "uri": f"s3://{name}"}


class S3BucketProvider(Provider):
    type = S3_BUCKET
    access_scope = "aws.s3"

    def check_access(self) -> None:
        """ListBuckets: the credentials work for S3."""
        with aws_errors("ListBuckets", "*"):
            self._s3.list_buckets()

    def __init__(self, s3: Any, region: str) -> None:
        self._s3 = s3
        self._region = region

    def physical_id(self, spec: Spec) -> str | None:
        return spec.name

    # -- reading -----------------------------------------------------------------------

    def _exists(self, name: str) -> bool:
        """HeadBucket: True if it exists and we may see it; 404 -> False; 403 raises."""
        with aws_errors("HeadBucket", name):
            try:
                self._s3.head_bucket(Bucket=name)
            except ClientError as exc:
                if error_code(exc) in NOT_FOUND:
                    return False
                raise
        return True

    def _optional(self, op: str, name: str, absent: str, **kwargs: Any) -> dict[str, Any] | None:
        """One detail call; the ``absent`` error code means "not configured" (None)."""
        with aws_errors(op, name):
            try:
                result: dict[str, Any] = getattr(self._s3, _method(op))(Bucket=name, **kwargs)
                return result
            except ClientError as exc:
                if error_code(exc) == absent:
                    return None
                raise

    def _config(self, name: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The bucket's full configuration (6 calls) and the raw lifecycle answer (for a
        read-modify-write), or None if the bucket vanished meanwhile. ``encryption`` is
        None for a bucket without a default-encryption rule."""
        try:
            ver = self._optional("GetBucketVersioning", name, "-") or {}
            enc = self._optional("GetBucketEncryption", name, NO_ENCRYPTION)
            pab = self._optional("GetPublicAccessBlock", name, NO_PAB)
            tagging = self._optional("GetBucketTagging", name, NO_TAGS)
            owner = self._optional("GetBucketOwnershipControls", name, NO_OWNERSHIP)
            life = self._optional("GetBucketLifecycleConfiguration", name, NO_LIFECYCLE)
        except NotFound:
            return None
        rules = (enc or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules") or []
        default = (rules[0].get("ApplyServerSideEncryptionByDefault") or {}) if rules else {}
        flags = (pab or {}).get("PublicAccessBlockConfiguration") or {}
        controls = (owner or {}).get("OwnershipControls", {}).get("Rules") or []
        ownership = (controls[0].get("ObjectOwnership") if controls else None)
        config = {
            "versioning": ver.get("Status") == "Enabled",
            "encryption": default.get("SSEAlgorithm"),
            "kms_key_id": default.get("KMSMasterKeyID") or None,
            "block_public_access": all(bool(flags.get(f)) for f in PAB_FLAGS),
            "object_ownership": ownership or NO_CONTROLS_OWNERSHIP,
            "lifecycle_rules": rules_out((life or {}).get("Rules")),
            "tags": {t["Key"]: t["Value"] for t in (tagging or {}).get("TagSet") or []
                     if "Key" in t},
        }
        return config, dict(life or {})

    def _detail(self, name: str) -> Observed | None:
        found = self._config(name)
        if found is None:
            return None
        config = found[0]
        return Observed(id=name, name=name, props=compact(config), attrs=attrs_of(name),
                        tags=dict(config["tags"]))

    def read(self, id: str) -> Observed | None:
        if not self._exists(id):
            return None
        return self._detail(id)

    def read_many(self, ids: Sequence[str], fan: Fanout = SERIAL
                  ) -> dict[str, Observed | None]:
        """ListBuckets (paginated) once, then the 6 detail calls of each existing bucket
        asked for, buckets in parallel through ``fan``: S3 has no listing of bucket
        configurations."""
        if len(ids) < 2:
            return super().read_many(ids, fan)
        names = fan.call(self._bucket_names)
        present = [i for i in ids if i in names]
        found = dict(zip(present, fan.map([partial(self._detail, i) for i in present]),
                         strict=True))
        return {i: found.get(i) for i in ids}

    def _bucket_names(self) -> set[str]:
        names: set[str] = set()
        with aws_errors("ListBuckets", "*"):
            for page in self._s3.get_paginator("list_buckets").paginate():
                names.update(b["Name"] for b in page.get("Buckets", []))
        return names

    def find(self, spec: Spec) -> Observed | None:
        """The bucket with the spec's name. A bucket that exists but answers 403 belongs to
        another account: it is returned without tags (so it is never ``owned_by`` us).
        ``find_many`` is this per name (HeadBucket): bucket names are global, and no
        listing shows another account's buckets."""
        name = spec.name
        with aws_errors("HeadBucket", name):
            try:
                self._s3.head_bucket(Bucket=name)
            except ClientError as exc:
                code = error_code(exc)
                if code in NOT_FOUND:
                    return None
                if code in ("403", "AccessDenied"):
                    return Observed(id=name, name=name, props={}, attrs=attrs_of(name))
                raise
        return self._detail(name)

    # -- writing -----------------------------------------------------------------------

    def create(self, spec: Spec) -> Observed:
        """HeadBucket (exists -> ``AlreadyExists``), CreateBucket, then tags, versioning,
        encryption, public access block. A failure after CreateBucket deletes the bucket."""
        name = spec.name
        want = desired(spec.props)
        if self._exists(name):
            raise AlreadyExists(f"aws CreateBucket {name}: bucket already exists",
                                platform=PLATFORM, code="BucketAlreadyOwnedByYou")
        kwargs: dict[str, Any] = {"Bucket": name, "ObjectOwnership": want["object_ownership"]}
        if self._region and self._region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self._region}
        try:
            self._s3.create_bucket(**kwargs)
        except ClientError as exc:
            # Our own first attempt took effect and botocore's retry met it: it is ours.
            retried = exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0)
            if not (error_code(exc) == "BucketAlreadyOwnedByYou" and retried):
                raise failed_create(exc, op="CreateBucket", target=name,
                                    probe=lambda: self._exists(name),
                                    remove=lambda: self._drop(name)) from exc
        except BotoCoreError as exc:
            raise failed_create(exc, op="CreateBucket", target=name,
                                probe=lambda: self._exists(name),
                                remove=lambda: self._drop(name)) from exc
        try:
            apply_config(self._s3, name, want, current=None)
        except ProviderError as exc:
            try:
                self._drop(name)
            except NotFound:
                pass
            except ProviderError as again:
                raise Transient(f"{exc} (and the new bucket could not be removed: {again})",
                                platform=PLATFORM, code=exc.code) from exc
            raise
        observed = self._detail(name)
        if observed is None:
            raise NotFound(f"aws CreateBucket {name}: bucket vanished after create",
                           platform=PLATFORM, code="NoSuchBucket")
        return observed

    def update(self, id: str, spec: Spec) -> Observed:
        found = self._config(id) if self._exists(id) else None
        if found is None:
            raise NotFound(f"aws update {id}: bucket does not exist", platform=PLATFORM,
                           code="NoSuchBucket")
        current, lifecycle = found
        apply_config(self._s3, id, desired(spec.props), current=current,
                     lifecycle=lifecycle)
        observed = self._detail(id)
        if observed is None:
            raise NotFound(f"aws update {id}: bucket vanished", platform=PLATFORM,
                           code="NoSuchBucket")
        return observed

    def delete(self, id: str, *, force_empty: bool = False) -> None:
        """DeleteBucket; with ``force_empty`` every object version and delete marker goes
        first (ListObjectVersions pages of 1,000, each deleted with one DeleteObjects)."""
        try:
            if force_empty:
                self._empty(id)
            self._drop(id)
        except NotFound:
            return

    def _drop(self, name: str) -> None:
        with aws_errors("DeleteBucket", name):
            self._s3.delete_bucket(Bucket=name)

    def _empty(self, name: str) -> None:
        """Delete every object version and delete marker, a page at a time. Each round
        lists from the start again: the page just deleted is gone, so the next one comes
        first (markers of deleted keys are not something to continue from)."""
        while True:
            with aws_errors("ListObjectVersions", name):
                page = self._s3.list_object_versions(Bucket=name, MaxKeys=1000)
            keys = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                    for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            if not keys:
                return
            for start in range(0, len(keys), 1000):
                with aws_errors("DeleteObjects", name):
                    result = self._s3.delete_objects(
                        Bucket=name, Delete={"Objects": keys[start:start + 1000],
                                             "Quiet": True})
                if result.get("Errors"):
                    first = result["Errors"][0]
                    raise ProviderError(
                        f"aws DeleteObjects {name}: {len(result['Errors'])} object(s) not "
                        f"deleted, first {first.get('Key')}: {first.get('Message')}",
                        platform=PLATFORM, code=str(first.get("Code", "")))


def _method(op: str) -> str:
    """``GetBucketVersioning`` -> ``get_bucket_versioning``."""
    return "".join("_" + c.lower() if c.isupper() else c for c in op).lstrip("_")
