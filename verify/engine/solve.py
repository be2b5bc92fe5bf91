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

import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import z3

from verify.engine.evaluate import Scenario, detection, event_time
from verify.engine.outcome import OUT_OF_WORK, Answer, Outcome
from verify.engine.rules import (
    START,
    Guard,
    Rule,
    RuleGraph,
    State,
    coalition_of,
    counted_groups,
    vote_rule_of,
    without,
)
from verify.gcpause import gc_paused
from verify.model import Regime

__all__ = ["Answer", "Outcome", "Query", "Heaviest"]

#: z3's "timeout" when none is set (its default: the largest unsigned int).
_NO_TIMEOUT = 4294967295

# z3 installs a Ctrl-C handler of its own around each solver call, which
# swallows SIGINT and returns "unknown" (read as a time-out, exit 3).  Off, so
# that the signal reaches Python's handler and verify stops (exit 130).
z3.set_param("ctrl_c", False)


class Query:
    """One solver over one rule graph; ask it for different k, f or removals."""

    @gc_paused
    def __init__(self, regime: Regime, graph: RuleGraph, *, deadline: int | None = None,
                 colluders: bool = True, failures: bool = False, timeout_ms: int | None = None,
                 start: str | None = None, core_effort: float | None = None):
        self.regime = regime
        #: How much work minimising a core may take, as a multiple of the
        #: proof's own (None: CORE_EFFORT; 0: none, z3's core as it comes;
        #: ``math.inf``: to the end).  Counted in z3's resource units, not
        #: seconds, so that the same design gives the same "rests on" on any
        #: machine (issue 14: a core once took 75 s after a 0.9 s proof).
        self.core_effort = self.CORE_EFFORT if core_effort is None else core_effort
        self.graph = graph
        self._removed_cache: tuple[tuple[str, ...], RuleGraph] | None = None
        self._switches: list[tuple[str, z3.BoolRef, z3.BoolRef]] | None = None
        self._budgets: dict[int, z3.BoolRef] = {}
        self._opt: z3.Optimize | None = None
        self.deadline = deadline
        #: The clock starts when this flow or mechanism first carries
        #: anything (None: at the violation's start).  Compile the graph
        #: with ``keep=(start,)``.
        self.start = start
        if start is not None and deadline is None:
            raise ValueError("a clock from an event needs a deadline")
        self.timed = deadline is not None or any(r.limit is not None for r in graph.rules)
        # A context of its own: z3's default context is process-wide, and
        # what earlier queries left in it changes which model a later query
        # finds; published reports must not depend on what ran before.
        self.ctx = z3.Context()
        self.solver = z3.Solver(ctx=self.ctx)
        self.solver.set("core.minimize", True)
        self.timeout_ms = timeout_ms
        if timeout_ms is not None:
            self.solver.set("timeout", int(timeout_ms))
        # The formula is written as SMT-LIB text and parsed by z3 in one call:
        # building it term by term through the Python API cost about 20
        # microseconds a term, most of the time at 10,000 actors.  Symbols
        # are short generated names (never user ids, which could clash with
        # SMT-LIB syntax); the handles below map back to them.
        self._decl: list[str] = []
        self._body: list[str] = []
        self._names: dict[tuple[str, object], str] = {}
        self._x: dict[str, str | bool] = {}
        self._votes: dict[str, str | bool] = {}
        self._guards: dict[Guard, str | bool] = {}
        mentioned = self._mentioned()
        # Only candidates whose closure touches a guard or a vote can change
        # anything; the others would only waste the adversary's budget.
        self.candidates = tuple(
            c for c in graph.candidates if regime.closure(c) & mentioned) if colluders else ()
        self.failures = failures
        # Interchangeable voters are counted, not chosen (an integer per
        # group): blocking majorities become linear arithmetic rather than a
        # pigeonhole search.  Failures are chosen one by one, so not then.
        self.groups = () if failures else counted_groups(regime, graph, self.candidates)
        self._group_of = {m: i for i, g in enumerate(self.groups) for m in g}
        failable: list[str] = []
        if failures:
            elements = [a for a in mentioned if a not in graph.base]
            elements += sorted({r.element for r in graph.rules})
            elements += sorted({self._body_of(k) for r in graph.rules for k in r.guard.passes})
            failable = sorted(set(elements))
        self._failable = set(failable)
        for c in self.candidates:
            if c not in self._group_of:
                self._sym("chosen", c, "Bool")
        for i, g in enumerate(self.groups):
            n = self._sym("count", i, "Int")
            self._decl.append(f"(assert (and (<= 0 {n}) (<= {n} {len(g)})))")
        for e in failable:
            self._sym("failed", e, "Bool")
        self._encode()
        self.solver.from_string("\n".join(self._decl + self._body))

        def handle(kind: str, key: object) -> z3.BoolRef:
            return z3.Bool(self._names[(kind, key)], self.ctx)

        self.chosen = {c: handle("chosen", c) for c in self.candidates if c not in self._group_of}
        self.counts = [z3.Int(self._names[("count", i)], self.ctx) for i in range(len(self.groups))]
        self._f = {e: handle("failed", e) for e in failable}
        self.switch = {el: handle("on", el) for el in sorted({r.element for r in graph.rules})}
        self._deadline = z3.Real(self._names[("deadline", "")], self.ctx)
        del self._decl, self._body, self._guards

    # -------------------------------------------------------------- encoding

    def _sym(self, kind: str, key: object, sort: str) -> str:
        name = self._names.get((kind, key))
        if name is None:
            name = f"{kind[0]}{len(self._names)}"
            self._names[(kind, key)] = name
            self._decl.append(f"(declare-const {name} {sort})")
        return name

    def _mentioned(self) -> frozenset[str]:
        acts: set[str] = set()
        bodies: set[str] = set()
        for r in self.graph.rules:
            acts |= r.guard.actors()
            bodies |= r.guard.passes
        for t in self.graph.targets:
            acts |= t.guard.actors()
            bodies |= t.guard.passes
        for key in bodies:
            acts |= set(self.regime.body[self._body_of(key)].members)
        return frozenset(acts)

    def _body_of(self, key: str) -> str:
        return self.regime.vote_rule[vote_rule_of(key)[0]].body

    def x(self, actor: str) -> str | bool:
        """In the coalition: in the base, chosen, or controlled by a member.

        Its controllers are settled first, by an explicit stack rather than
        recursion: a control chain may be thousands of levels deep.
        """
        stack = [actor]
        while stack:
            a = stack[-1]
            if a in self._x:
                stack.pop()
                continue
            if a in self.graph.base:
                self._x[a] = True
                stack.pop()
                continue
            pending = [c for c in self.regime.actor[a].controlled_by if c not in self._x]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            terms: list[Term] = [self._names[("chosen", a)]] if ("chosen", a) in self._names else []
            for parent in self.regime.actor[a].controlled_by:
                px = self._x[parent]
                if px is True:
                    terms = [True]
                    break
                if px is not False:
                    terms.append(px)
            value: str | bool
            if not terms:
                value = False
            elif terms == [True]:
                value = True
            else:
                value = self._sym("in", a, "Bool")
                self._body.append(f"(assert (= {value} {_or(terms)}))")
            self._x[a] = value
        return self._x[actor]

    def failed(self, element: str) -> str | bool:
        return self._names[("failed", element)] if element in self._failable else False

    def vote(self, body: str) -> str | bool:
        if body in self._votes:
            return self._votes[body]
        b = self.regime.vote_rule[vote_rule_of(body)[0]]
        members = self.regime.body[b.body].members
        recused = self.graph.recusals[body]
        voters = [m for m in members if m not in recused and m not in self._group_of]
        # A group votes here whole or not at all (counted_groups says so).
        groups = sorted({self._group_of[m] for m in members if m in self._group_of and m not in recused})
        counts = [(self._names[("count", i)], len(self.groups[i])) for i in groups]
        if b.approve is not None:
            lits = [_and(_not(self.x(m)), _not(self.failed(m))) for m in voters]
            value = _at_least(lits, b.approve, [f"(- {size} {n})" for n, size in counts])
        else:
            assert b.block is not None  # validation: exactly one of approve and block
            value = _not(_at_least([self.x(m) for m in voters], b.block, [n for n, _ in counts]))
        if not isinstance(value, bool):
            var = self._sym("passes", body, "Bool")
            self._body.append(f"(assert (= {var} {value}))")
            value = var
        self._votes[body] = value
        return value

    def guard(self, g: Guard) -> str | bool:
        if g in self._guards:
            return self._guards[g]
        parts: list[Term] = []
        parts += [_not(self.x(a)) for a in sorted(g.honest)]
        parts += [self.x(a) for a in sorted(g.corrupt)]
        if g.any_corrupt is not None:
            parts.append(_or([self.x(a) for a in sorted(g.any_corrupt)]))
        parts += [_not(self.failed(e)) for e in sorted(g.working)]
        parts += [self.vote(b) for b in sorted(g.passes)]
        value = _and(*parts)
        self._guards[g] = value
        return value

    def e(self, s: State) -> str | bool:
        return True if s == START else self._sym("holds", s, "Bool")

    def pi(self, s: State) -> str:
        return "0.0" if s == START else self._sym("time", s, "Real")

    def _encode(self) -> None:
        add = self._body.append
        # The deadline is a variable fixed by one assertion per query, so that
        # the worst-case search can move it without re-encoding.
        deadline = self._sym("deadline", "", "Real")
        for r in self.graph.rules:
            premise = _and(self._sym("on", r.element, "Bool"), self.e(r.src), self.guard(r.guard))
            if premise is False:
                continue
            if self.timed:
                if r.limit is not None:
                    premise = _and(premise, f"(<= {self.pi(r.src)} {_num(r.limit)})")
                conclusion = _and(self.e(r.dst), f"(<= {self.pi(r.dst)} (+ {self.pi(r.src)} {r.delay}.0))")
            else:
                conclusion = self.e(r.dst)
            add(f"(assert {_implies(premise, conclusion)})")
        late = deadline if self.start is None else f"(+ {self._encode_clock()} {deadline})"
        for t in self.graph.targets:
            reached = _and(self.e(t.state), self.guard(t.guard),
                           *[_or([self.e(x) for x in sorted(slot)]) for slot in t.also])
            if reached is False:
                continue
            if self.deadline is None:
                add(f"(assert {_not(reached)})")
            else:
                # Several sources: some one of them is not there by the deadline.
                late_parts: list[Term] = [f"(> {self.pi(t.state)} {late})"]
                late_parts += [_and(*[_or([_not(self.e(x)), f"(> {self.pi(x)} {late})"]) for x in sorted(slot)])
                               for slot in t.also]
                add(f"(assert {_implies(reached, _or(late_parts))})")

    def _encode_clock(self) -> str:
        """The time the clock starts, as a term, with what makes it honest.

        The closed set above bounds times from above only (a potential at
        most the earliest arrival), which is right for "not by then" but not
        for "when did the event happen": that needs a derivation, i.e. the
        event really happens by the time the adversary names.  So the states
        leading to the event get a second, forward encoding: a state is
        derived only through a rule that fires from a derived state, at a
        time at least the source's plus the delay, and with a rank above the
        source's (no state supports itself round a cycle).  The event is
        asserted to happen; a scenario in which it never does starts no
        clock and so cannot break the property.
        """
        add = self._body.append
        start = self.start
        event_rules = [r for r in self.graph.rules if r.element == start]
        by_dst: dict[State, list[Rule]] = {}
        for r in self.graph.rules:
            by_dst.setdefault(r.dst, []).append(r)
        need = {r.src for r in event_rules}
        stack = list(need)
        while stack:
            for r in by_dst.get(stack.pop(), ()):
                if r.src not in need:
                    need.add(r.src)
                    stack.append(r.src)

        def derived(s: State) -> Term:
            return True if s == START else self._sym("derived", s, "Bool")

        def at(s: State) -> str:
            return "0.0" if s == START else self._sym("at", s, "Real")

        def rank(s: State) -> str:
            return "0" if s == START else self._sym("rank", s, "Int")

        def fires(r: Rule, when: str) -> Term:
            parts: list[Term] = [self._sym("on", r.element, "Bool"), derived(r.src), self.guard(r.guard)]
            if r.limit is not None:
                parts.append(f"(<= {at(r.src)} {_num(r.limit)})")
            parts.append(f"(>= {when} (+ {at(r.src)} {r.delay}.0))")
            return _and(*parts)

        for s in sorted(need - {START}):
            options: list[Term] = []
            for r in by_dst.get(s, ()):
                cond = fires(r, at(s))
                if cond is False:
                    continue
                f = self._sym("fires", r, "Bool")
                add(f"(assert (=> {f} {_and(cond, f'(> {rank(s)} {rank(r.src)})')}))")
                options.append(f)
            add(f"(assert (=> {derived(s)} {_or(options) if options else 'false'}))")
        clock = self._sym("clock", "", "Real")
        events: list[Term] = []
        for r in event_rules:
            cond = fires(r, clock)
            if cond is not False:
                e = self._sym("event", r, "Bool")
                add(f"(assert (=> {e} {'true' if cond is True else cond}))")
                events.append(e)
        add(f"(assert {_or(events) if events else 'false'})")
        return clock

    # -------------------------------------------------------------- queries

    def evade(self, k: int | None = None, f: int | None = None,
              removed: Iterable[str] = (), core: bool = False) -> Outcome:
        """Can a coalition of at most k chosen colluders and at most f failures
        (None: any number) keep every verifier empty (or late)?"""
        removed = set(removed)
        assumptions = self._assumptions(removed)
        self.solver.push()
        try:
            if self.deadline is not None:
                self.solver.add(self._deadline == self.deadline)
            if k is not None and k < len(self.candidates):
                self.solver.add(self._budget(k))
            if f is not None and f < len(self._f):
                self.solver.add(_at_most(self._f.values(), f))
            spent = self._resources() if core else 0
            answer = self._check(assumptions)
            if answer == z3.sat:
                model = self.solver.model()
                chosen = self._chosen(model)
                failed = tuple(e for e, var in self._f.items()
                               if z3.is_true(model.eval(var, model_completion=True)))
                return Outcome(Answer.EVADES, chosen, failed)
            if answer == z3.unsat:
                if not core:
                    return Outcome(Answer.DETECTED)
                kept, minimal = self._minimal_core(self._resources() - spent)
                return Outcome(Answer.DETECTED, core=kept, core_minimal=minimal)
            return Outcome(Answer.UNKNOWN, reason=self.solver.reason_unknown())
        finally:
            self.solver.pop()

    def _optimizer(self) -> z3.Optimize:
        """The same formula with every colluder a unit of cost, for z3's
        core-guided MaxSAT: each core it learns is a set of colluders one of
        which any evasion needs, so the optimum comes with its proof.
        Bounding the count and asking below it needed a cardinality proof
        that passed 15 minutes at 10,000 actors (k* about 57); MaxSAT took
        seconds (issue 14).  A counted group's size is spelt in unit steps
        (``count >= j``), so that it costs per member like any colluder."""
        if self._opt is None:
            opt = z3.Optimize(ctx=self.ctx)
            # RC2 took 0.6 to 0.75 of the default engine's time at 1,000 to
            # 10,000 actors (benchmarks/run.py --only speed).
            opt.set("maxsat_engine", "rc2")
            if self.timeout_ms is not None:
                opt.set("timeout", int(self.timeout_ms))
            for a in self.solver.assertions():
                opt.add(a)
            for c in self.chosen.values():
                opt.add_soft(z3.Not(c), 1, "colluders")
            one, zero = z3.IntVal(1, self.ctx), z3.IntVal(0, self.ctx)
            for g, n in zip(self.groups, self.counts):
                steps = [z3.FreshBool("count", self.ctx) for _ in g]
                opt.add(n == z3.Sum([z3.If(b, one, zero) for b in steps]))
                for a, b in zip(steps, steps[1:]):
                    opt.add(z3.Implies(b, a))
                for b in steps:
                    opt.add_soft(z3.Not(b), 1, "colluders")
            self._opt = opt
        return self._opt

    #: z3 resource units ("rlimit count") the binary search of
    #: :meth:`minimum` may spend before MaxSAT takes over: about what it
    #: needs at 1,000 actors (0.7 million), where it is twice as fast as
    #: MaxSAT; at 3,000 it needs 10 million and MaxSAT is three times as
    #: fast.  Resource units, not seconds, so that the same design takes
    #: the same path, and gets the same coalition, on every machine.
    SEARCH_WORK = 2_000_000

    def minimum(self, removed: Collection[str] = (), ends: float | None = None, lower: int = 0,
                at_most: int | None = None) -> Outcome:
        """A smallest evading choice of colluders, proven smallest, with the
        elements in ``removed`` switched off; "detected" if the whole pool
        cannot evade; unknown past ``ends`` (``time.monotonic()``).

        The binary search of :meth:`smallest` first (``lower``: a proven
        lower bound; ``at_most``: a size some choice is known to evade
        within), and MaxSAT when that search needs more than
        ``SEARCH_WORK``: cheap proofs are the binary search's, hard ones
        MaxSAT's.
        """
        out = self.smallest(at_most, lower, tuple(removed), core=False, work=self.SEARCH_WORK, ends=ends)
        if out.reason == OUT_OF_WORK or (at_most is not None and out.status == Answer.DETECTED):
            # (Nothing within the hint: it was wrong, and MaxSAT needs none.)
            return self._maxsat(set(removed), ends)
        if out.status == Answer.EVADES and not out.smallest:
            return Outcome(Answer.UNKNOWN, reason=out.reason)
        return out

    def _maxsat(self, gone: set[str], ends: float | None) -> Outcome:
        opt = self._optimizer()
        if not self._limit(opt, ends):
            return Outcome(Answer.UNKNOWN, reason="the time budget ran out")
        opt.push()
        try:
            # Asserted in this scope, not assumed: MaxSAT under assumptions
            # took half as long again.
            for el, on, off in self._switch_literals():
                opt.add(off if el in gone else on)
            answer = opt.check()
            if answer == z3.unsat:
                return Outcome(Answer.DETECTED)
            if answer != z3.sat:
                return Outcome(Answer.UNKNOWN, reason=opt.reason_unknown())
            return Outcome(Answer.EVADES, self._chosen(opt.model()))
        finally:
            opt.pop()
            if ends is not None:
                opt.set("timeout", _NO_TIMEOUT if self.timeout_ms is None else int(self.timeout_ms))

    def _limit(self, target: z3.Solver | z3.Optimize, ends: float | None) -> bool:
        """Give ``target``'s next call no more than the time left until
        ``ends`` (``time.monotonic()``), within the query's own time-out;
        False if none is left."""
        if ends is None:
            return True
        left = int((ends - time.monotonic()) * 1000)
        if left <= 0:
            return False
        target.set("timeout", left if self.timeout_ms is None else min(left, int(self.timeout_ms)))
        return True

    def critical(self, k: int | None, among: Collection[str], ends: float | None = None) -> Iterator[str | None]:
        """The elements of ``among`` whose removal alone lets some coalition of
        at most ``k`` colluders (None: any number) evade; ``None`` once if the
        solver gives up.

        One encoding, asked for a coalition *and* one element switched off:
        each answer names an element, which is then kept on, so the search
        ends after one call more than there are such elements.  With ``k``
        the largest coalition that does not evade (k*), these are exactly
        the elements without which k* drops; every other element is settled
        by the last, unsatisfiable call (issue 14: the margin once asked
        every element in turn).
        """
        els = sorted(e for e in among if e in self.switch)
        if not els:
            return
        self.solver.push()
        try:
            if k is not None and k < len(self.candidates):
                self.solver.add(self._budget(k))
            inside = set(els)
            for e, s in sorted(self.switch.items()):
                if e not in inside:
                    self.solver.add(s)
            self.solver.add(z3.PbEq([(z3.Not(self.switch[e]), 1) for e in els], 1))
            while True:
                answer = self.solver.check() if self._limit(self.solver, ends) else z3.unknown
                if answer == z3.unknown:
                    yield None
                    return
                if answer == z3.unsat:
                    return
                model = self.solver.model()
                off = next(e for e in els if z3.is_false(model.eval(self.switch[e], model_completion=True)))
                yield off
                self.solver.add(self.switch[off])
        finally:
            self.solver.pop()
            if ends is not None:
                self.solver.set("timeout", _NO_TIMEOUT if self.timeout_ms is None else int(self.timeout_ms))

    def heaviest(self, k: int, groups: Mapping[str, Collection[str]], weights: Mapping[str, Fraction],
                 off: Collection[str] = (), slack: Fraction = Fraction(0),
                 classes: Mapping[str, str] | None = None, limit: int = 100) -> Iterator[Heaviest | None]:
        """The coalitions of at most ``k`` colluders that evade with the
        heaviest set of ``groups`` switched on, heaviest first.

        A group is a set of elements (mechanisms, flows); the elements of
        no group are on, those in ``off`` are off, and a group *counts*
        when all its elements are on and the coalition still evades.  The
        first answer has the greatest total weight of counting groups: one
        weighted MaxSAT over the one encoding, each group a soft constraint
        (no coalition is enumerated; z3's RC2 engine, which on these
        problems was several times faster than its default).

        With ``slack``, the next heaviest answers follow, each with a
        different number of counting groups of some class (``classes``:
        groups of one class weigh the same, so only how many of them count
        matters; default: each group its own class), until one is lighter
        than the first by more than ``slack``: weights that only
        approximate the true ones (logarithms) still lead the caller to the
        exact optimum.  Nothing when no coalition evades even with every
        group off; ``None`` once if the solver gives up, or after ``limit``
        answers.
        """
        ctx = self.ctx
        fixed: list[z3.BoolRef] = []
        grouped = {e for els in groups.values() for e in els}
        for el, s in sorted(self.switch.items()):
            if el in off:
                fixed.append(z3.Not(s))
            elif el not in grouped:
                fixed.append(s)
        # A group of one element is that element's switch; a larger one (a
        # copy of the rules for one world) gets a flag that needs them all.
        flags: dict[str, z3.BoolRef] = {}
        for i, (tag, els) in enumerate(groups.items()):
            present = [e for e in sorted(els) if e in self.switch]
            if any(e in off for e in els):
                flags[tag] = z3.BoolVal(False, ctx)
            elif len(present) == 1 and len(els) == 1:
                flags[tag] = self.switch[present[0]]
            else:
                flags[tag] = z3.Bool(f"g{i}", ctx)
                fixed += [z3.Implies(flags[tag], self.switch[e]) for e in present]
        if k < len(self.candidates):
            fixed.append(self._budget(k))
        opt = z3.Optimize(ctx=ctx)
        opt.set("maxsat_engine", "rc2")
        if self.timeout_ms is not None:
            opt.set("timeout", int(self.timeout_ms))
        opt.add(*self.solver.assertions(), *fixed)
        for tag, f in flags.items():
            w = weights[tag]
            if w > 0 and not z3.is_false(f):
                opt.add_soft(f, f"{w.numerator}/{w.denominator}")
        kind = dict(classes) if classes is not None else {tag: tag for tag in flags}
        members: dict[str, list[z3.BoolRef]] = {}
        for tag, f in flags.items():
            members.setdefault(kind[tag], []).append(f)
        one, zero = z3.IntVal(1, ctx), z3.IntVal(0, ctx)
        first: Fraction | None = None
        for _ in range(limit):
            answer = opt.check()
            if answer == z3.unknown:
                yield None
                return
            if answer == z3.unsat:
                return
            model = opt.model()
            on = frozenset(tag for tag, f in flags.items() if z3.is_true(model.eval(f, model_completion=True)))
            value = sum((weights[t] for t in on), Fraction(0))
            if first is None:
                first = value
            elif value < first - slack:
                return
            yield Heaviest(self._chosen(model), on)
            if slack <= 0 or not flags:
                return
            # The next answer counts a different number of some class.
            counts = {c: sum(1 for t in on if kind[t] == c) for c in members}
            opt.add(z3.Or([z3.Sum([z3.If(f, one, zero) for f in fs]) != counts[c] for c, fs in members.items()]))
        yield None  # more near-optimal answers than the limit: no answer

    def _check(self, assumptions: Sequence[z3.BoolRef]) -> z3.CheckSatResult:
        """``solver.check(*assumptions)`` without z3's per-call cast of each
        assumption to a Boolean (they are Booleans already): the casts were
        a third of a robustness margin, one per element per call."""
        arr = (z3.Ast * len(assumptions))()
        for i, a in enumerate(assumptions):
            arr[i] = a.as_ast()
        return z3.CheckSatResult(z3.Z3_solver_check_assumptions(self.ctx.ref(), self.solver.solver,
                                                                len(assumptions), arr))

    def _assumptions(self, removed: set[str]) -> list[z3.BoolRef]:
        """Every element's switch, off for ``removed``: made once and reused,
        since a margin asks thousands of times (building the negations each
        time was a tenth of it)."""
        return [off if el in removed else on for el, on, off in self._switch_literals()]

    def _switch_literals(self) -> list[tuple[str, z3.BoolRef, z3.BoolRef]]:
        if self._switches is None:
            self._switches = [(el, s, z3.Not(s)) for el, s in sorted(self.switch.items())]
        return self._switches

    def _budget(self, k: int) -> z3.BoolRef:
        """At most k chosen colluders, counting each group's members; one
        term per k, kept (a margin asks for the same few bounds again and
        again)."""
        made = self._budgets.get(k)
        if made is not None:
            return made
        if not self.groups:
            made = _at_most(self.chosen.values(), k)
        else:
            one, zero = z3.IntVal(1, self.ctx), z3.IntVal(0, self.ctx)
            terms = [z3.If(c, one, zero) for c in self.chosen.values()] + list(self.counts)
            made = z3.Sum(terms) <= k
        self._budgets[k] = made
        return made

    def _chosen(self, model: z3.ModelRef) -> tuple[str, ...]:
        """The colluders a model chooses: each group's count taken as its
        first members, which is as good as any of them."""
        picked = {c for c, var in self.chosen.items() if z3.is_true(model.eval(var, model_completion=True))}
        for g, n in zip(self.groups, self.counts):
            picked.update(g[:model.eval(n, model_completion=True).as_long()])
        return tuple(c for c in self.candidates if c in picked)

    def canonical(self, chosen: Iterable[str]) -> tuple[str, ...]:
        """The same choice with each group's members replaced by its first
        ones (equivalent by symmetry), in candidate order."""
        picked = set(chosen)
        for g in self.groups:
            n = sum(1 for m in g if m in picked)
            picked.difference_update(g)
            picked.update(g[:n])
        return tuple(c for c in self.candidates if c in picked)

    def _shrink(self, chosen: Sequence[str], evades: Callable[[tuple[str, ...]], bool]) -> tuple[str, ...]:
        """An inclusion-minimal evading subset of ``chosen`` (which evades).

        A group's count is lowered by bisection (its members are
        interchangeable, so only how many matters and evasion is monotone in
        it); the other colluders are dropped one at a time.
        """
        kept = list(self.canonical(chosen))
        for g in self.groups:
            inside = [m for m in kept if m in set(g)]
            if not inside:
                continue
            rest = [m for m in kept if m not in set(g)]
            lo, hi = 0, len(inside)  # evades with hi members of g; lo - 1 does not, or lo = 0
            while lo < hi:
                mid = (lo + hi) // 2
                if evades(tuple(rest + list(g[:mid]))):
                    hi = mid
                else:
                    lo = mid + 1
            kept = list(self.canonical(rest + list(g[:hi])))
        grouped = self._group_of
        for c in [c for c in kept if c not in grouped]:
            trial = [x for x in kept if x != c]
            if evades(tuple(trial)):
                kept = trial
        return self.canonical(kept)

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
                if out.status == Answer.UNKNOWN:
                    return None
                if out.status == Answer.EVADES:
                    lo, worst = mid + 1, out.chosen
                else:
                    hi = mid
        finally:
            self.deadline = saved
        return lo, worst

    #: Minimising a core may spend this many times the resources of the
    #: proof (at least CORE_FLOOR): "rests on" is cheap by default.
    CORE_EFFORT = 2.0
    CORE_FLOOR = 200_000

    def _resources(self) -> int:
        """z3's resource count so far (it only grows): a deterministic
        measure of work, where seconds would make reports vary."""
        stats = self.solver.statistics()
        return int(stats.get_key_value("rlimit count")) if "rlimit count" in stats.keys() else 0

    def _minimal_core(self, proof: int) -> tuple[tuple[str, ...], bool]:
        """The mechanisms and flows an unsatisfiable answer rests on, and
        whether that set is minimal.

        z3's core is sufficient but not minimal; deleting each element in
        turn (keeping it out if the answer stays unsatisfiable) leaves a set
        in which every element is needed, so "rests on" names nothing spare.
        The deletions share a budget of ``core_effort`` times ``proof`` (the
        resources the proof took); a deletion cut short by it ends the
        minimising, and the core is reported as not minimal.
        """
        # By the terms' ids: printing every literal to match names cost a
        # fifth of a large check (issue 14).
        names = {s.get_id(): el for el, s in self.switch.items()}
        keep = sorted(names[a.get_id()] for a in self.solver.unsat_core() if a.get_id() in names)
        if self.core_effort <= 0:
            return tuple(keep), not keep
        limited = self.core_effort != float("inf")
        left = max(int(self.core_effort * proof), self.CORE_FLOOR) if limited else 0
        minimal = True
        try:
            for el in list(keep):
                if limited and left <= 0:
                    minimal = False
                    break
                trial = set(keep) - {el}
                assumptions = self._assumptions(set(self.switch) - trial)
                before = self._resources()
                if limited:
                    self.solver.set("rlimit", left)
                answer = self._check(assumptions)
                left -= self._resources() - before
                if answer == z3.unsat:
                    keep = sorted(trial)
                elif answer == z3.unknown:
                    minimal = False
                    break
        finally:
            if limited:
                self.solver.set("rlimit", 0)
        return tuple(keep), minimal

    def removal(self, removed: tuple[str, ...]) -> RuleGraph:
        """The graph without ``removed``, kept for the next call: shrinking a
        coalition evaluates one removal many times in a row (rebuilding it
        each time was a third of a robustness margin).  One entry only, so
        that a margin over thousands of elements holds one graph at a time."""
        if self._removed_cache is None or self._removed_cache[0] != removed:
            self._removed_cache = (removed, without(self.regime, self.graph, removed))
        return self._removed_cache[1]

    def evades_with(self, chosen: Sequence[str], failed: Sequence[str] = (), removed: Sequence[str] = ()) -> bool:
        """Does this one choice evade?  An exact evaluation, no solver."""
        graph = self.removal(tuple(removed)) if removed else self.graph
        sc = Scenario(coalition_of(self.regime, graph, chosen), frozenset(failed))
        found = detection(self.regime, graph, sc)
        if self.start is not None:
            assert self.deadline is not None
            began = event_time(self.regime, graph, sc, self.start)
            return began is not None and (found is None or found[0] > began + self.deadline)
        return found is None or (self.deadline is not None and found[0] > self.deadline)

    def smallest(self, bound: int | None, lower: int = 0, removed: Sequence[str] = (),
                 core: bool = True, work: int | None = None, ends: float | None = None) -> Outcome:
        """A smallest evading choice of size at most ``bound`` (None: any).

        The size counted is the chosen colluders, or, for a failure query, the
        failed elements.  The first model bounds the optimum from above,
        ``lower`` (a proven bound: no smaller choice evades) from below, and
        a binary search on the budget closes the gap, each step one call over
        the same encoding; the last unsatisfiable answer proves the optimum.
        (Shrinking each model one colluder at a time by exact evaluation was
        most of a robustness margin on large regimes: issue 14.)  A failure
        query's model is still shrunk by evaluation, failures being few.
        ``core``: with a "detected" answer, the minimised core (what it
        rests on), which can cost more than the proof.  ``work``: z3
        resource units the whole search may spend, and ``ends`` a
        ``time.monotonic()`` it may not run past; beyond either a step's
        answer is unknown (reason :data:`OUT_OF_WORK` for the first).
        """
        left = work

        def ask(n: int | None, core: bool = False) -> Outcome:
            nonlocal left
            if left is not None and left <= 0:  # z3 finishes some calls past the limit
                return Outcome(Answer.UNKNOWN, reason=OUT_OF_WORK)
            if not self._limit(self.solver, ends):
                return Outcome(Answer.UNKNOWN, reason="the time budget ran out")
            if left is None:
                return step(n, core)
            self.solver.set("rlimit", left)
            before = self._resources()
            out = step(n, core)
            left -= self._resources() - before
            # Past the work limit z3 says "canceled", as for a time-out.
            timed_out = ends is not None and time.monotonic() >= ends
            return Outcome(Answer.UNKNOWN, reason=OUT_OF_WORK) \
                if out.status == Answer.UNKNOWN and not timed_out else out

        def step(n: int | None, core: bool) -> Outcome:
            if not self.failures:
                return self.evade(k=n, removed=removed, core=core)
            out = self.evade(f=n, removed=removed, core=core)
            if out.status != Answer.EVADES:
                return out
            kept_f = list(out.failed)
            for e in out.failed:
                trial = [x for x in kept_f if x != e]
                if self.evades_with((), trial, removed):
                    kept_f = trial
            return Outcome(Answer.EVADES, (), tuple(kept_f))

        try:
            return self._search(ask, bound, lower, core)
        finally:
            if work is not None:
                self.solver.set("rlimit", 0)
            if ends is not None:
                self.solver.set("timeout", _NO_TIMEOUT if self.timeout_ms is None else int(self.timeout_ms))

    def _search(self, ask: Callable[..., Outcome], bound: int | None, lower: int, core: bool) -> Outcome:
        def size(o: Outcome) -> int:
            return len(o.failed) if self.failures else len(o.chosen)

        # Only the first answer can be "detected" for the caller to report;
        # a later one just narrows the gap, and its core is not needed.
        best = ask(bound, core=core)
        if best.status != Answer.EVADES:
            return best
        lo, hi = lower, size(best)  # no choice of fewer than lo evades; best (hi) does
        while lo < hi:
            mid = (lo + hi) // 2
            nxt = ask(mid)
            if nxt.status == Answer.UNKNOWN:
                # The choice in hand does evade: that verdict stands, only
                # its being the smallest is unproven.
                return Outcome(Answer.EVADES, best.chosen, best.failed, reason=nxt.reason, smallest=False)
            if nxt.status == Answer.EVADES:
                best, hi = nxt, size(nxt)
            else:
                lo = mid + 1
        return best

    def minimal_sets(self, bound: int, evades: Callable[[tuple[str, ...]], bool],
                     removed: Collection[str] = ()) -> Iterator[tuple[str, ...] | None]:
        """Every inclusion-minimal evading choice of at most ``bound``
        colluders (with the elements in ``removed`` switched off); ``None``
        once if the solver gives up.

        Each model is shrunk to a minimal set with ``evades`` (a cheap exact
        check of one coalition), then every superset of it is excluded, so
        each round yields a new minimal set and the loop ends.
        """
        self.solver.push()
        try:
            if bound < len(self.candidates):
                self.solver.add(self._budget(bound))
            on = self._assumptions(set(removed))
            while True:
                answer = self._check(on)
                if answer == z3.unknown:
                    yield None
                    return
                if answer == z3.unsat:
                    return
                current = self._shrink(self._chosen(self.solver.model()), evades)
                yield current
                if not current:
                    return
                # Exclude every superset: fewer of these colluders, or fewer
                # of each group's members than this set uses.
                out = [z3.Not(self.chosen[c]) for c in current if c in self.chosen]
                for g, n in zip(self.groups, self.counts):
                    used = sum(1 for m in current if self._group_of.get(m) is not None and m in g)
                    if used:
                        out.append(n < used)
                self.solver.add(z3.Or(out))
        finally:
            self.solver.pop()


