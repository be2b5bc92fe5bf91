#!/usr/bin/env bash
# Install everything, then run the test suite (pytest; slow tests are opt-in
# with `-m slow`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
python3 -m pytest -q "$@"
