"""Results are data: every view (text, JSON, diagrams, reports) reads these.

A verdict is three-valued so that a solver time-out ("unknown") can never be
read as "holds".  Why a step of an evidence route does not go through is a
:class:`Block`: a :class:`Reason` code with the data behind it, recorded by the
engine's own evaluation of the scenario (verify/engine/evaluate.py); words are
made only in verify/explain.py, so programs read codes, never English.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from verify.model import Location

__all__ = [
    "Verdict",
    "Grade",
    "StepKind",
    "Reason",
    "Vote",
    "Block",
    "Step",
    "Route",
    "Notice",
    "Unseen",
    "CountedGroup",
    "Witness",
    "Margin",
    "KStar",
    "WorstCase",
    "EvasionSets",
    "MechanismChance",
    "Threshold",
    "Likelihood",
    "Deterrence",
    "Game",
    "Fabrication",
    "Framing",
    "Leak",
    "Figures",
    "Result",
    "combine",
]


class Verdict(str, Enum):
    HOLDS = "holds"
    FAILS = "fails"
    UNKNOWN = "unknown"


class Grade(str, Enum):
    """What a holder has (docs/semantics.md section 3)."""

    SEALED = "S"
    DIRECT = "D"
    INDIRECT = "I"


class StepKind(str, Enum):
    OBSERVE = "observe"
    PASS = "pass"


class Reason(str, Enum):
    """Why a step carries nothing, or why a mechanism cannot see at all.

    The values are stable codes (docs/json-output.md): fields may be added,
    a code is never renamed.
    """

    #: An element on the step (mechanism, operator, flow, relay, receiver) has failed.
    FAILED = "failed"
    #: Every trace the mechanism could see is gone when it observes.
    FADED = "faded"
    #: The host, warned ahead, hides every trace the mechanism could see.
    CONCEALED = "concealed"
    #: An actor whose consent the mechanism needs is in the coalition and refuses.
    REFUSED_ACCESS = "refused-access"
    #: The operator of a mechanism whose output is not sealed is in the coalition.
    OPERATOR_IN_COALITION = "operator-in-coalition"
    #: The actor that would call for a triggered mechanism is in the coalition.
    TRIGGER_IN_COALITION = "trigger-in-coalition"
    #: A coalition sender withholds a sealed item.
    WITHHELD_SEALED = "withheld-sealed"
    #: A coalition relay drops a report it cannot alter (sealed or authenticated).
    RELAY_DROPPED = "relay-dropped"
    #: A coalition relay replaces an unauthenticated report with "all clear".
    RELAY_ALTERED = "relay-altered"
    #: A decision body's vote (a gate, or the receiver's own) does not pass.
    BLOCKED_VOTE = "blocked-vote"
    #: The receiver of authored evidence is in the coalition.
    RECEIVER_IN_COALITION = "receiver-in-coalition"
    #: The verifier at the end of the route is in the coalition.
    VERIFIER_IN_COALITION = "verifier-in-coalition"
    #: Only direct evidence counts, and the route carries indirect evidence.
    INDIRECT_NOT_ACCEPTED = "indirect-not-accepted"
    #: The verifier's finding rule does not count this evidence (its grade,
    #: or the mechanism it comes from), or needs more independent sources.
    FINDING_RULE = "finding-rule"
    #: Nothing reaches the step's sender (a step after an earlier block).
    UNREACHED = "unreached"
    # Why a mechanism cannot see the violation at all (Unseen):
    NOT_COVERED = "not-covered"
    ZERO_PROBABILITY = "zero-probability"
    BELOW_THRESHOLD = "below-threshold"
    NOT_OBSERVED = "not-observed"


@dataclass(frozen=True)
class Vote:
    """A body's vote in one scenario, as counted."""

    body: str
    #: "approve": passes with at least ``needed`` yes votes; "block": fails
    #: with at least ``needed`` no votes.
    rule: Literal["approve", "block"]
    needed: int
    #: The members counted: honest working voters (approve), coalition voters (block).
    counted: tuple[str, ...]
    #: Members who may not vote in this case.
    recused: tuple[str, ...] = ()
    #: The named decision voted on (None: the body's own rule).
    decision: str | None = None

    @property
    def passes(self) -> bool:
        return len(self.counted) >= self.needed if self.rule == "approve" else len(self.counted) < self.needed


