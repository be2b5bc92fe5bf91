"""Evaluate the rule graph for one fixed scenario (no z3 here).

Given a coalition and a failure set, the least fixed point of the rules is a
shortest-path problem: Dijkstra from START gives every state's earliest time
and the rule that first reached it.  The engine uses this to turn a z3 model
into a route a reader can follow, and to test candidate coalitions that graph
bounds propose.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Mapping

from verify.engine.rules import START, Guard, Rule, RuleGraph, State
from verify.model import Regime

__all__ = ["Scenario", "Arrival", "votes_pass", "guard_holds", "arrivals", "detection"]


@dataclass(frozen=True)
class Scenario:
    coalition: frozenset[str]
    failed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Arrival:
    time: int
    rule: Rule | None  # None for START


def votes_pass(regime: Regime, graph: RuleGraph, body: str, sc: Scenario) -> bool:
    b = regime.body[body]
    recused = graph.recusals[body]
    voters = [m for m in b.members if m not in recused]
    if b.approve is not None:
        return sum(1 for m in voters if m not in sc.coalition and m not in sc.failed) >= b.approve
    return sum(1 for m in voters if m in sc.coalition) < b.block


def guard_holds(regime: Regime, graph: RuleGraph, g: Guard, sc: Scenario) -> bool:
    c = sc.coalition
    return (
        not (g.honest & c)
        and g.corrupt <= c
        and (g.any_corrupt is None or bool(g.any_corrupt & c))
        and not (g.working & sc.failed)
        and all(votes_pass(regime, graph, b, sc) for b in g.passes)
    )


def arrivals(regime: Regime, graph: RuleGraph, sc: Scenario) -> Mapping[State, Arrival]:
    """Earliest time each state holds, with the rule that first reached it."""
    out: dict[State, Arrival] = {START: Arrival(0, None)}
    by_src: dict[State, list[Rule]] = {}
    for r in graph.rules:
        if guard_holds(regime, graph, r.guard, sc):
            by_src.setdefault(r.src, []).append(r)
    heap: list[tuple[int, int, State]] = [(0, 0, START)]
    done: set[State] = set()
    tick = 0
    while heap:
        t, _, s = heapq.heappop(heap)
        if s in done:
            continue
        done.add(s)
        for r in by_src.get(s, ()):
            if r.limit is not None and t > r.limit:
                continue
            nt = t + r.delay
            if r.dst not in out or nt < out[r.dst].time:
                out[r.dst] = Arrival(nt, r)
                tick += 1
                heapq.heappush(heap, (nt, tick, r.dst))
    return out


def detection(regime: Regime, graph: RuleGraph, sc: Scenario) -> tuple[int, State] | None:
    """The earliest detection time and the verifier state reached, or None."""
    times = arrivals(regime, graph, sc)
    best = None
    for t in graph.targets:
        if t.state in times and guard_holds(regime, graph, t.guard, sc):
            cand = (times[t.state].time, t.state)
            if best is None or cand < best:
                best = cand
    return best
