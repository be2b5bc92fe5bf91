"""The regime as frozen data, with no YAML left in it.

Everything the checker, the oracle, the diagrams and the reports need is here,
already resolved: durations are whole seconds, references are ids that are
known to exist, defaults are filled in.  This module imports nothing of the
project but :mod:`verify.vocabulary` (plain data: which fields name which
kinds) and :mod:`verify.numbers` (how an exact number is written), so every
other module can depend on it.

Times are integers (seconds) so that the z3 engine and the brute-force oracle
compare detection times exactly.  ``None`` stands for "forever" (a trace that
persists) or "never" (a trace that cannot be concealed).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import cached_property
from typing import Any, Literal, NamedTuple

from verify.numbers import short
from verify.vocabulary import APPLY_ORDER, ELEMENT_SECTIONS, HOST, PERPETRATOR, REQUESTER, SECTIONS, Ref, Section

__all__ = [
    "Location",
    "Element",
    "Actor",
    "Group",
    "Asset",
    "Signature",
    "Trace",
    "Violation",
    "Observation",
    "Mechanism",
    "Flow",
    "Body",
    "Decision",
    "Verifier",
    "ThreatModel",
    "Label",
    "Budget",
    "Probability",
    "PropertySpec",
    "Claim",
    "Regime",
    "HOST",
    "PERPETRATOR",
    "REQUESTER",
    "SECONDS",
    "effective",
]

Status = Literal["in-force", "proposed", "suspended"]
#: What :func:`effective` has done to a regime: ``None`` nothing (as
#: declared), ``design`` suspended elements removed, ``as-is`` suspended and
#: proposed ones removed.
Applied = Literal["design", "as-is"]

#: Seconds per duration unit accepted in regime files.
SECONDS: Mapping[str, int] = {
    "s": 1,
    "min": 60,
    "h": 3600,
    "d": 86400,
    "w": 7 * 86400,
    "y": 365 * 86400,
}


class Location(NamedTuple):
    """Where something was written: 1-based line and column.

    A named tuple rather than a dataclass: the loader makes one for every
    value of a document (half a million for 10,000 actors), and a tuple is
    several times cheaper to build; it is just as immutable and ordered.
    """

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, kw_only=True)
class Element:
    """Fields every regime element carries."""

    id: str
    name: str | None = None
    description: str | None = None
    status: Status = "in-force"
    sources: tuple[str, ...] = ()
    where: Location | None = field(default=None, compare=False)

    @property
    def label(self) -> str:
        return self.name or self.id


@dataclass(frozen=True, kw_only=True)
class Actor(Element):
    """Anyone who can act or collude."""

    kind: str
    #: Direct controllers; control is taken transitively.
    controlled_by: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Group(Element):
    """A named set of actors, for selectors (``{group: g}``) and for naming
    counted colluders ("any 13 of the 38 Executive Council members").

    Declared with ``members`` or with a ``count``: then the loader declares
    the members itself, as actors ``<id>.1`` to ``<id>.<count>`` of the
    group's ``kind``.  ``members`` always holds them all, resolved.
    """

    members: tuple[str, ...] = ()
    count: int | None = None
    #: The kind of the actors a ``count`` declares.
    kind: str | None = None


@dataclass(frozen=True, kw_only=True)
class Asset(Element):
    """Where a violation can happen."""

    host: str
    owner: str | None = None
    kind: str | None = None


@dataclass(frozen=True, kw_only=True)
class Signature(Element):
    """A kind of physical or documentary trace."""

    unit: str | None = None


@dataclass(frozen=True, kw_only=True)
class Trace:
    """One signature a violation leaves."""

    signature: str
    magnitude: float = 0.0
    #: Seconds from the violation's start during which the trace can be seen.
    persists: int | None = None
    #: Seconds a warned host needs to hide the trace; ``None``: it cannot.
    conceal: int | None = None


@dataclass(frozen=True)
class Probability:
    """A probability, exactly (a fraction: 0.2 is 1/5, as written), or an
    interval ``[low, high]`` of them when the design is unsure of it."""

    low: Fraction
    high: Fraction

    @classmethod
    def of(cls, value: Fraction | int | str) -> Probability:
        v = Fraction(value)
        return cls(v, v)

    @property
    def exact(self) -> bool:
        return self.low == self.high

    def __str__(self) -> str:
        return _decimal(self.low) if self.exact else f"[{_decimal(self.low)}, {_decimal(self.high)}]"


def _decimal(x: Fraction) -> str:
    """``x`` as the decimal it was written as when it is a short one (0.2,
    not 1/5), else as a fraction."""
    return short(x) or str(x)


@dataclass(frozen=True, kw_only=True)
class Violation(Element):
    perpetrators: tuple[str, ...]
    at: str
    traces: tuple[Trace, ...]
    duration: int | None = None
    #: What the violator gains if it goes undetected, and loses if it is
    #: detected (None: the regime's ``sanction``): the inspection game.
    gain: Fraction | None = None
    sanction: Fraction | None = None


@dataclass(frozen=True, kw_only=True)
class Observation:
    """A signature a mechanism observes, and the least magnitude it notices."""

    signature: str
    threshold: float = 0.0


@dataclass(frozen=True, kw_only=True)
class Mechanism(Element):
    kind: str = "other"
    operator: str
    observes: tuple[Observation, ...]
    #: Assets it covers; ``None``: everywhere.
    at: tuple[str, ...] | None = None
    #: Actors whose consent it needs; may hold ``HOST``.
    requires_access: tuple[str, ...] = ()
    mandatory: bool = False
    tamper_evident: bool = False
    #: An actor or decision body; the mechanism runs once evidence reaches it.
    triggered_by: str | None = None
    period: int = 0
    notice: int = 0
    latency: int = 0
    #: Chance one observation sees what it can see.  The properties without
    #: chance read only whether it is certainly above 0.
    detection_probability: Probability = Probability(Fraction(1), Fraction(1))
    #: Chance one observation raises an alarm against a complying state.
    false_alarm_probability: Probability = Probability(Fraction(0), Fraction(0))
    #: The inspection budget its observations draw on, and what each takes.
    budget: str | None = None
    effort: Fraction = Fraction(1)
    cost: float | None = None
    #: A candidate: ``verify optimise`` may leave it out (checks keep it in).
    optional: bool = False
    #: How much it intrudes (a number the design chooses the scale of);
    #: reported for a design ``verify optimise`` proposes.
    intrusiveness: float | None = None
    reveals: tuple[str, ...] = ()
    #: An information barrier: the operator learns only a yes/no attestation,
    #: so what the mechanism reveals reaches nobody (confidentiality).
    barrier: bool = False
    #: Whether its evidence names the perpetrator.
    attributes: bool = True

    def threshold(self, signature: str) -> float | None:
        """The threshold for ``signature``, or None if it is not observed."""
        for obs in self.observes:
            if obs.signature == signature:
                return obs.threshold
        return None


@dataclass(frozen=True, kw_only=True)
class Flow(Element):
    """A reporting channel.  ``source``/``target`` are ``from``/``to`` in YAML."""

    source: str
    target: str
    #: Relays: actors, or decision bodies that gate the flow with a vote.
    via: tuple[str, ...] = ()
    latency: int = 0
    period: int = 0
    mandatory: bool = False
    authenticated: bool = False
    carries: tuple[str, ...] = ()
    cost: float | None = None
    optional: bool = False
    intrusiveness: float | None = None
    #: When ``target`` is a body: the decision of that body that decides
    #: whether it receives (None: the body's own rule).
    decision: str | None = None
    #: The evidence it forwards: of these mechanisms, or of mechanisms of
    #: these kinds (both None: all evidence).
    forwards: tuple[str, ...] | None = None
    forwards_kinds: tuple[str, ...] | None = None

    @property
    def filters(self) -> bool:
        return self.forwards is not None or self.forwards_kinds is not None

    def forwards_evidence_of(self, m: Mechanism) -> bool:
        """Whether what this flow's sender holds from ``m`` passes on it."""
        return not self.filters or _matches(m, self.forwards, self.forwards_kinds)


