"""Views of results: plain text for people, JSON for programs, and for CI
SARIF 2.1.0 (code scanning), JUnit XML (test views) and GitHub workflow
annotations.

All are deterministic byte for byte for the same input: no timestamps, no
timings, sorted where order is not meaningful.
"""

from verify.report.cases import Suite
from verify.report.github import to_github
from verify.report.json import to_json
from verify.report.junit import to_junit
from verify.report.sarif import to_sarif
from verify.report.text import to_text

__all__ = ["to_text", "to_json", "to_sarif", "to_junit", "to_github", "to_ci", "FORMATS"]

#: The --format values of validate, check and claims (json: check only).
FORMATS = ("text", "json", "sarif", "junit", "github")


def to_ci(found: list[Suite], fmt: str, command: str, summary: str) -> str:
    """One of the CI formats ("sarif", "junit", "github") of ``command``'s
    findings; ``summary`` ends the GitHub annotations."""
    from verify import __version__

    if fmt == "sarif":
        return to_sarif(found, __version__)
    if fmt == "junit":
        return to_junit(found, command)
    return to_github(found, summary)
