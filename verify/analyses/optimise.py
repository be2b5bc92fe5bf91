"""The cheapest design that holds, and what could be dropped.

A regime marks some mechanisms, flows and bodies ``optional: true``: candidate
elements a working group could add, each with a ``cost`` (and an
``intrusiveness`` and the labels it would ``reveals``).  :func:`optimise`
finds the least-cost choice of them under which every property in the
design's list holds, and proves that nothing cheaper does; or that no choice
does, with the reason (a property that fails even with every option in).

The search is counterexample-guided (see :mod:`verify.engine.synthesis`):
z3's Optimize proposes the cheapest choice that defeats every scenario
learned so far; the ordinary properties check it; a coalition (or failure
set) that still evades is learned.  The proposal's cost is a proven lower
bound at every round, so a run cut short by ``timeout`` reports the best
design known to hold, that bound and the gap, never a false "optimal".
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Literal, TypeVar

from verify.analyses.properties import run
from verify.engine import RuleGraph, Scenario, compile_rules
from verify.engine.synthesis import DERIVATION_LIMIT, Master
from verify.errors import UsageError
from verify.model import Body, Flow, Mechanism, PropertySpec, Regime, effective
from verify.results import Result, Verdict

__all__ = ["Design", "Optimum", "FrontPoint", "options", "with_choice", "optimise", "front"]

Status = Literal["optimal", "infeasible", "gap", "unknown"]

#: The share of ``timeout`` after which the search, if still going, repairs
#: its latest proposal into a design that holds (an upper bound).
REPAIR_AT = 0.6


@dataclass(frozen=True)
class Design:
    """A choice of optional elements and what it costs and exposes."""

    chosen: tuple[str, ...]
    cost: Fraction
    intrusiveness: Fraction
    #: Labels the chosen mechanisms reveal.
    reveals: tuple[str, ...]


@dataclass(frozen=True)
class Optimum:
    status: Status
    #: The options considered (the elements that could be left out).
    options: tuple[str, ...]
    #: optimal: the cheapest design; gap: the best design known to hold.
    design: Design | None
    #: A proven lower bound on the cost of any design that holds.
    lower_bound: Fraction | None
    #: optimal: the design's results; infeasible: what fails with every
    #: option in (the reason no choice helps).
    results: tuple[Result, ...] = ()
    #: Proposals checked.
    rounds: int = 0
    note: str = ""
    #: Options without a cost, counted as 0.
    free: tuple[str, ...] = ()

    @property
    def gap(self) -> Fraction | None:
        if self.design is None or self.lower_bound is None:
            return None
        return self.design.cost - self.lower_bound


@dataclass(frozen=True)
class FrontPoint:
    """The cheapest design under which k* reaches ``k``."""

    k: int
    optimum: Optimum


Choosable = Mechanism | Flow | Body


def _single_sources(regime: Regime) -> None:
    # The synthesis learns one evidence route at a time; a finding that
    # needs several sources at once is outside what it can learn.
    for v in regime.verifiers:
        if v.independent > 1:
            raise UsageError(f"verifier {v.id!r} needs {v.independent} independent sources: verify optimise "
                             "does not support a finding rule with independent > 1 yet")


def _choosable(regime: Regime) -> list[Choosable]:
    return [*regime.mechanisms, *regime.flows, *regime.bodies]


def options(regime: Regime, removal: bool = False) -> tuple[str, ...]:
    """The elements a design may leave out: those marked optional, or with
    ``removal`` every mechanism and flow too."""
    out = []
    for e in _choosable(regime):
        if getattr(e, "optional", False) or (removal and not isinstance(e, Body)):
            out.append(e.id)
    return tuple(out)


def with_choice(regime: Regime, chosen: Sequence[str], opts: Sequence[str]) -> Regime:
    """The regime with the options not chosen left out (suspended, so that
    what needs them goes too)."""
    out = set(opts) - set(chosen)
    T = TypeVar("T", Mechanism, Flow, Body)

    def section(items: tuple[T, ...]) -> tuple[T, ...]:
        return tuple(replace(e, status="suspended") if e.id in out else e for e in items)

    changed = replace(regime, mechanisms=section(regime.mechanisms), flows=section(regime.flows),
                      bodies=section(regime.bodies), applied=None)
    return effective(changed)[0]


def _cost(e: Choosable) -> Fraction:
    cost = getattr(e, "cost", None)
    return Fraction(0) if cost is None else Fraction(str(cost))


def _design(regime: Regime, chosen: Sequence[str]) -> Design:
    by_id = {e.id: e for e in _choosable(regime)}
    picked = [by_id[c] for c in chosen]
    return Design(
        chosen=tuple(chosen),
        cost=sum((_cost(e) for e in picked), Fraction(0)),
        intrusiveness=sum((Fraction(str(getattr(e, "intrusiveness", None) or 0)) for e in picked), Fraction(0)),
        reveals=tuple(sorted({lab for e in picked if isinstance(e, Mechanism) for lab in e.reveals})),
    )


def _checks(regime: Regime, specs: Sequence[PropertySpec]) -> list[PropertySpec]:
    """The properties as checks a design must pass.  The analyses' verdicts
    are non-circumventability at the threat model's size (k* reaches it;
    no evasion set within it)."""
    out = []
    for s in specs:
        params = dict(s.params)
        if "from" in params:
            raise UsageError("optimise does not handle a clock from a named event (from:) yet")
        if s.property in ("robustness-margin", "minimal-evasion-sets"):
            k = regime.threat_model.max
            K = params.get("K")
            if s.property == "minimal-evasion-sets" and isinstance(K, int):
                k = min(k, K)
            kept = {key: v for key, v in params.items() if key in ("violation", "direct")}
            out.append(PropertySpec(property="non-circumventability", params=(*kept.items(), ("k", k))))
        else:
            out.append(s)
    return out


def _needs(full: Regime, opts: Sequence[str]) -> dict[str, frozenset[str]]:
    """For each element, the options it cannot work without (those whose
    absence takes it away), itself included if it is one."""
    needs: dict[str, set[str]] = {}
    for o in opts:
        gone = with_choice(full, [x for x in opts if x != o], opts)
        present = {e.id for e in _choosable(gone)} | {v.id for v in gone.verifiers}
        for e in [*_choosable(full), *full.verifiers]:
            if e.id not in present:
                needs.setdefault(e.id, set()).add(o)
    return {e: frozenset(s) for e, s in needs.items()}


def optimise(regime: Regime, specs: Sequence[PropertySpec] | None = None, *, timeout: float | None = None,
             as_is: bool = False, removal: bool = False, cheaper_than: Fraction | None = None,
             derivation_limit: int = DERIVATION_LIMIT) -> Optimum:
    """The least-cost choice of options under which every property in
    ``specs`` (default: the design's list) holds.  ``timeout``: seconds for
    the whole search (each solver call gets what is left).
    ``derivation_limit``: see :meth:`Master.require` (tests force either way
    of learning a scenario)."""
    regime, _ = effective(regime, as_is=as_is)
    _single_sources(regime)
    specs = list(regime.properties if specs is None else specs)
    if not specs:
        raise UsageError("the design lists no properties to hold; give some")
    checks = _checks(regime, specs)
    opts = options(regime, removal)
    by_id = {e.id: e for e in _choosable(regime)}
    free = tuple(o for o in opts if getattr(by_id[o], "cost", None) is None)
    started = time.monotonic()

    def left() -> float | None:
        return None if timeout is None else max(0.001, timeout - (time.monotonic() - started))

    def check(design: Regime, explain: bool = False) -> list[Result]:
        return [r for s in checks for r in run(design, s, timeout=left(), explain=explain)]

    # Every option in: if that fails, no choice helps (and the
    # counterexample, walked, says why).
    full_results = check(regime, explain=True)
    if any(r.verdict == Verdict.UNKNOWN for r in full_results):
        return Optimum("unknown", opts, None, None, tuple(full_results), 0,
                       "the solver gave no answer on the design with every option in", free)
    if any(r.verdict == Verdict.FAILS for r in full_results):
        return Optimum("infeasible", opts, None, None,
                       tuple(r for r in full_results if r.verdict == Verdict.FAILS), 0, "", free)
    best = _design(regime, opts)
    if cheaper_than is not None and best.cost >= cheaper_than:
        best = None  # type: ignore[assignment]
    needs = _needs(regime, opts)
    target_needs = {v.id: needs.get(v.id, frozenset()) for v in regime.verifiers}
    ms = None if timeout is None else int(timeout * 1000)
    master = Master({o: _cost(by_id[o]) for o in opts}, ms)
    if cheaper_than is not None:
        master.exclude_cost_at_least(cheaper_than)
    graphs: dict[tuple[str, str, bool], RuleGraph] = {}

    def scenario(r: Result) -> tuple[RuleGraph, Scenario, int | None]:
        w = r.witness
        if w is None:  # every failing check here comes with its scenario
            raise AssertionError(f"{r.property} failed without a counterexample")
        params = dict(r.params)
        direct = bool(params.get("direct", False))
        key = (r.violation, w.perpetrator, direct)
        graph = graphs.get(key)
        if graph is None:
            graph = graphs[key] = compile_rules(regime, r.violation, w.perpetrator, direct)
        T = params.get("T") if r.property == "timeliness" else None
        return graph, Scenario(frozenset(w.coalition), frozenset(w.failed)), T if isinstance(T, int) else None

    def learn(failing: list[Result], chosen: Sequence[str]) -> None:
        for r in failing:
            graph, sc, T = scenario(r)
            master.require(regime, graph, sc, T, needs, target_needs, failing=chosen,
                           derivation_limit=derivation_limit)

    def repair(start: Sequence[str], failing: list[Result]) -> Design | None:
        """A design that holds, grown from ``start`` (whose failing checks,
        already learned, are ``failing``) one option at a time: the cheapest
        that defeats the scenario that still evades.  An upper bound, so
        that a search cut short reports a useful gap."""
        current = set(start)
        while timeout is None or time.monotonic() - started < timeout:
            chosen = [o for o in opts if o in current]
            if not failing:
                results = check(with_choice(regime, chosen, opts))
                if any(r.verdict == Verdict.UNKNOWN for r in results):
                    return None
                failing = [r for r in results if r.verdict == Verdict.FAILS]
                if not failing:
                    return _design(regime, chosen)
                learn(failing, chosen)
            graph, sc, T = scenario(failing[0])
            fixes = master.defeaters(regime, graph, sc, T, needs, target_needs, chosen)
            rest = sorted((o for o in opts if o not in current), key=lambda o: (_cost(by_id[o]), o))
            if not fixes and not rest:
                return None
            current.add(fixes[0] if fixes else rest[0])
            failing = []
        return None

    rounds = 0
    lower: Fraction | None = None
    repaired = False
    while True:
        if timeout is not None and time.monotonic() - started > timeout:
            return Optimum("gap", opts, best, lower, (), rounds, "the time budget ran out", free)
        remaining = left()
        proposal = master.propose(None if remaining is None else int(remaining * 1000))
        if proposal.status == "unknown":
            return Optimum("gap" if best is not None else "unknown", opts, best, lower, (), rounds,
                           "the solver gave no answer", free)
        if proposal.status == "unsat":
            # Only with cheaper_than: nothing cheaper holds.
            return Optimum("infeasible", opts, None, lower, (), rounds, "no cheaper design holds", free)
        rounds += 1
        lower = proposal.cost
        if best is not None and lower is not None and best.cost <= lower and best.chosen != tuple(opts):
            # A design known to hold costs no more than the proven bound.
            return Optimum("optimal", opts, best, lower, (), rounds, "", free)
        design = with_choice(regime, proposal.chosen, opts)
        results = check(design)
        if any(r.verdict == Verdict.UNKNOWN for r in results):
            return Optimum("gap" if best is not None else "unknown", opts, best, lower, (), rounds,
                           "the solver gave no answer while checking a proposal", free)
        failing = [r for r in results if r.verdict == Verdict.FAILS]
        if not failing:
            return Optimum("optimal", opts, _design(regime, proposal.chosen), lower, tuple(results), rounds,
                           "", free)
        learn(failing, proposal.chosen)
        if timeout is not None and not repaired and time.monotonic() - started > REPAIR_AT * timeout:
            # Most of the time is gone: make sure a cut-short answer has a
            # design better than "everything" to report.
            repaired = True
            found = repair(proposal.chosen, failing)
            if found is not None and (best is None or found.cost < best.cost):
                best = found


def front(regime: Regime, violation: str | None = None, kmax: int | None = None, *,
          timeout: float | None = None, as_is: bool = False, removal: bool = False) -> tuple[FrontPoint, ...]:
    """The Pareto front of cost against the robustness margin: for each k
    from 0 up to ``kmax`` (default the threat model's size), the cheapest
    design under which no coalition of the perpetrator and k accomplices
    evades (non-circumventability with k, for each violation or the one
    named).  A point is kept when it costs more than the one before."""
    regime, _ = effective(regime, as_is=as_is)
    _single_sources(regime)
    kmax = regime.threat_model.max if kmax is None else kmax
    violations = [violation] if violation else [v.id for v in regime.violations]
    out: list[FrontPoint] = []
    for k in range(kmax + 1):
        specs = [PropertySpec(property="non-circumventability", params=(("violation", v), ("k", k)))
                 for v in violations]
        o = optimise(regime, specs, timeout=timeout, removal=removal)
        out.append(FrontPoint(k, o))
        if o.status != "optimal":
            break
    return tuple(out)
