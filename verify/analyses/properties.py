"""Properties and analyses as plain functions of a regime.

Each returns one :class:`~verify.results.Result` per violation; a violation
with several perpetrators is checked for each in turn and the result names the
one it fails for.  The engine answers the questions; this module only decides
which questions to ask and packages the answers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from verify.analyses.bounds import Packer, certificate, disjoint_routes, may_fold_pure, min_cut
from verify.analyses.chance import detection_probability, deterrence
from verify.analyses.framing import non_frameability
from verify.analyses.leaks import confidentiality
from verify.analyses.routes import explain_routes, on_route, routed_elements
from verify.catalogue import catalogue
from verify.durations import format_duration
from verify.engine import (
    Answer,
    Outcome,
    RuleGraph,
    Scenario,
    arrivals,
    coalition_of,
    compile_rules,
    counted_groups,
    detection,
    query,
)
from verify.engine.evaluate import NOTICED_BY, event_time
from verify.engine.rules import folded
from verify.errors import UsageError
from verify.gcpause import gc_paused
from verify.model import Claim, PropertySpec, Regime, effective
from verify.results import (
    CountedGroup,
    EvasionSets,
    Grade,
    KStar,
    Margin,
    Notice,
    Result,
    Route,
    Verdict,
    Witness,
    WorstCase,
    combine,
)

if TYPE_CHECKING:
    from verify.engine.solve import Query

__all__ = [
    "detectability",
    "non_circumventability",
    "timeliness",
    "fault_tolerance",
    "robustness_margin",
    "minimal_evasion_sets",
    "detection_probability",
    "deterrence",
    "inspection_game",
    "attribution",
    "non_frameability",
    "confidentiality",
    "run",
    "what_if",
    "ask",
    "out_of_time",
    "asked",
    "WHAT_IF",
    "SUBJECTS",
    "subjects",
    "ANALYSES",
]


def _ms(timeout: float | None) -> int | None:
    if timeout is None:
        return None
    if not (timeout > 0 and timeout != float("inf")):
        raise UsageError(f"timeout must be a positive, finite number of seconds, not {timeout}")
    return max(1, int(timeout * 1000))


def _effort(minimal_core: bool) -> float | None:
    """A query's core effort: to the end on request, else its default budget."""
    return math.inf if minimal_core else None


def _count(name: str, value: int) -> int:
    if value < 0:
        raise UsageError(f"{name} must be 0 or more, not {value}")
    return value


def _statement(regime: Regime, prop: str, violation: str, perpetrator: str | None, **values: object) -> str:
    values.pop("violation", None)
    values.pop("direct", None)
    v = regime.violation[violation]
    names: dict[str, object] = {
        "violation": v.label,
        "perpetrator": perpetrator if perpetrator else " or ".join(v.perpetrators),
        "verifiers": " or ".join(ver.id for ver in regime.verifiers) or "no verifier (none is declared)",
    }
    for key, value in values.items():
        names[key] = format_duration(value) if key == "T" and isinstance(value, int) else value
    kstar = values.get("kstar")
    if isinstance(kstar, KStar):
        names["kstar"] = ("any number (even the whole pool cannot evade)" if kstar == KStar.whole_pool()
                          else "none: it is not detected even without accomplices" if kstar == KStar.of(-1)
                          else kstar.text)
    text = catalogue()[prop].statement
    try:
        return text.format(**names)
    except (KeyError, IndexError):
        return text


#: Rules that notice a breach, and the breach (the engine's table, read backwards).
_NOTICE = {kind: reason for reason, kind in NOTICED_BY.items()}


def groups_of(regime: Regime, graph: RuleGraph) -> tuple[CountedGroup, ...]:
    """The counted groups of one perpetrator's rule graph, named for a
    reader: by the declared group they make up or lie in, else by the bodies
    they vote in."""
    out = []
    for members in counted_groups(regime, graph):
        inside = set(members)
        declared = [g for g in regime.groups if inside <= set(g.members)]
        if declared:
            g = min(declared, key=lambda g: len(g.members))
            name = g.name or g.id
            label = name if set(g.members) == inside else f"{name} members outside the case"
        else:
            bodies = [b.id for b in regime.bodies if inside <= set(b.members)]
            label = "members of " + " and ".join(bodies) if bodies else "interchangeable colluders"
        out.append(CountedGroup(graph.perpetrator, members, label))
    return tuple(out)


