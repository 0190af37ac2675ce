"""The layering of dpn's packages, written down as import-linter contracts in
pyproject.toml (``[tool.importlinter]``), holds: every import counts, those inside
functions and under ``TYPE_CHECKING`` too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_import_contracts_are_kept() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    run = subprocess.run([sys.executable, "-c",
                          "import sys; from importlinter.cli import lint_imports;"
                          " sys.exit(lint_imports())"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
