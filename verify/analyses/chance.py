"""Detection probability and deterrence: properties with chance in them.

The semantics are in docs/semantics.md ("Chance"): every uncertain
mechanism succeeds or not over the window, independently; the coalition is
caught in a world of successes when the deterministic rules bring evidence
to a verifier.  The worst coalition is found by optimisation over the
existing encoding (:meth:`verify.engine.solve.Query.heaviest`), never by
enumerating coalitions:

- when no route passes through two uncertain mechanisms (the usual case),
  ``-log(1 - P)`` is a sum over the mechanisms whose evidence survives, so
  the worst coalition cuts the heaviest set of mechanisms, weights taken as
  logarithms; floating-point weights are only a guide, and every set within
  their error of the optimum is compared exactly;
- otherwise, one copy of the rules per world of the uncertain mechanisms,
  each weighed by its exact probability (at most :data:`WORLD_LIMIT`
  mechanisms; beyond that the answer is unknown, and says so).

Every figure reported is an exact fraction, computed from the worst
coalition's decision tree (:func:`verify.engine.chance.tree`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Literal

from verify.durations import format_duration
from verify.engine import RuleGraph, coalition_of, compile_rules
from verify.engine import query as new_query
from verify.engine.chance import Branch, Tree, chained, chance, span, success, survivors, tree, trials
from verify.engine.evaluate import Scenario, detection
from verify.engine.rules import START, Rule, State, Target
from verify.errors import UsageError
from verify.model import Probability, Regime, effective
from verify.numbers import fraction_text
from verify.results import (
    Deterrence,
    Likelihood,
    MechanismChance,
    Result,
    Threshold,
    Verdict,
)

__all__ = [
    "detection_probability",
    "deterrence",
    "threshold",
    "at_end",
    "worst_chance",
    "WorstChance",
    "WORLD_LIMIT",
    "PARAMETERS",
]

#: Uncertain mechanisms whose evidence chains through one another are
#: weighed world by world: 2**n copies of the rules.
WORLD_LIMIT = 8


def at_end(regime: Regime, end: str) -> Regime:
    """The regime with every probability given as an interval taken at its
    ``low`` or ``high`` end."""
    ms = tuple(replace(m, detection_probability=Probability.of(getattr(m.detection_probability, end)),
                       false_alarm_probability=Probability.of(getattr(m.false_alarm_probability, end)))
               if not (m.detection_probability.exact and m.false_alarm_probability.exact) else m
               for m in regime.mechanisms)
    return replace(regime, mechanisms=ms)


def _uncertain(regime: Regime) -> bool:
    return any(not m.detection_probability.exact or not m.false_alarm_probability.exact
               for m in regime.mechanisms)


@dataclass(frozen=True)
class WorstChance:
    """The least chance of detection for one perpetrator, and what gives it."""

    value: Fraction
    chosen: tuple[str, ...]
    tree: Tree
    #: Mechanism -> (probability per observation, trials, success).
    numbers: Mapping[str, tuple[Fraction, int, Fraction]]
    uncertain: tuple[str, ...]
    certain: tuple[str, ...]
    never: tuple[str, ...]
    graph: RuleGraph


def _numbers(regime: Regime, graph: RuleGraph, window: int,
             override: Mapping[str, Fraction] | None = None) -> dict[str, tuple[Fraction, int, Fraction]]:
    """Each mechanism of the graph: p, trials in the window, success."""
    v = regime.violation[graph.violation]
    out = {}
    for mid in sorted({r.element for r in graph.rules if r.element in regime.mechanism}):
        m = regime.mechanism[mid]
        p = m.detection_probability.low
        n = trials(m, v, window)
        q = success(p, n)
        if override is not None and mid in override:
            q = override[mid]
        out[mid] = (p, n, q)
    return out


def worst_chance(regime: Regime, graph: RuleGraph, k: int, window: int, timeout_ms: int | None = None,
                 override: Mapping[str, Fraction] | None = None) -> WorstChance | str:
    """The least chance of detection over every coalition of at most ``k``
    colluders, for a regime whose probabilities are exact (see
    :func:`at_end`); ``override``: success chances to use instead of the
    mechanisms' own.  A string says why there is no answer."""
    if graph.conjunctive:
        return ("a verifier's finding rule needs several independent sources at once, and the chance of "
                "detection is weighed route by route: not computed")
    graph = _until_detected(graph)
    numbers = _numbers(regime, graph, window, override)
    uncertain = tuple(m for m, (_, _, q) in numbers.items() if 0 < q < 1)
    certain = tuple(m for m, (_, _, q) in numbers.items() if q == 1)
    never = tuple(m for m, (_, _, q) in numbers.items() if q == 0)
    q = {m: numbers[m][2] for m in numbers}
    linked = chained(graph, uncertain)
    detect = tree if linked else survivors
    slack = Fraction(0)
    if not linked:
        query = new_query(regime, graph, timeout_ms=timeout_ms)
        groups = {m: (m,) for m in uncertain}
        weights = {m: Fraction(_neglog(1 - q[m])) for m in uncertain}
        # Floating-point logarithms are off by a few units in the last
        # place: every set within a generous bound of that error is weighed
        # exactly.
        slack = Fraction(1, 10**9) * (1 + sum(weights.values(), Fraction(0)))
        # Mechanisms that miss with the same chance weigh the same: only
        # how many of them are cut matters.
        classes = {m: str(1 - q[m]) for m in uncertain}
        candidates = query.heaviest(k, groups, weights, off=never, slack=slack, classes=classes)
    else:
        if len(uncertain) > WORLD_LIMIT:
            return (f"{len(uncertain)} uncertain mechanisms pass evidence to one another (one triggers another); "
                    f"the worst coalition is searched world by world only up to {WORLD_LIMIT}")
        product, groups_w, weights = _worlds(graph, uncertain, never, q)
        query = new_query(regime, product, timeout_ms=timeout_ms)
        candidates = query.heaviest(k, groups_w, weights)
    best: WorstChance | None = None
    found = False
    for h in candidates:
        if h is None:
            return "the solver gave no answer (time-out)"
        coalition = coalition_of(regime, graph, h.chosen)
        t = detect(regime, graph, coalition, uncertain, never)
        value = chance(t, q)
        if best is None or value < best.value:
            best = WorstChance(value, h.chosen, t, numbers, uncertain, certain, never, graph)
        if not found and not linked and not _near_ties(uncertain, q, h.groups, slack):
            found = True
            break  # no other weighing could be within the slack: exact already
        found = True
    if not found:
        # No coalition evades even with every uncertain mechanism missing:
        # the certain ones catch every coalition.
        t = detect(regime, graph, coalition_of(regime, graph, ()), uncertain, never)
        return WorstChance(chance(t, q), (), t, numbers, uncertain, certain, never, graph)
    assert best is not None
    return best