@gc_paused
def witness(regime: Regime, graph: RuleGraph, chosen: Sequence[str] = (), failed: Sequence[str] = (),
            start: str | None = None, unfolded: RuleGraph | None = None) -> Witness:
    """The scenario a solver answer describes, walked route by route.

    Walked on the unfolded rules, so that routes the perpetrator's own side
    blocks (a sanitised site, a silent operator) are shown too (``unfolded``:
    those rules, when the caller compiled them already).
    """
    groups = tuple(g for g in groups_of(regime, graph) if g.count(chosen))
    graph = unfolded if unfolded is not None else compile_rules(
        regime, graph.violation, graph.perpetrator, graph.direct_only, fold=False, attributing=graph.attributing)
    on_all = on_route(graph)
    routed = routed_elements(graph, on_all)
    coalition = coalition_of(regime, graph, chosen)
    sc = Scenario(coalition, frozenset(failed))
    times = arrivals(regime, graph, sc)
    found = detection(regime, graph, sc, times)
    # The breaches noticed, by time: the few arrivals a noticing rule made,
    # picked out before sorting (every arrival sorted was a twentieth of a walk).
    noticed = [(arr.time, state, arr.rule) for state, arr in times.items()
               if arr.rule is not None and arr.rule.kind in _NOTICE]
    notices = [Notice(state[0], _NOTICE[r.kind], r.element, t)
               for t, state, r in sorted(noticed, key=lambda x: (x[0], x[1]))]
    order = {a.id: i for i, a in enumerate(regime.actors)}
    return Witness(
        violation=graph.violation, perpetrator=graph.perpetrator,
        chosen=tuple(sorted(chosen, key=order.__getitem__)),
        coalition=tuple(sorted(coalition, key=order.__getitem__)),
        failed=tuple(sorted(failed)),
        detection_time=None if found is None else found[0],
        detected_by=None if found is None else (found[1][0], Grade(found[1][1])),
        routes=explain_routes(regime, graph, sc, times=times, on_all=on_all),
        notices=tuple(notices),
        blind=tuple(graph.blind[m.id] for m in regime.mechanisms if m.id in graph.blind),
        unrouted=tuple(m.id for m in regime.mechanisms
                       if m.id not in graph.blind and m.id not in routed),
        groups=groups,
        clock=None if start is None else (start, event_time(regime, graph, sc, start, times)),
    )


Params = tuple[tuple[str, object], ...]


def _params(**kw: object) -> Params:
    return tuple((k, v) for k, v in kw.items() if v is not None)


def _values(params: Params) -> dict[str, object]:
    return {k: v for k, v in params if k != "violation"}


@gc_paused  # as run() is: for callers of the analyses themselves (notebooks, benchmarks)
def _per_perpetrator(regime: Regime, prop: str, violation: str, params: Params,
                     one: Callable[[str], Result]) -> Result:
    parts = [one(p) for p in regime.violation[violation].perpetrators]
    verdict = combine(parts)
    chosen = next((p for p in parts if p.verdict == verdict), parts[0])
    if verdict == Verdict.HOLDS:
        worst = [p.figures for p in parts if isinstance(p.figures, WorstCase)]
        figures = max(worst, key=lambda w: w.time) if len(worst) == len(parts) else None
        rests = tuple(sorted({e for p in parts for e in p.rests_on}))
        # A certificate proves the property for one perpetrator: its routes
        # avoid that perpetrator's closure, not necessarily another's.  Show
        # one only when it is the whole proof.
        cert = parts[0].certificate if len(parts) == 1 else ()
        statement = _statement(regime, prop, violation, None, **_values(params))
        start = dict(params).get("from")
        if isinstance(start, str):
            statement = _from(statement, start)
        notes = dict.fromkeys(p.note for p in parts if p.note)
        return Result(prop, params, violation, verdict, statement,
                      rests_on=rests, rests_on_minimal=all(p.rests_on_minimal for p in parts),
                      certificate=cert, figures=figures, note="; ".join(notes))
    return chosen


def bare_witness(regime: Regime, graph: RuleGraph, chosen: Sequence[str] = (),
                 failed: Sequence[str] = ()) -> Witness:
    """The scenario alone (who colludes, what failed), not walked: what a
    caller that only learns from it needs (``verify optimise``)."""
    order = {a.id: i for i, a in enumerate(regime.actors)}
    return Witness(violation=graph.violation, perpetrator=graph.perpetrator,
                   chosen=tuple(sorted(chosen, key=order.__getitem__)),
                   coalition=tuple(sorted(coalition_of(regime, graph, chosen), key=order.__getitem__)),
                   failed=tuple(sorted(failed)), detection_time=None, detected_by=None, routes=())


def _solver_result(regime: Regime, prop: str, violation: str, params: Params, graph: RuleGraph,
                   query: Query, bound: int | None, explain: bool = True,
                   unfolded: RuleGraph | None = None) -> Result:
    """Ask for a smallest evading choice within ``bound`` and package it;
    without ``explain``, no core and a bare witness."""
    p = graph.perpetrator
    statement = _statement(regime, prop, violation, p, **_values(params))
    if query.start is not None:
        statement = _from(statement, query.start)
    out = query.smallest(bound, core=explain)
    if out.status == Answer.UNKNOWN:
        return Result(prop, params, violation, Verdict.UNKNOWN, statement, p,
                      note=f"the solver gave no answer ({out.reason or 'time-out'})")
    if out.status == Answer.DETECTED:
        return Result(prop, params, violation, Verdict.HOLDS, statement, p, rests_on=out.core,
                      rests_on_minimal=out.core_minimal)
    w = witness(regime, graph, out.chosen, out.failed, query.start, unfolded) if explain \
        else bare_witness(regime, graph, out.chosen, out.failed)
    note = "" if out.smallest else f"a smaller counterexample may exist (the solver gave no answer: {out.reason})"
    return Result(prop, params, violation, Verdict.FAILS, statement, p, witness=w, note=note)