@dataclass(frozen=True, kw_only=True)
class Body(Element):
    """A decision body that votes.  At most one of ``approve``/``block`` is
    set: the body's own rule.  A body with named :class:`Decision` s may have
    none; then every flow to it names the decision it goes through."""

    members: tuple[str, ...]
    approve: int | None = None
    block: int | None = None
    #: Actor ids, and possibly ``PERPETRATOR``.
    recused: tuple[str, ...] = ()
    latency: int = 0
    cost: float | None = None
    optional: bool = False
    intrusiveness: float | None = None


@dataclass(frozen=True, kw_only=True)
class Decision(Element):
    """A named decision rule of a body: its own yes quorum or blocking
    majority, latency and recusal, over the body's members.  Exactly one of
    ``approve``/``block`` is set."""

    body: str
    approve: int | None = None
    block: int | None = None
    #: Actor ids, and possibly ``PERPETRATOR`` and ``REQUESTER`` (the
    #: sender of the flow the vote is on).
    recused: tuple[str, ...] = ()
    latency: int = 0


@dataclass(frozen=True, kw_only=True)
class Verifier:
    """Whose receipt of evidence counts as detection (an actor or a body),
    and its finding rule: what it needs before it finds against a party
    (docs/semantics.md, "Finding rules")."""

    id: str
    #: The grade it needs: ``direct`` (sealed or direct), ``sealed`` or None (any).
    finding: str | None = None
    #: Evidence from at least this many mechanisms with independent operators.
    independent: int = 1
    #: Only evidence of these mechanisms, or of mechanisms of these kinds,
    #: counts (both None: every mechanism's).
    mechanisms: tuple[str, ...] | None = None
    kinds: tuple[str, ...] | None = None
    where: Location | None = field(default=None, compare=False)

    @property
    def by_origin(self) -> bool:
        """The rule looks at which mechanisms the evidence comes from."""
        return self.independent > 1 or self.mechanisms is not None or self.kinds is not None

    def counts(self, m: Mechanism) -> bool:
        """Whether evidence from ``m`` can count towards a finding."""
        return (self.mechanisms is None and self.kinds is None) or _matches(m, self.mechanisms, self.kinds)


