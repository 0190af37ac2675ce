#!/usr/bin/env bash
# Install dpn with its development extras into .venv and run the whole test suite.
# The tests start the sandbox they need (moto server and the Databricks emulator).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev]'
.venv/bin/ruff check src tests bench
.venv/bin/mypy
.venv/bin/python -m pytest -n 2 -q "$@"