#: Above this many rules the worst-case time of a timeliness that holds is
#: not searched for (each step of the search is a solver call).
WORST_CASE_RULE_LIMIT = 20_000


def detectability(regime: Regime, violation: str, *, direct: bool = False,
                  timeout: float | None = None, as_is: bool = False, explain: bool = True,
                  minimal_core: bool = False) -> Result:
    regime, _ = effective(regime, as_is=as_is)
    params = _params(violation=violation, direct=direct or None)

    def one(p: str) -> Result:
        graph = compile_rules(regime, violation, p, direct)
        q = query(regime, graph, colluders=False, timeout_ms=_ms(timeout), core_effort=_effort(minimal_core))
        return _solver_result(regime, "detectability", violation, params, graph, q, 0, explain)

    return _per_perpetrator(regime, "detectability", violation, params, one)


def non_circumventability(regime: Regime, violation: str, k: int | None = None, *, direct: bool = False,
                          timeout: float | None = None, as_is: bool = False, explain: bool = True,
                          minimal_core: bool = False) -> Result:
    regime, _ = effective(regime, as_is=as_is)
    k = _count("k", regime.threat_model.max if k is None else k)
    params = _params(violation=violation, k=k, direct=direct or None)

    def one(p: str) -> Result:
        # Compiled once, folded for the bounds and the solver, unfolded for
        # a counterexample's walk.
        unfolded = compile_rules(regime, violation, p, direct, fold=False)
        statement = _statement(regime, "non-circumventability", violation, p, k=k)
        # On a pure graph max-flow answers both ways, with Menger's routes
        # as the certificate; elsewhere the greedy routes may prove it.
        # Where some rule that can fire is not pure, the greedy search goes
        # first, on the unfolded rules (the same routes): when it proves
        # the property, folding (half a 10,000-actor check) is skipped.
        # (Not where some target needs several sources at once: the greedy
        # search declines such a graph, and folding may drop that target.)
        greedy = not unfolded.conjunctive and not may_fold_pure(regime, unfolded)
        routes_: tuple[Route, ...] | None = None
        if greedy:
            found = disjoint_routes(regime, unfolded, k + 1)
            routes_ = found if len(found) == k + 1 else None
        graph = unfolded if routes_ is not None else folded(regime, unfolded)
        cut = min_cut(regime, graph, routes_above=k) if routes_ is None else None
        if cut is not None and 0 <= cut.size <= k:
            return Result("non-circumventability", params, violation, Verdict.FAILS, statement, p,
                          witness=witness(regime, graph, cut.chosen, unfolded=unfolded) if explain
                          else bare_witness(regime, graph, cut.chosen))
        if routes_ is None and cut is not None and len(cut.routes) > k:
            routes_ = cut.routes[:k + 1]
        if routes_ is None:
            routes_ = certificate(regime, graph, k + 1, greedy=not greedy)
        if routes_ is not None:
            # k+1 merged-disjoint routes: no k colluders can block them all,
            # and the proof rests on nothing but these routes' elements.
            used = tuple(sorted({s.element for r in routes_ for s in r.steps}))
            return Result("non-circumventability", params, violation, Verdict.HOLDS, statement, p,
                          rests_on=used, certificate=routes_)
        if cut is not None:
            return Result("non-circumventability", params, violation, Verdict.HOLDS, statement, p,
                          rests_on=tuple(sorted({r.element for r in graph.rules})), rests_on_minimal=False)
        q = query(regime, graph, timeout_ms=_ms(timeout), core_effort=_effort(minimal_core))
        return _solver_result(regime, "non-circumventability", violation, params, graph, q, k, explain, unfolded)

    return _per_perpetrator(regime, "non-circumventability", violation, params, one)


def attribution(regime: Regime, violation: str, k: int = 0, *, direct: bool = False,
                timeout: float | None = None, as_is: bool = False, explain: bool = True,
                minimal_core: bool = False) -> Result:
    """Non-circumventability counting only evidence that names the
    perpetrator: a mechanism with ``attributes: false`` (a global sensor
    that sees an emission without locating it) may trigger others, but its
    own evidence never meets a finding rule."""
    regime, _ = effective(regime, as_is=as_is)
    k = _count("k", k)
    params = _params(violation=violation, k=k, direct=direct or None)

    def one(p: str) -> Result:
        graph = compile_rules(regime, violation, p, direct, attributing=True)
        q = query(regime, graph, timeout_ms=_ms(timeout), core_effort=_effort(minimal_core))
        out = _solver_result(regime, "attribution", violation, params, graph, q, k, explain)
        if out.verdict != Verdict.FAILS or out.witness is None:
            return out
        # What reaches a verifier in that scenario but names nobody.
        walked = compile_rules(regime, violation, p, direct, fold=False, attributing=True)
        times = arrivals(regime, walked, Scenario(coalition_of(regime, graph, out.witness.chosen)))
        verifiers = {v.id for v in regime.verifiers}
        anon = sorted({s[2] for s in times if s[0] in verifiers and s[2] in regime.mechanism
                       and not regime.mechanism[s[2]].attributes})
        note = ("evidence that does not name the perpetrator (attributes: false) reaches a verifier, from "
                + ", ".join(anon)) if anon else "no evidence that names the perpetrator reaches a verifier"
        return replace(out, note="; ".join(x for x in (out.note, note) if x))

    return _per_perpetrator(regime, "attribution", violation, params, one)