#: Count vectors weighed one by one to rule out near ties, at most.
NEAR_TIE_VECTORS = 200_000


def _near_ties(uncertain: Sequence[str], q: Mapping[str, Fraction], cut: frozenset[str], slack: Fraction) -> bool:
    """Whether some other way of cutting mechanisms could weigh within
    ``slack`` of ``cut`` without weighing exactly the same: only then must
    the solver be asked again.

    Mechanisms that miss with the same chance form a class, and a cut's
    weight depends only on how many of each class it cuts; so every count
    vector is weighed (when there are few), and one whose product of miss
    chances equals ``cut``'s exactly (compared as fractions) is a true tie,
    not a near one.  With too many vectors, say yes: the solver decides."""
    by_miss: dict[Fraction, int] = {}
    for m in uncertain:
        by_miss[1 - q[m]] = by_miss.get(1 - q[m], 0) + 1
    misses = sorted(by_miss)
    size = 1
    for u in misses:
        size *= by_miss[u] + 1
        if size > NEAR_TIE_VECTORS:
            return True
    logs = [_neglog(u) for u in misses]
    mine = [sum(1 for m in cut if 1 - q[m] == u) for u in misses]
    here = sum(n * w for n, w in zip(mine, logs))
    own = Fraction(1)
    for n, u in zip(mine, misses):
        own *= u ** n
    tolerance = float(slack)
    counts = [0] * len(misses)
    while True:
        weight = sum(n * w for n, w in zip(counts, logs))
        if counts != mine and abs(weight - here) <= tolerance:
            other = Fraction(1)
            for n, u in zip(counts, misses):
                other *= u ** n
            if other != own:
                return True
        for i in range(len(counts)):
            if counts[i] < by_miss[misses[i]]:
                counts[i] += 1
                break
            counts[i] = 0
        else:
            return False