@dataclass(frozen=True)
class Heaviest:
    """An evading coalition (its chosen colluders) and the groups that
    count with it."""

    chosen: tuple[str, ...]
    groups: frozenset[str]


# ------------------------------------------------------------------ helpers


def _real(x: Fraction, ctx: z3.Context) -> z3.ArithRef:
    return z3.RealVal(f"{x.numerator}/{x.denominator}", ctx)



def _at_most(variables: Iterable[z3.BoolRef], n: int) -> z3.BoolRef:
    """At most ``n`` of ``variables``.  Callers pass only a bound below their
    number: a larger one constrains nothing, and z3 would read a bound of
    2**32 or more modulo 2**32 (4294967296 as "at most 0") or reject it."""
    return z3.AtMost(*variables, n)
# Formulas are SMT-LIB strings; True and False stand for constants and are
# folded away, which keeps the formulas small: most guard literals are decided
# by the perpetrator's closure or by the absence of failures.

#: An SMT-LIB term, or a constant already folded.
Term = str | bool


def _not(a: Term) -> Term:
    if a is True:
        return False
    if a is False:
        return True
    return f"(not {a})"


def _and(*parts: Term) -> Term:
    out: list[str] = []
    for p in parts:
        if p is False:
            return False
        if p is not True:
            out.append(p)
    if not out:
        return True
    return out[0] if len(out) == 1 else f"(and {' '.join(out)})"


