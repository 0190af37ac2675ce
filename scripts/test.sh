#!/usr/bin/env bash
# Install dpn with its development extras into .venv (once: scripts/install.sh) and run the
# whole test suite: ruff, mypy, pytest (the import contracts included). The tests start the sandbox
# they need (moto server and the Databricks emulator).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
# the suite starts hundreds of dpn processes and pytest rewrites every test module: with
# bytecode written once, neither compiles its sources again
unset PYTHONDONTWRITEBYTECODE
.venv/bin/ruff check src tests bench
.venv/bin/mypy
.venv/bin/python -m pytest -n 2 -q "$@"
