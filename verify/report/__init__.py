"""Views of results: plain text for people, JSON for programs, and for CI
SARIF 2.1.0 (code scanning), JUnit XML (test views) and GitHub workflow
annotations.

All are deterministic byte for byte for the same input: no timestamps, no
timings, sorted where order is not meaningful.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from verify.report.cases import Suite
    from verify.report.github import to_github
    from verify.report.json import to_json
    from verify.report.junit import to_junit
    from verify.report.sarif import to_sarif
    from verify.report.text import to_text

__all__ = ["to_text", "to_json", "to_sarif", "to_junit", "to_github", "to_ci", "FORMATS"]

#: The --format values of validate, check and claims (json: check only).
FORMATS = ("text", "json", "sarif", "junit", "github")


#: Each view, by the module that writes it: a module is imported when its
#: view is first asked for (PEP 562), so that ``verify check -q`` loads no
#: XML writer (issue 14: start-up).
_LAZY = {"Suite": "cases", "to_text": "text", "to_json": "json", "to_sarif": "sarif", "to_junit": "junit",
         "to_github": "github"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"verify.report.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def to_ci(found: list[Suite], fmt: str, command: str, summary: str) -> str:
    """One of the CI formats ("sarif", "junit", "github") of ``command``'s
    findings; ``summary`` ends the GitHub annotations."""
    from verify import __version__

    if fmt == "sarif":
        from verify.report.sarif import to_sarif

        return to_sarif(found, __version__)
    if fmt == "junit":
        from verify.report.junit import to_junit

        return to_junit(found, command)
    from verify.report.github import to_github

    return to_github(found, summary)
