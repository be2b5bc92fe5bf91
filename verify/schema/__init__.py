"""The JSON Schema of the regime format, shipped with the package, and a
stable copy of it for editors.

Editors (yaml-language-server, in VS Code, Neovim and others) find a file's
schema from its first line, ``# yaml-language-server: $schema=...``, or from
their settings.  The package's own file moves with the virtual environment
it is installed in, and nothing serves the schema on the web, so
:func:`install` writes a copy to a per-user folder that stays put
(``$XDG_DATA_HOME/treaty-verify/``, by default ``~/.local/share/treaty-verify/``)
and :func:`modeline` names a copy by an absolute path that resolves on this
machine whatever folder the design is in.  See docs/editors.md.
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["schema_text", "schema", "SCHEMA_FILE", "package_schema_path", "default_install_dir",
           "install", "schema_reference", "modeline", "MODELINE_PREFIX"]

SCHEMA_FILE = "regime.schema.json"
#: What an editor's YAML language server reads on a file's first lines.
MODELINE_PREFIX = "# yaml-language-server: $schema="
#: The folder under the user's data folder that :func:`install` writes to.
APP_DIR = "treaty-verify"


def schema_text() -> str:
    return resources.files(__name__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    out: dict[str, Any] = json.loads(schema_text())
    return out


def package_schema_path() -> Path:
    """The absolute path of the schema file inside the installed package.

    It is valid as long as this installation is: a new virtual environment or
    Python version moves it.  :func:`install` makes a copy that does not move.
    """
    return Path(__file__).resolve().with_name(SCHEMA_FILE)


def default_install_dir() -> Path:
    """``$XDG_DATA_HOME/treaty-verify``, or ``~/.local/share/treaty-verify``
    when XDG_DATA_HOME is unset, empty or relative (the XDG Base Directory
    specification says a relative value is to be ignored)."""
    data = os.environ.get("XDG_DATA_HOME", "")
    base = Path(data) if data and os.path.isabs(data) else Path.home() / ".local" / "share"
    return base / APP_DIR


def install(directory: str | os.PathLike[str] | None = None) -> Path:
    """Write the schema to ``directory`` (default :func:`default_install_dir`)
    as ``regime.schema.json``, creating the folder, and return the file's
    absolute path.  A copy that is already current is left untouched; an
    older one (from an earlier version of the package) is replaced, all or
    nothing.  Raises OSError when the folder cannot be created or written."""
    from verify.files import write_atomically

    folder = Path(directory) if directory is not None else default_install_dir()
    target = Path(os.path.abspath(folder / SCHEMA_FILE))
    text = schema_text()
    try:
        current = target.read_text(encoding="utf-8") == text
    except (OSError, UnicodeDecodeError):
        current = False
    if not current:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, text)
    return target


def schema_reference(path: str | os.PathLike[str]) -> str:
    """How a modeline names the schema file ``path``: its absolute path, or a
    ``file://`` URI when the path holds white space or ``#`` (the language
    server reads the reference up to the first white space, and would take
    ``#`` for the start of a fragment)."""
    absolute = Path(os.path.abspath(path))
    text = str(absolute)
    if re.search(r"[\s#%]", text) or os.sep != "/":
        return absolute.as_uri()
    return text


def modeline(path: str | os.PathLike[str]) -> str:
    """The first line that points an editor at the schema file ``path``."""
    return MODELINE_PREFIX + schema_reference(path)