def _until_detected(graph: RuleGraph) -> RuleGraph:
    """The rules without those that start from a verifier holding evidence
    it counts: whatever they lead to comes after detection (a rule from a
    verifier's state needs what its target needs, the verifier honest and
    working, or a body whose vote passed), and chance has no clock.  An
    inspection the council orders is then no link between two uncertain
    mechanisms, which keeps the common case a weighted cut."""
    counted = {t.state for t in graph.targets}
    kept = tuple(r for r in graph.rules if r.src not in counted)
    return graph if len(kept) == len(graph.rules) else replace(graph, rules=kept)


def _neglog(x: Fraction) -> float:
    """-log(x) for 0 < x < 1, from its numerator and denominator (which
    may be far beyond a float's range: (1/2)**8760 for hourly trials over a
    year)."""
    return math.log(x.denominator) - math.log(x.numerator)


def _worlds(graph: RuleGraph, uncertain: Sequence[str], never: Sequence[str],
            q: Mapping[str, Fraction]) -> tuple[RuleGraph, dict[str, tuple[str, ...]], dict[str, Fraction]]:
    """One copy of the rules per world (set of uncertain mechanisms that
    succeed), states and elements renamed per copy, each copy a group
    weighed by the world's exact probability: the heaviest evading set of
    copies is the coalition's chance of escaping."""
    rules: list[Rule] = []
    targets: list[Target] = []
    groups: dict[str, tuple[str, ...]] = {}
    weights: dict[str, Fraction] = {}
    off = set(never)

    def rename(s: State, i: int) -> State:
        return s if s == START else (f"{s[0]}\x00{i}", s[1], s[2])

    for i in range(2 ** len(uncertain)):
        world = {m for j, m in enumerate(uncertain) if i >> j & 1}
        weight = Fraction(1)
        for m in uncertain:
            weight *= q[m] if m in world else 1 - q[m]
        copy = [replace(r, src=rename(r.src, i), dst=rename(r.dst, i), element=f"{r.element}\x00{i}")
                for r in graph.rules if r.element not in off and (r.element not in uncertain or r.element in world)]
        rules += copy
        targets += [replace(t, state=rename(t.state, i)) for t in graph.targets]
        groups[str(i)] = tuple(sorted({r.element for r in copy}))
        weights[str(i)] = weight
    return replace(graph, rules=tuple(rules), targets=tuple(targets)), groups, weights


def _window(regime: Regime, violation: str, T: int | None, prop: str) -> int:
    if T is not None:
        return T
    d = regime.violation[violation].duration
    if d is None:
        raise UsageError(f"{prop} counts observations in a window: give T, or a duration for the violation "
                         f"{violation!r}")
    return d


def _ms(timeout: float | None) -> int | None:
    return None if timeout is None else max(1, int(timeout * 1000))


# ------------------------------------------------------------------ formulas


def formula(t: Tree, numbers: Mapping[str, tuple[Fraction, int, Fraction]]) -> str:
    """The chance a tree stands for, in the mechanisms' probabilities
    (``p[id]``) and trial counts: what a reader varies to see which
    probability matters."""
    import sympy  # only here: importing it costs a third of a second

    def u(m: str) -> sympy.Expr:
        n = numbers[m][1]
        return (1 - sympy.Symbol(f"p[{m}]")) ** n

    def miss(x: Tree) -> sympy.Expr:
        if x is True:
            return sympy.Integer(0)
        if x is False:
            return sympy.Integer(1)
        return (1 - u(x.mechanism)) * miss(x.hit) + u(x.mechanism) * miss(x.miss)

    m = miss(t)
    if m == 0:
        return "1"
    if m == 1:
        return "0"
    text = sympy.sstr(m)
    return f"1 - ({text})" if isinstance(m, sympy.Add) else f"1 - {text}"


