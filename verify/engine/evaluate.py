"""Evaluate the rule graph for one fixed scenario (no z3 here).

Given a coalition and a failure set, the least fixed point of the rules is a
shortest-path problem: Dijkstra from START gives every state's earliest time
and the rule that first reached it.  The engine uses this to turn a z3 model
into a route a reader can follow, and to test candidate coalitions that graph
bounds propose.

:func:`block` is the same evaluation read the other way: for a rule that does
not fire, the guard literal that fails, as a :class:`~verify.results.Block`
(a reason code with its data).  Explanations are built from it and nowhere
else, so the words of a counterexample cannot drift from the rules that
decided it.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from verify.engine.rules import START, Guard, Rule, RuleGraph, RuleKind, State, vote_key, vote_rule_of
from verify.model import HOST, Regime
from verify.results import Block, Grade, Reason, Vote

__all__ = ["Scenario", "Arrival", "vote", "votes_pass", "guard_holds", "arrivals", "detection", "fires",
           "event_time", "block", "target_block", "NOTICED_BY"]


@dataclass(frozen=True)
class Scenario:
    coalition: frozenset[str]
    failed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Arrival:
    time: int
    rule: Rule | None  # None for START


def vote(regime: Regime, graph: RuleGraph, key: str, sc: Scenario) -> Vote:
    """A vote (a :func:`~verify.engine.rules.vote_key`) in the scenario,
    with who is counted."""
    rule_id, _ = vote_rule_of(key)
    rule = regime.vote_rule[rule_id]
    members = regime.body[rule.body].members
    recused = graph.recusals[key]
    voters = [m for m in members if m not in recused]
    rec = tuple(m for m in members if m in recused)
    decision = None if rule_id == rule.body else rule_id
    if rule.approve is not None:
        yes = tuple(m for m in voters if m not in sc.coalition and m not in sc.failed)
        return Vote(rule.body, "approve", rule.approve, yes, rec, decision)
    assert rule.block is not None  # validation: exactly one of approve and block
    no = tuple(m for m in voters if m in sc.coalition)
    return Vote(rule.body, "block", rule.block, no, rec, decision)


def votes_pass(regime: Regime, graph: RuleGraph, body: str, sc: Scenario) -> bool:
    return vote(regime, graph, body, sc).passes


def guard_holds(regime: Regime, graph: RuleGraph, g: Guard, sc: Scenario) -> bool:
    c = sc.coalition
    return (
        not (g.honest & c)
        and g.corrupt <= c
        and (g.any_corrupt is None or bool(g.any_corrupt & c))
        and not (g.working & sc.failed)
        and all(votes_pass(regime, graph, b, sc) for b in g.passes)
    )


def in_time(r: Rule, t: int) -> bool:
    """Whether a source first held at ``t`` still lets ``r`` fire (a trace
    persists until a mechanism called for by then observes)."""
    return r.limit is None or t <= r.limit


def arrivals(regime: Regime, graph: RuleGraph, sc: Scenario) -> Mapping[State, Arrival]:
    """Earliest time each state holds, with the rule that first reached it."""
    by_src: defaultdict[State, list[Rule]] = defaultdict(list)
    c, failed = sc.coalition, sc.failed
    for r in graph.rules:
        g = r.guard
        # Most guards only ask some actors to be honest and some elements
        # to work: settled here without a call (a third of a walk).
        if g.passes or g.corrupt or g.any_corrupt is not None:
            if not guard_holds(regime, graph, g, sc):
                continue
        elif not (g.honest.isdisjoint(c) and g.working.isdisjoint(failed)):
            continue
        by_src[r.src].append(r)
    # The search keeps (time, rule) pairs and makes the Arrivals at the end:
    # a frozen dataclass per improvement was a fifth of a walk.
    best: dict[State, tuple[int, Rule | None]] = {START: (0, None)}
    heap: list[tuple[int, int, State]] = [(0, 0, START)]
    done: set[State] = set()
    tick = 0
    pop, push = heapq.heappop, heapq.heappush
    while heap:
        t, _, s = pop(heap)
        if s in done:
            continue
        done.add(s)
        for r in by_src.get(s, ()):
            if r.limit is not None and t > r.limit:  # in_time(), inline
                continue
            nt = t + r.delay
            d = r.dst
            got = best.get(d)
            if got is None or nt < got[0]:
                best[d] = (nt, r)
                tick += 1
                push(heap, (nt, tick, d))
    out: dict[State, Arrival] = {}
    new = object.__new__
    for state, (t, rule) in best.items():
        a = new(Arrival)  # Arrival(t, rule) without the frozen __init__
        a.__dict__.update(time=t, rule=rule)
        out[state] = a
    return out


def detection(regime: Regime, graph: RuleGraph, sc: Scenario,
              times: Mapping[State, Arrival] | None = None) -> tuple[int, State] | None:
    """The earliest detection time and the verifier state reached, or None
    (``times``: the scenario's arrivals, when the caller has them)."""
    if times is None:
        times = arrivals(regime, graph, sc)
    best = None
    for t in graph.targets:
        if t.state in times and guard_holds(regime, graph, t.guard, sc):
            when = times[t.state].time
            for slot in t.also:  # every further source must be there too
                held = [times[x].time for x in slot if x in times]
                when = max(when, min(held)) if held else -1
                if when < 0:
                    break
            if when < 0:
                continue
            cand = (when, t.state)
            if best is None or cand < best:
                best = cand
    return best


def event_time(regime: Regime, graph: RuleGraph, sc: Scenario, element: str,
               times: Mapping[State, Arrival] | None = None) -> int | None:
    """When ``element`` (a flow or mechanism) first carries anything in the
    scenario -- the event a clock starts at; None if it never does.  Any of
    its rules counts, a noticed breach included (a missing mandatory report
    arrives as indirect evidence)."""
    if times is None:
        times = arrivals(regime, graph, sc)
    best: int | None = None
    for r in graph.rules:
        if r.element == element and fires(regime, graph, r, sc, times):
            t = times[r.src].time + r.delay
            best = t if best is None else min(best, t)
    return best


def fires(regime: Regime, graph: RuleGraph, r: Rule, sc: Scenario, times: Mapping[State, Arrival]) -> bool:
    """Whether rule ``r`` carries evidence in the scenario (as in :func:`arrivals`)."""
    src = times.get(r.src)
    return (src is not None and in_time(r, src.time)
            and guard_holds(regime, graph, r.guard, sc))


#: When a coalition blocks a primary rule in one of these ways, the rule of
#: this kind from the same state and element is what may notice the breach.
NOTICED_BY: Mapping[Reason, RuleKind] = {
    Reason.REFUSED_ACCESS: RuleKind.REFUSE,
    Reason.WITHHELD_SEALED: RuleKind.WITHHOLD,
    Reason.RELAY_DROPPED: RuleKind.RELAY_DROP,
}


def block(regime: Regime, graph: RuleGraph, r: Rule, sc: Scenario, times: Mapping[State, Arrival],
          noticing: Mapping[tuple[State, str, RuleKind], Rule] | None = None) -> Block | None:
    """Why rule ``r`` carries nothing in the scenario; None if it fires.

    The reason is the first literal of the rule's guard that fails, named by
    the part it plays in the rule's element (an access holder, an operator,
    a relay...).  A coalition's breach is named before a failure elsewhere on
    the step, because only a breach can be noticed.  ``noticing`` indexes the graph's rules by (source state,
    element, kind), to tell whether a breach is noticed.
    """
    src = times.get(r.src)
    if src is None:
        return Block(Reason.UNREACHED, r.src[0])
    if not in_time(r, src.time):
        return Block(Reason.FADED, at=src.time, limit=r.limit)
    g, c = r.guard, sc.coalition
    if r.element in sc.failed:
        return Block(Reason.FAILED, r.element)

    def breach(reason: Reason, who: str) -> Block:
        alt = None if noticing is None else noticing.get((r.src, r.element, NOTICED_BY[reason]))
        if alt is None:
            return Block(reason, who)
        if fires(regime, graph, alt, sc, times):
            return Block(reason, who, noticed=True)
        return Block(reason, who, unnoticed=block(regime, graph, alt, sc, times))

    def blocked_vote(key: str) -> Block | None:
        v = vote(regime, graph, key, sc)
        return None if v.passes else Block(Reason.BLOCKED_VOTE, v.body, vote=v)

    if r.kind in (RuleKind.OBSERVE, RuleKind.REFUSE):
        m = regime.mechanism[r.element]
        if m.triggered_by in g.honest and m.triggered_by in c:
            return Block(Reason.TRIGGER_IN_COALITION, m.triggered_by)
        if m.triggered_by is not None and m.triggered_by in regime.decision:
            if failed := sorted(g.working & sc.failed):
                return Block(Reason.FAILED, failed[0])
            if (b := blocked_vote(vote_key(regime, m.triggered_by, None))) is not None:
                return b
        # A mechanism whose operator has failed never runs: nobody asks for
        # access (as the oracle has it), so nothing is refused.
        if m.operator in sc.failed:
            return Block(Reason.FAILED, m.operator)
        host = regime.asset[regime.violation[graph.violation].at].host
        for a in m.requires_access:
            a = host if a == HOST else a
            # Only the observation asks for access; on the rule that notices a
            # refusal, an access holder who is also the operator is the
            # operator (its guard needs it honest to report).
            if r.kind == RuleKind.OBSERVE and a in g.honest and a in c:
                if m.id in graph.concealable:
                    return Block(Reason.CONCEALED, a, notice=m.notice, conceal=graph.concealable[m.id])
                return breach(Reason.REFUSED_ACCESS, a)
        if failed := sorted(g.working & sc.failed):
            return Block(Reason.FAILED, failed[0])
        if m.operator in g.honest and m.operator in c:
            return Block(Reason.OPERATOR_IN_COALITION, m.operator)
    else:
        f = regime.flow[r.element]
        if f.source in g.honest and f.source in c:
            return breach(Reason.WITHHELD_SEALED, f.source)
        for x in f.via:
            if x in regime.body or x in regime.decision:
                key = vote_key(regime, x, f.source)
                if key in g.passes and (b := blocked_vote(key)) is not None:
                    return b
            elif x in g.honest and x in c:
                if r.src[1] == Grade.SEALED or f.authenticated:
                    return breach(Reason.RELAY_DROPPED, x)
                return Block(Reason.RELAY_ALTERED, x)
        if f.target in g.honest and f.target in c:
            return Block(Reason.RECEIVER_IN_COALITION, f.target)
    if failed := sorted(g.working & sc.failed):
        return Block(Reason.FAILED, failed[0])
    for b_id in sorted(g.passes):
        if (b := blocked_vote(b_id)) is not None:
            return b
    if guard_holds(regime, graph, g, sc):
        return None
    # Every literal a rule's guard can hold is named above; reaching here
    # means a rule was added to rules.py without its explanation.
    raise AssertionError(f"rule {r.kind.value} of {r.element} is blocked for no reason known to explain")


def target_block(regime: Regime, graph: RuleGraph, state: State, sc: Scenario,
                 times: Mapping[State, Arrival] | None = None) -> Block | None:
    """Why evidence held at ``state`` (a verifier's) does not count as
    detection; None if it does.  ``times``: the scenario's arrivals, for a
    rule that needs several sources."""
    targets = [t for t in graph.targets if t.state == state]
    ruled = graph.attributing or any(
        v.finding is not None or v.by_origin for v in regime.verifiers if v.id == state[0])
    if not targets:
        return Block(Reason.FINDING_RULE if ruled else Reason.INDIRECT_NOT_ACCEPTED, state[0])
    target = targets[0]
    if target.also:
        met = [t for t in targets if times is not None and all(any(x in times for x in slot) for slot in t.also)]
        if not met:
            return Block(Reason.FINDING_RULE, state[0])
        target = met[0]
    g = target.guard
    if g.working & sc.failed:
        return Block(Reason.FAILED, state[0])
    if g.honest & sc.coalition:
        return Block(Reason.VERIFIER_IN_COALITION, state[0])
    if not guard_holds(regime, graph, g, sc):
        raise AssertionError(f"verifier {state[0]} does not count evidence for no reason known to explain")
    return None