def _from(statement: str, start: str) -> str:
    return statement.rstrip(".") + f", counted from when {start} first delivers."


def timeliness(regime: Regime, violation: str, T: int, k: int | None = None, *, direct: bool = False,
               timeout: float | None = None, as_is: bool = False, start: str | None = None,
               explain: bool = True, minimal_core: bool = False) -> Result:
    """Evidence within T of the violation's start, or, with ``start`` (a
    mechanism or flow; ``from:`` in a regime file), within T of when
    ``start`` first delivers anything: a coalition under which it never
    does starts no clock (whether evidence arrives at all is
    non-circumventability's question)."""
    regime, _ = effective(regime, as_is=as_is)
    k = _count("k", regime.threat_model.max if k is None else k)
    T = _count("T", T)
    if start is not None and start not in regime.flow and start not in regime.mechanism:
        raise UsageError(f"a clock starts at a mechanism or flow; {start!r} is neither (or is absent)")
    params = _params(violation=violation, T=T, k=k, direct=direct or None, **{"from": start})

    def one(p: str) -> Result:
        graph = compile_rules(regime, violation, p, direct, keep=() if start is None else (start,))
        q = query(regime, graph, deadline=T, timeout_ms=_ms(timeout), start=start, core_effort=_effort(minimal_core))
        result = _solver_result(regime, "timeliness", violation, params, graph, q, k, explain)
        if explain and result.verdict == Verdict.HOLDS and len(graph.rules) > WORST_CASE_RULE_LIMIT:
            # Said, not silently left out (issue 14).
            result = replace(result, note=f"the worst-case time is not searched above {WORST_CASE_RULE_LIMIT:,} "
                                          f"rules (this regime has {len(graph.rules):,} for {p})")
        elif explain and result.verdict == Verdict.HOLDS and len(graph.rules) <= WORST_CASE_RULE_LIMIT:
            # What a drafter asks next: how close to the deadline can it get?
            worst = q.worst_time(k)
            if worst is not None:
                time, chosen = worst
                order = {a.id: i for i, a in enumerate(regime.actors)}
                result = replace(result, figures=WorstCase(time, (p, *sorted(chosen, key=order.__getitem__))))
        return result

    return _per_perpetrator(regime, "timeliness", violation, params, one)


def fault_tolerance(regime: Regime, violation: str, f: int = 1, *, direct: bool = False,
                    timeout: float | None = None, as_is: bool = False, explain: bool = True,
                    minimal_core: bool = False) -> Result:
    regime, _ = effective(regime, as_is=as_is)
    f = _count("f", f)
    params = _params(violation=violation, f=f, direct=direct or None)

    def one(p: str) -> Result:
        graph = compile_rules(regime, violation, p, direct)
        q = query(regime, graph, colluders=False, failures=True, timeout_ms=_ms(timeout),
                  core_effort=_effort(minimal_core))
        return _solver_result(regime, "fault-tolerance", violation, params, graph, q, f, explain)

    return _per_perpetrator(regime, "fault-tolerance", violation, params, one)


def _min_evasion(regime: Regime, graph: RuleGraph, q: Query,
                 packer: Packer) -> tuple[KStar, Outcome | None, str, tuple[Route, ...]]:
    """k* of one perpetrator, the smallest evading choice that sets it (None
    when nobody can evade, or the solver gave no answer), why unknown, and
    merged-disjoint routes (as many as found: a lower bound).

    On a pure graph the minimum cut is the answer; else the solver finds
    the smallest evasion (``Query.minimum``), from the number of routes, a
    proven lower bound.
    """
    cut = min_cut(regime, graph)
    if cut is not None:
        if cut.size == -1:
            return KStar.whole_pool(), None, "", ()
        return KStar.of(len(cut.chosen) - 1), Outcome(Answer.EVADES, cut.chosen), "", cut.routes
    routes = packer.pack()
    out = q.minimum(lower=len(routes))
    if out.status == Answer.UNKNOWN:
        return KStar.unknown(), None, out.reason, routes
    if out.status == Answer.DETECTED:
        return KStar.whole_pool(), None, "", routes
    return KStar.of(len(out.chosen) - 1), out, "", routes