def _matches(m: Mechanism, ids: tuple[str, ...] | None, kinds: tuple[str, ...] | None) -> bool:
    return (ids is not None and m.id in ids) or (kinds is not None and m.kind in kinds)


@dataclass(frozen=True, kw_only=True)
class ThreatModel:
    #: Who may be chosen to collude; ``None``: every actor.
    colluders: tuple[str, ...] | None = None
    #: The coalition size the treaty claims to withstand.
    max: int = 1
    where: Location | None = field(default=None, compare=False)


@dataclass(frozen=True, kw_only=True)
class Label(Element):
    """Sensitive information and who is cleared to receive it."""

    cleared: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Budget(Element):
    """Effort per period that the mechanisms drawing on it share (the
    inspection game allocates it)."""

    total: Fraction
    period: int


@dataclass(frozen=True, kw_only=True)
class PropertySpec:
    """A property a design must satisfy, with its parameters."""

    property: str
    params: tuple[tuple[str, object], ...] = ()
    where: Location | None = field(default=None, compare=False)

    def param(self, name: str, default: object = None) -> object:
        return dict(self.params).get(name, default)


@dataclass(frozen=True, kw_only=True)
class Claim:
    """A drafter's sentence, the property it means and the verdict expected."""

    id: str
    text: str
    spec: PropertySpec
    expect: Literal["holds", "fails"] = "holds"
    sources: tuple[str, ...] = ()
    #: A claim about one scenario: exactly these accomplices of the
    #: perpetrator (None: every coalition the spec allows) ...
    coalition: tuple[str, ...] | None = None
    #: ... and exactly these elements failed.
    failed: tuple[str, ...] = ()
    where: Location | None = field(default=None, compare=False)


