"""Building the one client the Databricks providers share.

Construction of a databricks-sdk client makes one unauthenticated request
(``GET /.well-known/databricks-config``) that, against a host that is down, would block for
the whole retry timeout. So the client is first configured with short probe timeouts, the
host is checked with a plain TCP connect (a few seconds at most), and only then are the
working timeouts set and the client built.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from dpn.errors import InvalidRequest, PermissionDenied, ProviderError
from dpn.providers.databricks.errors import PLATFORM, install_status_customizer
from dpn.providers.databricks.workspace import Workspace, load_sdk
from dpn.settings import PlatformSettings


@dataclass(frozen=True)
class ClientOptions:
    """Timeouts of the shared client.

    ``retry_timeout_seconds`` bounds the SDK's own retries of 429, 503 and dropped
    connections for one call (dpn does not retry on top of it); ``http_timeout_seconds``
    bounds one HTTP request; ``connect_timeout_seconds`` the reachability check;
    ``cluster_timeout_seconds`` how long a cluster create waits for RUNNING.
    """

    retry_timeout_seconds: int = 60
    http_timeout_seconds: float = 30.0
    connect_timeout_seconds: float = 3.0
    cluster_timeout_seconds: float = 20 * 60
    cache_ttl_seconds: float = 6 * 3600
    refresh_cache: bool = False

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> ClientOptions:
        """Defaults, overridden by ``DPN_DBX_RETRY_TIMEOUT``, ``DPN_DBX_HTTP_TIMEOUT``,
        ``DPN_DBX_CLUSTER_TIMEOUT`` (seconds) and ``DPN_DBX_REFRESH_CACHE=1``."""
        env = dict(os.environ) if env is None else env
        base = cls()

        def num(name: str, default: float) -> float:
            raw = env.get(name)
            if not raw:
                return default
            try:
                return float(raw)
            except ValueError as exc:
                raise InvalidRequest(f"{name} must be a number of seconds, not {raw!r}",
                                     platform=PLATFORM, code="BAD_OPTION") from exc

        return cls(
            retry_timeout_seconds=int(num("DPN_DBX_RETRY_TIMEOUT", base.retry_timeout_seconds)),
            http_timeout_seconds=num("DPN_DBX_HTTP_TIMEOUT", base.http_timeout_seconds),
            cluster_timeout_seconds=num("DPN_DBX_CLUSTER_TIMEOUT", base.cluster_timeout_seconds),
            refresh_cache=env.get("DPN_DBX_REFRESH_CACHE", "") in ("1", "true", "yes"),
        )


def check_reachable(host: str, timeout: float) -> None:
    """Raise ``ProviderError`` at once if nothing accepts TCP connections at ``host``."""
    url = urlparse(host if "://" in host else f"https://{host}")
    port = url.port or (80 if url.scheme == "http" else 443)
    if not url.hostname:
        raise InvalidRequest(f"databricks: invalid workspace host {host!r}",
                             platform=PLATFORM, code="BAD_HOST")
    try:
        with socket.create_connection((url.hostname, port), timeout=timeout):
            pass
    except OSError as exc:
        raise ProviderError(
            f"databricks: cannot reach the workspace at {host} ({exc.strerror or exc}); "
            "check --dbx-host, or start the sandbox",
            platform=PLATFORM, code="UNREACHABLE") from exc


def make_client(settings: PlatformSettings, options: ClientOptions, *,
                clock: Any = None) -> Any:
    """The workspace's APIs (a :class:`~dpn.providers.databricks.workspace.Workspace`) for
    ``settings`` (host/token/profile given there, else the SDK's ``DATABRICKS_*``
    environment and ``~/.databrickscfg``)."""
    load_sdk()
    from databricks.sdk.config import Config

    if settings.dbx_host:
        check_reachable(settings.dbx_host, options.connect_timeout_seconds)
    elif not _sdk_configuration_exists():
        raise PermissionDenied(
            "databricks: no workspace configured; give --dbx-host and --dbx-token, "
            "--dbx-profile, or DATABRICKS_HOST/DATABRICKS_TOKEN", platform=PLATFORM,
            code="NO_HOST")
    kwargs: dict[str, Any] = {}
    if settings.dbx_host:
        kwargs["host"] = settings.dbx_host
    if settings.dbx_token:
        kwargs["token"] = settings.dbx_token
        kwargs["auth_type"] = "pat"
    if settings.dbx_profile:
        kwargs["profile"] = settings.dbx_profile
    probe = max(1, int(options.connect_timeout_seconds))
    try:
        cfg = Config(retry_timeout_seconds=probe, http_timeout_seconds=probe, clock=clock,
                     **kwargs)
    except ValueError as exc:
        raise PermissionDenied(
            f"databricks: no usable credentials: {_first_line(exc)}; give --dbx-host and "
            "--dbx-token, --dbx-profile, or DATABRICKS_HOST/DATABRICKS_TOKEN",
            platform=PLATFORM, code="NO_CREDENTIALS") from exc
    if not settings.dbx_host:
        if not cfg.host:
            raise PermissionDenied("databricks: no workspace host configured",
                                   platform=PLATFORM, code="NO_HOST")
        check_reachable(cfg.host, options.connect_timeout_seconds)
    cfg.retry_timeout_seconds = options.retry_timeout_seconds
    cfg.http_timeout_seconds = options.http_timeout_seconds
    client = Workspace(cfg)
    install_status_customizer(client)
    return client


def _sdk_configuration_exists() -> bool:
    """True if the SDK could find a host: ``DATABRICKS_HOST`` or a config file."""
    if os.environ.get("DATABRICKS_HOST"):
        return True
    path = os.environ.get("DATABRICKS_CONFIG_FILE") or "~/.databrickscfg"
    return os.path.exists(os.path.expanduser(path))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