def _table(w: WorstChance) -> tuple[MechanismChance, ...]:
    out = []
    for m in w.uncertain:
        p, n, q = w.numbers[m]
        out.append(MechanismChance(m, p, n, q, _reaches_alone(w, m)))
    return tuple(out)


def _reaches_alone(w: WorstChance, m: str) -> bool:
    """Whether ``m`` alone (every other uncertain mechanism missing) brings
    evidence to a verifier against the worst coalition: read off the tree."""
    t = w.tree
    while isinstance(t, Branch):
        t = t.hit if t.mechanism == m else t.miss
    return t is True


# ------------------------------------------------------------------ properties


def _likelihood(regime: Regime, violation: str, perpetrator: str, k: int, window: int, direct: bool,
                timeout: float | None) -> tuple[WorstChance, WorstChance] | str:
    """The worst case at the low and at the high end of every interval."""
    out = []
    for end in ("low", "high") if _uncertain(regime) else ("low",):
        r = at_end(regime, end)
        graph = compile_rules(r, violation, perpetrator, direct)
        w = worst_chance(r, graph, k, window, _ms(timeout))
        if isinstance(w, str):
            return w
        out.append(w)
    return out[0], out[-1]


def _figures(regime: Regime, low: WorstChance, high: WorstChance, window: int) -> Likelihood:
    order = {a.id: i for i, a in enumerate(regime.actors)}
    p = low.graph.perpetrator
    return Likelihood(low.value, high.value, window,
                      (p, *sorted(low.chosen, key=order.__getitem__)), _table(low), low.certain,
                      formula(low.tree, low.numbers))


def _statement(regime: Regime, text: str, violation: str, perpetrator: str | None, **values: object) -> str:
    from verify.analyses.properties import _statement as statement

    return statement(regime, text, violation, perpetrator, **values)


def detection_probability(regime: Regime, violation: str, p: Fraction | float | None = None, k: int | None = None,
                          T: int | None = None, *, direct: bool = False, timeout: float | None = None,
                          as_is: bool = False, explain: bool = True) -> Result:
    """For every coalition of the perpetrator and up to ``k`` accomplices,
    evidence of the violation reaches a verifier with probability at least
    ``p``, counting the observations within ``T`` (default: the violation's
    duration)."""
    regime, _ = effective(regime, as_is=as_is)
    if p is None:
        raise UsageError("detection-probability needs p, the least probability it requires")
    need = Fraction(str(p)) if isinstance(p, float) else Fraction(p)
    if not 0 <= need <= 1:
        raise UsageError(f"p must be a probability between 0 and 1, not {p}")
    k = regime.threat_model.max if k is None else k
    if k < 0:
        raise UsageError(f"k must be 0 or more, not {k}")
    window = _window(regime, violation, T, "detection-probability")
    params = tuple((key, value) for key, value in (("violation", violation), ("p", need), ("k", k), ("T", T),
                                                    ("direct", direct or None)) if value is not None)
    shown = {"p": fraction_text(need), "k": k, "T": format_duration(window)}
    parts: list[tuple[Result, Likelihood | None]] = []
    for perp in regime.violation[violation].perpetrators:
        statement = _statement(regime, "detection-probability", violation, perp, **shown)
        got = _likelihood(regime, violation, perp, k, window, direct, timeout)
        if isinstance(got, str):
            parts.append((Result("detection-probability", params, violation, Verdict.UNKNOWN, statement, perp,
                                 note=got), None))
            continue
        low, high = got
        fig = _figures(regime, low, high, window)
        if low.value >= need:
            verdict, note = Verdict.HOLDS, ""
        elif high.value < need:
            verdict, note = Verdict.FAILS, ""
        else:
            verdict = Verdict.UNKNOWN
            note = (f"it depends on the uncertain probabilities: the chance is between {fraction_text(low.value)} "
                    f"and {fraction_text(high.value)}")
            fig = replace(fig, thresholds=_deciding(regime, violation, perp, k, window, direct, timeout, need))
        w = None
        if verdict == Verdict.FAILS and explain:
            from verify.analyses.properties import witness

            point = at_end(regime, "low")
            w = witness(point, compile_rules(point, violation, perp, direct), low.chosen)
        parts.append((Result("detection-probability", params, violation, verdict, statement, perp,
                             witness=w, figures=fig, note=note), fig))
    return _worst_part(regime, "detection-probability", violation, params, shown, parts)


