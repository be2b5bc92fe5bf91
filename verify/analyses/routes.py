"""Evidence routes and, for one scenario, where and how each is blocked.

A route is a chain of rules from the violation to a verifier: a mechanism
observing, then flows passing the evidence on (a triggered mechanism's route
runs through its trigger).  For a counterexample we walk each route in the
coalition's scenario and stop at the first step that does not go through,
saying who stops it and how, in the terms a drafter uses: refused access, a
sanitised site, a withheld seal, a falsified statement, an altered relay, a
blocked vote, a trace that faded.
"""

from __future__ import annotations

from itertools import islice, product

import networkx as nx

from verify.engine import START, Rule, RuleGraph, Scenario, arrivals, guard_holds, votes_pass
from verify.durations import format_duration
from verify.model import HOST, Regime
from verify.results import Route, Step

__all__ = ["routes", "routed_elements", "explain_routes", "why_blocked"]

_SINK = ("", "sink")


def routes(graph: RuleGraph, limit: int = 12) -> list[tuple[Rule, ...]]:
    """Up to ``limit`` primary routes (observe, then pass), fewest steps first."""
    g = nx.DiGraph()
    by_edge: dict[tuple, list[Rule]] = {}
    for r in graph.rules:
        if r.kind not in ("observe", "pass"):
            continue
        by_edge.setdefault((r.src, r.dst), []).append(r)
        g.add_edge(r.src, r.dst)
    targets = [t.state for t in graph.targets if t.state in g]
    if START not in g or not targets:
        return []
    for t in targets:
        g.add_edge(t, _SINK)
    if not nx.has_path(g, START, _SINK):
        return []
    out: list[tuple[Rule, ...]] = []
    for path in nx.shortest_simple_paths(g, START, _SINK):
        hops = list(zip(path[:-2], path[1:-1]))
        for choice in islice(product(*(by_edge[h] for h in hops)), limit - len(out)):
            out.append(choice)
        if len(out) >= limit:
            break
    return out


def routed_elements(graph: RuleGraph) -> frozenset[str]:
    """Mechanisms and flows on some route from the violation to a verifier,
    whatever the scenario."""
    g = nx.DiGraph()
    for r in graph.rules:
        g.add_edge(r.src, r.dst)
    if START not in g:
        return frozenset()
    ahead = nx.descendants(g, START) | {START}
    useful: set = set()
    for t in graph.targets:
        if t.state in ahead:
            useful |= nx.ancestors(g, t.state) | {t.state}
    return frozenset(r.element for r in graph.rules if r.src in ahead and r.src in useful and r.dst in useful)


def explain_routes(regime: Regime, graph: RuleGraph, sc: Scenario, limit: int = 12) -> tuple[Route, ...]:
    times = arrivals(regime, graph, sc)
    out: list[Route] = []
    seen: set = set()
    for chain in routes(graph, limit):
        steps = []
        blocked = False
        for r in chain:
            if blocked:
                break
            why, who = why_blocked(regime, graph, r, sc, times)
            reached = times.get(r.dst)
            steps.append(Step(r.element, r.kind, r.dst[0], r.dst[1],
                              None if why else (reached.time if reached else None), why, who))
            blocked = why is not None
        verifier = chain[-1].dst[0]
        if not blocked:
            t = next(t for t in graph.targets if t.state == chain[-1].dst)
            if not guard_holds(regime, graph, t.guard, sc):
                last = steps[-1]
                steps[-1] = Step(last.element, last.kind, last.holder, last.grade, None,
                                 f"{verifier} is in the coalition" if verifier in sc.coalition
                                 else f"{verifier} has failed", verifier)
        route = Route(tuple(steps), verifier)
        # Routes that differ only after the point where both are blocked read
        # the same to a person: show the first.
        key = tuple((s.element, s.holder, s.blocked) for s in route.steps)
        if key not in seen:
            seen.add(key)
            out.append(route)
    return tuple(out)


