"""The local sandbox: moto (S3, Glue) behind a fault-injecting front, and dpn's own
Databricks emulator, run as background processes on 127.0.0.1.

Importing this package is cheap: it imports neither moto, boto3 nor databricks-sdk.
Use :mod:`dpn.sandbox.launcher` to start, stop and inspect a sandbox and
:class:`dpn.sandbox.faults.FaultClient` to inject faults.
"""

from __future__ import annotations

from dpn.sandbox.info import SandboxInfo

__all__ = ["SandboxInfo"]
