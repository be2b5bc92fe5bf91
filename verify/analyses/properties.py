"""Properties and analyses as plain functions of a regime.

Each returns one :class:`~verify.results.Result` per violation; a violation
with several perpetrators is checked for each in turn and the result names the
one it fails for.  The engine answers the questions; this module only decides
which questions to ask and packages the answers.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from verify.analyses.bounds import certificate, disjoint_routes, exact_min_evasion
from verify.analyses.routes import explain_routes, routed_elements
from verify.catalogue import catalogue
from verify.errors import UsageError
from verify.engine import (Outcome, Query, RuleGraph, Scenario, arrivals, coalition_of, compile_rules, detection,
                           without)
from verify.durations import format_duration
from verify.model import PropertySpec, Regime
from verify.results import Result, Verdict, Witness, combine

__all__ = [
    "detectability",
    "non_circumventability",
    "timeliness",
    "fault_tolerance",
    "robustness_margin",
    "minimal_evasion_sets",
    "run",
    "ANALYSES",
]


def _ms(timeout: float | None) -> int | None:
    if timeout is None:
        return None
    if not (timeout > 0 and timeout != float("inf")):
        raise UsageError(f"timeout must be a positive, finite number of seconds, not {timeout}")
    return max(1, int(timeout * 1000))


def _count(name: str, value: int) -> int:
    if value < 0:
        raise UsageError(f"{name} must be 0 or more, not {value}")
    return value


def _statement(regime: Regime, prop: str, violation: str, perpetrator: str | None, **values) -> str:
    values.pop("violation", None)
    values.pop("direct", None)
    v = regime.violation[violation]
    names = {
        "violation": v.label,
        "perpetrator": perpetrator if perpetrator else " or ".join(v.perpetrators),
        "verifiers": " or ".join(ver.id for ver in regime.verifiers) or "no verifier (none is declared)",
    }
    for key, value in values.items():
        names[key] = format_duration(value) if key == "T" else value
    if names.get("kstar") == "all":
        names["kstar"] = "any number (even the whole pool cannot evade)"
    elif names.get("kstar") == -1:
        names["kstar"] = "none: it is not detected even without accomplices"
    text = catalogue()[prop].statement
    try:
        return text.format(**names)
    except (KeyError, IndexError):
        return text


def witness(regime: Regime, graph: RuleGraph, chosen=(), failed=()) -> Witness:
    """The scenario a solver answer describes, walked route by route.

    Walked on the unfolded rules, so that routes the perpetrator's own side
    blocks (a sanitised site, a silent operator) are shown too.
    """
    graph = compile_rules(regime, graph.violation, graph.perpetrator, graph.direct_only, fold=False)
    routed = routed_elements(graph)
    coalition = coalition_of(regime, graph, chosen)
    sc = Scenario(coalition, frozenset(failed))
    found = detection(regime, graph, sc)
    times = arrivals(regime, graph, sc)
    notices = []
    for state, arr in sorted(times.items(), key=lambda kv: (kv[1].time, kv[0])):
        r = arr.rule
        if r is not None and r.kind in ("refuse", "withhold", "relay-drop"):
            what = {"refuse": "a refused access to", "withhold": "a missing report on",
                    "relay-drop": "a dropped report on"}[r.kind]
            notices.append(f"{state[0]} notices {what} {r.element} at {format_duration(arr.time)}")
    order = {a.id: i for i, a in enumerate(regime.actors)}
    return Witness(
        violation=graph.violation, perpetrator=graph.perpetrator,
        chosen=tuple(sorted(chosen, key=order.get)),
        coalition=tuple(sorted(coalition, key=order.get)),
        failed=tuple(sorted(failed)),
        detection_time=None if found is None else found[0],
        detected_by=None if found is None else found[1],
        routes=explain_routes(regime, graph, sc),
        notices=tuple(notices),
        blind=tuple((m.id, graph.blind[m.id]) for m in regime.mechanisms if m.id in graph.blind),
        unrouted=tuple(m.id for m in regime.mechanisms
                       if m.id not in graph.blind and m.id not in routed),
    )


def _params(**kw) -> tuple[tuple[str, object], ...]:
    return tuple((k, v) for k, v in kw.items() if v is not None)


def _per_perpetrator(regime: Regime, prop: str, violation: str, params, one: Callable[[str], Result]) -> Result:
    parts = [one(p) for p in regime.violation[violation].perpetrators]
    verdict = combine(parts)
    chosen = next((p for p in parts if p.verdict == verdict), parts[0])
    if verdict == Verdict.HOLDS and all(p.figure("worst-case time") is not None for p in parts):
        chosen = max(parts, key=lambda p: p.figure("worst-case time"))
    if verdict == Verdict.HOLDS:
        rests = tuple(sorted({e for p in parts for e in p.rests_on}))
        # A certificate proves the property for one perpetrator: its routes
        # avoid that perpetrator's closure, not necessarily another's.  Show
        # one only when it is the whole proof.
        cert = parts[0].certificate if len(parts) == 1 else ()
        return Result(prop, params, violation, verdict,
                      _statement(regime, prop, violation, None,
                                 **{k: v for k, v in params if k != "violation"}),
                      rests_on=rests, certificate=cert, figures=chosen.figures)
    return chosen


def _solver_result(regime, prop, violation, params, graph, query: Query, bound) -> Result:
    """Ask for a smallest evading choice within ``bound`` and package it."""
    p = graph.perpetrator
    statement = _statement(regime, prop, violation, p, **{k: v for k, v in params if k != "violation"})
    out = query.smallest(bound)
    if out.status == "unknown":
        return Result(prop, params, violation, Verdict.UNKNOWN, statement, p,
                      note=f"the solver gave no answer ({out.reason or 'time-out'})")
    if out.status == "detected":
        return Result(prop, params, violation, Verdict.HOLDS, statement, p, rests_on=out.core)
    w = witness(regime, graph, out.chosen, out.failed)
    note = "" if out.smallest else f"a smaller counterexample may exist (the solver gave no answer: {out.reason})"
    return Result(prop, params, violation, Verdict.FAILS, statement, p, witness=w, note=note)


#: Above this many rules the worst-case time of a timeliness that holds is
#: not searched for (each step of the search is a solver call).
WORST_CASE_RULE_LIMIT = 20_000


def detectability(regime: Regime, violation: str, *, direct: bool = False,
                  timeout: float | None = None) -> Result:
    params = _params(violation=violation, direct=direct or None)

    def one(p):
        graph = compile_rules(regime, violation, p, direct)
        q = Query(regime, graph, colluders=False, timeout_ms=_ms(timeout))
        return _solver_result(regime, "detectability", violation, params, graph, q, 0)

    return _per_perpetrator(regime, "detectability", violation, params, one)


def non_circumventability(regime: Regime, violation: str, k: int | None = None, *, direct: bool = False,
                          timeout: float | None = None) -> Result:
    k = _count("k", regime.threat_model.max if k is None else k)
    params = _params(violation=violation, k=k, direct=direct or None)

    def one(p):
        graph = compile_rules(regime, violation, p, direct)
        statement = _statement(regime, "non-circumventability", violation, p, k=k)
        routes_ = certificate(regime, graph, k + 1)
        if routes_ is not None:
            # k+1 merged-disjoint routes: no k colluders can block them all,
            # and the proof rests on nothing but these routes' elements.
            used = tuple(sorted({s.element for r in routes_ for s in r.steps}))
            return Result("non-circumventability", params, violation, Verdict.HOLDS, statement, p,
                          rests_on=used, certificate=routes_)
        exact = exact_min_evasion(regime, graph)
        if exact is not None:
            size, chosen = exact
            if size == -1 or size > k:
                return Result("non-circumventability", params, violation, Verdict.HOLDS, statement, p,
                              rests_on=tuple(sorted({r.element for r in graph.rules})))
            return Result("non-circumventability", params, violation, Verdict.FAILS, statement, p,
                          witness=witness(regime, graph, chosen))
        q = Query(regime, graph, timeout_ms=_ms(timeout))
        return _solver_result(regime, "non-circumventability", violation, params, graph, q, k)

    return _per_perpetrator(regime, "non-circumventability", violation, params, one)


def timeliness(regime: Regime, violation: str, T: int, k: int | None = None, *, direct: bool = False,
               timeout: float | None = None) -> Result:
    k = _count("k", regime.threat_model.max if k is None else k)
    T = _count("T", T)
    params = _params(violation=violation, T=T, k=k, direct=direct or None)

    def one(p):
        graph = compile_rules(regime, violation, p, direct)
        q = Query(regime, graph, deadline=T, timeout_ms=_ms(timeout))
        result = _solver_result(regime, "timeliness", violation, params, graph, q, k)
        if result.verdict == Verdict.HOLDS and len(graph.rules) <= WORST_CASE_RULE_LIMIT:
            # What a drafter asks next: how close to the deadline can it get?
            worst = q.worst_time(k)
            if worst is not None:
                time, chosen = worst
                order = {a.id: i for i, a in enumerate(regime.actors)}
                result = replace(result, figures=(("worst-case time", time),
                                                  ("worst-case coalition", (p, *sorted(chosen, key=order.get)))))
        return result

    return _per_perpetrator(regime, "timeliness", violation, params, one)


def fault_tolerance(regime: Regime, violation: str, f: int = 1, *, direct: bool = False,
                    timeout: float | None = None) -> Result:
    f = _count("f", f)
    params = _params(violation=violation, f=f, direct=direct or None)

    def one(p):
        graph = compile_rules(regime, violation, p, direct)
        q = Query(regime, graph, colluders=False, failures=True, timeout_ms=_ms(timeout))
        return _solver_result(regime, "fault-tolerance", violation, params, graph, q, f)

    return _per_perpetrator(regime, "fault-tolerance", violation, params, one)


def _min_evasion(regime: Regime, graph: RuleGraph, q: Query, removed=()) -> tuple[str, object]:
    """("size", Outcome), ("all", None) or ("unknown", reason).

    Graph bounds first: on a pure graph the minimum cut is the answer; else
    the number of merged-disjoint routes is a proven lower bound, which lets
    the solver stop as soon as it meets it.
    """
    if removed:
        graph = without(regime, graph, removed)
    exact = exact_min_evasion(regime, graph)
    if exact is not None:
        size, chosen = exact
        return ("all", None) if size == -1 else ("size", Outcome("evades", chosen))
    out = q.smallest(None, lower=len(disjoint_routes(regime, graph)), removed=removed)
    if out.status == "unknown" or not out.smallest:
        return "unknown", out.reason
    if out.status == "detected":
        return "all", None
    return "size", out


def robustness_margin(regime: Regime, violation: str, *, direct: bool = False,
                      timeout: float | None = None) -> Result:
    """k*: the largest coalition the violation's detection survives, and how
    far k* drops without each mechanism or flow."""
    params = _params(violation=violation, direct=direct or None)
    worst: tuple | None = None
    per_element: dict[str, object] = {}
    elements = [m.id for m in regime.mechanisms] + [f.id for f in regime.flows]
    for p in regime.violation[violation].perpetrators:
        graph = compile_rules(regime, violation, p, direct)
        q = Query(regime, graph, timeout_ms=_ms(timeout))
        kind, value = _min_evasion(regime, graph, q)
        if kind == "unknown":
            return Result("robustness-margin", params, violation, Verdict.UNKNOWN,
                          _statement(regime, "robustness-margin", violation, p, kstar="?"), p,
                          note=f"the solver gave no answer ({value or 'time-out'})")
        kstar = "all" if kind == "all" else len(value.chosen) - 1
        if worst is None or _rank(kstar) < _rank(worst[0]):
            worst = (kstar, p, graph, value if kind == "size" else None)
        for e in elements:
            if e not in q.switch:
                # Not on any route for this perpetrator: removing it changes nothing.
                without = kstar
            else:
                kind_e, value_e = _min_evasion(regime, graph, q, removed=[e])
                without = "unknown" if kind_e == "unknown" else (
                    "all" if kind_e == "all" else len(value_e.chosen) - 1)
            old = per_element.get(e)
            if old is None or _rank(without) < _rank(old):
                per_element[e] = without
    kstar, p, graph, out = worst
    w = witness(regime, graph, out.chosen, out.failed) if out is not None else None
    figures = (("k*", kstar), ("without", tuple(sorted(per_element.items(), key=lambda kv: (_rank(kv[1]), kv[0])))))
    # As a verdict: does the margin reach the coalition size the treaty claims?
    claimed = regime.threat_model.max
    return Result("robustness-margin", params, violation, Verdict.HOLDS if _rank(kstar) >= claimed else Verdict.FAILS,
                  _statement(regime, "robustness-margin", violation, p, kstar=kstar), p if w else None,
                  witness=w, figures=figures)


def _rank(kstar) -> float:
    if kstar == "all":
        return float("inf")
    if kstar == "unknown":
        return float("-inf")
    return float(kstar)


def minimal_evasion_sets(regime: Regime, violation: str, K: int | None = None, *, direct: bool = False,
                         timeout: float | None = None) -> Result:
    """Every inclusion-minimal evading coalition of up to K colluders, and each
    actor's criticality (in how many of them it stands)."""
    K = _count("K", regime.threat_model.max if K is None else K)
    params = _params(violation=violation, K=K, direct=direct or None)
    sets: list[tuple[str, tuple[str, ...]]] = []
    for p in regime.violation[violation].perpetrators:
        graph = compile_rules(regime, violation, p, direct)
        q = Query(regime, graph, timeout_ms=_ms(timeout))
        for s in q.minimal_sets(K, q.evades_with):
            if s is None:
                return Result("minimal-evasion-sets", params, violation, Verdict.UNKNOWN,
                              _statement(regime, "minimal-evasion-sets", violation, p), p,
                              note="the solver gave no answer (time-out)")
            sets.append((p, s))
    order = {a.id: i for i, a in enumerate(regime.actors)}
    sets.sort(key=lambda ps: (order[ps[0]], len(ps[1]), [order[a] for a in ps[1]]))
    crit: dict[str, int] = {}
    for _, s in sets:
        for a in s:
            crit[a] = crit.get(a, 0) + 1
    figures = (("sets", tuple(sets)),
               ("criticality", tuple(sorted(crit.items(), key=lambda kv: (-kv[1], order[kv[0]])))))
    # As a verdict: does any set breach the threat model's claimed size?
    verdict = Verdict.FAILS if any(len(s) <= regime.threat_model.max for _, s in sets) else Verdict.HOLDS
    return Result("minimal-evasion-sets", params, violation, verdict,
                  _statement(regime, "minimal-evasion-sets", violation, None), figures=figures)


#: property id -> function.  A plain table: the catalogue in properties/
#: documents the same ids, and a test keeps the two equal.
ANALYSES: dict[str, Callable[..., Result]] = {
    "detectability": detectability,
    "non-circumventability": non_circumventability,
    "timeliness": timeliness,
    "fault-tolerance": fault_tolerance,
    "robustness-margin": robustness_margin,
    "minimal-evasion-sets": minimal_evasion_sets,
}


def run(regime: Regime, spec: PropertySpec, timeout: float | None = None) -> list[Result]:
    """One result per violation the spec names (all of them by default)."""
    fn = ANALYSES[spec.property]
    params = dict(spec.params)
    target = params.pop("violation", None)
    # A named violation that is absent (suspended, or proposed under --as-is)
    # gives no result; the caller says so.
    violations = ([target] if target in regime.violation else []) if target else [v.id for v in regime.violations]
    return [fn(regime, v, timeout=timeout, **params) for v in violations]