def why_blocked(regime: Regime, graph: RuleGraph, r: Rule, sc: Scenario, times) -> tuple[str | None, str | None]:
    """Why rule ``r`` does not carry evidence in scenario ``sc``, and who is to blame."""
    src = times.get(r.src)
    c = sc.coalition
    if r.src != START and src is None:
        return f"nothing reaches {r.src[0]}", None
    if r.element in sc.failed:
        return f"{r.element} has failed", r.element
    for e in sorted(r.guard.working & sc.failed):
        return f"{e} has failed", e
    if r.kind == "observe":
        m = regime.mechanism[r.element]
        v = regime.violation[graph.violation]
        host = regime.asset[v.at].host
        access = [host if a == HOST else a for a in m.requires_access]
        trig = m.triggered_by
        if trig and trig in c:
            return f"{trig} is in the coalition and never calls for {m.id}", trig
        # What it would see, by the same rule as the engine: above threshold
        # and still there when it observes.
        t_obs = (0 if r.src == START or src is None else src.time) + m.notice + m.period
        seen = [t for t in v.traces if (thr := m.threshold(t.signature)) is not None
                and t.magnitude >= thr and (t.persists is None or t_obs <= t.persists)]
        if not seen:
            return (f"{m.id} observes only at {format_duration(t_obs)}, "
                    f"after every trace it could see has faded"), None
        for a in access:
            if a in c:
                if all(t.conceal is not None and m.notice >= t.conceal for t in seen):
                    return (f"{a} is warned {format_duration(m.notice)} ahead and hides every trace "
                            f"{m.id} could see (it needs at most "
                            f"{format_duration(max(t.conceal for t in seen))}), then grants access"), a
                noticed = ("a visible breach that its operator reports" if m.mandatory and m.operator not in c
                           else "not noticed: " + ("access is not mandatory" if not m.mandatory
                                                   else f"the operator {m.operator} is in the coalition too"))
                return f"{a} refuses {m.id} access ({noticed})", a
        if not m.tamper_evident and m.operator in c:
            return f"{m.operator} operates {m.id} and reports nothing (its output is not sealed)", m.operator
    else:
        f = regime.flow[r.element]
        grade = r.src[1]
        if f.source in c:
            if grade == "S":
                how = ("noticed: the report is mandatory" if f.mandatory and f.target not in c
                       else "not noticed: " + ("the report is not mandatory" if not f.mandatory
                                               else f"{f.target} is in the coalition"))
                return f"{f.source} withholds the sealed evidence on {f.id} ({how})", f.source
            return f"{f.source} sends 'all clear' on {f.id} instead of what it knows", f.source
        for relay in f.via:
            if relay in regime.body:
                if not votes_pass(regime, graph, relay, sc):
                    return _vote(regime, graph, relay, sc), relay
            elif relay in c:
                if grade != "S" and not f.authenticated:
                    return f"{relay} relays {f.id} and replaces the report (it is not authenticated)", relay
                how = "noticed: the report is mandatory" if f.mandatory and f.target not in c else "not noticed"
                return f"{relay} relays {f.id} and drops the report ({how})", relay
        if f.target in regime.body and not votes_pass(regime, graph, f.target, sc):
            return _vote(regime, graph, f.target, sc), f.target
        if f.target in c and grade != "S":
            return f"{f.target} receives {f.id} but is in the coalition", f.target
    for b in sorted(r.guard.passes):
        if not votes_pass(regime, graph, b, sc):
            return _vote(regime, graph, b, sc), b
    if not guard_holds(regime, graph, r.guard, sc):
        return "its conditions do not hold in this scenario", None
    return None, None


def _vote(regime: Regime, graph: RuleGraph, body: str, sc: Scenario) -> str:
    b = regime.body[body]
    recused = graph.recusals[body]
    voters = [m for m in b.members if m not in recused]
    rec = [m for m in b.members if m in recused]
    note = f" ({', '.join(rec)} recused)" if rec else ""
    if b.approve is not None:
        yes = [m for m in voters if m not in sc.coalition and m not in sc.failed]
        return f"{body}'s vote fails: {len(yes)} yes vote{'s' if len(yes) != 1 else ''} of the {b.approve} needed{note}"
    no = [m for m in voters if m in sc.coalition]
    return f"{body}'s vote is blocked by {', '.join(no)} ({b.block} no votes stop it){note}"
