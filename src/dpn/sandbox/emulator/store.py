"""The emulator's objects in memory, persisted as one JSON file shortly after every change,
so a restart keeps every object. One re-entrant lock guards everything: handlers run
``with store.lock:`` and call ``store.save()`` after a change.

``save`` only marks the objects changed; a writer thread writes them ``FLUSH_DELAY`` later,
so a burst of changes (a bulk apply makes hundreds a second) costs one serialisation of
the whole state, not one each, and requests do not queue behind the disk. ``close`` (the
server's shutdown) writes what is left."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

STATE_FILE = "dbx-state.json"
FLUSH_DELAY = 0.05  # seconds a change waits for the ones that follow it
COLLECTIONS = ("clusters", "jobs", "catalogs", "schemas", "tables", "volumes",
               "storage_credentials", "external_locations", "grants", "iam_seen", "settings")


class Store:
    """``clusters`` by id, ``jobs`` by id (str), ``catalogs`` by name, ``schemas`` by
    ``catalog.schema``, ``tables`` and ``volumes`` by ``catalog.schema.name``,
    ``storage_credentials`` and ``external_locations`` by name (all lower case keys);
    ``grants`` by ``SECURABLE_TYPE:full_name`` (grantstore.py), ``iam_seen`` by role ARN
    (iam.py), ``settings`` by option name (options.py)."""

    def __init__(self, data_dir: Path | None) -> None:
        self.lock = threading.RLock()
        self.path = data_dir / STATE_FILE if data_dir else None
        self.data: dict[str, Any] = {}
        self._dirty = threading.Event()
        self._writing = threading.Lock()   # one writer of the file at a time
        self._writer: threading.Thread | None = None
        self.reset(save=False)
        self._load()

    def reset(self, save: bool = True) -> None:
        with self.lock:
            self.data = {name: {} for name in COLLECTIONS}
            self.data["next_job_id"] = 1001
            self.data["clock_offset"] = 0.0
            if save:
                self.save()

    def __getitem__(self, name: str) -> dict[str, Any]:
        return self.data[name]

    def next_job_id(self) -> int:
        with self.lock:
            job_id = int(self.data["next_job_id"])
            self.data["next_job_id"] = job_id + 1
            return job_id

    def _load(self) -> None:
        if self.path is None or not self.path.exists():
            return
        try:
            loaded = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return
        for name in COLLECTIONS:
            if isinstance(loaded.get(name), dict):
                self.data[name] = loaded[name]
        if isinstance(loaded.get("next_job_id"), int):
            self.data["next_job_id"] = loaded["next_job_id"]
        if isinstance(loaded.get("clock_offset"), int | float):
            self.data["clock_offset"] = float(loaded["clock_offset"])

    def save(self) -> None:
        """Have the state written soon (by the writer thread)."""
        if self.path is None:
            return
        with self.lock:
            self._dirty.set()
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_soon, daemon=True,
                                                name="dbx-state-writer")
                self._writer.start()

    def close(self) -> None:
        """Write what is not written yet (the server is stopping)."""
        self._flush()

    def _write_soon(self) -> None:
        while True:
            self._dirty.wait()
            time.sleep(FLUSH_DELAY)
            self._flush()

    def _flush(self) -> None:
        """Write the state atomically (temporary file, rename), if it changed."""
        if self.path is None:
            return
        with self._writing:
            with self.lock:
                if not self._dirty.is_set():
                    return
                self._dirty.clear()
                payload = json.dumps(self.data, separators=(",", ":"))
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = self.path.with_name(f".{STATE_FILE}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(payload)
            os.replace(tmp, self.path)
