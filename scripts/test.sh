#!/usr/bin/env bash
# Set up a virtualenv with both packages (editable) and their test extras, then run the
# whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e packages/sdk -e "packages/testing[test,dev]"
exec .venv/bin/python -m pytest "$@"
