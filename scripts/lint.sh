#!/usr/bin/env bash
# Static checks, configured in pyproject.toml: ruff (style, import order,
# likely bugs) on the package, the tests and the benchmarks, and mypy --strict
# (with the exceptions listed there) on the package.  Both always run, so one
# run shows everything; the exit status is non-zero if either finds anything.
# scripts/setup.sh installs both (the dev extra).
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
python3 -m ruff check verify tests benchmarks || status=1
python3 -m mypy verify || status=1
exit $status
