"""Start, stop and inspect the sandbox of one ``$DPN_HOME``.

``start`` runs two detached processes (new session, so they outlive the caller) on
127.0.0.1, each on a free port it binds itself: the AWS front (moto behind fault
injection) and the Databricks emulator, started in parallel. It records endpoints, token
and pids in ``$DPN_HOME/sandbox.json`` (0600) once both answer. Emulator data lives in
``$DPN_HOME/sandbox/``. ``stop`` ends both processes and waits for them.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dpn.errors import DpnError
from dpn.sandbox.info import SandboxInfo, ensure_private_dir, read_info, remove_info, write_info

START_TIMEOUT_S = 20.0
PLATFORMS = ("aws", "dbx")


class SandboxError(DpnError):
    """The sandbox could not be started."""


def data_dir(home: Path) -> Path:
    return Path(home) / "sandbox"


@contextmanager
def _launch_lock(home: Path) -> Iterator[None]:
    directory = ensure_private_dir(data_dir(home))
    fd = os.open(directory / ".launch.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


# The server processes this process started. They are daemons that outlive ``start`` (their
# own session); their Popen objects are kept so that none is collected while its server
# runs (Popen warns then), and ``_is_ours`` reaps them once they exit.
_SERVERS: list[subprocess.Popen[bytes]] = []


@atexit.register
def _reap_servers() -> None:
    """Reap the servers another process stopped (``dpn sandbox stop``), so that their
    Popen objects know they ended; the ones still serving are left to run."""
    for proc in _SERVERS:
        proc.poll()


def _is_ours(pid: int) -> bool:
    """True if ``pid`` is a live sandbox process (not a zombie, not a reused pid)."""
    for proc in [p for p in _SERVERS if p.pid == pid]:
        if proc.poll() is not None:  # reaped, and its Popen knows it ended
            _SERVERS.remove(proc)
    try:
        os.waitpid(pid, os.WNOHANG)  # reap it if it is another exited child of ours
    except ChildProcessError:
        pass
    if not Path("/proc/self").exists():  # no procfs (macOS): trust the recorded pid
        try:
            os.kill(pid, 0)
            return True
        except OSError:
            return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state not in ("Z", "X") and b"dpn.sandbox.serve" in cmdline


def _servers_of(home: Path) -> tuple[int, ...]:
    """Live sandbox processes serving ``home``'s data dir, recorded or not (an orphan
    whose ``sandbox.json`` was lost still holds the data dir). Empty without procfs."""
    marker = b"\0--data-dir\0" + str(data_dir(home)).encode() + b"\0"
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"dpn.sandbox.serve" in cmdline and marker in cmdline + b"\0":
            found.append(int(entry.name))
    return tuple(p for p in found if _is_ours(p))


def _healthy(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url + "/_dpn/health", timeout=timeout) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def status(home: Path) -> SandboxInfo | None:
    """The running sandbox of ``home`` if its processes live and answer, else None."""
    info = read_info(Path(home))
    if info is None or not info.pids or not all(_is_ours(p) for p in info.pids):
        return None
    if not (_healthy(info.aws_endpoint) and _healthy(info.dbx_host)):
        return None
    return info


def start(home: Path, *, token: str | None = None) -> SandboxInfo:
    """Start the sandbox of ``home``, or return the healthy one already running."""
    home = Path(home)
    with _launch_lock(home):
        running = status(home)
        if running is not None:
            return running
        previous = read_info(home)
        _kill(tuple({*(previous.pids if previous else ()), *_servers_of(home)}), wait_s=3.0)
        token = token or (previous.dbx_token if previous else None) or \
            "dapi" + secrets.token_hex(16)
        directory = data_dir(home)
        # moto serves the AWS managed policies (arn:aws:iam::aws:policy/...) only when
        # asked (moto docs, "IAM": MOTO_IAM_LOAD_MANAGED_POLICIES); every AWS account has them
        env = dict(os.environ, DPN_SANDBOX_TOKEN=token, PYTHONUNBUFFERED="1",
                   MOTO_IAM_LOAD_MANAGED_POLICIES="true")
        procs: dict[str, subprocess.Popen[bytes]] = {}
        ready: dict[str, Path] = {}
        for platform in PLATFORMS:
            ready[platform] = directory / f"{platform}.ready"
            ready[platform].unlink(missing_ok=True)
            log = open(directory / f"{platform}.log", "ab")  # noqa: SIM115
            os.chmod(directory / f"{platform}.log", 0o600)
            with log:
                procs[platform] = subprocess.Popen(
                    [sys.executable, "-m", "dpn.sandbox.serve", platform,
                     "--ready-file", str(ready[platform]), "--data-dir", str(directory)],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                    start_new_session=True, close_fds=True, cwd=str(directory))
        ports = _wait_ready(procs, ready)
        _SERVERS.extend(procs.values())
        info = SandboxInfo(aws_endpoint=f"http://127.0.0.1:{ports['aws']}",
                           dbx_host=f"http://127.0.0.1:{ports['dbx']}", dbx_token=token,
                           pids=tuple(p.pid for p in procs.values()))
        write_info(home, info)
        return info


def _wait_ready(procs: dict[str, subprocess.Popen[bytes]],
                ready: dict[str, Path]) -> dict[str, int]:
    deadline = time.monotonic() + START_TIMEOUT_S
    ports: dict[str, int] = {}
    while len(ports) < len(procs):
        for platform, proc in procs.items():
            if platform in ports:
                continue
            if proc.poll() is not None:
                _kill(tuple(p.pid for p in procs.values()), wait_s=2.0)
                raise SandboxError(f"the sandbox {platform} process exited with code "
                                   f"{proc.returncode}; see {ready[platform].parent}/"
                                   f"{platform}.log")
            try:
                ports[platform] = int(json.loads(ready[platform].read_text())["port"])
            except (OSError, ValueError, KeyError):
                pass
        if len(ports) < len(procs):
            if time.monotonic() > deadline:
                _kill(tuple(p.pid for p in procs.values()), wait_s=2.0)
                raise SandboxError("the sandbox did not start in time")
            time.sleep(0.01)
    return ports


def ensure(home: Path) -> SandboxInfo:
    """The running sandbox of ``home``, started if needed (what ``--sandbox`` uses)."""
    return status(home) or start(home)


def stop(home: Path) -> bool:
    """Stop the sandbox of ``home``; True if processes were running. Objects persist."""
    home = Path(home)
    with _launch_lock(home):
        info = read_info(home)
        orphans = _servers_of(home)
        if info is None and not orphans:
            return False
        stopped = _kill(tuple({*(info.pids if info else ()), *orphans}), wait_s=5.0)
        remove_info(home)
        for platform in PLATFORMS:
            (data_dir(home) / f"{platform}.ready").unlink(missing_ok=True)
        return stopped


def _kill(pids: tuple[int, ...], wait_s: float) -> bool:
    """SIGTERM our live sandbox processes, SIGKILL the ones still alive after ``wait_s``."""
    alive = [p for p in pids if _is_ours(p)]
    for pid in alive:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + wait_s
    while any(_is_ours(p) for p in alive) and time.monotonic() < deadline:
        time.sleep(0.02)
    for pid in alive:
        if _is_ours(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 2.0
    while any(_is_ours(p) for p in alive) and time.monotonic() < deadline:
        time.sleep(0.02)
    return bool(alive)
