#!/usr/bin/env bash
# Install dpn and provision the example lakehouse against the local sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[sandbox]'
export DPN_HOME="${DPN_HOME:-$PWD/.dpn-try}"
.venv/bin/dpn validate examples/lakehouse.json
.venv/bin/dpn plan examples/lakehouse.json --offline
