"""The emulator's objects in memory, persisted as one JSON file after every change, so a
restart keeps every object. One re-entrant lock guards everything: handlers run
``with store.lock:`` and call ``store.save()`` after a change."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

STATE_FILE = "dbx-state.json"
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
        """Write the state atomically (temporary file, rename)."""
        if self.path is None:
            return
        with self.lock:
            payload = json.dumps(self.data, separators=(",", ":"))
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = self.path.with_name(f".{STATE_FILE}.{threading.get_ident()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(payload)
            os.replace(tmp, self.path)
