"""The regime as frozen data, with no YAML left in it.

Everything the checker, the oracle, the diagrams and the reports need is here,
already resolved: durations are whole seconds, references are ids that are
known to exist, defaults are filled in.  Nothing in this module imports the rest
of the project, so every other module can depend on it.

Times are integers (seconds) so that the z3 engine and the brute-force oracle
compare detection times exactly.  ``None`` stands for "forever" (a trace that
persists) or "never" (a trace that cannot be concealed).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Iterator, Literal, Mapping, NamedTuple

__all__ = [
    "Location",
    "Element",
    "Actor",
    "Asset",
    "Signature",
    "Trace",
    "Violation",
    "Observation",
    "Mechanism",
    "Flow",
    "Body",
    "Verifier",
    "ThreatModel",
    "Label",
    "PropertySpec",
    "Claim",
    "Regime",
    "HOST",
    "PERPETRATOR",
    "SECONDS",
]

Status = Literal["in-force", "proposed", "suspended"]

#: In ``requires_access``: the host of the asset where the violation happens.
HOST = "host"
#: In a body's ``recused``: the perpetrator, what it controls and what controls it.
PERPETRATOR = "perpetrator"

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


@dataclass(frozen=True, kw_only=True)
class Violation(Element):
    perpetrators: tuple[str, ...]
    at: str
    traces: tuple[Trace, ...]
    duration: int | None = None


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
    detection_probability: float = 1.0
    cost: float | None = None
    optional: bool = False
    reveals: tuple[str, ...] = ()
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


@dataclass(frozen=True, kw_only=True)
class Body(Element):
    """A decision body that votes.  Exactly one of ``approve``/``block`` is set."""

    members: tuple[str, ...]
    approve: int | None = None
    block: int | None = None
    #: Actor ids, and possibly ``PERPETRATOR``.
    recused: tuple[str, ...] = ()
    latency: int = 0


@dataclass(frozen=True, kw_only=True)
class Verifier:
    """Whose receipt of evidence counts as detection (an actor or a body)."""

    id: str
    finding: str | None = None
    where: Location | None = field(default=None, compare=False)


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
    where: Location | None = field(default=None, compare=False)


@dataclass(frozen=True, kw_only=True)
class Regime:
    id: str
    title: str | None = None
    description: str | None = None
    actors: tuple[Actor, ...] = ()
    assets: tuple[Asset, ...] = ()
    signatures: tuple[Signature, ...] = ()
    violations: tuple[Violation, ...] = ()
    mechanisms: tuple[Mechanism, ...] = ()
    flows: tuple[Flow, ...] = ()
    bodies: tuple[Body, ...] = ()
    verifiers: tuple[Verifier, ...] = ()
    threat_model: ThreatModel = ThreatModel()
    labels: tuple[Label, ...] = ()
    properties: tuple[PropertySpec, ...] = ()
    claims: tuple[Claim, ...] = ()
    sources: tuple[str, ...] = ()
    #: The file it was loaded from, and the files it extends, nearest first.
    path: str | None = field(default=None, compare=False)
    extends: tuple[str, ...] = field(default=(), compare=False)

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
    def body(self) -> Mapping[str, Body]:
        return {b.id: b for b in self.bodies}

    @cached_property
    def label_of(self) -> Mapping[str, Label]:
        return {lab.id: lab for lab in self.labels}

    @cached_property
    def controllers(self) -> Mapping[str, frozenset[str]]:
        """Every actor that controls each actor, directly or not (not itself)."""
        out: dict[str, frozenset[str]] = {}

        def up(a: str, seen: frozenset[str]) -> frozenset[str]:
            if a in out:
                return out[a]
            acc: set[str] = set()
            for c in self.actor[a].controlled_by:
                if c in seen:  # cycles are rejected by validation; stay safe
                    continue
                acc.add(c)
                acc |= up(c, seen | {c})
            out[a] = frozenset(acc)
            return out[a]

        for a in self.actors:
            up(a.id, frozenset({a.id}))
        return out

    @cached_property
    def controlled(self) -> Mapping[str, frozenset[str]]:
        """Every actor each actor controls, directly or not (not itself)."""
        down: dict[str, set[str]] = {a.id: set() for a in self.actors}
        for a, ups in self.controllers.items():
            for c in ups:
                down[c].add(a)
        return {a: frozenset(s) for a, s in down.items()}

    def closure(self, actor: str) -> frozenset[str]:
        """The actor and everything it controls."""
        return self.controlled[actor] | {actor}

    def pool(self) -> tuple[str, ...]:
        """Who may be chosen as a colluder, in declaration order."""
        if self.threat_model.colluders is None:
            return tuple(a.id for a in self.actors)
        return self.threat_model.colluders

    def elements(self) -> Iterator[Element]:
        for group in (
            self.actors,
            self.assets,
            self.signatures,
            self.violations,
            self.mechanisms,
            self.flows,
            self.bodies,
            self.labels,
        ):
            yield from group

    def without(self, element_id: str) -> "Regime":
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
    dangling reference.  A body simply loses an absent member.
    """
    absent_status = {"suspended", "proposed"} if as_is else {"suspended"}
    gone: set[str] = {e.id for e in regime.elements() if e.status in absent_status}
    warnings: list[str] = []

    def note(kind: str, e: Element, needs: str) -> None:
        warnings.append(f"{kind} {e.id!r} is left out: it needs {needs!r}, which is absent")

    # Iterate to a fixed point: dropping a flow can never make another element
    # need it, but dropping an actor drops assets, then violations.
    while True:
        before = len(gone)
        for a in regime.assets:
            if a.id not in gone and a.host in gone:
                gone.add(a.id); note("asset", a, a.host)
        for v in regime.violations:
            needs = [v.at, *[t.signature for t in v.traces]]
            miss = next((n for n in needs if n in gone), None)
            if v.id not in gone and (miss or all(p in gone for p in v.perpetrators)):
                gone.add(v.id); note("violation", v, miss or v.perpetrators[0])
        for m in regime.mechanisms:
            needs = [m.operator, *([m.triggered_by] if m.triggered_by else []),
                     *[r for r in m.requires_access if r != HOST]]
            miss = next((n for n in needs if n in gone), None)
            if m.id not in gone and miss:
                gone.add(m.id); note("mechanism", m, miss)
        for f in regime.flows:
            miss = next((n for n in (f.source, f.target, *f.via) if n in gone), None)
            if f.id not in gone and miss:
                gone.add(f.id); note("flow", f, miss)
        if len(gone) == before:
            break
    for e in regime.elements():
        if e.id in gone and e.status in absent_status:
            warnings.insert(0, f"{type(e).__name__.lower()} {e.id!r} is left out: status {e.status}")

    def keep(xs):
        return tuple(x for x in xs if x.id not in gone)

    out = replace(
        regime,
        actors=tuple(
            replace(a, controlled_by=tuple(c for c in a.controlled_by if c not in gone))
            for a in keep(regime.actors)
        ),
        assets=keep(regime.assets),
        signatures=keep(regime.signatures),
        violations=tuple(
            replace(v, perpetrators=tuple(p for p in v.perpetrators if p not in gone))
            for v in keep(regime.violations)
        ),
        mechanisms=tuple(
            replace(m, observes=tuple(o for o in m.observes if o.signature not in gone),
                    at=None if m.at is None else tuple(a for a in m.at if a not in gone))
            for m in keep(regime.mechanisms)
        ),
        flows=keep(regime.flows),
        bodies=tuple(
            replace(b, members=tuple(x for x in b.members if x not in gone))
            for b in keep(regime.bodies)
        ),
        verifiers=tuple(v for v in regime.verifiers if v.id not in gone),
        labels=keep(regime.labels),
        threat_model=replace(
            regime.threat_model,
            colluders=None if regime.threat_model.colluders is None
            else tuple(c for c in regime.threat_model.colluders if c not in gone),
        ),
    )
    return out, tuple(warnings)