def _worst_part(regime: Regime, prop: str, violation: str, params: tuple[tuple[str, object], ...],
                shown: dict[str, object], parts: Sequence[tuple[Result, object]]) -> Result:
    """One result for every perpetrator: the failing one, else an unknown
    one, else the one with the least chance (a property that holds for
    each holds for the violation)."""
    for verdict in (Verdict.FAILS, Verdict.UNKNOWN):
        for r, _ in parts:
            if r.verdict == verdict:
                return r
    def key(rf: tuple[Result, object]) -> Fraction:
        f = rf[0].figures
        return f.low if isinstance(f, Likelihood) else f.detection.low if isinstance(f, Deterrence) else Fraction(2)
    r, _ = min(parts, key=key)
    if len(parts) == 1:
        return r
    return replace(r, perpetrator=None, statement=_statement(regime, prop, violation, None, **shown))


def _alarm(regime: Regime, graph: RuleGraph, window: int) -> Fraction:
    """The chance of a false alarm against a complying state within the
    window: some mechanism whose report alone reaches a verifier, with no
    one colluding, raises one (observations independent)."""
    v = regime.violation[graph.violation]
    quiet = Fraction(1)
    unfolded = compile_rules(regime, graph.violation, graph.perpetrator, graph.direct_only, fold=False)
    everyone = frozenset(m.id for m in regime.mechanisms)
    for m in regime.mechanisms:
        a = m.false_alarm_probability.low
        if a == 0:
            continue
        if detection(regime, unfolded, Scenario(frozenset(), everyone - {m.id})) is None:
            continue  # its reports reach no verifier: it alarms nobody
        quiet *= (1 - a) ** trials(m, v, window)
    return 1 - quiet


def _payoffs(gain: Fraction, sanction: Fraction, cost: Fraction, p: Fraction, alarm: Fraction
             ) -> tuple[Fraction, Fraction]:
    return gain * (1 - p) - sanction * p, -cost * alarm