def _or(parts: Iterable[Term]) -> Term:
    out: list[str] = []
    for p in parts:
        if p is True:
            return True
        if p is not False:
            out.append(p)
    if not out:
        return False
    return out[0] if len(out) == 1 else f"(or {' '.join(out)})"


def _num(v: int) -> str:
    """An integer as an SMT-LIB real (a negative one needs a unary minus)."""
    return f"{v}.0" if v >= 0 else f"(- {-v}.0)"


def _implies(premise: Term, conclusion: Term) -> str:
    if premise is True:
        return "true" if conclusion is True else "false" if conclusion is False else conclusion
    return f"(=> {premise} {'true' if conclusion is True else 'false' if conclusion is False else conclusion})"


def _at_least(lits: Sequence[Term], n: int, counts: Sequence[str] = ()) -> Term:
    """At least n of lits are true, plus the integer terms ``counts`` (each a
    group's number of votes), folded over constant literals."""
    n -= sum(1 for lit in lits if lit is True)
    rest = [lit for lit in lits if lit is not True and lit is not False]
    if n <= 0:
        return True
    if counts:
        terms = [f"(ite {lit} 1 0)" for lit in rest] + list(counts)
        return f"(>= {terms[0] if len(terms) == 1 else '(+ ' + ' '.join(terms) + ')'} {n})"
    if n > len(rest):
        return False
    if n == 1:
        return _or(rest)
    return f"((_ at-least {n}) {' '.join(rest)})"
