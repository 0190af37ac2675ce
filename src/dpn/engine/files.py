"""Durable file primitives: private directories, atomic replace, fsync of directories."""

from __future__ import annotations

import os
import re
from pathlib import Path

from dpn.errors import InputError

_STACK_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,120}$")


def check_stack_id(stack: str) -> str:
    """A stack id is used in file names: refuse anything that could leave its folder."""
    if not _STACK_RE.match(stack):
        raise InputError(f"invalid stack id {stack!r}: expected lower-case letters, digits, '-'")
    return stack


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents, each 0700) and return it."""
    missing = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for part in reversed(missing):
        part.mkdir(mode=0o700, exist_ok=True)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.chmod(path, 0o700)
    except PermissionError:  # not ours to change: leave it
        pass
    return path


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: temporary file, fsync, rename, fsync of the
    directory. The file is created 0600."""
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    fsync_dir(path.parent)