def _without_each(packer: Packer, q: Query, kstar: KStar, elements: Sequence[str], ends: float | None,
                  routes: tuple[Route, ...] = ()) -> tuple[dict[str, KStar], int]:
    """k* of one perpetrator without each element (``kstar``: with all), and
    how many elements merged-disjoint routes settled.

    Removing an element can only lower k*, and it lowers it exactly when
    some coalition of at most k* colluders evades without it.  When there
    are k*+1 merged-disjoint ``routes``, no such coalition exists without
    an element none of them uses, nor without one for which max-flow finds
    k*+1 other routes: those keep k*, the routes being the reason (issue
    14).  Over the rest, one search over the one encoding finds those that
    lower k* (usually a handful); every other element keeps k*, proven by
    that search's last answer, and only the ones found get a smallest
    evasion of their own.  (MaxSAT asked for the element whose removal
    admits the smallest coalition was slower here than this search: 33 s
    against 1.4 s for the last answer at 3,000 actors.)  An element with no
    rule in the folded graph keeps k* without either.  Past ``ends``, or
    when the solver gives no answer, what is not settled is unknown.
    """
    out = {e: kstar for e in elements}
    if kstar == KStar.of(-1):
        return out, 0  # evades with every element: removing one cannot lower it
    settled = 0
    # An element with no rule in the folded graph carries no evidence of
    # this violation to a verifier: without it the graph folds the same.
    # Settled here, not left to the search (whose time budget, running out,
    # once made them unknown: 4,620 of 31,093 elements at 10,000 actors).
    among: list[str] = [e for e in elements if e in q.switch]
    lower: dict[str, int] = {}
    if kstar.value is not None and len(routes) == kstar.value + 1:
        on = {s.element for r in routes for s in r.steps}
        candidates, among = among, []
        settled += len(elements) - len(candidates)  # no route uses them either
        for e in candidates:
            if e not in on:
                settled += 1
            elif ends is not None and time.monotonic() > ends:
                out[e] = KStar.unknown()
            elif packer.reroute(routes, e):
                settled += 1  # one search found a route to take the place of e's
            else:
                lower[e] = len(packer.pack(frozenset({e})))
                if lower[e] == len(routes):
                    settled += 1
                else:
                    among.append(e)
    found: list[str] = []
    for named in q.critical(kstar.value, among, ends):
        if named is None or (ends is not None and time.monotonic() > ends):
            # The search did not finish: an element it did not name is not
            # proven to keep k*.
            out.update((e, KStar.unknown()) for e in among)
            return out, settled
        found.append(named)
    for e in found:
        if ends is not None and time.monotonic() > ends:
            out[e] = KStar.unknown()
            continue
        # The search named it for a coalition of at most k*.
        least = q.minimum(removed=[e], ends=ends, lower=lower.get(e, 0), at_most=kstar.value)
        out[e] = (KStar.unknown() if least.status == Answer.UNKNOWN else KStar.whole_pool()
                  if least.status == Answer.DETECTED else KStar.of(len(least.chosen) - 1))
    return out, settled


def robustness_margin(regime: Regime, violation: str, *, direct: bool = False,
                      timeout: float | None = None, as_is: bool = False, budget: float | None = None) -> Result:
    """k*: the largest coalition the violation's detection survives, and how
    far k* drops without each mechanism or flow.  ``budget``: seconds for the
    whole analysis; an element not reached in it has an unknown margin (k*
    itself, found first, stands)."""
    ends = None if budget is None else time.monotonic() + budget
    regime, _ = effective(regime, as_is=as_is)
    params = _params(violation=violation, direct=direct or None)
    worst: tuple[KStar, str, RuleGraph, Outcome | None] | None = None
    per_element: dict[str, KStar] = {}
    elements = [m.id for m in regime.mechanisms] + [f.id for f in regime.flows]
    perpetrators = regime.violation[violation].perpetrators
    by_routes = (0, 0)  # elements routes settled, and how many routes: said with one perpetrator
    for p in perpetrators:
        graph = compile_rules(regime, violation, p, direct)
        q = query(regime, graph, timeout_ms=_ms(timeout))
        packer = Packer(regime, graph, noticed=True)
        kstar, out, reason, routes = _min_evasion(regime, graph, q, packer)
        if kstar == KStar.unknown():
            return Result("robustness-margin", params, violation, Verdict.UNKNOWN,
                          _statement(regime, "robustness-margin", violation, p, kstar="?"), p,
                          note=f"the solver gave no answer ({reason or 'time-out'})")
        if worst is None or kstar < worst[0]:
            worst = (kstar, p, graph, out)
        without, settled = _without_each(packer, q, kstar, elements, ends, routes)
        if len(perpetrators) == 1:
            by_routes = (settled, len(routes))
        for e, without_e in without.items():
            old = per_element.get(e)
            if old is None or without_e < old:
                per_element[e] = without_e
    assert worst is not None  # validation: a violation has a perpetrator
    kstar, p, graph, out = worst
    w = witness(regime, graph, out.chosen, out.failed) if out is not None else None
    margin = Margin(kstar, tuple(sorted(per_element.items(), key=lambda kv: (kv[1], kv[0]))))
    # As a verdict: does the margin reach the coalition size the treaty claims?
    claimed = regime.threat_model.max
    cut = sum(1 for k in per_element.values() if k == KStar.unknown())
    notes = []
    if by_routes[0]:
        # Said, so that a reader knows these were not searched (issue 14).
        notes.append(f"{by_routes[0]} of {len(elements)} elements keep k* without a search: {by_routes[1]} "
                     "merged-disjoint routes do not use them, or other routes as many take their place")
    if cut:
        notes.append(f"the time budget ran out: the margin without {cut} element{'s' * (cut != 1)} is unknown")
    return Result("robustness-margin", params, violation,
                  Verdict.HOLDS if kstar >= KStar.of(claimed) else Verdict.FAILS,
                  _statement(regime, "robustness-margin", violation, p, kstar=kstar), p if w else None,
                  witness=w, figures=margin, note="; ".join(notes))


