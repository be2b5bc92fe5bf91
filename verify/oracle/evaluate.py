"""Evidence in one scenario, by brute force: who holds what, and from when.

A scenario is a violation, one perpetrator, a closed coalition ``C`` and a set
of failed elements ``F`` (docs: semantics, sections 2 and 3).  Evidence is a
state per holder (an actor or a decision body):

* ``SEALED``: a tamper-evident mechanism's output is there.  It may sit at a
  coalition actor, who can only withhold it.
* ``DIRECT``: an honest holder has authored evidence that it saw the violation.
* ``INDIRECT``: an honest holder has seen a breach (refused mandatory access,
  a missing mandatory report).

Every delay is a non-negative integer, so the earliest time each
(holder, state) pair is reached is a shortest path: Dijkstra over those pairs,
where a triggered mechanism starts when its trigger first holds anything.

This module is the reference the z3 engine is compared with; it must stay
independent of ``verify.engine``.
"""

from __future__ import annotations

import heapq
import itertools
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from verify.model import HOST, PERPETRATOR, REQUESTER, Flow, Mechanism, Regime, Verifier, Violation

__all__ = [
    "SEALED",
    "DIRECT",
    "INDIRECT",
    "candidates",
    "coalition_of",
    "detection_time",
    "evidence_times",
    "evidence_times_by_origin",
    "perpetrator_recusal",
    "clock_times",
    "index_of",
]

SEALED = "sealed"
DIRECT = "direct"
INDIRECT = "indirect"


def coalition_of(regime: Regime, perpetrator: str, chosen: Iterable[str]) -> frozenset[str]:
    """The closed coalition: the perpetrator and the chosen colluders, each
    with everything it controls."""
    out = set(regime.closure(perpetrator))
    for c in chosen:
        out |= regime.closure(c)
    return frozenset(out)


def candidates(regime: Regime, perpetrator: str) -> tuple[str, ...]:
    """Who may be chosen as a colluder: the pool minus the perpetrator's
    closure (those are in the coalition already), in pool order."""
    inside = regime.closure(perpetrator)
    out: list[str] = []
    for c in regime.pool():
        if c not in inside and c not in out:
            out.append(c)
    return tuple(out)


def perpetrator_recusal(regime: Regime, perpetrator: str) -> frozenset[str]:
    """What ``recused: [perpetrator]`` stands for: the perpetrator, what it
    controls and what controls it."""
    return regime.closure(perpetrator) | regime.controllers[perpetrator]


@dataclass(frozen=True)
class Index:
    """What does not depend on the coalition, built once per violation so a
    search over many coalitions does not rebuild it."""

    regime: Regime
    violation: Violation
    host: str
    #: Mechanisms that can ever observe the violation, standing ones.
    standing: tuple[Mechanism, ...]
    #: The same, triggered ones, by trigger.
    triggered: Mapping[str, tuple[Mechanism, ...]]
    flows_from: Mapping[str, tuple[Flow, ...]]
    verifiers: frozenset[str]
    #: Each verifier's finding rule.
    rules: Mapping[str, Verifier]

    @classmethod
    def build(cls, regime: Regime, violation_id: str) -> Index:
        v = regime.violation[violation_id]
        # Coverage and a zero probability do not depend on the scenario, so
        # such mechanisms are dropped here once.
        useful = [
            m
            for m in regime.mechanisms
            if (m.at is None or v.at in m.at) and m.detection_probability.low > 0
        ]
        triggered: dict[str, list[Mechanism]] = {}
        for m in useful:
            if m.triggered_by is not None:
                # A decision's mechanisms start from its body's evidence.
                d = regime.decision.get(m.triggered_by)
                triggered.setdefault(m.triggered_by if d is None else d.body, []).append(m)
        flows_from: dict[str, list[Flow]] = {}
        for f in regime.flows:
            flows_from.setdefault(f.source, []).append(f)
        return cls(
            regime=regime,
            violation=v,
            host=regime.asset[v.at].host,
            standing=tuple(m for m in useful if m.triggered_by is None),
            triggered={k: tuple(ms) for k, ms in triggered.items()},
            flows_from={k: tuple(fs) for k, fs in flows_from.items()},
            verifiers=frozenset(x.id for x in regime.verifiers),
            rules={x.id: x for x in regime.verifiers},
        )