def deterrence(regime: Regime, violation: str, k: int | None = None, T: int | None = None, *,
               direct: bool = False, timeout: float | None = None, as_is: bool = False,
               explain: bool = True) -> Result:
    """For the worst coalition of the perpetrator and up to ``k``
    accomplices, a rational violator expects less from violating than from
    complying (the inspector-leadership game; docs/deterrence.md)."""
    regime, _ = effective(regime, as_is=as_is)
    v = regime.violation[violation]
    if v.gain is None:
        raise UsageError(f"deterrence needs the violation's gain: violation {violation!r} gives none")
    sanction = v.sanction if v.sanction is not None else regime.sanction
    if sanction is None:
        raise UsageError(f"deterrence needs a sanction: neither the regime nor violation {violation!r} gives one")
    k = regime.threat_model.max if k is None else k
    if k < 0:
        raise UsageError(f"k must be 0 or more, not {k}")
    window = _window(regime, violation, T, "deterrence")
    params = tuple((key, value) for key, value in (("violation", violation), ("k", k), ("T", T),
                                                    ("direct", direct or None)) if value is not None)
    shown = {"k": k, "T": format_duration(window)}
    cost = regime.false_alarm_cost
    parts: list[tuple[Result, object]] = []
    for perp in v.perpetrators:
        statement = _statement(regime, "deterrence", violation, perp, **shown)
        got = _likelihood(regime, violation, perp, k, window, direct, timeout)
        if isinstance(got, str):
            parts.append((Result("deterrence", params, violation, Verdict.UNKNOWN, statement, perp, note=got), None))
            continue
        low, high = got
        detection_fig = _figures(regime, low, high, window)
        alarm_hi = _alarm(at_end(regime, "high"), high.graph, window)
        alarm_lo = _alarm(at_end(regime, "low"), low.graph, window)
        worst = _payoffs(v.gain, sanction, cost, low.value, alarm_hi)
        best = _payoffs(v.gain, sanction, cost, high.value, alarm_lo)
        needed = (v.gain + cost * alarm_hi) / (v.gain + sanction) if v.gain + sanction else Fraction(1)
        fig = Deterrence(detection_fig, v.gain, sanction, cost, alarm_lo, alarm_hi,
                         (worst[0], best[0]), (worst[1], best[1]), needed)
        if worst[0] < worst[1]:
            verdict, note = Verdict.HOLDS, ""
        elif best[0] >= best[1]:
            verdict, note = Verdict.FAILS, ""
        else:
            verdict = Verdict.UNKNOWN
            note = "it depends on the uncertain probabilities"
            fig = replace(fig, thresholds=_deciding(regime, violation, perp, k, window, direct, timeout, needed,
                                                    strict=True))
        w = None
        if verdict == Verdict.FAILS and explain:
            from verify.analyses.properties import witness

            point = at_end(regime, "low")
            w = witness(point, compile_rules(point, violation, perp, direct), low.chosen)
        parts.append((Result("deterrence", params, violation, verdict, statement, perp, witness=w, figures=fig,
                             note=note), fig))
    return _worst_part(regime, "deterrence", violation, params, shown, parts)


# ------------------------------------------------------------------ thresholds


#: What ``verify solve --for`` accepts, by property: the parameter's form.
PARAMETERS = {
    "detection-probability": ("mechanisms.<id>.detection_probability", "mechanisms.<id>.period"),
    "deterrence": ("mechanisms.<id>.detection_probability", "mechanisms.<id>.period", "violations.<id>.gain",
                   "violations.<id>.sanction", "sanction", "false_alarm_cost"),
}


def _deciding(regime: Regime, violation: str, perpetrator: str, k: int, window: int, direct: bool,
              timeout: float | None, need: Fraction, strict: bool = False) -> tuple[Threshold, ...]:
    """For each mechanism whose probability is an interval: the value from
    which the chance reaches ``need``, every other interval at its low end."""
    out = []
    low = at_end(regime, "low")
    for m in regime.mechanisms:
        if m.detection_probability.exact:
            continue
        t = _probability_threshold(low, violation, perpetrator, k, window, direct, timeout, need, m.id, strict)
        if t is not None:
            out.append(t)
    return tuple(out)


def _affine(t: Tree, q: Mapping[str, Fraction], m: str) -> tuple[Fraction, Fraction]:
    """The chance as ``a - b * u``, u the chance that ``m`` misses every
    observation (the chance is multilinear in the mechanisms' chances)."""
    sure = chance(t, {**q, m: Fraction(1)})
    blind = chance(t, {**q, m: Fraction(0)})
    return sure, sure - blind


