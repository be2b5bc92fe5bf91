"""Evidence routes and, for one scenario, where and how each is blocked.

A route is a chain of rules from the violation to a verifier: a mechanism
observing, then flows passing the evidence on (a triggered mechanism's route
runs through its trigger).  For a counterexample we walk each route in the
coalition's scenario, asking the engine's evaluation (verify.engine.block)
why each step does or does not go through.  A breach that is noticed (a
refused inspection, a missing mandatory report) does not end the route: the
walk goes on with the indirect evidence, along the same flows, to the vote or
the verifier that decides what becomes of it.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from itertools import islice, product

from verify.engine import START, Rule, RuleGraph, RuleKind, Scenario, State, arrivals, block, target_block
from verify.engine.evaluate import NOTICED_BY, Arrival
from verify.engine.rules import reached
from verify.model import Regime
from verify.results import Block, Grade, Route, Step, StepKind

__all__ = ["routes", "on_route", "routed_elements", "explain_routes", "shortest_simple_paths"]

_SINK: State = ("", "sink", "")  # after every verifier state: no holder is ""


def routes(graph: RuleGraph, limit: int = 12, on_all: set[State] | None = None) -> list[tuple[Rule, ...]]:
    """Up to ``limit`` primary routes (observe, then pass), fewest steps first.
    ``on_all``: :func:`on_route` of all the graph's rules, when the caller has
    it (it is the answer here too when every rule is primary: a pure graph)."""
    by_edge: dict[tuple[State, State], list[Rule]] = {}
    primary = [r for r in graph.rules if r.kind in (RuleKind.OBSERVE, RuleKind.PASS)]
    states = on_all if on_all is not None and len(primary) == len(graph.rules) else _on_route(primary, graph)
    for r in primary:
        if r.src in states and r.dst in states:
            by_edge.setdefault((r.src, r.dst), []).append(r)
    # Edges in first-seen order: the order paths are tried in.
    succ: defaultdict[State, list[State]] = defaultdict(list)
    pred: defaultdict[State, list[State]] = defaultdict(list)
    for u, v in by_edge:
        succ[u].append(v)
        pred[v].append(u)
    targets = [x for x in _verifier_states(graph) if x in succ or x in pred]
    if START not in succ or not targets:
        return []
    for t in targets:
        succ[t].append(_SINK)
        pred[_SINK].append(t)
    out: list[tuple[Rule, ...]] = []
    for path in shortest_simple_paths(succ, pred, START, _SINK):
        hops = list(zip(path[:-2], path[1:-1]))
        for choice in islice(product(*(by_edge[h] for h in hops)), limit - len(out)):
            out.append(choice)
        if len(out) >= limit:
            break
    return out


def shortest_simple_paths(succ: Mapping[State, Sequence[State]], pred: Mapping[State, Sequence[State]],
                          source: State, target: State) -> Iterator[list[State]]:
    """Simple paths from ``source`` to ``target``, fewest edges first (Yen's
    algorithm): networkx's ``shortest_simple_paths`` without weights, step
    for step, so the same paths in the same order (tests/test_explain.py
    holds the two together), over the adjacency lists given (a state's
    successors and predecessors, in the order edges were added).  Building
    a networkx graph for it was a third of a counterexample's walk at
    1,000 actors (issue 14)."""
    found: list[list[State]] = []
    heap: list[tuple[int, int, list[State]]] = []
    queued: set[tuple[State, ...]] = set()
    tick = 0

    def push(cost: int, path: list[State]) -> None:
        nonlocal tick
        key = tuple(path)
        if key not in queued:
            heapq.heappush(heap, (cost, tick, path))
            tick += 1
            queued.add(key)

    last: list[State] | None = None
    while True:
        if last is None:
            first = _bidirectional(succ, pred, source, target, set(), set())
            if first is not None:
                push(len(first), first)
        else:
            ignore_nodes: set[State] = set()
            ignore_edges: set[tuple[State, State]] = set()
            for i in range(1, len(last)):
                root = last[:i]
                for path in found:
                    if path[:i] == root:
                        ignore_edges.add((path[i - 1], path[i]))
                spur = _bidirectional(succ, pred, root[-1], target, ignore_nodes, ignore_edges)
                if spur is not None:
                    push(len(root) + len(spur), root[:-1] + spur)
                ignore_nodes.add(root[-1])
        if not heap:
            return
        _, _, path = heapq.heappop(heap)
        queued.discard(tuple(path))
        yield path
        found.append(path)
        last = path


def _bidirectional(succ: Mapping[State, Sequence[State]], pred: Mapping[State, Sequence[State]],
                   source: State, target: State, ignore_nodes: set[State],
                   ignore_edges: set[tuple[State, State]]) -> list[State] | None:
    """A shortest path avoiding some nodes and edges, searched from both
    ends at once, the smaller fringe first (networkx's
    ``_bidirectional_shortest_path``); None if there is none."""
    if source in ignore_nodes or target in ignore_nodes:
        return None
    if source == target:
        return [source]
    back: dict[State, State | None] = {source: None}  # towards the source
    ahead: dict[State, State | None] = {target: None}  # towards the target
    forward, reverse = [source], [target]
    meet: State | None = None
    while forward and reverse and meet is None:
        if len(forward) <= len(reverse):
            level, forward = forward, []
            for v in level:
                for w in succ.get(v, ()):
                    if w in ignore_nodes or (v, w) in ignore_edges:
                        continue
                    if w not in back:
                        forward.append(w)
                        back[w] = v
                    if w in ahead:
                        meet = w
                        break
                if meet is not None:
                    break
        else:
            level, reverse = reverse, []
            for v in level:
                for w in pred.get(v, ()):
                    if w in ignore_nodes or (w, v) in ignore_edges:
                        continue
                    if w not in ahead:
                        ahead[w] = v
                        reverse.append(w)
                    if w in back:
                        meet = w
                        break
                if meet is not None:
                    break
    if meet is None:
        return None
    path: list[State] = []
    x: State | None = meet
    while x is not None:
        path.append(x)
        x = ahead[x]
    x = back[path[0]]
    while x is not None:
        path.insert(0, x)
        x = back[x]
    return path


def _verifier_states(graph: RuleGraph) -> list[State]:
    """Every verifier state a target names, a further source of a
    several-source rule included, once each, in order."""
    return list(dict.fromkeys(x for t in graph.targets for x in (t.state, *sorted(y for s in t.also for y in s))))


def on_route(graph: RuleGraph) -> set[State]:
    """The states on some chain of the graph's rules from the violation to a
    verifier, whatever the scenario."""
    return _on_route(graph.rules, graph)


def _on_route(rules: Sequence[Rule], graph: RuleGraph) -> set[State]:
    """The states on some chain of ``rules`` from the violation to a verifier."""
    # defaultdict rather than setdefault: no empty list is made per rule.
    forward: defaultdict[State, list[State]] = defaultdict(list)
    backward: defaultdict[State, list[State]] = defaultdict(list)
    for r in rules:
        forward[r.src].append(r.dst)
        backward[r.dst].append(r.src)
    if START not in forward:
        return set()
    ahead = reached([START], forward)
    # One search back from every verifier state at once: one per verifier
    # was most of a 10,000-actor counterexample (issue 14).
    return ahead & reached([x for x in _verifier_states(graph) if x in ahead], backward)


def routed_elements(graph: RuleGraph, on_all: set[State] | None = None) -> frozenset[str]:
    """Mechanisms and flows on some route from the violation to a verifier,
    whatever the scenario (``on_all``: :func:`on_route`, when the caller has it)."""
    on = on_route(graph) if on_all is None else on_all
    return frozenset(r.element for r in graph.rules if r.src in on and r.dst in on)


def explain_routes(regime: Regime, graph: RuleGraph, sc: Scenario, limit: int = 12,
                   times: Mapping[State, Arrival] | None = None,
                   on_all: set[State] | None = None) -> tuple[Route, ...]:
    """Up to ``limit`` routes of ``graph`` (unfolded), walked in scenario ``sc``
    (``times``: its arrivals, and ``on_all``: :func:`on_route`, when the
    caller has them)."""
    if not graph.unfolded:
        # Folding drops the rules that notice breaches when they cannot
        # matter to a verdict; an explanation needs them to say "noticed".
        raise ValueError("explain_routes needs compile_rules(..., fold=False)")
    if times is None:
        times = arrivals(regime, graph, sc)
    by_src: dict[tuple[State, str, RuleKind], Rule] = {(r.src, r.element, r.kind): r for r in graph.rules}
    out: list[Route] = []
    seen: set[tuple[object, ...]] = set()
    for chain in routes(graph, limit, on_all):
        steps: list[Step] = []
        state: State = START
        end: Block | None = None
        for primary in chain:
            # After a noticed breach the evidence is indirect: the same
            # element's rule from the indirect state carries it on.
            r = primary if primary.src == state else by_src.get((state, primary.element, primary.kind))
            if r is None:
                break
            why = block(regime, graph, r, sc, times, by_src)
            kind = StepKind.OBSERVE if r.kind == RuleKind.OBSERVE else StepKind.PASS
            if why is None:
                state = r.dst
            elif why.noticed:
                state = by_src[(r.src, r.element, NOTICED_BY[why.reason])].dst
            else:
                steps.append(Step(r.element, kind, r.dst[0], Grade(r.dst[1]), None, why))
                break
            steps.append(Step(r.element, kind, state[0], Grade(state[1]), times[state].time, why))
        else:
            end = target_block(regime, graph, state, sc, times)
        route = Route(tuple(steps), chain[-1].dst[0], end)
        # Routes that differ only after the point where both are blocked read
        # the same to a person: show the first.
        key = (tuple((s.element, s.holder, s.block) for s in route.steps), end)
        if key not in seen:
            seen.add(key)
            out.append(route)
    return tuple(out)
