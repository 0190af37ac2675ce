"""The property tables of docs/user-guide.md are the ones scripts/gen_property_tables.py
generates from the schema and the canonical rules: the guide always matches the schema."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_property_tables.py"
GUIDE = ROOT / "docs" / "user-guide.md"


def check(guide: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), "--check", "--guide", str(guide)],
                          capture_output=True, text=True, timeout=60)


def test_user_guide_property_tables_match_the_schema() -> None:
    result = check(GUIDE)
    assert result.returncode == 0, (
        "docs/user-guide.md is out of date with src/dpn/schema.json or "
        "src/dpn/canonical/rules.json: run scripts/gen_property_tables.py\n" + result.stderr)


def test_check_fails_on_a_stale_guide(tmp_path: Path) -> None:
    text = GUIDE.read_text()
    assert "| `versioning` |" in text
    stale = tmp_path / "user-guide.md"
    stale.write_text(text.replace("| `versioning` |", "| `versioning_old` |", 1))
    result = check(stale)
    assert result.returncode == 1 and "out of date" in result.stderr
    assert stale.read_text() != text  # --check writes nothing


def test_check_fails_without_markers(tmp_path: Path) -> None:
    bare = tmp_path / "user-guide.md"
    bare.write_text("# guide\n")
    result = check(bare)
    assert result.returncode == 1 and "markers" in result.stderr
