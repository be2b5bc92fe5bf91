#!/usr/bin/env bash
# Install everything the workbench needs on a fresh Debian machine:
# Graphviz's `dot` and Chromium (Debian packages; chromium runs the HTML
# report in tests/test_browser.py), and the Python package with its test and
# dev extras (pytest, hypothesis; ruff, mypy and stubs for scripts/lint.sh).
# A package already installed is not installed again.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
python3 -m pip install --quiet --disable-pip-version-check -e '.[test,dev]'