@dataclass(frozen=True)
class Block:
    """Why one step of a route carries nothing in a scenario."""

    reason: Reason
    #: The actor, body or element responsible, when there is one.
    who: str | None = None
    #: Whether the breach is itself noticed: then indirect evidence goes on
    #: from this step (a refused access, a missing or dropped mandatory report).
    noticed: bool = False
    #: A breach that would be noticed under a mandatory rule but is not: why
    #: the noticing step does not go through (None: nothing makes it mandatory).
    unnoticed: Block | None = None
    vote: Vote | None = None
    #: Faded: when the step's sender first held evidence (a trigger called
    #: for the mechanism), and the latest time that would still have shown it
    #: anything.  Seconds.
    at: int | None = None
    limit: int | None = None
    #: Concealed: the notice the mechanism gives, and the longest time the
    #: host needs to hide a trace it could see.  Seconds.
    notice: int | None = None
    conceal: int | None = None


@dataclass(frozen=True)
class Step:
    """One step of an evidence route: a mechanism observing, or a flow passing."""

    element: str
    kind: StepKind
    #: Who holds the evidence after this step, and in which grade.
    holder: str
    grade: Grade
    #: When evidence got here in the scenario, if it did.
    time: int | None
    #: Why the route stops or turns indirect here in the scenario (None: it passes).
    block: Block | None = None

    @property
    def blocker(self) -> str | None:
        return None if self.block is None else self.block.who


@dataclass(frozen=True)
class Route:
    """A chain of steps to a verifier.  A noticed breach does not end it: the
    route goes on with indirect evidence (a refusal reported to a council)."""

    steps: tuple[Step, ...]
    verifier: str
    #: Evidence reached the verifier but does not count as detection: why.
    end: Block | None = None

    @property
    def block(self) -> Step | None:
        """The step where the route ends without evidence, if it does."""
        return next((s for s in self.steps if s.block and not s.block.noticed), None)

    @property
    def time(self) -> int | None:
        """When evidence reaching the verifier this way counts as detection."""
        return None if self.block or self.end or not self.steps else self.steps[-1].time


@dataclass(frozen=True)
class Notice:
    """A breach someone noticed: indirect evidence from then on."""

    holder: str
    reason: Reason  # refused-access | withheld-sealed | relay-dropped
    element: str
    time: int


@dataclass(frozen=True)
class Unseen:
    """A mechanism that cannot see the violation at all, and why."""

    mechanism: str
    reason: Reason  # not-covered | zero-probability | below-threshold | not-observed | faded
    #: The asset it does not cover, or the signatures concerned.
    about: tuple[str, ...] = ()


@dataclass(frozen=True)
class CountedGroup:
    """Colluders counted, not named: interchangeable voters (members of the
    same bodies, with no other role), so that a set drawing ``n`` of them
    stands for any ``n``.  The ids a set shows are the first ones."""

    perpetrator: str
    #: Every member, in declaration order.
    members: tuple[str, ...]
    #: What they are, for a reader: "members of council" or a declared group's name.
    label: str
    #: In how many of the evasion sets the group stands (for criticality).
    sets: int = 0

    def count(self, chosen: Iterable[str]) -> int:
        inside = set(self.members)
        return sum(1 for c in chosen if c in inside)


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
    detected_by: tuple[str, Grade] | None
    routes: tuple[Route, ...]
    #: Noticed breaches (refusals, missing reports) in this scenario, in time order.
    notices: tuple[Notice, ...] = ()
    #: Mechanisms that cannot see the violation at all.
    blind: tuple[Unseen, ...] = ()
    #: Mechanisms that can see it but have no route to a verifier.
    unrouted: tuple[str, ...] = ()
    #: Counted groups among the chosen colluders: any as many would do.
    groups: tuple[CountedGroup, ...] = ()
    #: For a clock from a named event: the mechanism or flow, and when it
    #: first delivers in this scenario (None: never, so no clock starts).
    clock: tuple[str, int | None] | None = None


@dataclass(frozen=True, order=True)
class KStar:
    """A robustness margin: the largest coalition detection survives.

    A count (-1: not detectable even alone), or one of two values that are
    not: the whole pool cannot evade (:meth:`whole_pool`), or the solver gave
    no answer (:meth:`unknown`).  Ordered worst first: unknown < -1 < 0 < ...
    < whole pool, so ``min`` gives the worst of several perpetrators.
    """

    rank: float
    value: int | None = None

    @classmethod
    def of(cls, value: int) -> KStar:
        return cls(float(value), value)

    @classmethod
    def whole_pool(cls) -> KStar:
        return cls(float("inf"))

    @classmethod
    def unknown(cls) -> KStar:
        return cls(float("-inf"))

    @property
    def text(self) -> str:
        if self.value is not None:
            return str(self.value)
        return "all" if self.rank > 0 else "unknown"

    def plain(self) -> int | str:
        """As the JSON report writes it: an integer, "all" or "unknown"."""
        return self.value if self.value is not None else self.text


