#!/usr/bin/env bash
# Set up .venv and run the example order workflow locally, printing its result and timeline.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m aws_durable_execution_sdk_python_testing run \
  examples/order_processing/workflow.py:handler --input '{"order_id": "o-1", "items": 3}'
