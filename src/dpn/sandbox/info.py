"""What a running sandbox is: its endpoints, token and processes, as recorded in
``$DPN_HOME/sandbox.json`` (file mode 0600, directory 0700)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from dpn.settings import PlatformSettings

REGION = "us-east-1"
FAKE_AWS_KEY = "testing"
INFO_FILE = "sandbox.json"


@dataclass(frozen=True)
class SandboxInfo:
    """A running sandbox.

    ``aws_endpoint`` is the fault-injecting front of moto (S3 and Glue both through it);
    ``dbx_host`` the Databricks emulator, which accepts ``dbx_token`` as bearer token;
    ``pids`` the processes that ``stop`` ends.
    """

    aws_endpoint: str
    dbx_host: str
    dbx_token: str = field(repr=False)
    region: str = REGION
    pids: tuple[int, ...] = ()

    def settings(self) -> PlatformSettings:
        """Platform settings that point both providers at this sandbox."""
        return PlatformSettings(
            aws_region=self.region,
            aws_endpoint_url=self.aws_endpoint,
            aws_access_key_id=FAKE_AWS_KEY,
            aws_secret_access_key=FAKE_AWS_KEY,
            dbx_host=self.dbx_host,
            dbx_token=self.dbx_token,
        )

    def to_json(self) -> dict[str, object]:
        return {
            "aws_endpoint": self.aws_endpoint,
            "dbx_host": self.dbx_host,
            "dbx_token": self.dbx_token,
            "region": self.region,
            "pids": list(self.pids),
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> SandboxInfo:
        pids = data.get("pids") or []
        assert isinstance(pids, list)
        return cls(
            aws_endpoint=str(data["aws_endpoint"]),
            dbx_host=str(data["dbx_host"]),
            dbx_token=str(data["dbx_token"]),
            region=str(data.get("region") or REGION),
            pids=tuple(int(p) for p in pids),
        )


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) with mode 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def write_info(home: Path, info: SandboxInfo) -> Path:
    """Write ``sandbox.json`` atomically with mode 0600."""
    ensure_private_dir(home)
    target = home / INFO_FILE
    tmp = home / f".{INFO_FILE}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(info.to_json(), fh, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    return target


def read_info(home: Path) -> SandboxInfo | None:
    """The recorded sandbox, or None if there is no readable record."""
    try:
        data = json.loads((home / INFO_FILE).read_text())
        return SandboxInfo.from_json(data)
    except (OSError, ValueError, KeyError, TypeError, AssertionError):
        return None


def remove_info(home: Path) -> None:
    try:
        (home / INFO_FILE).unlink()
    except FileNotFoundError:
        pass