class _Reach(Mapping[str, frozenset[str]]):
    """Every actor reachable from each actor by one-way steps of control (its
    controllers, or what it controls), not itself, found on first look-up.

    Iterative, so a chain of any depth is fine.  Lazy, and the cache is
    bounded: a control chain of n actors has n²/2 such pairs (600 MB at
    5,000), while a check looks up only the actors it meets.
    """

    #: Ids kept in the cache, all sets together; beyond it answers are
    #: recomputed (linear each) instead of kept.
    BUDGET = 1_000_000

    def __init__(self, step: Mapping[str, tuple[str, ...]]):
        self._step = step
        self._done: dict[str, frozenset[str]] = {}
        self._kept = 0

    def __getitem__(self, actor: str) -> frozenset[str]:
        got = self._done.get(actor)
        if got is not None:
            return got
        if actor not in self._step:
            raise KeyError(actor)
        seen: set[str] = set()
        stack = list(self._step[actor])
        while stack:
            a = stack.pop()
            if a in seen:
                continue
            seen.add(a)
            known = self._done.get(a)
            if known is not None:
                seen |= known  # everything beyond `a` is already known
            else:
                stack.extend(self._step.get(a, ()))
        seen.discard(actor)  # cycles are rejected by validation; stay safe
        out = frozenset(seen)
        if self._kept + len(out) <= self.BUDGET:
            self._done[actor] = out
            self._kept += len(out)
        return out

    def __contains__(self, actor: object) -> bool:
        return actor in self._step

    def __iter__(self) -> Iterator[str]:
        return iter(self._step)

    def __len__(self) -> int:
        return len(self._step)