def minimal_evasion_sets(regime: Regime, violation: str, K: int | None = None, *, direct: bool = False,
                         timeout: float | None = None, as_is: bool = False, budget: float | None = None) -> Result:
    """Every inclusion-minimal evading coalition of up to K colluders, and each
    actor's criticality (in how many of them it stands).  ``budget``:
    seconds for the whole enumeration; past it the answer is unknown."""
    ends = None if budget is None else time.monotonic() + budget
    regime, _ = effective(regime, as_is=as_is)
    K = _count("K", regime.threat_model.max if K is None else K)
    params = _params(violation=violation, K=K, direct=direct or None)
    sets: list[tuple[str, tuple[str, ...]]] = []
    groups: list[CountedGroup] = []
    cut = False
    for p in regime.violation[violation].perpetrators:
        graph = compile_rules(regime, violation, p, direct)
        q = query(regime, graph, timeout_ms=_ms(timeout))
        groups += [g for g in groups_of(regime, graph) if g.members in q.groups]
        for s in q.minimal_sets(K, q.evades_with):
            if s is None:
                return Result("minimal-evasion-sets", params, violation, Verdict.UNKNOWN,
                              _statement(regime, "minimal-evasion-sets", violation, p), p,
                              note="the solver gave no answer (time-out)")
            sets.append((p, s))
            if ends is not None and time.monotonic() > ends:
                cut = True
                break
        if cut:
            break
    order = {a.id: i for i, a in enumerate(regime.actors)}
    sets.sort(key=lambda ps: (order[ps[0]], len(ps[1]), [order[a] for a in ps[1]]))
    crit: dict[str, int] = {}
    grouped = {(g.perpetrator, m) for g in groups for m in g.members}
    for p, s in sets:
        for a in s:
            if (p, a) not in grouped:
                crit[a] = crit.get(a, 0) + 1
    groups = [replace(g, sets=sum(1 for p, s in sets if p == g.perpetrator and g.count(s))) for g in groups]
    figures = EvasionSets(tuple(sets), tuple(sorted(crit.items(), key=lambda kv: (-kv[1], order[kv[0]]))),
                          tuple(g for g in groups if g.sets))
    # As a verdict: does any set breach the threat model's claimed size?
    verdict = Verdict.FAILS if any(len(s) <= regime.threat_model.max for _, s in sets) else Verdict.HOLDS
    if cut:
        # A set within the claimed size already decides the verdict; only
        # the list is incomplete.  Without one, nothing is decided.
        return Result("minimal-evasion-sets", params, violation,
                      Verdict.FAILS if verdict == Verdict.FAILS else Verdict.UNKNOWN,
                      _statement(regime, "minimal-evasion-sets", violation, None), figures=figures,
                      note=f"the time budget ran out after {len(sets)} sets; there may be more")
    return Result("minimal-evasion-sets", params, violation, verdict,
                  _statement(regime, "minimal-evasion-sets", violation, None), figures=figures)


def inspection_game(regime: Regime, violation: str | None = None, *, timeout: float | None = None,
                    as_is: bool = False) -> Result:
    """The inspection game is about every violation at once, one result
    per budget: :func:`run` asks :func:`verify.analyses.game.inspection_game`
    for all of them.  This entry is the catalogue's (its parameters)."""
    raise UsageError("inspection-game answers once per budget, for every violation at once: ask run()")


#: property id -> function.  A plain table: the catalogue in properties/
#: documents the same ids, and a test keeps the two equal.
ANALYSES: dict[str, Callable[..., Result]] = {
    "detectability": detectability,
    "non-circumventability": non_circumventability,
    "timeliness": timeliness,
    "fault-tolerance": fault_tolerance,
    "robustness-margin": robustness_margin,
    "minimal-evasion-sets": minimal_evasion_sets,
    "detection-probability": detection_probability,
    "deterrence": deterrence,
    "inspection-game": inspection_game,
    "attribution": attribution,
    "non-frameability": non_frameability,
    "confidentiality": confidentiality,
}


#: The properties whose "holds" comes with a solver's core ("rests on").
CORED = (detectability, non_circumventability, attribution, timeliness, fault_tolerance)


