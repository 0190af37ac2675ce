"""AWS providers: ``aws.s3_bucket``, ``aws.glue_database``, ``aws.glue_table``,
``aws.iam_role``.

This package imports boto3; the engine imports it lazily, never on offline paths.
``build(settings, region)`` makes one boto3 session and one client per service, shared by
the providers (boto3 clients are thread-safe; sessions are not).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError

from dpn.model import GLUE_DATABASE, GLUE_TABLE, IAM_ROLE, S3_BUCKET
from dpn.providers.aws.errors import translate
from dpn.providers.aws.glue_database import GlueDatabaseProvider
from dpn.providers.aws.glue_table import GlueTableProvider
from dpn.providers.aws.iam_role import IamRoleProvider
from dpn.providers.aws.s3 import S3BucketProvider
from dpn.providers.base import Provider
from dpn.settings import PlatformSettings

__all__ = ["GlueDatabaseProvider", "GlueTableProvider", "IamRoleProvider", "S3BucketProvider",
           "build", "client_config"]


def client_config(*, path_style: bool = False, max_attempts: int = 5) -> Config:
    """botocore settings of every dpn client: ``standard`` retries (``max_attempts`` 5:
    botocore counts retries there, so 6 requests at most, with exponential backoff and
    jitter; throttling, 5xx and connection errors are retried), short connect timeout."""
    extra: dict[str, Any] = {"s3": {"addressing_style": "path"}} if path_style else {}
    return Config(retries={"mode": "standard", "max_attempts": max_attempts}, connect_timeout=5,
                  read_timeout=30, max_pool_connections=16, **extra)


@functools.lru_cache(maxsize=8)
def _session(profile: str | None, key_id: str | None, secret: str | None,
             region: str | None) -> Any:
    """One boto3 session per identity: it caches the service models (~0.1 s a client to
    load), so building providers again in the same process is cheap. Clients are built
    from it on one thread at a time, and clients themselves are thread-safe."""
    return boto3.session.Session(profile_name=profile, aws_access_key_id=key_id,
                                 aws_secret_access_key=secret, region_name=region)


def build(
    settings: PlatformSettings, region: str, *, max_attempts: int = 5,
    types: Iterable[str] | None = None,
) -> dict[str, Provider]:
    """The AWS providers by type (only ``types``, if given: a client costs ~0.1 s to
    build), sharing one S3, one Glue and one IAM client.

    ``region`` is the region to work in (falls back to ``settings.aws_region``, then to
    boto3's own configuration). ``settings.aws_endpoint_url`` is used when given; otherwise
    boto3 applies ``AWS_ENDPOINT_URL``/``AWS_ENDPOINT_URL_<SERVICE>`` itself. S3 uses
    path-style addressing whenever an endpoint is overridden (local emulators answer on
    an IP address, where bucket sub-domains cannot resolve). ``max_attempts`` is
    botocore's retry budget per call (tests lower it to keep retried faults quick).
    """
    endpoint = settings.aws_endpoint_url or None
    try:
        session = _session(settings.aws_profile or None, settings.aws_access_key_id or None,
                           settings.aws_secret_access_key or None,
                           region or settings.aws_region or None)
        region_name = session.region_name or "us-east-1"
        custom = bool(endpoint or os.environ.get("AWS_ENDPOINT_URL")
                      or os.environ.get("AWS_ENDPOINT_URL_S3"))
        wanted = set(types) if types is not None else {S3_BUCKET, GLUE_DATABASE, GLUE_TABLE,
                                                        IAM_ROLE}
        out: dict[str, Provider] = {}
        if S3_BUCKET in wanted:
            s3 = session.client("s3", region_name=region_name, endpoint_url=endpoint,
                                config=client_config(path_style=custom,
                                                     max_attempts=max_attempts))
            out[S3_BUCKET] = S3BucketProvider(s3, region_name)
        if wanted & {GLUE_DATABASE, GLUE_TABLE}:
            glue = session.client("glue", region_name=region_name, endpoint_url=endpoint,
                                  config=client_config(max_attempts=max_attempts))
            out[GLUE_DATABASE] = GlueDatabaseProvider(glue, region_name)
            out[GLUE_TABLE] = GlueTableProvider(glue, region_name)
        if IAM_ROLE in wanted:  # IAM is global: the region only places KMS key ARNs
            iam = session.client("iam", region_name=region_name, endpoint_url=endpoint,
                                 config=client_config(max_attempts=max_attempts))
            out[IAM_ROLE] = IamRoleProvider(iam, region_name)
    except BotoCoreError as exc:
        raise translate(exc, op="connect", target=region or "aws") from exc
    return out
