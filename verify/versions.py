"""Tool and solver versions, for reproducible reports."""

from __future__ import annotations

import platform
from importlib import metadata

__all__ = ["versions"]


def versions() -> dict[str, str]:
    def v(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    from verify import __version__

    return {"verify": __version__, "z3-solver": v("z3-solver"), "networkx": v("networkx"),
            "python": platform.python_version()}
