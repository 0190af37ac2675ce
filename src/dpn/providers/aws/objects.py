"""The S3 object calls of the S3 state backend, against one bucket: the
``dpn.engine.stores.ObjectClient`` that ``S3Store`` (and its WAL and lock) use.

Conditional requests answer rather than fail: a put or delete whose ``If-Match`` /
``If-None-Match`` does not hold (412, or S3's ``ConditionalRequestConflict``) returns
None or False, and so does a put ``If-Match`` on a key with no object; a get of a missing
key returns None. Every other botocore error goes through ``errors.translate``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from dpn.providers.aws import client_config
from dpn.providers.aws.errors import error_code, http_status, translate
from dpn.providers.base import StoredObject
from dpn.settings import PlatformSettings

PRECONDITION = frozenset({"PreconditionFailed", "412", "ConditionalRequestConflict"})
MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


class S3Objects:
    """Get, conditional put, conditional delete and listings in ``bucket``."""

    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket
        self.requests = 0

    @classmethod
    def connect(cls, bucket: str, settings: PlatformSettings | None = None) -> S3Objects:
        """A client built from ``settings`` (profile, region, endpoint, keys) like the AWS
        providers' clients, with fewer retries (a lease runs meanwhile)."""
        settings = settings or PlatformSettings()
        endpoint = settings.aws_endpoint_url or None
        try:
            session = boto3.session.Session(
                profile_name=settings.aws_profile or None,
                aws_access_key_id=settings.aws_access_key_id or None,
                aws_secret_access_key=settings.aws_secret_access_key or None,
                region_name=settings.aws_region or None)
            custom = bool(endpoint or os.environ.get("AWS_ENDPOINT_URL")
                          or os.environ.get("AWS_ENDPOINT_URL_S3"))
            client = session.client("s3", region_name=session.region_name or "us-east-1",
                                    endpoint_url=endpoint,
                                    config=client_config(path_style=custom, max_attempts=3))
        except BotoCoreError as exc:
            raise translate(exc, op="connect", target="s3 backend") from exc
        return cls(client, bucket)

    def put(self, key: str, body: bytes, *, none_match: bool = False,
            match: str | None = None) -> str | None:
        kwargs: dict[str, Any] = {"IfNoneMatch": "*"} if none_match else {}
        if match is not None:
            kwargs["IfMatch"] = match
        try:
            out = self._call("put_object", key, Key=key, Body=body,
                             ContentType="application/json", **kwargs)
        except _Precondition:
            return None
        return str(out["ETag"])

    def get(self, key: str) -> StoredObject | None:
        try:
            out = self._call("get_object", key, Key=key)
        except _Precondition:  # pragma: no cover - get is unconditional
            return None
        if out is None:
            return None
        return StoredObject(body=out["Body"].read(), etag=str(out["ETag"]),
                            modified=out["LastModified"].timestamp())

    def delete(self, key: str, *, match: str | None = None) -> bool:
        kwargs = {"IfMatch": match} if match else {}
        try:
            self._call("delete_object", key, Key=key, **kwargs)
        except _Precondition:
            return False
        return True

    def list_keys(self, prefix: str) -> list[str]:
        keys: list[str] = []
        for page in self._pages(prefix, delimiter=None):
            keys += [o["Key"] for o in page.get("Contents", [])]
        return sorted(keys)

    def list_prefixes(self, prefix: str) -> list[str]:
        names: list[str] = []
        for page in self._pages(prefix, delimiter="/"):
            names += [p["Prefix"][len(prefix):].rstrip("/") for p in
                      page.get("CommonPrefixes", [])]
            names += [o["Key"][len(prefix):] for o in page.get("Contents", [])]
        return sorted(names)

    def _pages(self, prefix: str, *, delimiter: str | None) -> list[dict[str, Any]]:
        pages, token = [], None
        while True:
            kwargs: dict[str, Any] = {"Prefix": prefix}
            if delimiter:
                kwargs["Delimiter"] = delimiter
            if token:
                kwargs["ContinuationToken"] = token
            page = self._call("list_objects_v2", prefix, **kwargs)
            pages.append(page)
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return pages

    def _call(self, op: str, target: str, **kwargs: Any) -> Any:
        """``client.<op>(Bucket=..., **kwargs)``; None for a get of a missing key,
        ``_Precondition`` for a condition that failed, dpn errors for the rest."""
        self.requests += 1
        try:
            return getattr(self.client, op)(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            code = error_code(exc) or str(http_status(exc))
            if code in PRECONDITION or http_status(exc) == 412:
                raise _Precondition(code) from exc
            if op == "get_object" and (code in MISSING or http_status(exc) == 404):
                return None
            if op == "put_object" and "IfMatch" in kwargs and code in MISSING:
                raise _Precondition(code) from exc
            raise translate(exc, op=op, target=f"s3://{self.bucket}/{target}") from exc
        except BotoCoreError as exc:
            raise translate(exc, op=op, target=f"s3://{self.bucket}/{target}") from exc


def opener(settings: PlatformSettings | None = None) -> Callable[[str], S3Objects]:
    """``bucket -> S3Objects`` with ``settings``: what ``open_store(objects=...)`` and
    ``S3Store.from_url(objects=...)`` take."""
    def connect(bucket: str) -> S3Objects:
        return S3Objects.connect(bucket, settings)

    return connect


class _Precondition(Exception):
    """A conditional request whose condition did not hold (HTTP 412)."""
