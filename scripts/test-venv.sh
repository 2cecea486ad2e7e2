#!/usr/bin/env bash
# test-venv.sh - a Python virtual environment for the browser tests.
#
#   scripts/test-venv.sh [DIR]     (default build/venv)
#
# Creates DIR with Selenium from PyPI (tests only; never in the product's
# path). Idempotent and quiet when Selenium is already there. Prints the
# venv's python on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${1:-build/venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV" >&2
fi
if ! "$VENV/bin/python" -c 'import selenium' 2>/dev/null; then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'selenium>=4.10,<5' >&2
fi
echo "$(cd "$VENV" && pwd)/bin/python"
