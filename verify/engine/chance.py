"""Chance: how likely a fixed coalition is to be caught (no z3 here).

A mechanism does not see with certainty: each observation sees what it can
see with the mechanism's ``detection_probability``, independently.  Within a
window of time a standing mechanism observes ``trials`` times, so it
succeeds (sees at least once) with ``1 - (1 - p)^trials``; a mechanism that
misses every time is, for the evidence rules, a failed one (it produces
nothing, not even a noticed refusal).  A *world* is the set of mechanisms
that succeed; the coalition is detected in a world when the deterministic
rules, with the others failed, bring evidence to a verifier.  The
probability of detection is the probability of the worlds in which it is.

Detection only grows with the world, so that probability is computed by
Shannon expansion over the uncertain mechanisms, stopping as soon as the
answer no longer depends on the rest: the result is a :class:`Tree`, from
which :mod:`verify.analyses.chance` reads the exact fraction and a formula.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from verify.engine.evaluate import Scenario, detection, guard_holds
from verify.engine.rules import START, RuleGraph, RuleKind, State, reached
from verify.model import Mechanism, Regime, Violation

__all__ = ["trials", "span", "success", "Tree", "Branch", "tree", "survivors", "chance", "miss", "chained"]


def trials(m: Mechanism, v: Violation, window: int) -> int:
    """How many times ``m`` observes within ``window`` seconds of the
    violation's start: once for a mechanism with period 0 (at its notice) or
    a triggered one (when its trigger fires); otherwise once per period
    after the notice, while a trace it can see still persists."""
    if m.triggered_by is not None:
        return 1
    until = span(m, v, window)
    if m.period == 0:
        return 1 if m.notice <= until else 0
    return max(0, (until - m.notice) // m.period)


def span(m: Mechanism, v: Violation, window: int) -> int:
    """The part of the window in which ``m`` can still see a trace of ``v``:
    all of it, unless every trace it sees stops persisting before."""
    persists = [t.persists for t in v.traces
                if (thr := m.threshold(t.signature)) is not None and t.magnitude >= thr]
    if not persists or None in persists:
        return window
    return min(window, max(x for x in persists if x is not None))


def success(p: Fraction, n: int) -> Fraction:
    """The chance of at least one success in ``n`` independent trials of
    chance ``p``."""
    return 1 - (1 - p) ** n


@dataclass(frozen=True)
class Branch:
    """Whether ``mechanism`` succeeds decides the rest: ``hit`` if it does,
    ``miss`` if not."""

    mechanism: str
    hit: Tree
    miss: Tree


#: True: detected whatever the undecided mechanisms do; False: not detected.
Tree = bool | Branch


def tree(regime: Regime, graph: RuleGraph, coalition: frozenset[str], uncertain: Sequence[str],
         never: Collection[str] = ()) -> Tree:
    """Detection of ``coalition`` as a decision tree over the ``uncertain``
    mechanisms (in that order), with the ``never`` ones failed throughout
    and every other mechanism working."""
    always_off = frozenset(never)

    def detected(off: frozenset[str]) -> bool:
        return detection(regime, graph, Scenario(coalition, always_off | off)) is not None

    def grow(i: int, off: frozenset[str]) -> Tree:
        rest = frozenset(uncertain[i:])
        if not detected(off):
            return False  # not even with every undecided mechanism succeeding
        if detected(off | rest):
            return True  # not even one of them is needed
        m = uncertain[i]
        hit, miss = grow(i + 1, off), grow(i + 1, off | {m})
        # A mechanism whose success changes nothing here is no branch: the
        # tree (and the formula read from it) names only what matters.
        return hit if hit == miss else Branch(m, hit, miss)

    return grow(0, frozenset())


def survivors(regime: Regime, graph: RuleGraph, coalition: frozenset[str], uncertain: Sequence[str],
              never: Collection[str] = ()) -> Tree:
    """:func:`tree` when no route passes through two uncertain mechanisms
    (:func:`chained` is false), in two graph searches instead of one
    evaluation per mechanism: then detection is "the certain mechanisms
    detect, or one of the uncertain mechanisms whose evidence survives on
    its own succeeds", a chain of branches in the order of ``uncertain``.

    A rule that must fire before a trace fades (a triggered look) makes
    "survives" a question of time, which a graph search cannot answer: then
    one evaluation per uncertain mechanism, each alone among them."""
    if any(r.limit is not None for r in graph.rules):
        off = frozenset(never) | frozenset(uncertain)
        if detection(regime, graph, Scenario(coalition, off)) is not None:
            return True
        timed: Tree = False
        for m in reversed(uncertain):
            if detection(regime, graph, Scenario(coalition, off - {m})) is not None:
                timed = Branch(m, True, timed)
        return timed
    sc = Scenario(coalition, frozenset(never))
    unsure = set(uncertain)
    live = [r for r in graph.rules if r.element not in sc.failed and guard_holds(regime, graph, r.guard, sc)
            and not (r.guard.working & sc.failed)]
    sure = [r for r in live if r.element not in unsure]
    forward: dict[State, list[State]] = {}
    backward: dict[State, list[State]] = {}
    for r in sure:
        forward.setdefault(r.src, []).append(r.dst)
        backward.setdefault(r.dst, []).append(r.src)
    goals = {tg.state for tg in graph.targets if guard_holds(regime, graph, tg.guard, sc)
             and not (tg.guard.working & sc.failed)}
    ahead = reached({START}, forward)
    if ahead & goals:
        return True
    leads = reached(goals, backward)
    cut = {r.element for r in live if r.element in unsure and r.src in ahead and r.dst in leads}
    out: Tree = False
    for m in reversed(uncertain):
        if m in cut:
            out = Branch(m, True, out)
    return out


def chance(t: Tree, q: Mapping[str, Fraction]) -> Fraction:
    """The exact probability of detection a tree stands for, each mechanism
    succeeding with ``q``."""
    return 1 - miss(t, q)


def miss(t: Tree, q: Mapping[str, Fraction]) -> Fraction:
    if t is True:
        return Fraction(0)
    if t is False:
        return Fraction(1)
    return q[t.mechanism] * miss(t.hit, q) + (1 - q[t.mechanism]) * miss(t.miss, q)


def chained(graph: RuleGraph, uncertain: Collection[str]) -> bool:
    """Whether evidence can pass through two uncertain mechanisms on one
    route (one's evidence triggers the other).  When it cannot, each route
    depends on one chance only and the worst coalition is a weighted
    choice of mechanisms to cut (log space); when it can, the worst
    coalition weighs worlds instead."""
    out: dict[State, list[tuple[State, str, RuleKind]]] = {}
    for r in graph.rules:
        out.setdefault(r.src, []).append((r.dst, r.element, r.kind))
    # From each uncertain mechanism's observation onwards, does another
    # uncertain mechanism's rule fire?
    for r in graph.rules:
        if r.element not in uncertain or r.kind not in (RuleKind.OBSERVE, RuleKind.REFUSE):
            continue
        seen = {r.dst}
        stack = [r.dst]
        while stack:
            for dst, element, kind in out.get(stack.pop(), ()):
                if element in uncertain and element != r.element and kind in (RuleKind.OBSERVE, RuleKind.REFUSE):
                    return True
                if dst not in seen:
                    seen.add(dst)
                    stack.append(dst)
    return False
