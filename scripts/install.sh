#!/usr/bin/env bash
# Install dpn with its development extras into .venv, unless this checkout's install is
# already current (the stamp is newer than pyproject.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=.venv/.dpn-dev-installed
if [[ -x .venv/bin/python && -f $stamp && $stamp -nt pyproject.toml ]]; then
    exit 0
fi
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev]'
touch "$stamp"
