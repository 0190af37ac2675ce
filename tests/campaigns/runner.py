"""What every campaign shares: the ``dpn`` subprocess with known secrets in its
environment, the in-process library against the same sandbox, the figures a campaign
prints, and the search for secrets in everything it produced."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import SUITE_ENV

# Known secrets: the sandbox's Databricks token (from SandboxInfo) and these AWS keys
# (moto accepts any). None of them may appear under $DPN_HOME or in any output.
AWS_KEY_ID = "AKIACAMPAIGNKEY7Q2XZ"
AWS_SECRET = "cAmPaIgN/sEcReT+kEy/9f8e7d6c5b4a3f2e1d0c9b8a"


@dataclass
class Figures:
    """Counters a campaign prints and docs/reliability.md records."""

    campaign: str
    seed: int = 0
    runs: int = 0
    processes: int = 0
    kills: int = 0              # SIGKILLs sent (or fired by the WAL hook)
    kills_in_tx: int = 0        # ... that left an incomplete transaction to recover
    recover_kills: int = 0      # kills of ``dpn recover`` itself
    rolled_back: int = 0
    committed: int = 0
    faults: int = 0             # fault-rule hits on both fronts
    orphans: int = 0
    missing: int = 0
    tracebacks: int = 0
    secret_hits: int = 0
    blueprints: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def fail(self, message: str) -> None:
        self.failures.append(message)

    def summary(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items()
               if k not in ("failures", "started", "extra") and v}
        out.update(self.extra)
        out["campaign"] = self.campaign
        out["seed"] = self.seed
        out["failures"] = len(self.failures)
        out["seconds"] = round(time.monotonic() - self.started, 1)
        return out

    def line(self) -> str:
        return json.dumps(self.summary(), sort_keys=True)


@dataclass
class Ctx:
    """A sandbox and direct platform clients for a campaign."""

    sandbox: Any
    s3: Any
    glue: Any
    workspace: Any
    workdir: Path
    figures: Figures
    outputs: list[str] = field(default_factory=list)

    def env(self, home: Path, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("DATABRICKS_", "AWS_", "DPN_")) or k in SUITE_ENV}
        env.update({"DPN_HOME": str(home), "AWS_ACCESS_KEY_ID": AWS_KEY_ID,
                    "AWS_SECRET_ACCESS_KEY": AWS_SECRET, "AWS_DEFAULT_REGION": "us-east-1",
                    "DATABRICKS_TOKEN": self.sandbox.dbx_token, "NO_COLOR": "1"})
        env.update(extra)
        return env

    def command(self, *args: str) -> list[str]:
        platform: list[str] = []
        if args and args[0] in ("create", "update", "delete", "recover", "read", "plan"):
            platform = ["--aws-endpoint-url", self.sandbox.aws_endpoint,
                        "--aws-region", "us-east-1", "--dbx-host", self.sandbox.dbx_host]
        return [sys.executable, "-m", "dpn", *args[:1], *platform, *args[1:]]

    def run(self, home: Path, *args: str, timeout: float = 180,
            **extra: str) -> subprocess.CompletedProcess[str]:
        self.figures.processes += 1
        done = subprocess.run(self.command(*args), env=self.env(home, **extra),
                              capture_output=True, text=True, timeout=timeout)
        self.keep(done.stdout, done.stderr)
        return done

    def popen(self, home: Path, *args: str, **extra: str) -> subprocess.Popen[str]:
        self.figures.processes += 1
        return subprocess.Popen(self.command(*args), env=self.env(home, **extra),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finish(self, proc: subprocess.Popen[str], timeout: float = 180) -> tuple[int, str, str]:
        out, err = proc.communicate(timeout=timeout)
        self.keep(out, err)
        return proc.returncode, out, err

    def keep(self, *texts: str) -> None:
        for text in texts:
            if "Traceback (most recent call last)" in text:
                self.figures.tracebacks += 1
                self.figures.fail(f"traceback in output: {text[-600:]}")
            self.outputs.append(text)

    def runner(self, home: Path) -> Any:
        from dpn.api.runner import Runner

        # as the ``dpn`` processes of the campaign (the suite's DPN_SKIP_ACCESS_CHECKS)
        return Runner(home=home, settings=self.sandbox.settings(),
                      skip_access_checks=os.environ.get("DPN_SKIP_ACCESS_CHECKS") == "1")

    def faults_hit(self) -> int:
        from dpn.sandbox.faults import FaultClient

        return sum(r.get("hits", 0) for url in (self.sandbox.aws_endpoint, self.sandbox.dbx_host)
                   for r in FaultClient(url).rules() if r.get("status") or r.get("drop"))

    def secrets(self) -> list[str]:
        return [AWS_KEY_ID, AWS_SECRET, self.sandbox.dbx_token]

    def scan_secrets(self, *homes: Path) -> int:
        """Count secrets found in ``homes`` (every file) and in the kept outputs."""
        hits = 0
        needles = [s.encode() for s in self.secrets()]
        for home in homes:
            for path in Path(home).rglob("*"):
                if path.is_file():
                    data = path.read_bytes()
                    for needle in needles:
                        if needle in data:
                            hits += 1
                            self.figures.fail(f"secret found in {path}")
        for text in self.outputs:
            for needle in self.secrets():
                if needle in text:
                    hits += 1
                    self.figures.fail(f"secret found in output: {text[:200]}")
        self.outputs.clear()
        self.figures.secret_hits += hits
        return hits


def write_blueprint(path: Path, doc: dict[str, Any]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1))
    return str(path)


def clients(sandbox: Any) -> tuple[Any, Any, Any]:
    """boto3 S3 and Glue and a databricks-sdk WorkspaceClient against the sandbox."""
    import boto3
    from botocore.config import Config
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.config import Config as DbxConfig

    def aws(service: str) -> Any:
        return boto3.session.Session().client(
            service, endpoint_url=sandbox.aws_endpoint, region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
            config=Config(retries={"mode": "standard", "max_attempts": 3},
                          connect_timeout=5, read_timeout=30))

    ws = WorkspaceClient(config=DbxConfig(host=sandbox.dbx_host, token=sandbox.dbx_token,
                                          auth_type="pat", retry_timeout_seconds=30,
                                          http_timeout_seconds=30))
    return aws("s3"), aws("glue"), ws