@dataclass(frozen=True)
class Margin:
    """robustness-margin: k*, and k* without each mechanism or flow (most
    critical first)."""

    kstar: KStar
    without: tuple[tuple[str, KStar], ...] = ()


@dataclass(frozen=True)
class WorstCase:
    """A timeliness that holds: the latest first detection any allowed
    coalition can force, and one coalition (perpetrator first) forcing it."""

    time: int
    coalition: tuple[str, ...]


@dataclass(frozen=True)
class EvasionSets:
    """minimal-evasion-sets: every inclusion-minimal evading set, per
    perpetrator, and in how many sets each actor stands.

    A set that draws members of a counted group stands for every set with
    as many of that group's members (:meth:`expanded` lists them all); the
    group's criticality is counted once, on the group, not on its members.
    """

    sets: tuple[tuple[str, tuple[str, ...]], ...]
    criticality: tuple[tuple[str, int], ...]
    groups: tuple[CountedGroup, ...] = ()

    def expanded(self) -> Iterator[tuple[str, tuple[str, ...]]]:
        """Every set the sets stand for, groups spelt out member by member
        (can be very many: C(40, 31) for a council blocking at 31)."""
        for p, s in self.sets:
            groups = [g for g in self.groups if g.perpetrator == p and g.count(s)]
            grouped = {m for g in groups for m in g.members}
            fixed = tuple(a for a in s if a not in grouped)
            for picks in itertools.product(*(itertools.combinations(g.members, g.count(s)) for g in groups)):
                yield p, fixed + tuple(m for pick in picks for m in pick)


@dataclass(frozen=True)
class MechanismChance:
    """One uncertain mechanism in a worst case: its chance per observation,
    how many times it observes in the window, its chance of seeing at least
    once, and whether its evidence reaches a verifier against the
    coalition (on its own, with every other uncertain mechanism missing)."""

    mechanism: str
    p: Fraction
    trials: int
    success: Fraction
    reaches: bool


@dataclass(frozen=True)
class Threshold:
    """The value of one parameter at which a property starts to hold:
    ``bound`` says on which side (``at-least``: it holds from ``value`` up;
    ``at-most``: up to it; ``any``: whatever the value; ``none``: at no
    value).  ``exact`` is the value as a formula (a root, say), ``value``
    the number (a fraction when it is rational)."""

    parameter: str
    bound: Literal["at-least", "above", "at-most", "below", "any", "none"]
    exact: str = ""
    value: Fraction | None = None
    #: For a period: the value in seconds (``value`` is then a whole number).
    duration: bool = False


@dataclass(frozen=True)
class Likelihood:
    """detection-probability: the least chance, over every allowed
    coalition, that evidence reaches a verifier; an interval when some
    probability is (``low`` with every uncertain number at its low end,
    ``high`` at its high end).  The worst case is shown at the low end."""

    low: Fraction
    high: Fraction
    #: Seconds in which observations are counted.
    window: int
    #: The worst coalition, perpetrator first.
    coalition: tuple[str, ...]
    #: The uncertain mechanisms the chance depends on, and those certain to
    #: see (probability 1 over the window).
    mechanisms: tuple[MechanismChance, ...] = ()
    certain: tuple[str, ...] = ()
    #: The chance as a formula in the mechanisms' probabilities, e.g.
    #: ``1 - (1 - p[logging])**12*(1 - p[tip])``.
    formula: str = ""
    #: Where the verdict depends on an interval: the value of each uncertain
    #: parameter at which it starts to hold (the others at their low ends).
    thresholds: tuple[Threshold, ...] = ()


@dataclass(frozen=True)
class Deterrence:
    """deterrence: the inspection game's figures for the worst coalition.

    A violator's expected payoff is ``gain * (1 - P) - sanction * P`` from
    violating and ``- false_alarm_cost * alarm`` from complying, where P is
    the least chance of detection and ``alarm`` the chance of a false alarm
    against a complying state (docs/deterrence.md).  Intervals as for
    :class:`Likelihood`: ``*_low`` is the side least favourable to
    deterrence."""

    detection: Likelihood
    gain: Fraction
    sanction: Fraction
    false_alarm_cost: Fraction
    alarm_low: Fraction
    alarm_high: Fraction
    #: Expected payoffs, worst case for deterrence first.
    violate: tuple[Fraction, Fraction]
    comply: tuple[Fraction, Fraction]
    #: The least chance of detection that deters, at the worst false-alarm
    #: chance: (gain + false_alarm_cost * alarm) / (gain + sanction).
    needed: Fraction
    thresholds: tuple[Threshold, ...] = ()


