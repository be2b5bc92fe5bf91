"""Tool and solver versions, for reproducible reports."""

from __future__ import annotations

import os
import re
import sys

__all__ = ["versions"]


def versions() -> dict[str, str]:
    from verify import __version__

    return {"verify": __version__, "z3-solver": _version("z3-solver"), "networkx": _version("networkx"),
            "python": _python()}


def _python() -> str:
    """What ``platform.python_version()`` says ("3.11.7", "3.13.0rc1"): the
    first word of ``sys.version``, which is where platform reads it from,
    without importing platform (issue 14: start-up)."""
    return sys.version.split()[0]


def _version(dist: str) -> str:
    """The installed version of ``dist``: read from the name of its
    ``.dist-info`` folder (``NAME-VERSION.dist-info``, the wheel format's
    spelling) in the first folder of ``sys.path`` that has one, which is
    where ``importlib.metadata`` finds it too.  Anything else (an egg, two
    candidates in one folder) is left to ``importlib.metadata``, whose
    import (the email parser, for the METADATA file) was a tenth of a
    re-check as a process (issue 14)."""
    name = re.sub(r"[-_.]+", "_", dist).lower()
    for folder in sys.path:
        try:
            entries = os.listdir(folder or ".")
        except OSError:
            continue
        found = [e for e in entries if e.endswith(".dist-info") and e.lower().startswith(name + "-")
                 and e.lower().partition("-")[0] == name]
        if len(found) == 1:
            return found[0][len(name) + 1:-len(".dist-info")]
        if found or any(e.lower().startswith(name + "-") and e.endswith(".egg-info") for e in entries):
            break
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"
