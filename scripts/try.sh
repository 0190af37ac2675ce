#!/usr/bin/env bash
# Install dpn and provision the example lakehouse (24 resources on AWS and Databricks) in
# the local sandbox: validate, plan, create as one transaction, show the status, then
# tear it down and stop the sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[sandbox]'
export DPN_HOME="${DPN_HOME:-$PWD/.dpn-try}"
dpn=.venv/bin/dpn
trap '$dpn sandbox stop >/dev/null 2>&1 || true' EXIT
$dpn validate examples/lakehouse.json
$dpn plan examples/lakehouse.json --offline
$dpn create examples/lakehouse.json --sandbox --yes
$dpn status
$dpn plan examples/lakehouse.json --sandbox
$dpn delete examples/lakehouse.json --sandbox --yes
