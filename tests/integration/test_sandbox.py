"""``dpn sandbox start|stop|status`` and the launcher: detached processes on free ports,
a private ``sandbox.json``, persistence across restarts, a clean stop."""

from __future__ import annotations

import json
import os
import socket
import stat
import time
from pathlib import Path

import pytest

from dpn.sandbox import launcher

pytestmark = pytest.mark.integration


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def test_cli_start_status_stop(run_dpn, dpn_home):
    began = time.monotonic()
    started = run_dpn("sandbox", "start", "--format", "json")
    elapsed = time.monotonic() - began
    assert started.returncode == 0, started.stderr
    data = json.loads(started.stdout)
    try:
        assert data["running"] and data["aws_endpoint"].startswith("http://127.0.0.1:")
        assert elapsed < 10  # the bench measures the real figure (well under 3 s)
        record = dpn_home / "sandbox.json"
        assert stat.S_IMODE(record.stat().st_mode) == 0o600
        assert stat.S_IMODE(dpn_home.stat().st_mode) == 0o700
        assert stat.S_IMODE((dpn_home / "sandbox").stat().st_mode) == 0o700
        token = json.loads(record.read_text())["dbx_token"]
        assert token not in started.stdout + started.stderr
        again = run_dpn("sandbox", "start", "--format", "json")  # idempotent
        assert json.loads(again.stdout)["pids"] == data["pids"]
        status = run_dpn("sandbox", "status")
        assert status.returncode == 0 and "running" in status.stdout
        assert token not in status.stdout
    finally:
        stopped = run_dpn("sandbox", "stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert not any(_alive(pid) for pid in data["pids"])
    assert not (dpn_home / "sandbox.json").exists()
    assert "not running" in run_dpn("sandbox", "status").stdout
    assert "not running" in run_dpn("sandbox", "stop").stdout


def test_objects_persist_across_restart(dpn_home):
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.config import Config

    def client(info):
        return WorkspaceClient(config=Config(host=info.dbx_host, token=info.dbx_token,
                                             auth_type="pat", retry_timeout_seconds=10))

    info = launcher.start(dpn_home)
    try:
        workspace = client(info)
        workspace.catalogs.create(name="sales")
        job_id = workspace.jobs.create(name="nightly").job_id
        assert launcher.stop(dpn_home)
        restarted = launcher.start(dpn_home)
        assert restarted.pids != info.pids
        workspace = client(restarted)
        assert workspace.catalogs.get("sales").name == "sales"
        assert workspace.jobs.get(job_id).settings.name == "nightly"
        assert workspace.jobs.create(name="next").job_id > job_id
    finally:
        launcher.stop(dpn_home)


def test_ensure_restarts_a_killed_sandbox(dpn_home):
    info = launcher.ensure(dpn_home)
    try:
        os.kill(info.pids[1], 9)
        deadline = time.monotonic() + 5
        while launcher.status(dpn_home) is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert launcher.status(dpn_home) is None
        again = launcher.ensure(dpn_home)
        assert again.pids != info.pids and launcher.status(dpn_home) == again
        assert not _alive(info.pids[0])  # the survivor was cleaned up
    finally:
        launcher.stop(dpn_home)


def test_settings_point_at_the_sandbox(sandbox):
    settings = sandbox.settings()
    assert settings.aws_endpoint_url == sandbox.aws_endpoint
    assert settings.dbx_host == sandbox.dbx_host and settings.dbx_token == sandbox.dbx_token
    assert settings.aws_region == "us-east-1"
    assert sandbox.dbx_token not in repr(sandbox) + repr(settings)


def test_stop_ends_servers_whose_record_was_lost(dpn_home):
    first = launcher.start(dpn_home)
    (dpn_home / "sandbox.json").unlink()  # the record is lost, the processes live on
    second = launcher.start(dpn_home)  # the orphans of this home are ended first
    try:
        assert not any(_alive(pid) for pid in first.pids)
        (dpn_home / "sandbox.json").unlink()
        assert launcher.stop(dpn_home)
        deadline = time.monotonic() + 10  # a SIGKILLed process may take a moment to go
        while any(_alive(pid) for pid in second.pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(pid) for pid in second.pids)
    finally:
        launcher.stop(dpn_home)


def _cut_short(url: str, head: str, part: bytes, length: int) -> bytes:
    """Send a request whose body ends ``length - len(part)`` bytes early, then hang up, as a
    client killed in the middle of sending does."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(f"{head}\r\nHost: {host}\r\nContent-Length: {length}\r\n"
                     "Content-Type: application/json\r\n\r\n".encode() + part)
        conn.shutdown(socket.SHUT_WR)
        return conn.recv(1024)  # what the server answered before it hung up


@pytest.mark.parametrize("part", [b"", b'{"name": "cut'])
def test_a_request_cut_short_takes_no_effect(clean_sandbox, s3, workspace, part):
    token = clean_sandbox.dbx_token
    answers = [_cut_short(clean_sandbox.dbx_host,
                          f"POST /api/2.2/jobs/create HTTP/1.1\r\nAuthorization: Bearer {token}",
                          part, 200),
               _cut_short(clean_sandbox.aws_endpoint, "PUT /cut-short-bucket HTTP/1.1", part, 200)]
    assert answers == [b"", b""]  # dropped unanswered
    made = [j.job_id for j in workspace.jobs.list()], s3.list_buckets()["Buckets"]
    assert made == ([], [])
    assert workspace.current_user.me().user_name  # the server still answers
