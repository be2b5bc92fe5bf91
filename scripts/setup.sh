#!/usr/bin/env bash
# Install everything the workbench needs on a fresh Debian machine:
# Graphviz's `dot` (Debian package) and the Python package with its test and
# dev extras (pytest, hypothesis; ruff, mypy and stubs for scripts/lint.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v dot >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq graphviz >/dev/null
fi
python3 -m pip install --quiet --disable-pip-version-check -e '.[test,dev]'
