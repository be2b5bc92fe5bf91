"""What the CI formats (SARIF, JUnit XML, GitHub annotations) are made from:
one :class:`Suite` per file, holding its test cases (a property and
violation, a claim, or a file's validity), the diagnostics that kept it from
loading, and its warnings.  The three formats are views of this and nothing
else, so they always agree with each other and with the exit status.

A :class:`Case` and a :class:`Note` hold only visible text: whatever they are
given is passed through :func:`verify.safety.visible` (line by line for a
case's text) when they are made, so that no format built on them can write a
control or bidirectional character the design carried (docs/cli.md,
"Untrusted text").
"""

from __future__ import annotations

import os
import urllib.parse
from dataclasses import dataclass, field
from typing import Literal

from verify.catalogue import catalogue
from verify.diagnostics import CODES, Diagnostic
from verify.explain import explain, title
from verify.model import Claim, Location, Regime
from verify.results import Result, Verdict
from verify.safety import visible, visible_lines

__all__ = ["Case", "Note", "Suite", "Outcome", "result_case", "claim_case", "rule_help", "display_path",
           "STDIN"]

#: pass; fail (a property fails, a claim is refuted, a file is invalid);
#: unknown (the solver gave no answer); error (no answer could be sought).
Outcome = Literal["pass", "fail", "unknown", "error"]
Level = Literal["error", "warning", "note"]

STDIN = "<stdin>"


@dataclass(frozen=True)
class Case:
    #: The test case's name: ``property(params)`` (``property(violation, k=1)``) or a claim's id.
    name: str
    outcome: Outcome
    #: The rule: the property id (for a claim, the property it was read as).
    rule: str
    #: One line, e.g. ``non-circumventability(v, k=1): FAILS``.
    headline: str
    #: Everything a person needs: the statement and the counterexample, or
    #: why the answer is unknown, or what the proof rests on.
    text: str
    where: Location | None = None

    def __post_init__(self) -> None:
        for key in ("name", "rule", "headline"):
            object.__setattr__(self, key, visible(getattr(self, key)))
        object.__setattr__(self, "text", visible_lines(self.text))


@dataclass(frozen=True)
class Note:
    """A warning about a file (an element left out, a mechanism with no route
    to a verifier, ...)."""

    message: str
    rule: str
    where: Location | None = None
    level: Level = "warning"

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", visible(self.message))
        object.__setattr__(self, "rule", visible(self.rule))


@dataclass
class Suite:
    #: The file as given (``<stdin>`` for stdin).
    path: str
    #: The regime's title or id; the path when it did not load.
    name: str
    cases: list[Case] = field(default_factory=list)
    #: Why the file did not load (then there are no cases).
    diagnostics: list[Diagnostic] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    #: ``validate``: the file's validity is itself the one test case.
    validity: bool = False


_OUTCOME: dict[Verdict, Outcome] = {Verdict.HOLDS: "pass", Verdict.FAILS: "fail", Verdict.UNKNOWN: "unknown"}


def _where(regime: Regime, r: Result) -> Location | None:
    """The property spec's position, else (a property given on the command
    line) the declaration of the violation it is about."""
    if r.where is not None:
        return r.where
    v = regime.violation.get(r.violation)
    return v.where if v is not None else None


def result_case(regime: Regime, r: Result) -> Case:
    head = title(r)
    return Case(name=head.rsplit(": ", 1)[0], outcome=_OUTCOME[r.verdict], rule=r.property, headline=head,
                text="\n".join([head, *explain(regime, r)]), where=_where(regime, r))


def claim_case(regime: Regime, claim: Claim, results: list[Result], outcome: str, verdict: Verdict | None) -> Case:
    """``outcome``: UPHELD, REFUTED or UNKNOWN; ``verdict`` None when the
    claim's violation is absent (nothing was checked)."""
    kind: Outcome = {"UPHELD": "pass", "REFUTED": "fail"}.get(outcome, "unknown")  # type: ignore[assignment]
    head = visible(f"{outcome}: {claim.id}")
    lines = [visible(f'{head}: "{claim.text}"')]
    if verdict is None:
        kind = "error"
        lines.append(visible(f"  its violation {claim.spec.param('violation')!r} is absent: nothing was checked"))
    else:
        lines.append(f"  means: {claim.spec.property}, expected to {claim.expect.rstrip('s')}; "
                     f"the checker says it {verdict.value}")
        for r in results:
            lines.append(f"  {title(r)}")
            lines.extend(f"    {line}" for line in explain(regime, r))
    return Case(name=claim.id, outcome=kind, rule=claim.spec.property, headline=head, text="\n".join(lines),
                where=claim.where or claim.spec.where)


def rule_help(rule: str) -> tuple[str, str]:
    """A rule's short description and help text: a property's statement and
    what its counterexample shows, a diagnostic code's meaning, or a warning's."""
    if rule in CODES:
        return CODES[rule], f"{rule}: {CODES[rule]}. See docs/errors.md for an example and the fix."
    info = catalogue().get(rule)
    if info is not None:
        short = " ".join(info.statement.split())
        return short, f"{short}\n\nA counterexample shows: {' '.join(info.counterexample.split())}\n" \
                      f"See docs/properties.md#{rule}."
    text = WARNING_RULES.get(rule, rule)
    return text, text


#: The rules of warnings (they have no diagnostic code).
WARNING_RULES: dict[str, str] = {
    "left-out": "an element is left out (suspended, or proposed under --as-is), with what needs it",
    "no-verifiers": "no verifiers: nothing can ever count as detection",
    "unrouted-mechanism": "a mechanism has no chain of flows to any verifier",
    "no-properties": "the design lists no properties; use --property",
    "violation-absent": "a property's (or claim's) violation is absent, so nothing was checked",
    "unread-field": "a field the format accepts that no property of this run reads (its value changes no verdict)",
    "confusable-name": "two elements read alike: names the same after Unicode normalisation and case folding, "
                       "or ids that differ only by case",
}


def display_path(path: str, cwd: str | None = None) -> str:
    """A file as a CI tool wants it: relative to the working directory when
    inside it (with ``/``), else absolute."""
    cwd = os.getcwd() if cwd is None else cwd
    full = os.path.abspath(path)
    rel = os.path.relpath(full, cwd)
    if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
        return full
    return rel.replace(os.sep, "/")


def uri(path: str, cwd: str | None = None) -> str:
    """A SARIF artifact URI: a relative reference when inside the working
    directory, a ``file://`` URI otherwise."""
    shown = display_path(path, cwd)
    if os.path.isabs(shown):
        from pathlib import Path

        return Path(shown).as_uri()
    return urllib.parse.quote(shown)
