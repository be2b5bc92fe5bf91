"""The z3 encoding of a rule graph, and the queries the analyses ask of it.

The adversary's question "is there a coalition (and failure set) that keeps
every verifier without evidence?" is encoded existentially: a boolean per
state that the adversary may set, constrained to be *closed* under the rules
(if a rule's source holds and its guard is true, its target holds).  By
monotonicity, a closed set that leaves every verifier empty exists exactly when
the least fixed point leaves them empty, i.e. when the coalition evades.  For
times, a potential per state, bounded above along every rule that fires, and
above T at the verifiers: by shortest-path duality it exists exactly when
nothing arrives by T.  Satisfiable means "evades" (a counterexample);
unsatisfiable means the property holds, and the unsat core over per-element
switches names the mechanisms and flows the proof rests on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Iterable, Iterator, Sequence

import z3

from verify.engine.evaluate import Scenario, detection
from verify.engine.rules import START, Guard, RuleGraph, State
from verify.gcpause import gc_paused
from verify.model import Regime

__all__ = ["Outcome", "Query"]


@dataclass(frozen=True)
class Outcome:
    status: str  # "evades" | "detected" | "unknown"
    chosen: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    #: Mechanisms and flows an "detected" answer rests on.
    core: tuple[str, ...] = ()
    reason: str = ""


class Query:
    """One solver over one rule graph; ask it for different k, f or removals."""

    @gc_paused
    def __init__(self, regime: Regime, graph: RuleGraph, *, deadline: int | None = None,
                 colluders: bool = True, failures: bool = False, timeout_ms: int | None = None):
        self.regime = regime
        self.graph = graph
        self.deadline = deadline
        self.timed = deadline is not None or any(r.limit is not None for r in graph.rules)
        # A context of its own: z3's default context is process-wide, and
        # what earlier queries left in it changes which model a later query
        # finds; published reports must not depend on what ran before.
        self.ctx = z3.Context()
        self.solver = z3.Solver(ctx=self.ctx)
        self.solver.set("core.minimize", True)
        if timeout_ms is not None:
            self.solver.set("timeout", int(timeout_ms))
        self._x: dict[str, z3.BoolRef] = {}
        self._f: dict[str, z3.BoolRef] = {}
        self._votes: dict[str, z3.BoolRef] = {}
        self._e: dict[State, z3.BoolRef] = {}
        self._pi: dict[State, z3.ArithRef] = {}
        self.switch: dict[str, z3.BoolRef] = {}
        mentioned = self._mentioned()
        # Only candidates whose closure touches a guard or a vote can change
        # anything; the others would only waste the adversary's budget.
        self.candidates = tuple(
            c for c in graph.candidates if regime.closure(c) & mentioned) if colluders else ()
        self.chosen = {c: z3.Bool(f"chosen:{c}", self.ctx) for c in self.candidates}
        self.failures = failures
        if failures:
            elements = [a for a in mentioned if a not in graph.base]
            elements += sorted({r.element for r in graph.rules})
            elements += sorted({b for r in graph.rules for b in r.guard.passes})
            for e in sorted(set(elements)):
                self._f[e] = z3.Bool(f"failed:{e}", self.ctx)
        self._encode()

    # -------------------------------------------------------------- encoding

    def _mentioned(self) -> frozenset[str]:
        acts: set[str] = set()
        bodies: set[str] = set()
        for r in self.graph.rules:
            acts |= r.guard.actors()
            bodies |= r.guard.passes
        for t in self.graph.targets:
            acts |= t.guard.actors()
            bodies |= t.guard.passes
        for b in bodies:
            acts |= set(self.regime.body[b].members)
        return frozenset(acts)

    def x(self, actor: str) -> z3.BoolRef | bool:
        """In the coalition: in the base, chosen, or controlled by a member."""
        if actor in self.graph.base:
            return True
        if actor in self._x:
            return self._x[actor]
        terms = [self.chosen[actor]] if actor in self.chosen else []
        for parent in self.regime.actor[actor].controlled_by:
            px = self.x(parent)
            if px is True:
                terms = [True]
                break
            if px is not False:
                terms.append(px)
        if not terms:
            value = False
        elif terms == [True]:
            value = True
        else:
            var = z3.Bool(f"in:{actor}", self.ctx)
            self.solver.add(var == (terms[0] if len(terms) == 1 else z3.Or(terms)))
            value = var
        self._x[actor] = value
        return value

    def failed(self, element: str) -> z3.BoolRef | bool:
        return self._f.get(element, False)

    def vote(self, body: str) -> z3.BoolRef | bool:
        if body in self._votes:
            return self._votes[body]
        b = self.regime.body[body]
        recused = self.graph.recusals[body]
        voters = [m for m in b.members if m not in recused]
        if b.approve is not None:
            lits = [_and(_not(self.x(m)), _not(self.failed(m))) for m in voters]
            value = _at_least(lits, b.approve)
        else:
            value = _not(_at_least([self.x(m) for m in voters], b.block))
        if not isinstance(value, bool):
            var = z3.Bool(f"passes:{body}", self.ctx)
            self.solver.add(var == value)
            value = var
        self._votes[body] = value
        return value

    def guard(self, g: Guard) -> z3.BoolRef | bool:
        parts: list = []
        parts += [_not(self.x(a)) for a in sorted(g.honest)]
        parts += [self.x(a) for a in sorted(g.corrupt)]
        if g.any_corrupt is not None:
            parts.append(_or([self.x(a) for a in sorted(g.any_corrupt)]))
        parts += [_not(self.failed(e)) for e in sorted(g.working)]
        parts += [self.vote(b) for b in sorted(g.passes)]
        return _and(*parts)

    def e(self, s: State) -> z3.BoolRef | bool:
        if s == START:
            return True
        if s not in self._e:
            self._e[s] = z3.Bool(f"holds:{s[0]}:{s[1]}", self.ctx)
        return self._e[s]

    def pi(self, s: State) -> z3.ArithRef:
        if s == START:
            return z3.RealVal(0, self.ctx)
        if s not in self._pi:
            self._pi[s] = z3.Real(f"time:{s[0]}:{s[1]}", self.ctx)
        return self._pi[s]

    def _encode(self) -> None:
        add = self.solver.add
        # The deadline is a variable fixed by one assertion, so that the
        # worst-case search can move it without re-encoding.
        self._deadline = z3.Real("deadline", self.ctx)
        for r in self.graph.rules:
            if r.element not in self.switch:
                self.switch[r.element] = z3.Bool(f"on:{r.element}", self.ctx)
            premise = _and(self.switch[r.element], self.e(r.src), self.guard(r.guard))
            if premise is False:
                continue
            if self.timed:
                if r.limit is not None:
                    premise = _and(premise, self.pi(r.src) <= r.limit)
                conclusion = _and(self.e(r.dst), self.pi(r.dst) <= self.pi(r.src) + r.delay)
            else:
                conclusion = self.e(r.dst)
            add(z3.Implies(premise, conclusion))
        for t in self.graph.targets:
            reached = _and(self.e(t.state), self.guard(t.guard))
            if reached is False:
                continue
            if self.deadline is None:
                add(_not(reached))
            else:
                add(z3.Implies(reached, self.pi(t.state) > self._deadline))

    # -------------------------------------------------------------- queries

    def evade(self, k: int | None = None, f: int | None = None,
              removed: Iterable[str] = (), core: bool = False) -> Outcome:
        """Can a coalition of at most k chosen colluders and at most f failures
        (None: any number) keep every verifier empty (or late)?"""
        removed = set(removed)
        assumptions = [(_not(s) if el in removed else s) for el, s in sorted(self.switch.items())]
        self.solver.push()
        try:
            if self.deadline is not None:
                self.solver.add(self._deadline == self.deadline)
            if k is not None and self.chosen:
                self.solver.add(z3.AtMost(*self.chosen.values(), k))
            if f is not None and self._f:
                self.solver.add(z3.AtMost(*self._f.values(), f))
            answer = self.solver.check(*assumptions)
            if answer == z3.sat:
                model = self.solver.model()
                chosen = tuple(c for c in self.candidates
                               if z3.is_true(model.eval(self.chosen[c], model_completion=True)))
                failed = tuple(e for e, var in self._f.items()
                               if z3.is_true(model.eval(var, model_completion=True)))
                return Outcome("evades", chosen, failed)
            if answer == z3.unsat:
                return Outcome("detected", core=self._minimal_core() if core else ())
            return Outcome("unknown", reason=self.solver.reason_unknown())
        finally:
            self.solver.pop()

    def worst_time(self, k: int) -> tuple[int, tuple[str, ...]] | None:
        """The latest first detection any coalition of at most k colluders can
        force, and one such coalition; None if the solver gives up.

        Only for a query built with a deadline under which the property holds
        (so the answer is at most that deadline): binary search on the
        deadline, each step one solver call.
        """
        assert self.deadline is not None
        lo, hi = 0, self.deadline  # evades at lo - 1 (or lo = 0); detected by hi
        worst: tuple[str, ...] = ()
        saved = self.deadline
        try:
            while lo < hi:
                mid = (lo + hi) // 2
                self.deadline = mid
                out = self.evade(k=k)
                if out.status == "unknown":
                    return None
                if out.status == "evades":
                    lo, worst = mid + 1, out.chosen
                else:
                    hi = mid
        finally:
            self.deadline = saved
        return lo, worst

    #: Cores up to this size are made minimal by deletion (one solver call
    #: per element); larger ones keep z3's own minimisation only.
    CORE_DELETION_LIMIT = 40

    def _minimal_core(self) -> tuple[str, ...]:
        """The mechanisms and flows an unsatisfiable answer rests on.

        z3's core is sufficient but not minimal; deleting each element in
        turn (keeping it out if the answer stays unsatisfiable) leaves a set
        in which every element is needed, so "rests on" names nothing spare.
        """
        names = {str(s): el for el, s in self.switch.items()}
        keep = sorted(names[str(a)] for a in self.solver.unsat_core() if str(a) in names)
        if len(keep) > self.CORE_DELETION_LIMIT:
            return tuple(keep)
        for el in list(keep):
            trial = set(keep) - {el}
            assumptions = [s if e in trial else z3.Not(s) for e, s in sorted(self.switch.items())]
            if self.solver.check(*assumptions) == z3.unsat:
                keep = sorted(trial)
        return tuple(keep)

    def evades_with(self, chosen: Sequence[str], failed: Sequence[str] = (), removed: Sequence[str] = ()) -> bool:
        """Does this one choice evade?  An exact evaluation, no solver."""
        coalition = set(self.graph.base)
        for c in chosen:
            coalition |= self.regime.closure(c)
        graph = self.graph
        if removed:
            graph = replace(graph, rules=tuple(r for r in graph.rules if r.element not in set(removed)))
        found = detection(self.regime, graph, Scenario(frozenset(coalition), frozenset(failed)))
        return found is None or (self.deadline is not None and found[0] > self.deadline)

    def smallest(self, bound: int | None, lower: int = 0, removed: Sequence[str] = ()) -> Outcome:
        """A smallest evading choice of size at most ``bound`` (None: any).

        The size counted is the chosen colluders, or, for a failure query, the
        failed elements.  Each model the solver finds is first shrunk to an
        inclusion-minimal choice by exact evaluation (cheap), then the solver
        is asked for one fewer: an unsatisfiable answer proves the optimum, so
        the number of solver calls is the gap between a minimal and a minimum
        choice, and ``lower`` (a proven bound) can end it without the proof.
        """
        def ask(n):
            out = self.evade(f=n, removed=removed, core=True) if self.failures \
                else self.evade(k=n, removed=removed, core=True)
            if out.status != "evades":
                return out
            if self.failures:
                kept = list(out.failed)
                for e in out.failed:
                    trial = [x for x in kept if x != e]
                    if self.evades_with((), trial, removed):
                        kept = trial
                return Outcome("evades", (), tuple(kept))
            kept = list(out.chosen)
            for c in out.chosen:
                trial = [x for x in kept if x != c]
                if self.evades_with(trial, (), removed):
                    kept = trial
            return Outcome("evades", tuple(kept), ())

        def size(o: Outcome) -> int:
            return len(o.failed) if self.failures else len(o.chosen)

        best = ask(bound)
        while best.status == "evades" and size(best) > lower:
            nxt = ask(size(best) - 1)
            if nxt.status == "unknown":
                return nxt
            if nxt.status != "evades":
                break
            best = nxt
        return best

    def minimal_sets(self, bound: int, evades: Callable[[tuple[str, ...]], bool]) -> Iterator[tuple[str, ...] | None]:
        """Every inclusion-minimal evading choice of at most ``bound``
        colluders; ``None`` once if the solver gives up.

        Each model is shrunk to a minimal set with ``evades`` (a cheap exact
        check of one coalition), then every superset of it is excluded, so
        each round yields a new minimal set and the loop ends.
        """
        self.solver.push()
        try:
            if self.chosen:
                self.solver.add(z3.AtMost(*self.chosen.values(), bound))
            on = [s for _, s in sorted(self.switch.items())]
            while True:
                answer = self.solver.check(*on)
                if answer == z3.unknown:
                    yield None
                    return
                if answer == z3.unsat:
                    return
                model = self.solver.model()
                current = [c for c in self.candidates
                           if z3.is_true(model.eval(self.chosen[c], model_completion=True))]
                for c in list(current):
                    trial = [x for x in current if x != c]
                    if evades(tuple(trial)):
                        current = trial
                yield tuple(current)
                if not current:
                    return
                self.solver.add(z3.Or([z3.Not(self.chosen[c]) for c in current]))
        finally:
            self.solver.pop()


# ------------------------------------------------------------------ helpers
# Constant folding keeps the formulas small: most guard literals are decided
# by the perpetrator's closure or by the absence of failures.

def _not(a):
    if a is True:
        return False
    if a is False:
        return True
    return z3.Not(a)


def _and(*parts):
    out = []
    for p in parts:
        if p is False:
            return False
        if p is not True:
            out.append(p)
    if not out:
        return True
    return out[0] if len(out) == 1 else z3.And(out)


def _or(parts):
    out = []
    for p in parts:
        if p is True:
            return True
        if p is not False:
            out.append(p)
    if not out:
        return False
    return out[0] if len(out) == 1 else z3.Or(out)


def _at_least(lits, n: int):
    """At least n of lits are true, folded over constant literals."""
    n -= sum(1 for lit in lits if lit is True)
    rest = [lit for lit in lits if lit is not True and lit is not False]
    if n <= 0:
        return True
    if n > len(rest):
        return False
    if n == 1:
        return _or(rest)
    return z3.AtLeast(*rest, n)