def run(regime: Regime, spec: PropertySpec, timeout: float | None = None, as_is: bool = False,
        explain: bool = True, budget: float | None = None, minimal_cores: bool = False) -> list[Result]:
    """One result per violation the spec names (all of them by default), on
    the regime in force (``as_is``: without proposed elements either).
    Without ``explain`` (properties only): no "rests on", no worst case, and
    a counterexample that names the scenario without walking it.
    ``budget``: seconds for the whole question (each violation gets what is
    left; a solver call never more than that): past it, unknown.
    ``minimal_cores``: minimise each "rests on" to the end, whatever it
    costs (by default within a budget, and the result says if it is not
    minimal)."""
    # The cyclic collector is paused for the whole question, but for the
    # searches that ask the solver hundreds of times.  An analysis holds its
    # rule graphs (100,000 rules at 10,000 actors) while it goes on
    # allocating, and each automatic collection walked them all: 0.57 s of a
    # 5.0 s non-circumventability process at 10,000 actors, in collections
    # that freed 500 objects.  The robustness margin and the minimal evasion
    # sets are left as they were: over hundreds of z3 calls, whatever z3's
    # Python objects leave to the collector would pile up, and no gain
    # showed (at 3,000 actors the margin took 62 to 73 s, paused or not).
    if spec.property in _MANY_CALLS:
        return _run(regime, spec, timeout, as_is, explain, budget, minimal_cores)
    return _paused_run(regime, spec, timeout, as_is, explain, budget, minimal_cores)


def _run(regime: Regime, spec: PropertySpec, timeout: float | None = None, as_is: bool = False,
         explain: bool = True, budget: float | None = None, minimal_cores: bool = False) -> list[Result]:
    """:func:`run`'s work."""
    regime, _ = effective(regime, as_is=as_is)
    if spec.property == "inspection-game":
        from verify.analyses.game import inspection_game as game

        return [replace(r, where=spec.where) for r in game(regime, timeout=timeout, as_is=as_is)]
    if spec.property in SUBJECTS:
        return [replace(r, where=spec.where) for r in _about_subjects(regime, spec, timeout, as_is)]
    fn = ANALYSES[spec.property]
    params = dict(spec.params)
    params.pop("violation", None)
    if "from" in params:  # a Python keyword: the functions call it start
        params["start"] = params.pop("from")
    violations = asked(regime, spec)
    if not explain and fn not in (robustness_margin, minimal_evasion_sets):
        params["explain"] = False
    if minimal_cores and fn in CORED:
        params["minimal_core"] = True
    if budget is None:
        return [replace(fn(regime, v, timeout=timeout, as_is=as_is, **params), where=spec.where)
                for v in violations]
    ends = time.monotonic() + budget
    out = []
    for v in violations:
        left = ends - time.monotonic()
        if left <= 0:
            out.append(out_of_time(regime, spec, v))
            continue
        extra = {"budget": left} if fn in (robustness_margin, minimal_evasion_sets) else {}
        per_call = left if timeout is None else min(timeout, left)
        out.append(replace(fn(regime, v, timeout=per_call, as_is=as_is, **params, **extra), where=spec.where))
    return out


_paused_run = gc_paused(_run)

#: Questions answered by hundreds of solver calls (see :func:`run`).
_MANY_CALLS = frozenset({"robustness-margin", "minimal-evasion-sets"})


#: Properties about something other than a violation: the parameter that
#: names it.
SUBJECTS = {"non-frameability": "party", "confidentiality": "label"}


def subjects(regime: Regime, spec: PropertySpec) -> list[str]:
    """What a non-frameability or confidentiality spec asks about: the party
    or label it names, else every party some violation accuses, or every
    label."""
    key = SUBJECTS[spec.property]
    named = spec.param(key)
    if isinstance(named, str):
        present = regime.actor if key == "party" else {lab.id for lab in regime.labels}
        return [named] if named in present else []
    if key == "party":
        return list(dict.fromkeys(p for v in regime.violations for p in v.perpetrators))
    return [lab.id for lab in regime.labels]


def _about_subjects(regime: Regime, spec: PropertySpec, timeout: float | None, as_is: bool) -> list[Result]:
    fn = ANALYSES[spec.property]
    key = SUBJECTS[spec.property]
    params = {k: v for k, v in spec.params if k != key}
    return [fn(regime, s, timeout=timeout, as_is=as_is, **params) for s in subjects(regime, spec)]


def asked(regime: Regime, spec: PropertySpec) -> list[str]:
    """The violations ``spec`` asks about that are present in ``regime`` (an
    effective regime): the one it names, or every one.  A named violation
    that is absent (suspended, or proposed under --as-is) gives none; the
    caller says so.  For non-frameability and confidentiality: the parties
    or labels it asks about."""
    if spec.property in SUBJECTS:
        return subjects(regime, spec)
    target = spec.param("violation")
    if isinstance(target, str):
        return [target] if target in regime.violation else []
    return [v.id for v in regime.violations]


