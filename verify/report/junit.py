"""JUnit XML, for CI test views: one ``<testsuite>`` per file, one
``<testcase>`` per property and violation (named ``property(params)``, as in
the text report) or per claim (named by its id).

- a property that fails, a claim refuted: ``<failure>`` with the
  counterexample;
- an unknown answer (the solver gave up): ``<error type="unknown">``, not
  ``<skipped>``: CI views count a skipped test as harmless and many pass the
  build with it, while an unknown answer is no proof and makes the exit status
  3; an error is counted as not passing and is told apart from a failure (no
  counterexample);
- a file that does not load: for ``validate`` its one test case ``valid``
  fails with the diagnostics; for ``check`` and ``claims`` a test case
  ``load`` is in error with them (nothing could be checked).

No timestamps or timings (``time="0"`` is left out): the same input gives the
same bytes.

Well-formed whatever the design holds: every attribute is made
:func:`~verify.safety.visible` and every text visible line by line, so no
character XML 1.0 forbids (NUL and the other C0 controls, lone surrogates,
U+FFFE, U+FFFF) is written, and no control or bidirectional character reaches
a CI log raw (docs/cli.md, "Untrusted text").
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from verify.report.cases import Suite, display_path
from verify.safety import visible, visible_lines

__all__ = ["to_junit"]


def _element(parent: ET.Element, tag: str, attrs: dict[str, str], text: str | None = None) -> ET.Element:
    """The only way an element is made here: attributes and text visible."""
    el = ET.SubElement(parent, tag, {k: visible(v) for k, v in attrs.items()})
    if text is not None:
        el.text = visible_lines(text)
    return el


def _case(suite: ET.Element, classname: str, name: str) -> ET.Element:
    return _element(suite, "testcase", {"classname": classname, "name": name})


def _add(parent: ET.Element, tag: str, message: str, type_: str, text: str) -> None:
    _element(parent, tag, {"message": message, "type": type_}, text)


def to_junit(suites: list[Suite], command: str) -> str:
    root = ET.Element("testsuites", {"name": visible(f"verify {command}")})
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for s in suites:
        shown = s.path if s.path == "<stdin>" else display_path(s.path)
        suite = _element(root, "testsuite", {"name": shown})
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        if s.validity or s.diagnostics:
            name = "valid" if s.validity else "load"
            case = _case(suite, shown, name)
            counts["tests"] += 1
            if s.diagnostics:
                n = len(s.diagnostics)
                message = f"{n} error{'s' if n != 1 else ''}: {s.diagnostics[0].code} {s.diagnostics[0].message}"
                text = "\n".join(str(d) for d in s.diagnostics)
                if s.validity:
                    _add(case, "failure", message, "invalid", text)
                    counts["failures"] += 1
                else:
                    _add(case, "error", message, "invalid", text)
                    counts["errors"] += 1
        for c in s.cases:
            case = _case(suite, shown, c.name)
            counts["tests"] += 1
            if c.outcome == "fail":
                _add(case, "failure", c.headline, "fails" if command == "check" else "refuted", c.text)
                counts["failures"] += 1
            elif c.outcome in ("unknown", "error"):
                _add(case, "error", c.headline, c.outcome, c.text)
                counts["errors"] += 1
        if s.notes:
            _element(suite, "system-out", {}, "\n".join(f"warning: {n.message}" for n in s.notes))
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
