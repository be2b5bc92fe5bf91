#!/usr/bin/env bash
# What a user gets from `pip install treaty-verify`, checked end to end:
# build the sdist and, from the unpacked sdist, the wheel (python3 -m build,
# the dev extra); install the wheel into a fresh virtual environment in a
# temporary folder (its dependencies from the registry); then, from another
# empty temporary folder, run the command as a new user would:
#   verify --version; verify new x && verify check x.yaml
# and check that py.typed is installed.  `verify check` may exit 0 or 1 (1: a
# property fails, which is the starter's intended lesson); anything else, or
# any other step failing, fails this script.  Last, the test suite runs from
# the unpacked sdist (with this environment's pytest and the sdist's own copy
# of the package), so that the sdist is known to carry what its tests need.
# Nothing is written to the checkout but what the build itself leaves
# (build/, *.egg-info: ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
start=$SECONDS
python=$(command -v python3)   # this environment's, with pytest (scripts/setup.sh)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wheel-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

step() { printf 'wheel-check: %s\n' "$*"; }

step "building the sdist and the wheel"
python3 -m build --outdir "$tmp/dist" . >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }
sdist=$(ls "$tmp"/dist/treaty_verify-*.tar.gz)
wheel=$(ls "$tmp"/dist/treaty_verify-*-py3-none-any.whl)
step "built $(basename "$sdist") and $(basename "$wheel")"

# The sdist carries what its tests need (MANIFEST.in).
members=$(tar -tzf "$sdist")
for need in LICENSE pyproject.toml README.md .pre-commit-hooks.yaml verify/py.typed \
            designs/flagship-ai-agreement.yaml properties/detectability.yaml docs/errors.md \
            tests/conftest.py tests/data/broken/duplicate_id.yaml benchmarks/generate.py; do
  grep -qx "treaty_verify-[^/]*/$need" <<<"$members" || { echo "wheel-check: the sdist lacks $need" >&2; exit 1; }
done

step "installing the wheel into a fresh virtual environment"
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$wheel" >"$tmp/install.log" 2>&1 \
  || { cat "$tmp/install.log"; exit 1; }

# From an unrelated, empty folder, with nothing of the checkout on the path.
mkdir "$tmp/work"
cd "$tmp/work"
path=$PATH
export PATH="$tmp/venv/bin:$PATH"
unset PYTHONPATH
[ "$(command -v verify)" = "$tmp/venv/bin/verify" ] || { echo "wheel-check: verify is not the venv's" >&2; exit 1; }

step "verify --version: $(verify --version)"
verify new x
set +e
verify check x.yaml >check.txt 2>&1
status=$?
set -e
if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
  cat check.txt
  echo "wheel-check: verify check x.yaml exited $status (0 or 1 expected)" >&2
  exit 1
fi
step "verify check x.yaml exited $status: $(grep -E "^[0-9]+ hold, " check.txt | tail -n 1)"

python -c "import verify, importlib.resources as r; assert (r.files('verify') / 'py.typed').is_file()"
python - "$tmp/venv" <<'EOF'
import sys
from importlib import metadata
from pathlib import Path

import verify

# The module comes from the venv, not from the checkout, under our name.
assert Path(verify.__file__).resolve().is_relative_to(Path(sys.argv[1]).resolve()), verify.__file__
assert metadata.version("treaty-verify") == verify.__version__
EOF
step "py.typed installed; verify imported from the venv"

step "running the test suite from the unpacked sdist"
mkdir "$tmp/sdist"
tar -xzf "$sdist" -C "$tmp/sdist"
cd "$tmp"/sdist/treaty_verify-*/
# The editor tests drive the yaml-language-server that scripts/editor-setup.sh
# installed into the checkout's .tools/ (they find it on PATH from elsewhere).
PATH=$path
if [ -d "$root/.tools/node_modules/.bin" ]; then PATH="$root/.tools/node_modules/.bin:$PATH"; fi
"$python" -m pytest -q -p no:cacheprovider
step "ok in $((SECONDS - start)) s"
