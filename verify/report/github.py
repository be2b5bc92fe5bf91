"""GitHub Actions workflow commands: one ``::error`` (or ``::warning``,
``::notice``) line per property that fails or is unknown, claim refuted or
unknown, diagnostic and warning, with the file, line and column of the
property spec, claim or mistake, so that GitHub shows it on the line of the
design.  Then one plain summary line.

Escaping follows GitHub's runner: in the message ``%``, CR and LF become
``%25``, ``%0D`` and ``%0A``; in property values ``:`` and ``,`` also become
``%3A`` and ``%2C``.  Before that, every field is made
:func:`~verify.safety.visible` (the message line by line): the runner
prints a message raw in the log, where an escape sequence would be acted on
(docs/cli.md, "Untrusted text").
"""

from __future__ import annotations

from verify.model import Location
from verify.report.cases import STDIN, Suite, display_path
from verify.safety import visible, visible_lines

__all__ = ["to_github", "escape_data", "escape_property", "annotation"]


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(level: str, path: str, where: Location | None, title: str, message: str) -> str:
    props: list[tuple[str, str]] = []
    file = where.file if where is not None else path
    if file != STDIN:
        props.append(("file", display_path(file)))
        if where is not None:
            props += [("line", str(where.line)), ("col", str(where.column))]
    props.append(("title", title))
    joined = ",".join(f"{k}={escape_property(visible(v))}" for k, v in props)
    return f"::{level} {joined}::{escape_data(visible_lines(message))}"


_LEVEL = {"fail": "error", "unknown": "warning", "error": "warning"}


def to_github(suites: list[Suite], summary: str) -> str:
    lines = []
    for s in suites:
        for d in s.diagnostics:
            detail = str(d).split("\n", 1)
            message = f"{d.code} {visible(d.message)}" + (f"\n{detail[1]}" if len(detail) > 1 else "")
            lines.append(annotation("error", s.path, d.where, f"verify {d.code}", message))
        for n in s.notes:
            lines.append(annotation("warning" if n.level == "warning" else "notice", s.path, n.where,
                                    "verify warning", n.message))
        for c in s.cases:
            if c.outcome != "pass":
                lines.append(annotation(_LEVEL[c.outcome], s.path, c.where, c.headline, c.text))
    lines.append(summary)
    return "\n".join(lines) + "\n"