#: The indexes of the regimes asked about last.  A caller asks many questions
#: about one regime in a row (every k, every deadline, every property), and an
#: index depends only on the regime and the violation.  Each entry holds its
#: regime, so the ``id`` in its key cannot be reused while it is kept.
_INDEXES: OrderedDict[tuple[int, str], Index] = OrderedDict()
_INDEXES_KEPT = 16


def index_of(regime: Regime, violation_id: str) -> Index:
    """:meth:`Index.build`, reusing the index of a regime asked about lately."""
    key = (id(regime), violation_id)
    ix = _INDEXES.get(key)
    if ix is not None and ix.regime is regime:
        _INDEXES.move_to_end(key)
        return ix
    ix = _INDEXES[key] = Index.build(regime, violation_id)
    while len(_INDEXES) > _INDEXES_KEPT:
        _INDEXES.popitem(last=False)
    return ix


class Scenario:
    """One coalition and failure set over an :class:`Index`."""

    def __init__(
        self,
        index: Index,
        perpetrator: str,
        coalition: frozenset[str],
        failed: frozenset[str] = frozenset(),
    ):
        if coalition & failed:
            raise ValueError(
                f"failed elements must lie outside the coalition: {sorted(coalition & failed)}"
            )
        self.ix = index
        self.regime = index.regime
        self.coalition = coalition
        self.failed = failed
        self._recuse_perpetrator = perpetrator_recusal(index.regime, perpetrator)
        self._works: dict[str, bool] = {}

    # -- who may hold what ------------------------------------------------

    def is_body(self, x: str) -> bool:
        return x in self.regime.body

    def body_works(self, b: str) -> bool:
        """A body acts (holds, gates) only when it has not failed and its own
        vote passes (a body with only named decisions has no vote of its
        own: what it receives is decided flow by flow)."""
        if b not in self._works:
            body = self.regime.body[b]
            own = body.approve is not None or body.block is not None
            self._works[b] = b not in self.failed and (not own or self.vote_passes(b, None))
        return self._works[b]

    def vote_passes(self, rule_id: str, requester: str | None) -> bool:
        """The vote under a body's own rule (``rule_id`` a body) or a named
        decision, on a request from ``requester`` (a flow's sender)."""
        d = self.regime.decision.get(rule_id)
        if d is not None:
            body, approve, block, recusal = self.regime.body[d.body], d.approve, d.block, d.recused
        else:
            body = self.regime.body[rule_id]
            approve, block, recusal = body.approve, body.block, body.recused
        recused: set[str] = set()
        for r in recusal:
            if r == PERPETRATOR:
                recused |= self._recuse_perpetrator
            elif r == REQUESTER:
                if requester is not None and requester in self.regime.actor:
                    recused.add(requester)
            else:
                recused.add(r)
        voters = [x for x in body.members if x not in recused]
        if approve is not None:
            yes = sum(1 for x in voters if x not in self.coalition and x not in self.failed)
            return yes >= approve
        if block is not None:
            no = sum(1 for x in voters if x in self.coalition)
            return no < block
        raise ValueError(f"vote rule {rule_id!r} has neither approve nor block")

    def gate_works(self, g: str, requester: str) -> bool:
        """A gate on a flow: a body voting under its own rule, or a named
        decision of a body; the body must not have failed."""
        d = self.regime.decision.get(g)
        body = g if d is None else d.body
        return body not in self.failed and self.vote_passes(g, requester)

    def latency_of(self, rule_id: str) -> int:
        d = self.regime.decision.get(rule_id)
        return self.regime.body[rule_id].latency if d is None else d.latency

    def honest(self, h: str) -> bool:
        """Whether ``h`` speaks for itself: an actor outside ``C`` that has not
        failed, or a body that has not failed (a body is never in ``C``; the
        vote that let it hold what it holds was taken on receipt)."""
        if self.is_body(h):
            return h not in self.failed
        return h not in self.coalition and h not in self.failed

    def can_hold(self, h: str, state: str, voted: bool = False) -> bool:
        """Whether ``h`` can come to hold ``state``; ``voted``: it arrives by
        a flow whose vote has been taken (see :meth:`send`)."""
        # A coalition actor can be handed a sealed item (it can only withhold
        # it); anything authored it would simply ignore.
        if self.is_body(h):
            return h not in self.failed if voted else self.body_works(h)
        if h in self.failed:
            return False
        return state == SEALED or h not in self.coalition

    # -- observation ------------------------------------------------------

    def observe(self, m: Mechanism, t_start: int) -> tuple[str, str, int, str] | None:
        """What ``m`` started at ``t_start`` leaves with whom, and when."""
        C, F = self.coalition, self.failed
        if m.id in F or m.operator in F:
            return None
        v = self.ix.violation
        t_obs = t_start + m.notice + m.period
        seen = []
        for tr in v.traces:
            th = m.threshold(tr.signature)
            if th is None or tr.magnitude < th:
                continue
            if tr.persists is not None and t_obs > tr.persists:
                continue
            seen.append(tr)
        if not seen:
            # Nothing to see, nothing to hide: access is granted, no breach.
            return None
        at = t_obs + m.latency
        if self.is_body(m.operator):
            at += self.regime.body[m.operator].latency
        access = [self.ix.host if a == HOST else a for a in m.requires_access]
        if any(a in C for a in access):
            if all(tr.conceal is not None and m.notice >= tr.conceal for tr in seen):
                return None  # sanitised before the inspectors arrive
            if m.mandatory and self.honest(m.operator):
                return (m.operator, INDIRECT, at, m.id)  # the refusal is the breach
            return None
        if any(a in F for a in access):
            # An honest failure to grant access raises nothing.
            return None
        if m.tamper_evident:
            return (m.operator, SEALED, at, m.id)
        return (m.operator, DIRECT, at, m.id)

    # -- propagation ------------------------------------------------------

    def send(self, f: Flow, state: str, t: int, origin: str) -> tuple[str, str, int, str] | None:
        """What arrives at ``f.target`` when ``f.source`` holds ``state``
        from ``t``, learnt from mechanism ``origin``."""
        F, C = self.failed, self.coalition
        if f.id in F or f.target in F:
            return None
        if f.forwards is not None or f.forwards_kinds is not None:
            m = self.regime.mechanism[origin]
            if m.id not in (f.forwards or ()) and m.kind not in (f.forwards_kinds or ()):
                return None  # the flow does not forward this mechanism's evidence at all
        gates = [g for g in f.via if self.is_body(g) or g in self.regime.decision]
        relays = [r for r in f.via if r not in gates]
        if any(r in F for r in relays) or not all(self.gate_works(g, f.source) for g in gates):
            # A broken route carries nothing, and a blocked vote is not a
            # noticed drop.
            return None
        arrive = t + f.period + f.latency + sum(self.latency_of(g) for g in gates)
        if self.is_body(f.target):
            # The body receives if the vote the flow goes through passes: a
            # named decision's, or the body's own.
            rule = f.decision or f.target
            if not self.vote_passes(rule, f.source):
                return None
            arrive += self.latency_of(rule)
        relay_corrupt = any(r in C for r in relays)
        if not self.honest(f.source):
            # A coalition sender authors "all clear"; a sealed item it can only
            # withhold, which a mandatory report exposes.
            if state == SEALED and f.mandatory:
                return (f.target, INDIRECT, arrive, origin)
            return None
        if not relay_corrupt:
            return (f.target, state, arrive, origin)
        if state == SEALED or f.authenticated:
            # The relay cannot alter it, only drop it.
            return (f.target, INDIRECT, arrive, origin) if f.mandatory else None
        return None  # rewritten to "all clear" by the relay, unnoticed

    # -- the search -------------------------------------------------------

    def finds(self, h: str, held: set[tuple[str, str]], direct_only: bool, attributing: bool) -> bool:
        """Whether verifier ``h``, holding ``held`` ((grade, origin) pairs),
        meets its finding rule: an accepted grade, from counted mechanisms,
        from at least ``independent`` operators no two of which are the
        same or control one another."""
        if h not in self.ix.verifiers or not self.honest(h):
            return False
        rule = self.ix.rules[h]
        grades = {SEALED} if rule.finding == "sealed" else (
            {SEALED, DIRECT} if direct_only or rule.finding == "direct" else {SEALED, DIRECT, INDIRECT})
        operators = set()
        for grade, origin in held:
            m = self.regime.mechanism[origin]
            if grade not in grades or (attributing and not m.attributes):
                continue
            if (rule.mechanisms is not None or rule.kinds is not None) and \
                    m.id not in (rule.mechanisms or ()) and m.kind not in (rule.kinds or ()):
                continue
            operators.add(m.operator)
        if rule.independent <= 1:
            return bool(operators)

        def apart(a: str, b: str) -> bool:
            # No actor controls both (each controls itself).
            return not any(a in self.regime.closure(x) and b in self.regime.closure(x)
                           for x in self.regime.actor)

        return any(all(apart(a, b) for a, b in itertools.combinations(group, 2))
                   for group in itertools.combinations(sorted(operators), rule.independent))

    def run(
        self, direct_only: bool = False, stop_at_detection: bool = True, attributing: bool = False,
    ) -> tuple[int | None, dict[tuple[str, str], int]]:
        """Dijkstra over (holder, state, origin).  Returns (detection time or
        None, earliest time of every (holder, state) reached).  Afterwards
        ``self.carried`` holds, for each mechanism and flow, the earliest
        time it delivered anything its receiver may hold (whole only when
        the run did not stop at detection)."""
        heap: list[tuple[int, str, str, str]] = []
        self.carried: dict[str, int] = {}

        def push(item: tuple[str, str, int, str] | None, element: str, voted: bool = False) -> None:
            if item is None:
                return
            h, s, t, o = item
            if self.can_hold(h, s, voted):
                heapq.heappush(heap, (t, h, s, o))
                if t < self.carried.get(element, t + 1):
                    self.carried[element] = t

        for m in self.ix.standing:
            push(self.observe(m, 0), m.id)
        reached: dict[tuple[str, str], int] = {}
        #: (holder, state, origin mechanism) -> earliest time.
        self.by_origin: dict[tuple[str, str, str], int] = {}
        seen = self.by_origin
        held: dict[str, set[tuple[str, str]]] = {}
        fired: set[str] = set()
        detected: int | None = None
        while heap:
            t, h, s, o = heapq.heappop(heap)
            if (h, s, o) in seen:
                continue
            seen[(h, s, o)] = t
            reached.setdefault((h, s), t)
            held.setdefault(h, set()).add((s, o))
            if detected is None and self.finds(h, held[h], direct_only, attributing):
                detected = t
                if stop_at_detection:
                    break
            # Evidence of either grade fires a trigger, but a coalition trigger
            # never fires (sealed items it holds included).
            if h not in fired and self.honest(h):
                fired.add(h)
                for m in self.ix.triggered.get(h, ()):
                    d = self.regime.decision.get(m.triggered_by or "")
                    if d is None:
                        push(self.observe(m, t), m.id)
                    elif self.vote_passes(d.id, None):
                        push(self.observe(m, t + d.latency), m.id)
            for f in self.ix.flows_from.get(h, ()):
                push(self.send(f, s, t, o), f.id, voted=True)
        return detected, reached


