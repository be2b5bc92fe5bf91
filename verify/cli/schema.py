"""``verify schema``: print the JSON Schema of the regime format, or install a
stable copy of it for editors (``--install [DIR]``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from verify.cli._common import EXIT_INVALID, ArgumentError, Parser, errors
from verify.schema import default_install_dir, install, modeline, schema_text

#: The file patterns the printed editor settings associate with the schema;
#: files outside them still get it from their first line.
GLOBS = ["*.regime.yaml", "**/designs/*.yaml"]


def editor_help(path: Path) -> str:
    """What ``--install`` prints: the modeline and the VS Code and Neovim
    settings that point at the schema file ``path``."""
    key = json.dumps(str(path))
    globs = json.dumps(GLOBS)
    lua_globs = "{ " + ", ".join(json.dumps(g) for g in GLOBS) + " }"
    return f"""\
installed {path}

First line of a regime file (verify new writes it):
{modeline(path)}

Or associate the schema with file names in the editor's settings
(yaml-language-server; see docs/editors.md).

VS Code, settings.json (extension redhat.vscode-yaml):
  "yaml.schemas": {{
    {key}: {globs}
  }}

Neovim, with nvim-lspconfig and yaml-language-server:
  vim.lsp.config("yamlls", {{
    settings = {{ yaml = {{ schemas = {{
      [{key}] = {lua_globs},
    }} }} }},
  }})
  vim.lsp.enable("yamlls")

Run `verify schema --install` again after upgrading verify: it replaces the copy
when the schema has changed.
"""


def main(argv: list[str], stream: TextIO) -> int:
    parser = Parser(prog="verify schema", stream=stream,
                    description="Print the JSON Schema that regime files are validated against, "
                                "or install a copy of it for editors.")
    parser.add_argument("--install", nargs="?", const="", default=None, metavar="DIR",
                        help="write the schema to DIR/regime.schema.json (default "
                             f"{default_install_dir()}) and print the first line and the editor "
                             "settings that point to it")
    try:
        args = parser.parse_args(argv)
    except ArgumentError as e:
        return e.status
    if args.install is None:
        stream.write(schema_text())
        return 0
    try:
        path = install(args.install or None)
    except OSError as e:
        where = args.install or default_install_dir()
        errors().write(f"verify schema: cannot install the schema in {where}: {e.strerror or e}\n")
        return EXIT_INVALID
    stream.write(editor_help(path))
    return 0
