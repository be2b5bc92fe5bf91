"""Results are data: every view (text, JSON, diagrams, reports) reads these.

A verdict is three-valued so that a solver time-out ("unknown") can never be
read as "holds".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["Verdict", "Step", "Route", "Witness", "Result", "combine"]


class Verdict(str, Enum):
    HOLDS = "holds"
    FAILS = "fails"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Step:
    """One step of an evidence route: a mechanism observing, or a flow passing."""

    element: str
    kind: str  # observe | pass
    #: Who holds the evidence after this step, and in which grade (S, D, I).
    holder: str
    grade: str
    #: When evidence got here in the scenario, if it did.
    time: int | None
    #: Why the route stops here in the scenario (None: it passes).
    blocked: str | None = None
    #: The actor or element responsible for the block, if one is.
    blocker: str | None = None


@dataclass(frozen=True)
class Route:
    steps: tuple[Step, ...]
    verifier: str

    @property
    def block(self) -> Step | None:
        return next((s for s in self.steps if s.blocked), None)

    @property
    def time(self) -> int | None:
        return None if self.block or not self.steps else self.steps[-1].time


@dataclass(frozen=True)
class Witness:
    """A concrete scenario: who colludes, what failed, what happens."""

    violation: str
    perpetrator: str
    chosen: tuple[str, ...]
    coalition: tuple[str, ...]
    failed: tuple[str, ...]
    #: Earliest detection in this scenario (None: never).
    detection_time: int | None
    #: The verifier and grade that detection came through.
    detected_by: tuple[str, str] | None
    routes: tuple[Route, ...]
    #: Noticed breaches (refusals, missing reports) in this scenario.
    notices: tuple[str, ...] = ()
    #: Mechanisms that cannot see the violation at all, with the reason.
    blind: tuple[tuple[str, str], ...] = ()
    #: Mechanisms that can see it but have no route to a verifier.
    unrouted: tuple[str, ...] = ()


@dataclass(frozen=True)
class Result:
    property: str
    params: tuple[tuple[str, object], ...]
    violation: str
    verdict: Verdict
    #: The plain-language statement of what was checked.
    statement: str
    #: The perpetrator the counterexample is about (None when it holds for all).
    perpetrator: str | None = None
    witness: Witness | None = None
    #: Mechanisms and flows the proof rests on (from the unsat core).
    rests_on: tuple[str, ...] = ()
    #: Routes that share no actor once each is merged with what controls it:
    #: k+1 of them prove non-circumventability by hand.
    certificate: tuple[Route, ...] = ()
    #: Figures of analyses (k*, evasion sets, criticality, times), as pairs.
    figures: tuple[tuple[str, object], ...] = ()
    #: Why the answer is unknown, or other notes.
    note: str = ""

    def figure(self, name: str, default: object = None) -> object:
        return dict(self.figures).get(name, default)


def combine(parts: list[Result]) -> Verdict:
    """A property over several perpetrators: fails if any fails, else unknown
    if any is unknown, else holds."""
    verdicts = {p.verdict for p in parts}
    if Verdict.FAILS in verdicts:
        return Verdict.FAILS
    if Verdict.UNKNOWN in verdicts:
        return Verdict.UNKNOWN
    return Verdict.HOLDS
