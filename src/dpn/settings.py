"""Connection settings for both platforms, as given on the command line or by the caller.

Secrets live here in memory only; nothing in this module is ever written to disk.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlatformSettings:
    aws_profile: str | None = None
    aws_region: str | None = None
    aws_endpoint_url: str | None = None
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    dbx_host: str | None = None
    dbx_token: str | None = None
    dbx_profile: str | None = None
    refresh_cache: bool = False  # drop cached workspace facts (Spark versions, node types)
    # reads in flight at once in a refresh (None: DPN_READ_PARALLELISM, else 16)
    read_parallelism: int | None = None

    def __repr__(self) -> str:  # never show the token
        token = "***" if self.dbx_token else None
        key = "***" if self.aws_access_key_id else None
        return (
            f"PlatformSettings(aws_profile={self.aws_profile!r}, aws_region={self.aws_region!r}, "
            f"aws_endpoint_url={self.aws_endpoint_url!r}, aws_access_key_id={key!r}, "
            f"dbx_host={self.dbx_host!r}, "
            f"dbx_token={token!r}, dbx_profile={self.dbx_profile!r})"
        )