def detection_time(
    regime: Regime,
    violation_id: str,
    perpetrator: str,
    coalition: frozenset[str],
    failed: frozenset[str] = frozenset(),
    direct_only: bool = False,
    attributing: bool = False,
) -> int | None:
    """The earliest time a verifier's finding rule is met; None if never.

    ``coalition`` is the whole closed coalition (see :func:`coalition_of`).
    ``attributing``: only evidence from mechanisms that attribute counts.
    """
    sc = Scenario(index_of(regime, violation_id), perpetrator, frozenset(coalition), frozenset(failed))
    return sc.run(direct_only, attributing=attributing)[0]


def clock_times(
    regime: Regime,
    violation_id: str,
    perpetrator: str,
    coalition: frozenset[str],
    start: str,
    direct_only: bool = False,
) -> tuple[int | None, int | None]:
    """(When ``start`` -- a mechanism or flow -- first delivers anything,
    the earliest detection), each None if never: the two ends of a clock
    that starts at a named event."""
    sc = Scenario(index_of(regime, violation_id), perpetrator, frozenset(coalition))
    detected = sc.run(direct_only, stop_at_detection=False)[0]
    return sc.carried.get(start), detected


def evidence_times(
    regime: Regime,
    violation_id: str,
    perpetrator: str,
    coalition: frozenset[str],
    failed: frozenset[str] = frozenset(),
) -> dict[tuple[str, str], int]:
    """Every (holder, state) the evidence reaches, with its earliest time:
    for explaining a verdict and for comparing with the engine in detail."""
    sc = Scenario(index_of(regime, violation_id), perpetrator, frozenset(coalition), frozenset(failed))
    return sc.run(stop_at_detection=False)[1]


def evidence_times_by_origin(
    regime: Regime,
    violation_id: str,
    perpetrator: str,
    coalition: frozenset[str],
    failed: frozenset[str] = frozenset(),
) -> dict[tuple[str, str, str], int]:
    """:func:`evidence_times`, told apart by the mechanism each item comes from."""
    sc = Scenario(index_of(regime, violation_id), perpetrator, frozenset(coalition), frozenset(failed))
    sc.run(stop_at_detection=False)
    return dict(sc.by_origin)
