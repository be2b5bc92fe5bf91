"""Graph bounds: what max-flow answers before the solver is asked.

Each colluder corrupts what it controls, so one colluder blocks every route
that passes through any actor under it.  Routes that share no actor once each
actor is merged with everything that controls it ("merged-disjoint") can only
be blocked one per colluder: k+1 of them prove non-circumventability for k,
and a reader can check the certificate by hand.

On a *pure* rule graph -- no votes, no deadlines on triggers, no noticed drops
(every guard is "these actors are honest"), no relays, and no two route actors
under a common controller -- evading is exactly cutting every route, so the
minimum vertex cut is the minimum evasion and its cut is the coalition.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import networkx as nx
from networkx.algorithms.flow import shortest_augmenting_path

from verify.engine import START, Guard, Rule, RuleGraph, RuleKind, State
from verify.engine.rules import may_be_corrupt
from verify.gcpause import gc_paused
from verify.model import Regime
from verify.results import Grade, Route, Step, StepKind

__all__ = ["certificate", "disjoint_routes", "exact_min_evasion", "is_pure"]

_SRC, _SNK = ("", "source"), ("", "sink")


def _pure(r: Rule) -> bool:
    g = r.guard
    return (r.kind in (RuleKind.OBSERVE, RuleKind.PASS) and not g.passes and g.any_corrupt is None
            and not g.corrupt and r.limit is None)


def is_pure(graph: RuleGraph) -> bool:
    # A finding rule that needs several sources at once is no longer "any
    # one route reaches a verifier": routes bound nothing.
    if graph.conjunctive:
        return False
    return all(_pure(r) for r in graph.rules) and all(not t.guard.passes for t in graph.targets)


def _roots(regime: Regime, actor: str) -> frozenset[str]:
    ups = regime.controllers[actor] | {actor}
    return frozenset(a for a in ups if not regime.actor[a].controlled_by)


def _route(chain: list[Rule]) -> Route:
    steps = tuple(Step(r.element, StepKind.OBSERVE if r.kind == RuleKind.OBSERVE else StepKind.PASS,
                       r.dst[0], Grade(r.dst[1]), None) for r in chain)
    return Route(steps, chain[-1].dst[0])


def certificate(regime: Regime, graph: RuleGraph, n: int) -> tuple[Route, ...] | None:
    """``n`` merged-disjoint pure routes, or None if this search finds fewer."""
    found = disjoint_routes(regime, graph, n)
    return found if len(found) >= n else None


def disjoint_routes(regime: Regime, graph: RuleGraph, limit: int | None = None) -> tuple[Route, ...]:
    """Up to ``limit`` merged-disjoint pure routes (each colluder can block at
    most one, so their number is a lower bound on the smallest evasion).

    Greedy: take a shortest route, then retire every actor that shares a
    controller with it.  Sound, not always maximal; the solver decides when
    it comes up short.  An actor no colluder can corrupt (a trusted
    verifier, say) blocks nothing and is never retired: with one such
    verifier every route ends at it, and retiring it allowed one route.
    """
    # More routes than candidates already prove that nobody can evade.
    n = len(graph.candidates) + 1 if limit is None else limit
    if n <= 0 or graph.conjunctive:
        return ()
    corruptible = may_be_corrupt(regime, graph.base, graph.candidates)
    target_guard = {t.state: t.guard for t in graph.targets if not t.guard.passes}
    out_rules: dict[State, list[Rule]] = {}
    for r in graph.rules:
        if _pure(r):
            out_rules.setdefault(r.src, []).append(r)
    used: set[str] = set()
    found: list[Route] = []
    while len(found) < n:
        chain = _shortest(out_rules, target_guard, used, regime, corruptible)
        if chain is None:
            break
        found.append(_route(chain))
        before = len(used)
        for r in chain:
            for a in r.guard.honest & corruptible:
                used |= _roots(regime, a)
        for a in target_guard[chain[-1].dst].honest & corruptible:
            used |= _roots(regime, a)
        if len(used) == before:
            # A route nobody can block: each further one would be it again.
            # Its rules go, so the search ends (and what it finds next
            # shares nothing with it that a colluder could cut).
            for r in chain:
                out_rules[r.src] = [x for x in out_rules[r.src] if x is not r]
    return tuple(found)


def _shortest(out_rules: dict[State, list[Rule]], target_guard: dict[State, Guard], used: set[str],
              regime: Regime, corruptible: frozenset[str]) -> list[Rule] | None:
    def free(actors: Iterable[str]) -> bool:
        return all(a not in corruptible or not (_roots(regime, a) & used) for a in actors)

    prev: dict[State, Rule | None] = {START: None}
    queue = deque([START])
    while queue:
        s = queue.popleft()
        if s in target_guard and s != START and free(target_guard[s].honest):
            chain: list[Rule] = []
            while (step := prev[s]) is not None:
                chain.append(step)
                s = step.src
            return chain[::-1]
        for r in out_rules.get(s, ()):
            if r.dst not in prev and free(r.guard.honest):
                prev[r.dst] = r
                queue.append(r.dst)
    return None


def _one_state_per_holder(graph: RuleGraph) -> bool:
    """Whether merging each holder's states into one node adds no route.

    The cut below is taken over holders, not states.  A holder may hold
    evidence of several grades; if what one grade can still reach differs
    from what another can, the merged graph has routes that splice a prefix
    of one grade onto a suffix only the other may take (direct evidence
    walking on to a verifier that finds on sealed evidence only), and its
    cut can exceed the smallest evasion.  Untagged, with every verifier
    accepting the same grades, a flow passes each grade alike, so a grade
    reaches what another reaches and the merge is faithful.
    """
    accepted: dict[str, set[str]] = {}
    for t in graph.targets:
        accepted.setdefault(t.state[0], set()).add(t.state[1])
    if len({frozenset(g) for g in accepted.values()}) > 1:
        return False
    return all(r.dst[2] == "" for r in graph.rules)


@gc_paused
def exact_min_evasion(regime: Regime, graph: RuleGraph) -> tuple[int, tuple[str, ...]] | None:
    """The minimum evasion (size, chosen colluders) when max-flow answers it
    exactly, else None.  Size ``-1`` means no finite cut: nobody can evade.

    Exact only when every rule asks honesty of nobody but the holders it
    links (no access holders, no relays: a path through those could leave a
    node that never held the evidence), no two holders share a controller,
    and each holder's states may be merged (``_one_state_per_holder``).  Then routes are paths through holders, each colluder removes
    one holder, and Menger's theorem makes the minimum vertex cut the answer.
    """
    if not is_pure(graph) or not _one_state_per_holder(graph):
        return None
    holders: set[str] = set()
    for r in graph.rules:
        ends = {r.dst[0]} | ({r.src[0]} if r.src != START else set())
        if not r.guard.honest <= ends:
            return None
        holders |= ends
    for t in graph.targets:
        if not t.guard.honest <= {t.state[0]}:
            return None
    if any(h not in regime.actor for h in holders):
        return None  # a body passes evidence on only when its vote passes
    owner: dict[str, str] = {}
    for a in holders:
        for root in _roots(regime, a):
            if owner.setdefault(root, a) != a:
                return None  # two holders under one controller
    pool = set(graph.candidates)
    cheapest = {a: next((u for u in (a, *sorted(regime.controllers[a])) if u in pool), None)
                for a in holders}

    inf = float("inf")
    g = nx.DiGraph()
    for a in holders:
        g.add_edge(("in", a), ("out", a), capacity=1 if cheapest[a] else inf)
    for r in graph.rules:
        g.add_edge(_SRC if r.src == START else ("out", r.src[0]), ("in", r.dst[0]), capacity=inf)
    for t in graph.targets:
        if ("out", t.state[0]) in g:
            g.add_edge(("out", t.state[0]), _SNK, capacity=inf)
    if _SRC not in g or _SNK not in g or not nx.has_path(g, _SRC, _SNK):
        return 0, ()
    try:
        value, (reach, _) = nx.minimum_cut(g, _SRC, _SNK, flow_func=shortest_augmenting_path)
    except nx.NetworkXUnbounded:  # a route of uncuttable holders only
        return -1, ()
    order = {a.id: i for i, a in enumerate(regime.actors)}
    cut = [a for a in holders if ("in", a) in reach and ("out", a) not in reach]
    # Every cut holder has a cheapest colluder: uncuttable ones carry infinite capacity.
    return int(value), tuple(sorted((c for a in cut if (c := cheapest[a]) is not None), key=order.__getitem__))
