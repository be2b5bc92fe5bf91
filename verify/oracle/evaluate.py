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
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from verify.model import HOST, PERPETRATOR, Body, Flow, Mechanism, Regime, Violation

__all__ = [
    "SEALED",
    "DIRECT",
    "INDIRECT",
    "candidates",
    "coalition_of",
    "detection_time",
    "evidence_times",
    "perpetrator_recusal",
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

    @classmethod
    def build(cls, regime: Regime, violation_id: str) -> Index:
        v = regime.violation[violation_id]
        # Coverage and a zero probability do not depend on the scenario, so
        # such mechanisms are dropped here once.
        useful = [
            m
            for m in regime.mechanisms
            if (m.at is None or v.at in m.at) and m.detection_probability > 0
        ]
        triggered: dict[str, list[Mechanism]] = {}
        for m in useful:
            if m.triggered_by is not None:
                triggered.setdefault(m.triggered_by, []).append(m)
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
        """A body acts (holds, gates) only when it has not failed and its
        vote passes."""
        if b not in self._works:
            self._works[b] = b not in self.failed and self._vote_passes(self.regime.body[b])
        return self._works[b]

    def _vote_passes(self, body: Body) -> bool:
        recused: set[str] = set()
        for r in body.recused:
            if r == PERPETRATOR:
                recused |= self._recuse_perpetrator
            else:
                recused.add(r)
        voters = [x for x in body.members if x not in recused]
        if body.approve is not None:
            yes = sum(1 for x in voters if x not in self.coalition and x not in self.failed)
            return yes >= body.approve
        if body.block is not None:
            no = sum(1 for x in voters if x in self.coalition)
            return no < body.block
        raise ValueError(f"body {body.id!r} has neither approve nor block")

    def honest(self, h: str) -> bool:
        """Whether ``h`` speaks for itself: an actor outside ``C`` that has not
        failed, or a working body (a body is never in ``C``)."""
        if self.is_body(h):
            return self.body_works(h)
        return h not in self.coalition and h not in self.failed

    def can_hold(self, h: str, state: str) -> bool:
        # A coalition actor can be handed a sealed item (it can only withhold
        # it); anything authored it would simply ignore.
        if self.is_body(h):
            return self.body_works(h)
        if h in self.failed:
            return False
        return state == SEALED or h not in self.coalition

    # -- observation ------------------------------------------------------

    def observe(self, m: Mechanism, t_start: int) -> tuple[str, str, int] | None:
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
                return (m.operator, INDIRECT, at)  # the refusal is the breach
            return None
        if any(a in F for a in access):
            # An honest failure to grant access raises nothing.
            return None
        if m.tamper_evident:
            return (m.operator, SEALED, at)
        return (m.operator, DIRECT, at)

    # -- propagation ------------------------------------------------------

    def send(self, f: Flow, state: str, t: int) -> tuple[str, str, int] | None:
        """What arrives at ``f.target`` when ``f.source`` holds ``state``
        from ``t``."""
        F, C = self.failed, self.coalition
        if f.id in F or f.target in F:
            return None
        gates = [g for g in f.via if self.is_body(g)]
        relays = [r for r in f.via if not self.is_body(r)]
        if any(r in F for r in relays) or not all(self.body_works(g) for g in gates):
            # A broken route carries nothing, and a blocked vote is not a
            # noticed drop.
            return None
        arrive = t + f.period + f.latency + sum(self.regime.body[g].latency for g in gates)
        if self.is_body(f.target):
            arrive += self.regime.body[f.target].latency
        relay_corrupt = any(r in C for r in relays)
        if not self.honest(f.source):
            # A coalition sender authors "all clear"; a sealed item it can only
            # withhold, which a mandatory report exposes.
            if state == SEALED and f.mandatory:
                return (f.target, INDIRECT, arrive)
            return None
        if not relay_corrupt:
            return (f.target, state, arrive)
        if state == SEALED or f.authenticated:
            # The relay cannot alter it, only drop it.
            return (f.target, INDIRECT, arrive) if f.mandatory else None
        return None  # rewritten to "all clear" by the relay, unnoticed

    # -- the search -------------------------------------------------------

    def accepts(self, h: str, state: str, direct_only: bool) -> bool:
        return h in self.ix.verifiers and self.honest(h) and not (direct_only and state == INDIRECT)

    def run(
        self, direct_only: bool = False, stop_at_detection: bool = True
    ) -> tuple[int | None, dict[tuple[str, str], int]]:
        """Dijkstra over (holder, state).  Returns (detection time or None,
        earliest time of every (holder, state) reached)."""
        heap: list[tuple[int, str, str]] = []

        def push(item: tuple[str, str, int] | None) -> None:
            if item is None:
                return
            h, s, t = item
            if self.can_hold(h, s):
                heapq.heappush(heap, (t, h, s))

        for m in self.ix.standing:
            push(self.observe(m, 0))
        reached: dict[tuple[str, str], int] = {}
        fired: set[str] = set()
        detected: int | None = None
        while heap:
            t, h, s = heapq.heappop(heap)
            if (h, s) in reached:
                continue
            reached[(h, s)] = t
            if detected is None and self.accepts(h, s, direct_only):
                detected = t
                if stop_at_detection:
                    break
            # Evidence of either grade fires a trigger, but a coalition trigger
            # never fires (sealed items it holds included).
            if h not in fired and self.honest(h):
                fired.add(h)
                for m in self.ix.triggered.get(h, ()):
                    push(self.observe(m, t))
            for f in self.ix.flows_from.get(h, ()):
                push(self.send(f, s, t))
        return detected, reached


def detection_time(
    regime: Regime,
    violation_id: str,
    perpetrator: str,
    coalition: frozenset[str],
    failed: frozenset[str] = frozenset(),
    direct_only: bool = False,
) -> int | None:
    """The earliest time a verifier holds accepted evidence; None if never.

    ``coalition`` is the whole closed coalition (see :func:`coalition_of`).
    """
    sc = Scenario(index_of(regime, violation_id), perpetrator, frozenset(coalition), frozenset(failed))
    return sc.run(direct_only)[0]


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