def _least_miss(regime: Regime, violation: str, perpetrator: str, k: int, window: int, direct: bool,
                timeout: float | None, need: Fraction, m: str, strict: bool) -> tuple[Fraction, bool] | None | str:
    """The largest chance ``u`` that mechanism ``m`` misses over the window
    for which every coalition's chance of detection still reaches ``need``
    (with ``strict``: the crossing, below which it exceeds ``need``), and
    whether the property holds at that ``u`` itself.

    Each coalition's chance is ``a - b*u`` (the chance is multilinear in
    the mechanisms' chances), and the least of them falls as ``u`` grows.
    So: the worst coalition at the current guess, where its line crosses
    ``need`` is the next guess, until the worst coalition at the guess
    reaches ``need``.  Each step finds a coalition whose line is lower
    there than every one before, so the search ends.  None: no value of
    ``u`` does it (not even a mechanism that never misses)."""
    graph = compile_rules(regime, violation, perpetrator, direct)
    u = Fraction(1)
    for _ in range(1000):
        w = worst_chance(regime, graph, k, window, _ms(timeout), override={m: 1 - u})
        if isinstance(w, str):
            return w
        q = {x: w.numbers[x][2] for x in w.numbers}
        if m in q:
            # The worst coalition's chance as a line in u: its tree with m
            # among the uncertain mechanisms, whatever u is now (at u = 1
            # the mechanism never sees, and the worst case left it out).
            uncertain = tuple(sorted({*w.uncertain, m}))
            detect = tree if chained(w.graph, uncertain) else survivors
            t = detect(regime, w.graph, coalition_of(regime, w.graph, w.chosen), uncertain,
                       tuple(x for x in w.never if x != m))
            a, b = _affine(t, q, m)
        else:
            a, b = w.value, Fraction(0)
        value = a - b * u
        if value >= need:
            return u, value > need or not strict
        if b == 0:
            return None
        nxt = (a - need) / b
        if nxt < 0 or (strict and nxt == 0):
            return None
        u = nxt
    return "the threshold search did not settle"


def _probability_threshold(regime: Regime, violation: str, perpetrator: str, k: int, window: int, direct: bool,
                           timeout: float | None, need: Fraction, m: str, strict: bool = False) -> Threshold | None:
    name = f"mechanisms.{m}.detection_probability"
    got = _least_miss(regime, violation, perpetrator, k, window, direct, timeout, need, m, strict)
    if isinstance(got, str):
        return None
    return _probability_bound(name, got, trials(regime.mechanism[m], regime.violation[violation], window), strict)


def _probability_bound(name: str, got: tuple[Fraction, bool] | None, n: int, strict: bool) -> Threshold:
    if got is None:
        return Threshold(name, "none")
    u, met = got
    if u == 1 and met:
        return Threshold(name, "any")
    if n == 0:
        return Threshold(name, "none")
    return _root(name, u, n, strict)


def _root(name: str, u: Fraction, n: int, strict: bool) -> Threshold:
    """p with (1 - p)**n == u: exact when rational, else as a root."""
    bound: Literal["above", "at-least"] = "above" if strict else "at-least"
    if n == 1:
        return Threshold(name, bound, str(1 - u), 1 - u)
    import sympy

    expr = 1 - sympy.Rational(u.numerator, u.denominator) ** sympy.Rational(1, n)
    number = Fraction(str(expr)) if expr.is_rational else Fraction(str(sympy.N(expr, 30)))
    return Threshold(name, bound, str(expr), number)