def out_of_time(regime: Regime, spec: PropertySpec, violation: str) -> Result:
    """The result of a question the run had no time left for: unknown."""
    if spec.property in SUBJECTS:
        key = SUBJECTS[spec.property]
        rest = tuple((k, v) for k, v in spec.params if k != key)
        return Result(spec.property, ((key, violation), *rest), violation, Verdict.UNKNOWN,
                      f"{spec.property} for {violation}", where=spec.where,
                      note="not checked: the run's time budget ran out")
    given = {k: v for k, v in spec.params if k != "violation"}
    defaults = {"k": regime.threat_model.max, "K": regime.threat_model.max, "f": 1}
    for key, value in defaults.items():  # the statement needs them, as the analyses take them
        if key in catalogue()[spec.property].parameters:
            given.setdefault(key, value)
    params = _params(violation=violation, **given)
    statement = _statement(regime, spec.property, violation, None, **_values(params),
                           **({"kstar": "?"} if spec.property == "robustness-margin" else {}))
    start = given.get("from")
    if isinstance(start, str):
        statement = _from(statement, start)
    return Result(spec.property, params, violation, Verdict.UNKNOWN, statement, where=spec.where,
                  note="not checked: the run's time budget ran out")


#: The properties a single scenario can answer: the analyses are about
#: every coalition at once.
WHAT_IF = ("detectability", "non-circumventability", "timeliness", "fault-tolerance")


def what_if(regime: Regime, spec: PropertySpec, coalition: Sequence[str], failed: Sequence[str] = (),
            as_is: bool = False) -> list[Result]:
    """The property's question for exactly one scenario: the perpetrator
    (each in turn) with exactly these accomplices (and what they control),
    and exactly these elements failed.  HOLDS when a verifier detects (by
    ``T`` for timeliness); the witness is that scenario, walked route by
    route, whatever the verdict."""
    regime, _ = effective(regime, as_is=as_is)
    if spec.property not in WHAT_IF:
        raise UsageError(f"{spec.property} is about every coalition at once; a given coalition answers "
                         f"{', '.join(WHAT_IF)}")
    unknown = [a for a in coalition if a not in regime.actor]
    if unknown:
        raise UsageError(f"no actor {unknown[0]!r} in the coalition")
    elements = {e.id for e in regime.elements()}
    bad = [e for e in failed if e not in elements]
    if bad:
        raise UsageError(f"no element {bad[0]!r} to fail")
    params = dict(spec.params)
    params.pop("violation", None)
    violations = asked(regime, spec)
    direct = bool(params.get("direct", False))
    T = params.get("T") if spec.property == "timeliness" else None
    start = params.get("from") if spec.property == "timeliness" else None
    out = []
    for v in violations:
        shown = _params(violation=v, **{k: x for k, x in params.items() if k not in ("k", "f")},
                        coalition=tuple(coalition), failed=tuple(failed) or None)
        parts = []
        for p in regime.violation[v].perpetrators:
            graph = compile_rules(regime, v, p, direct, keep=(start,) if isinstance(start, str) else ())
            sc = Scenario(coalition_of(regime, graph, coalition), frozenset(failed))
            found = detection(regime, graph, sc)
            held = found is not None
            if held and isinstance(T, int) and found is not None:
                if isinstance(start, str):
                    began = event_time(regime, graph, sc, start)
                    held = began is None or found[0] <= began + T
                else:
                    held = found[0] <= T
            if not held and isinstance(start, str) and found is None:
                held = event_time(regime, graph, sc, start) is None
            who = ", ".join(a for a in coalition if a != p) or "no accomplice"
            statement = (f"With exactly {p} and {who}" + (f", and {', '.join(failed)} failed" if failed else "")
                         + f": evidence of {regime.violation[v].label} reaches "
                         + (" or ".join(x.id for x in regime.verifiers) or "no verifier")
                         + (f" within {format_duration(T)}" if isinstance(T, int) else "")
                         + (f", counted from when {start} first delivers" if isinstance(start, str) else "") + ".")
            parts.append(Result(spec.property, shown, v, Verdict.HOLDS if held else Verdict.FAILS, statement, p,
                                witness=witness(regime, graph, coalition, failed,
                                                start if isinstance(start, str) else None)))
        failing = [r for r in parts if r.verdict == Verdict.FAILS]
        out.append((failing or parts)[0])
    return [replace(r, where=spec.where) for r in out]


def ask(regime: Regime, claim: Claim, timeout: float | None = None, as_is: bool = False,
        budget: float | None = None) -> list[Result]:
    """A claim's results: its property for every coalition the spec allows,
    or, for a claim that names a ``coalition`` (or ``failed``), for exactly
    that scenario.  ``budget`` as for :func:`run`; none left: unknown."""
    # A given scenario is walked, not searched: no solver call to cut.
    if budget is not None and budget <= 0 and claim.coalition is None:
        applied, _ = effective(regime, as_is=as_is)
        return [out_of_time(applied, claim.spec, v) for v in asked(applied, claim.spec)]
    if claim.coalition is None:
        return run(regime, claim.spec, timeout=timeout, as_is=as_is, budget=budget)
    applied, _ = effective(regime, as_is=as_is)
    # An absent (suspended) element of the scenario drops out of it, as it
    # drops out of every list: it can neither collude nor fail.
    present = {e.id for e in applied.elements()}
    return what_if(applied, claim.spec, [a for a in claim.coalition if a in present],
                   [e for e in claim.failed if e in present], as_is=as_is)