@dataclass(frozen=True, kw_only=True, repr=False)  # a short __repr__ below, not an 18,000-character dump
class Regime:
    id: str
    title: str | None = None
    description: str | None = None
    actors: tuple[Actor, ...] = ()
    groups: tuple[Group, ...] = ()
    assets: tuple[Asset, ...] = ()
    signatures: tuple[Signature, ...] = ()
    violations: tuple[Violation, ...] = ()
    mechanisms: tuple[Mechanism, ...] = ()
    flows: tuple[Flow, ...] = ()
    bodies: tuple[Body, ...] = ()
    decisions: tuple[Decision, ...] = ()
    verifiers: tuple[Verifier, ...] = ()
    threat_model: ThreatModel = ThreatModel()
    labels: tuple[Label, ...] = ()
    budgets: tuple[Budget, ...] = ()
    properties: tuple[PropertySpec, ...] = ()
    claims: tuple[Claim, ...] = ()
    sources: tuple[str, ...] = ()
    #: What a detected violator loses (a violation may say its own), and
    #: what a false alarm costs a complying state: the inspection game.
    sanction: Fraction | None = None
    false_alarm_cost: Fraction = Fraction(0)
    #: The file it was loaded from, and the files it extends, nearest first.
    path: str | None = field(default=None, compare=False)
    extends: tuple[str, ...] = field(default=(), compare=False)
    #: SHA-256 (hex) of the bytes the loader parsed: the file, then each file
    #: it extends, nearest first.  Taken at load time, so a report names the
    #: design it checked even if the file has changed since.
    sha256: str | None = field(default=None, compare=False)
    #: What :func:`effective` has applied (``None``: as declared).
    applied: Applied | None = field(default=None, compare=False)

    def __repr__(self) -> str:
        from verify.notebook import regime_repr  # imported on first use: it draws and explains

        return regime_repr(self)

    def _repr_svg_(self) -> str | None:
        """Jupyter's view: the diagram (None without Graphviz's ``dot``)."""
        from verify.notebook import regime_svg

        return regime_svg(self)

    # Look-ups.  cached_property writes the instance __dict__ directly, which a
    # frozen dataclass allows; the regime itself never changes.
    @cached_property
    def actor(self) -> Mapping[str, Actor]:
        return {a.id: a for a in self.actors}

    @cached_property
    def asset(self) -> Mapping[str, Asset]:
        return {a.id: a for a in self.assets}

    @cached_property
    def signature(self) -> Mapping[str, Signature]:
        return {s.id: s for s in self.signatures}

    @cached_property
    def violation(self) -> Mapping[str, Violation]:
        return {v.id: v for v in self.violations}

    @cached_property
    def mechanism(self) -> Mapping[str, Mechanism]:
        return {m.id: m for m in self.mechanisms}

    @cached_property
    def flow(self) -> Mapping[str, Flow]:
        return {f.id: f for f in self.flows}

    @cached_property
    def budget(self) -> Mapping[str, Budget]:
        return {b.id: b for b in self.budgets}

    @cached_property
    def group(self) -> Mapping[str, Group]:
        return {g.id: g for g in self.groups}

    @cached_property
    def decision(self) -> Mapping[str, Decision]:
        return {d.id: d for d in self.decisions}

    @cached_property
    def vote_rule(self) -> Mapping[str, Decision]:
        """Every rule a vote can be taken under, by id: each named decision,
        and each body's own rule (if it has one) under the body's id."""
        out = {b.id: Decision(id=b.id, body=b.id, approve=b.approve, block=b.block, recused=b.recused,
                              latency=b.latency, where=b.where)
               for b in self.bodies if b.approve is not None or b.block is not None}
        out.update(self.decision)
        return out

    @cached_property
    def body(self) -> Mapping[str, Body]:
        return {b.id: b for b in self.bodies}

    @cached_property
    def controllers(self) -> Mapping[str, frozenset[str]]:
        """Every actor that controls each actor, directly or not (not itself)."""
        return _Reach({a.id: a.controlled_by for a in self.actors})

    @cached_property
    def controlled(self) -> Mapping[str, frozenset[str]]:
        """Every actor each actor controls, directly or not (not itself)."""
        down: dict[str, list[str]] = {a.id: [] for a in self.actors}
        for a in self.actors:
            for c in a.controlled_by:
                if c in down:
                    down[c].append(a.id)
        return _Reach({a: tuple(xs) for a, xs in down.items()})

    @cached_property
    def controlling(self) -> frozenset[str]:
        """Every actor that controls some other actor."""
        return frozenset(c for a in self.actors for c in a.controlled_by)

    def closure(self, actor: str) -> frozenset[str]:
        """The actor and everything it controls."""
        return self.controlled[actor] | {actor}

    def pool(self) -> tuple[str, ...]:
        """Who may be chosen as a colluder, in declaration order."""
        if self.threat_model.colluders is None:
            return tuple(a.id for a in self.actors)
        return self.threat_model.colluders

    def independent(self, a: str, b: str) -> bool:
        """Two operators are independent sources when no actor controls
        both, each counting as controlling itself: they differ, neither
        controls the other, and no third actor controls the two
        (docs/semantics.md, "Finding rules")."""
        return not (self.controllers[a] | {a}) & (self.controllers[b] | {b})

    @cached_property
    def by_origin(self) -> bool:
        """Evidence must be told apart by the mechanism it comes from: a
        finding rule or a flow looks at it."""
        return any(v.by_origin for v in self.verifiers) or any(f.filters for f in self.flows)

    def elements(self) -> Iterator[Element]:
        """Every element (the items that carry a status), section by section."""
        for sec in ELEMENT_SECTIONS:
            yield from getattr(self, sec.name)

    def without(self, element_id: str) -> Regime:
        """The regime with one mechanism or flow removed: a variant to compare
        against (the margin analysis itself switches elements off in the solver)."""
        return replace(
            self,
            mechanisms=tuple(m for m in self.mechanisms if m.id != element_id),
            flows=tuple(f for f in self.flows if f.id != element_id),
        )


