#!/usr/bin/env bash
# Create .venv with both packages installed editable, plus test and dev tools.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e packages/sdk -e "packages/testing[test,dev]"
# The published plugins the ecosystem tests run (their pin on the existing SDK is not ours).
.venv/bin/python -m pip install -q --no-deps -r tests/ecosystem/published-plugins.txt
