#!/usr/bin/env bash
# Run the timeline demo workflow with `run --html`, then photograph the page with headless
# Chromium (Debian's `chromium`: apt-get install -y chromium) into docs/timeline.png.
# Not run in CI: it needs a browser. Usage: scripts/screenshot_timeline.sh [OUTPUT.png]
set -euo pipefail
cd "$(dirname "$0")/.."
output="${1:-docs/timeline.png}"
browser="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$browser" ]; then
  echo "no Chromium at $browser: apt-get install -y chromium (or set CHROMIUM)" >&2
  exit 2
fi
python="${PYTHON:-.venv/bin/python}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$python" -m aws_durable_execution_sdk_python_testing run \
  examples/timeline_demo/workflow.py:handler --input '{"order_id": "o-7"}' \
  --html "$work/timeline.html" > /dev/null
mkdir -p "$(dirname "$output")"
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/profile" --hide-scrollbars \
  --screenshot="$(realpath -m "$output")" --window-size=1400,900 \
  "file://$work/timeline.html" 2> "$work/chromium.log" || {
    cat "$work/chromium.log" >&2
    exit 1
  }
echo "wrote $output"