def effective(regime: Regime, as_is: bool = False) -> tuple[Regime, tuple[str, ...]]:
    """The regime a check runs on, and a warning for every element dropped.

    Suspended elements are absent; with ``as_is`` proposed ones are too.  An
    element that needs an absent one (a flow from an absent sender, a mechanism
    whose operator is absent) goes with it, so that the checker never sees a
    dangling reference; other references shrink (a body simply loses an absent
    member).  What needs what is the vocabulary's ``absent`` column.

    Idempotent: a regime already applied this way comes back at once, with no
    warnings.  One applied as-is has nothing suspended left, so applying the
    design to it changes nothing either (it keeps its ``as-is`` mark).  The
    mark survives ``dataclasses.replace``: a regime edited after it was applied
    (elements added with a status) must be rebuilt with ``applied=None``.
    """
    mode: Applied = "as-is" if as_is else "design"
    if regime.applied == mode or regime.applied == "as-is":
        return regime, ()
    absent_status = {"suspended", "proposed"} if as_is else {"suspended"}
    gone: set[str] = set()
    warnings: list[str] = []
    for sec in ELEMENT_SECTIONS:
        for e in getattr(regime, sec.name):
            if e.status in absent_status:
                gone.add(e.id)
                warnings.append(f"{sec.kind} {e.id!r} is left out: status {e.status}")
    if not gone:
        return replace(regime, applied=mode), ()
    # One pass: APPLY_ORDER puts every kind an element may need before it,
    # so what it needs is decided by the time it is.
    for sec in APPLY_ORDER:
        for e in getattr(regime, sec.name):
            if e.id not in gone and (miss := _missing(sec, e, gone)) is not None:
                gone.add(e.id)
                warnings.append(f"{sec.kind} {e.id!r} is left out: it needs {miss!r}, which is absent")

    changes: dict[str, Any] = {}
    for sec in SECTIONS:
        value = getattr(regime, sec.name)
        if sec.shape == "mapping":
            changes[sec.name] = _shrink(sec, value, gone)
        elif sec.status:
            changes[sec.name] = tuple(_shrink(sec, x, gone) for x in value if x.id not in gone)
        else:
            changes[sec.name] = tuple(_shrink(sec, x, gone) for x in value if _missing(sec, x, gone) is None)
    return replace(regime, **changes, applied=mode), tuple(warnings)


def _named(item: Any, r: Ref) -> Sequence[str]:
    """The ids a reference of ``item`` names (reserved words left out)."""
    if r.within is not None:
        values: Sequence[Any] = [getattr(sub, r.attr) for sub in getattr(item, r.within[1])]
    elif r.many:
        values = getattr(item, r.attr) or ()
    else:
        value = getattr(item, r.attr)
        values = () if value is None else (value,)
    return [v for v in values if v not in r.words] if r.words else values


def _missing(sec: Section, item: Any, gone: set[str]) -> str | None:
    """An absent element that ``item`` cannot do without, if there is one."""
    for r in sec.refs:
        if r.absent == "needs":
            for x in _named(item, r):
                if x in gone:
                    return x
    for r in sec.refs:
        if r.absent == "needs-one":
            named = _named(item, r)
            if named and all(x in gone for x in named):
                return named[0]
    return None


def _shrink(sec: Section, item: Any, gone: set[str]) -> Any:
    """``item`` without its references to absent elements, where it can do
    without them (the item itself when nothing changes)."""
    changes: dict[str, Any] = {}
    for r in sec.refs:
        if r.absent not in ("shrinks", "needs-one"):
            continue
        if r.within is not None:
            subs = getattr(item, r.within[1])
            kept = tuple(s for s in subs if getattr(s, r.attr) not in gone)
            if len(kept) != len(subs):
                changes[r.within[1]] = kept
        elif r.many:
            xs = getattr(item, r.attr)
            if xs is not None and any(x in gone for x in xs):
                changes[r.attr] = tuple(x for x in xs if x not in gone)
        elif getattr(item, r.attr) in gone:
            changes[r.attr] = None
    return replace(item, **changes) if changes else item