def threshold(regime: Regime, prop: str, parameter: str, violation: str, *, p: Fraction | None = None,
              k: int | None = None, T: int | None = None, direct: bool = False,
              timeout: float | None = None) -> Threshold:
    """The value of ``parameter`` at which ``prop`` starts to hold for the
    violation, every other number as written (intervals at their low end).
    What ``verify solve`` prints."""
    regime, _ = effective(regime)
    if prop not in PARAMETERS:
        raise UsageError(f"verify solve answers {' and '.join(PARAMETERS)}, not {prop}")
    low = at_end(regime, "low")
    v = low.violation[violation]
    k = low.threat_model.max if k is None else k
    window = _window(low, violation, T, prop)
    parts = parameter.split(".")
    if prop == "detection-probability":
        if p is None:
            raise UsageError("detection-probability needs p")
        return _chance_threshold(low, violation, parameter, parts, k, window, direct, timeout, Fraction(p), False)
    if v.gain is None:
        raise UsageError(f"deterrence needs the violation's gain: violation {violation!r} gives none")
    sanction = v.sanction if v.sanction is not None else low.sanction
    if sanction is None and parameter not in ("sanction", f"violations.{violation}.sanction"):
        raise UsageError(f"deterrence needs a sanction: neither the regime nor violation {violation!r} gives one")
    cost = low.false_alarm_cost
    worst: Fraction | None = None
    alarm = Fraction(0)
    for perp in v.perpetrators:
        graph = compile_rules(low, violation, perp, direct)
        w = worst_chance(low, graph, k, window, _ms(timeout))
        if isinstance(w, str):
            raise UsageError(f"no answer: {w}")
        high = at_end(regime, "high")
        a = _alarm(high, compile_rules(high, violation, perp, direct), window)
        worst = w.value if worst is None else min(worst, w.value)
        alarm = max(alarm, a)
    assert worst is not None
    P, d = worst, v.gain
    if parameter in ("sanction", f"violations.{violation}.sanction"):
        # d(1 - P) - bP < -h*alarm  <=>  b > (d(1 - P) + h*alarm) / P
        if P == 0:
            return Threshold(parameter, "none")
        return _number(parameter, "above", (d * (1 - P) + cost * alarm) / P)
    assert sanction is not None
    if parameter == f"violations.{violation}.gain":
        # d(1 - P) < bP - h*alarm  <=>  d < (bP - h*alarm) / (1 - P)
        bound = sanction * P - cost * alarm
        if P == 1:
            return Threshold(parameter, "any" if bound > 0 else "none")
        if bound <= 0:
            return Threshold(parameter, "none")
        return _number(parameter, "below", bound / (1 - P))
    if parameter == "false_alarm_cost":
        room = (d + sanction) * P - d
        if alarm == 0:
            return Threshold(parameter, "any" if room > 0 else "none")
        if room <= 0:
            return Threshold(parameter, "none")
        return _number(parameter, "below", room / alarm)
    if parts[0] == "mechanisms" and len(parts) == 3:
        needed = (d + cost * alarm) / (d + sanction)
        return _chance_threshold(low, violation, parameter, parts, k, window, direct, timeout, needed, True)
    raise UsageError(f"verify solve --for takes one of {', '.join(PARAMETERS[prop])}; not {parameter!r}")


def _number(parameter: str, bound: str, value: Fraction) -> Threshold:
    return Threshold(parameter, bound, str(value), value)  # type: ignore[arg-type]


def _chance_threshold(regime: Regime, violation: str, parameter: str, parts: list[str], k: int, window: int,
                      direct: bool, timeout: float | None, need: Fraction, strict: bool) -> Threshold:
    if len(parts) != 3 or parts[0] != "mechanisms" or parts[2] not in ("detection_probability", "period"):
        raise UsageError(f"--for takes mechanisms.<id>.detection_probability or mechanisms.<id>.period; "
                         f"not {parameter!r}")
    m = parts[1]
    if m not in regime.mechanism:
        raise UsageError(f"no mechanism {m!r}")
    found: list[tuple[Fraction, bool]] = []
    for perp in regime.violation[violation].perpetrators:
        got = _least_miss(regime, violation, perp, k, window, direct, timeout, need, m, strict)
        if isinstance(got, str):
            raise UsageError(f"no answer: {got}")
        if got is None:
            return Threshold(parameter, "none", duration=parts[2] == "period")
        found.append(got)
    u, met = min(found)
    mech = regime.mechanism[m]
    v = regime.violation[violation]
    if parts[2] == "detection_probability":
        return _probability_bound(parameter, (u, met), trials(mech, v, window), strict)
    # The period: the fewest observations whose misses stay within u.
    if mech.triggered_by is not None or mech.period == 0:
        raise UsageError(f"mechanism {m!r} observes once (it is {'triggered' if mech.triggered_by else 'continuous'}):"
                         " its period does not change its chance")
    if u == 1 and met:
        return Threshold(parameter, "any", duration=True)
    p = mech.detection_probability.low
    if p == 0:
        return Threshold(parameter, "none", duration=True)
    n = 1
    while (1 - p) ** n > u or (strict and (1 - p) ** n == u):
        n += 1
        if n > 10**6:
            return Threshold(parameter, "none", duration=True)
    longest = (span(mech, v, window) - mech.notice) // n
    if longest <= 0:
        return Threshold(parameter, "none", duration=True)
    return Threshold(parameter, "at-most", format_duration(longest), Fraction(longest), duration=True)
