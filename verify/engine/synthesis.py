"""The master problem of design synthesis: the cheapest choice of optional
elements that defeats every counterexample learned so far.

A design must defeat *every* coalition, a "for all" that the closed-set
encoding of :mod:`verify.engine.solve` (an "exists") cannot state.  So the
search alternates (counterexample-guided): this module proposes the cheapest
choice under which each scenario learned so far is detected; the analyses
check the proposal with the ordinary properties and, if some coalition still
evades, add that scenario here.  A proposal that passes every check is
optimal, since every design that holds is feasible here.

With the scenario fixed, every guard is a known constant, and "detected"
means a *derivation*: a chain of rules that fire, each from a derived state,
whose elements are chosen, reaching a verifier (by the deadline).  Inside a
cycle, derived states carry a rank above the source's, so that no state
supports itself round it; where a deadline or a rule's limit applies, a time
no earlier than the source's plus the delay (the forward encoding a clock
from a named event uses).  Elsewhere the derivation is propositional.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

import networkx as nx
import z3

from verify.engine.evaluate import Scenario, guard_holds
from verify.engine.rules import START, Rule, RuleGraph, State
from verify.model import Regime

__all__ = ["Master", "Proposal"]


@dataclass(frozen=True)
class Proposal:
    #: "sat": a cheapest choice; "unsat": no choice defeats what was learned;
    #: "unknown": the solver gave no answer (a time-out).
    status: str
    chosen: tuple[str, ...] = ()
    #: The cost of ``chosen``: with "sat", a proven lower bound on the cost
    #: of any design that holds.
    cost: Fraction | None = None


#: Rules (and a tenth as many states on cycles) above which a scenario is
#: learned as a clause rather than stated as a derivation.
DERIVATION_LIMIT = 2000


class _Subgraph:
    """The rules that matter in one scenario: live under it (guards hold,
    nothing failed), reachable from the start with every option on, and able
    to reach a verifier that counts."""

    def __init__(self, regime: Regime, graph: RuleGraph, sc: Scenario):
        live = [r for r in graph.rules if guard_holds(regime, graph, r.guard, sc)
                and not (r.guard.working & sc.failed)]
        forward: dict[State, list[Rule]] = {}
        backward: dict[State, list[Rule]] = {}
        for r in live:
            forward.setdefault(r.src, []).append(r)
            backward.setdefault(r.dst, []).append(r)
        reach = _closure(START, forward, lambda r: r.dst)
        self.goals = [tg for tg in graph.targets
                      if tg.state in reach and tg.state != START and guard_holds(regime, graph, tg.guard, sc)
                      and not (tg.guard.working & sc.failed)]
        useful: set[State] = set()
        for tg in self.goals:
            if tg.state not in useful:
                useful |= _closure(tg.state, backward, lambda r: r.src) & reach
        self.useful = useful
        self.rules = [r for r in live if r.src in useful and r.dst in useful]
        self._out: dict[State, list[Rule]] = {}
        for r in self.rules:
            self._out.setdefault(r.src, []).append(r)

    def detected(self, chosen: set[str], options: Iterable[str], needs: Mapping[str, frozenset[str]],
                 target_needs: Mapping[str, frozenset[str]], deadline: int | None) -> bool:
        """Whether a verifier detects (by ``deadline``) with ``chosen`` in:
        earliest arrival over the rules whose options are all chosen (delays
        are not negative, and a limit is met best by arriving early)."""
        left_out = set(options) - chosen
        best: dict[State, int] = {START: 0}
        heap: list[tuple[int, int, State]] = [(0, 0, START)]
        tick = 0
        while heap:
            t, _, s = heapq.heappop(heap)
            if t > best.get(s, t):
                continue
            for r in self._out.get(s, ()):
                if r.limit is not None and t > r.limit:
                    continue
                if not left_out.isdisjoint(needs.get(r.element, frozenset({r.element}))):
                    continue
                arrive = t + r.delay
                if arrive < best.get(r.dst, arrive + 1):
                    best[r.dst] = arrive
                    tick += 1
                    heapq.heappush(heap, (arrive, tick, r.dst))
        return any(tg.state in best and left_out.isdisjoint(target_needs.get(tg.state[0], frozenset()))
                   and (deadline is None or best[tg.state] <= deadline) for tg in self.goals)


class Master:
    """Choices of optional elements, and the scenarios each must defeat."""

    def __init__(self, costs: Mapping[str, Fraction], timeout_ms: int | None = None):
        # A context of its own, as in solve.Query: answers must not depend
        # on what ran before.
        self.ctx = z3.Context()
        self.opt = z3.Optimize(ctx=self.ctx)
        if timeout_ms is not None:
            self.opt.set("timeout", int(timeout_ms))
        self.costs = dict(costs)
        self.sel = {e: z3.Bool(f"sel{i}", self.ctx) for i, e in enumerate(sorted(costs))}
        zero = z3.RealVal(0, self.ctx)
        terms = [z3.If(v, z3.RealVal(self.costs[e], self.ctx), zero) for e, v in self.sel.items()]
        self._objective = self.opt.minimize(z3.Sum(terms) if terms else zero)
        # Then as few elements as possible: among designs of one cost (free
        # elements, say), the one with least in it.
        ones = [z3.If(v, z3.IntVal(1, self.ctx), z3.IntVal(0, self.ctx)) for v in self.sel.values()]
        self.opt.minimize(z3.Sum(ones) if ones else z3.IntVal(0, self.ctx))
        self._scenarios = 0

    def exclude_cost_at_least(self, cost: Fraction) -> None:
        """Only designs cheaper than ``cost`` from now on (for a front)."""
        zero = z3.RealVal(0, self.ctx)
        terms = [z3.If(v, z3.RealVal(self.costs[e], self.ctx), zero) for e, v in self.sel.items()]
        self.opt.add(z3.Sum(terms) < z3.RealVal(cost, self.ctx) if terms else z3.BoolVal(False, self.ctx))

    def require(self, regime: Regime, graph: RuleGraph, sc: Scenario, deadline: int | None,
                needs: Mapping[str, frozenset[str]], target_needs: Mapping[str, frozenset[str]],
                failing: Iterable[str] = (), derivation_limit: int = DERIVATION_LIMIT) -> None:
        """Chosen elements must make some verifier detect in scenario ``sc``
        (by ``deadline``).  ``needs``: for each rule element, the optional
        elements it cannot work without (itself included, if optional);
        ``target_needs``: the same for each verifier.

        Small scenarios are stated exactly, as a derivation.  Above
        ``derivation_limit`` rules (or cyclic states) that formula is too much
        for z3's Optimize, so the scenario is learned as one clause instead:
        ``failing`` (a choice under which it evades) is grown, option by
        option, into a largest choice under which it still evades, and some
        option outside that must be chosen.  Detection only grows with what
        is chosen, so the clause cuts off no design that defeats ``sc``."""
        j = self._scenarios
        self._scenarios += 1
        ctx = self.ctx
        sub = _Subgraph(regime, graph, sc)
        cyclic = _in_cycles(sub.rules)
        if len(sub.rules) > derivation_limit or len(cyclic) > derivation_limit // 10:
            # An option no rule or verifier here needs changes nothing: in
            # at once, without a look.
            matter = {o for r in sub.rules for o in needs.get(r.element, frozenset({r.element}))}
            matter |= {o for tg in sub.goals for o in target_needs.get(tg.state[0], frozenset())}
            grown = (set(failing) | (set(self.sel) - matter)) & set(self.sel)
            if sub.detected(grown, self.sel, needs, target_needs, deadline):
                # The checker said this choice evades; the rules say it is
                # detected.  A clause from it would be wrong: stop loudly.
                raise AssertionError("a learned scenario is detected under the choice it evaded")
            for o in sorted(self.sel, key=lambda e: (-self.costs[e], e)):
                if o not in grown and not sub.detected(grown | {o}, self.sel, needs, target_needs, deadline):
                    grown.add(o)
            self.opt.add(z3.Or([self.sel[o] for o in sorted(self.sel) if o not in grown] or
                               [z3.BoolVal(False, ctx)]))
            return
        # Times only where a deadline or a rule's limit can cut a route;
        # ranks only inside a cycle, where a state could otherwise support
        # itself.  Elsewhere the derivation is plain propositional.
        timed = deadline is not None or any(r.limit is not None for r in sub.rules)
        index = {s: i for i, s in enumerate(sorted(sub.useful - {START}))}
        derived = {s: z3.Bool(f"d{j}_{i}", ctx) for s, i in index.items()}
        at = {s: z3.Real(f"t{j}_{i}", ctx) for s, i in index.items()} if timed else {}
        rank = {s: z3.Int(f"r{j}_{i}", ctx) for s, i in index.items() if s in cyclic}
        true = z3.BoolVal(True, ctx)

        def d(s: State) -> z3.BoolRef:
            return true if s == START else derived[s]

        def t(s: State) -> z3.ArithRef:
            return z3.RealVal(0, ctx) if s == START else at[s]

        def chosen(elements: Iterable[str]) -> list[z3.BoolRef]:
            return [self.sel[e] for e in sorted(elements) if e in self.sel]

        into: dict[State, list[z3.BoolRef]] = {}
        for k, r in enumerate(sub.rules):
            f = z3.Bool(f"f{j}_{k}", ctx)
            cond = [*chosen(needs.get(r.element, frozenset({r.element}))), d(r.src)]
            if timed:
                cond.append(t(r.dst) >= t(r.src) + r.delay)
                if r.limit is not None:
                    cond.append(t(r.src) <= r.limit)
            if cyclic.get(r.src) is not None and cyclic.get(r.src) == cyclic.get(r.dst):
                cond.append(rank[r.dst] > rank[r.src])
            self.opt.add(z3.Implies(f, z3.And(cond)))
            into.setdefault(r.dst, []).append(f)
        for s, var in derived.items():
            self.opt.add(z3.Implies(var, z3.Or(into[s]) if s in into else z3.BoolVal(False, ctx)))
        reached = []
        for tg in sub.goals:
            cond = [derived[tg.state], *chosen(target_needs.get(tg.state[0], frozenset()))]
            if deadline is not None:
                cond.append(at[tg.state] <= deadline)
            reached.append(z3.And(cond))
        self.opt.add(z3.Or(reached) if reached else z3.BoolVal(False, ctx))

    def defeaters(self, regime: Regime, graph: RuleGraph, sc: Scenario, deadline: int | None,
                  needs: Mapping[str, frozenset[str]], target_needs: Mapping[str, frozenset[str]],
                  chosen: Iterable[str]) -> list[str]:
        """The options that, added alone to ``chosen``, make some verifier
        detect in ``sc`` (by ``deadline``), cheapest first: how a design
        that evades ``sc`` is repaired into one that holds (an upper bound
        for an anytime answer)."""
        sub = _Subgraph(regime, graph, sc)
        have = set(chosen) & set(self.sel)
        out = [o for o in self.sel if o not in have
               and sub.detected(have | {o}, self.sel, needs, target_needs, deadline)]
        return sorted(out, key=lambda o: (self.costs[o], o))

    def propose(self, timeout_ms: int | None = None) -> Proposal:
        """The cheapest choice that defeats every scenario learned;
        ``timeout_ms``: for this call (what is left of the search's time)."""
        if timeout_ms is not None:
            self.opt.set("timeout", max(1, int(timeout_ms)))
        answer = self.opt.check()
        if answer == z3.unsat:
            return Proposal("unsat")
        if answer != z3.sat:
            return Proposal("unknown")
        model = self.opt.model()
        chosen = tuple(e for e, v in self.sel.items() if z3.is_true(model.eval(v, model_completion=True)))
        return Proposal("sat", chosen, sum((self.costs[e] for e in chosen), Fraction(0)))


def _closure(start: State, edges: Mapping[State, list[Rule]], step: Callable[[Rule], State]) -> set[State]:
    """The states reached from ``start`` along ``edges``, itself included."""
    seen = {start}
    stack = [start]
    while stack:
        for r in edges.get(stack.pop(), ()):
            nxt = step(r)
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def _in_cycles(rules: Iterable[Rule]) -> dict[State, int]:
    """For each state on a cycle of ``rules``, the number of its strongly
    connected component (states off every cycle are left out)."""
    g = nx.DiGraph()
    g.add_edges_from((r.src, r.dst) for r in rules)
    out: dict[State, int] = {}
    for i, comp in enumerate(nx.strongly_connected_components(g)):
        if len(comp) > 1 or any(g.has_edge(s, s) for s in comp):
            for s in comp:
                out[s] = i
    return out
