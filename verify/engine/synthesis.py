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
whose elements are chosen, reaching a verifier (by the deadline).  Derived
states carry a time no earlier than the source's plus the delay and a rank
above the source's, so that no state supports itself round a cycle (the same
forward encoding a clock from a named event uses).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

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
                needs: Mapping[str, frozenset[str]], target_needs: Mapping[str, frozenset[str]]) -> None:
        """Chosen elements must make some verifier detect in scenario ``sc``
        (by ``deadline``).  ``needs``: for each rule element, the optional
        elements it cannot work without (itself included, if optional);
        ``target_needs``: the same for each verifier."""
        j = self._scenarios
        self._scenarios += 1
        ctx = self.ctx
        live = [r for r in graph.rules if guard_holds(regime, graph, r.guard, sc)
                and not (r.guard.working & sc.failed)]
        # Only what can be reached from START with every option on matters.
        forward: dict[State, list[Rule]] = {}
        for r in live:
            forward.setdefault(r.src, []).append(r)
        reach = {START}
        stack = [START]
        while stack:
            for r in forward.get(stack.pop(), ()):
                if r.dst not in reach:
                    reach.add(r.dst)
                    stack.append(r.dst)
        index = {s: i for i, s in enumerate(sorted(reach - {START}))}
        derived = {s: z3.Bool(f"d{j}_{i}", ctx) for s, i in index.items()}
        at = {s: z3.Real(f"t{j}_{i}", ctx) for s, i in index.items()}
        rank = {s: z3.Int(f"r{j}_{i}", ctx) for s, i in index.items()}
        true = z3.BoolVal(True, ctx)

        def d(s: State) -> z3.BoolRef:
            return true if s == START else derived[s]

        def t(s: State) -> z3.ArithRef:
            return z3.RealVal(0, ctx) if s == START else at[s]

        def n(s: State) -> z3.ArithRef:
            return z3.IntVal(0, ctx) if s == START else rank[s]

        def chosen(elements: Iterable[str]) -> list[z3.BoolRef]:
            return [self.sel[e] for e in sorted(elements) if e in self.sel]

        into: dict[State, list[z3.BoolRef]] = {}
        for k, r in enumerate(r for r in live if r.src in reach):
            f = z3.Bool(f"f{j}_{k}", ctx)
            cond = [*chosen(needs.get(r.element, frozenset({r.element}))), d(r.src),
                    t(r.dst) >= t(r.src) + r.delay, n(r.dst) > n(r.src)]
            if r.limit is not None:
                cond.append(t(r.src) <= r.limit)
            self.opt.add(z3.Implies(f, z3.And(cond)))
            into.setdefault(r.dst, []).append(f)
        for s, var in derived.items():
            self.opt.add(z3.Implies(var, z3.Or(into[s]) if s in into else z3.BoolVal(False, ctx)))
        reached = []
        for tg in graph.targets:
            if tg.state not in derived or not guard_holds(regime, graph, tg.guard, sc) \
                    or tg.guard.working & sc.failed:
                continue
            cond = [derived[tg.state], *chosen(target_needs.get(tg.state[0], frozenset()))]
            if deadline is not None:
                cond.append(at[tg.state] <= deadline)
            reached.append(z3.And(cond))
        self.opt.add(z3.Or(reached) if reached else z3.BoolVal(False, ctx))

    def propose(self) -> Proposal:
        answer = self.opt.check()
        if answer == z3.unsat:
            return Proposal("unsat")
        if answer != z3.sat:
            return Proposal("unknown")
        model = self.opt.model()
        chosen = tuple(e for e, v in self.sel.items() if z3.is_true(model.eval(v, model_completion=True)))
        return Proposal("sat", chosen, sum((self.costs[e] for e in chosen), Fraction(0)))
