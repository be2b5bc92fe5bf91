#!/usr/bin/env bash
# Install the editor tooling the schema tests drive (tests/test_schema_editor.py):
# yaml-language-server, the YAML language server of VS Code's YAML extension
# and of Neovim's yamlls, from npm, at a pinned version, into .tools/ in the
# repository (.tools/.gitignore, written here, keeps it out of git).  Node.js
# and npm come from Debian only when node is missing.  Running it again with
# the pinned version in place does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=1.25.0
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi
mkdir -p .tools
[ -f .tools/.gitignore ] || printf '# installed by scripts/editor-setup.sh\n*\n' > .tools/.gitignore
installed=$(node -p "require('./.tools/node_modules/yaml-language-server/package.json').version" 2>/dev/null || true)
if [ "$installed" != "$VERSION" ]; then
  npm install --prefix .tools --no-audit --no-fund --no-save --loglevel=error "yaml-language-server@$VERSION"
fi
echo "yaml-language-server $VERSION: .tools/node_modules/.bin/yaml-language-server"