@dataclass(frozen=True)
class Game:
    """inspection-game: the inspectors' best randomised use of one budget
    against a violator who chooses the violation, and what it guarantees
    (docs/inspection-game.md).  Every number is exact."""

    budget: str
    #: The detection probability per period the plan guarantees against
    #: every violation (the game's value).
    value: Fraction
    #: The plan: (mechanism, asset, chance it observes the asset in a
    #: period), by asset then mechanism; pairs not listed are never observed.
    allocation: tuple[tuple[str, str, Fraction], ...]
    #: The violator's best responses: (violation, detection probability per
    #: period, over its duration, the whole periods that duration spans).
    best: tuple[tuple[str, Fraction, Fraction, int], ...]
    #: Expected effort the plan uses per period, of ``total``.
    effort: Fraction
    total: Fraction = Fraction(0)
    #: The budget's period, seconds.
    period: int = 0


@dataclass(frozen=True)
class Fabrication:
    """One fabricated source of a framing: who authors the false report,
    how, and the route it takes to the verifier."""

    #: The mechanism whose finding the report claims to carry.
    mechanism: str
    #: The coalition member that fabricates it.
    author: str
    #: ``operator`` (it operates the mechanism and reports falsely),
    #: ``sender`` (it claims to have the mechanism's finding from upstream),
    #: or ``relay`` (it rewrites an unauthenticated report it relays).
    how: Literal["operator", "sender", "relay"]
    #: For ``relay``: the flow it rewrites.
    flow: str | None
    #: (flow, holder it reaches) from where the false report starts to the verifier.
    steps: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Framing:
    """non-frameability: the smallest coalition that can make a verifier's
    finding rule fire against a complying party, and how; and the margin."""

    party: str
    #: The largest coalition the party is safe against (KStar.whole_pool():
    #: no coalition can frame it; -1: a false finding needs nobody corrupt).
    margin: KStar
    #: The coalition of a framing found within k (empty when it holds).
    coalition: tuple[str, ...] = ()
    verifier: str | None = None
    fabrications: tuple[Fabrication, ...] = ()


@dataclass(frozen=True)
class Leak:
    """confidentiality: how a label reaches someone not cleared for it."""

    label: str
    #: The most cleared colluders the label stays within its cleared set
    #: against (KStar.whole_pool(): never leaks; -1: leaks with nobody corrupt).
    margin: KStar
    #: The colluders of the leak found within k (empty when it holds).
    coalition: tuple[str, ...] = ()
    #: Who receives it without clearance.
    receiver: str | None = None
    #: (how, element, holder) from the label's source to ``receiver``:
    #: ``reveals`` (a mechanism reveals it to its operator), ``sends`` (the
    #: sender of a flow that carries it has it), ``carries`` (a flow that
    #: carries it), ``passes`` (a colluder passes it on a flow that does
    #: not), ``member`` (a member of a body that holds it).
    path: tuple[tuple[str, str, str], ...] = ()


Figures = Margin | WorstCase | EvasionSets | Likelihood | Deterrence | Game | Framing | Leak


@dataclass(frozen=True, repr=False)  # a one-line __repr__ below
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
    #: Whether ``rests_on`` is minimal (each element needed by the proof);
    #: False when minimising it was cut short by its budget (issue 14).
    rests_on_minimal: bool = True
    #: Routes that share no actor once each is merged with what controls it:
    #: k+1 of them prove non-circumventability by hand.
    certificate: tuple[Route, ...] = ()
    #: The figures of an analysis, or of a timeliness that holds.
    figures: Figures | None = None
    #: Why the answer is unknown, or other notes.
    note: str = ""
    #: Where the property spec (or claim) it answers was written, file:line:column;
    #: None for a property given on the command line.
    where: Location | None = field(default=None, compare=False)

    def __repr__(self) -> str:
        from verify.notebook import result_repr  # imported on first use, like the words it uses

        return result_repr(self)

    def _repr_html_(self) -> str:
        """Jupyter's view: title, statement and explanation."""
        from verify.notebook import result_html

        return result_html(self)


def combine(parts: list[Result]) -> Verdict:
    """A property over several perpetrators: fails if any fails, else unknown
    if any is unknown, else holds."""
    verdicts = {p.verdict for p in parts}
    if Verdict.FAILS in verdicts:
        return Verdict.FAILS
    if Verdict.UNKNOWN in verdicts:
        return Verdict.UNKNOWN
    return Verdict.HOLDS
