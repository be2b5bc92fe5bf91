"""Detection probability and deterrence by brute force.

Every coalition of at most k colluders, and for each every world (which
uncertain mechanisms succeed over the window), evaluated with the oracle's
own evidence search: the probability of detection is the sum of the
probabilities of the worlds in which a verifier holds evidence
(docs/semantics.md, "Chance").  Nothing here comes from ``verify.engine``:
trial counts, worlds and payoffs are computed again, plainly.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from fractions import Fraction

from verify.model import Mechanism, Probability, Regime, Violation
from verify.oracle.evaluate import candidates, coalition_of, detection_time

__all__ = ["Chance", "observations", "detection_chance", "worst_detection_chance", "false_alarm_chance",
           "deterred", "at", "at_worst", "at_best"]


def at(regime: Regime, end: str) -> Regime:
    """Every probability at the ``low`` or ``high`` end of its interval."""
    return replace(regime, mechanisms=tuple(
        replace(m, detection_probability=Probability.of(getattr(m.detection_probability, end)),
                false_alarm_probability=Probability.of(getattr(m.false_alarm_probability, end)))
        for m in regime.mechanisms))


def at_worst(regime: Regime) -> Regime:
    """Every interval at its end least favourable to deterrence: detection
    low, false alarms high."""
    return replace(regime, mechanisms=tuple(
        replace(m, detection_probability=Probability.of(m.detection_probability.low),
                false_alarm_probability=Probability.of(m.false_alarm_probability.high))
        for m in regime.mechanisms))


def at_best(regime: Regime) -> Regime:
    return replace(regime, mechanisms=tuple(
        replace(m, detection_probability=Probability.of(m.detection_probability.high),
                false_alarm_probability=Probability.of(m.false_alarm_probability.low))
        for m in regime.mechanisms))


def observations(m: Mechanism, v: Violation, window: int) -> int:
    """How often ``m`` looks within the window (semantics, "Chance")."""
    if m.triggered_by is not None:
        return 1
    visible = []
    for t in v.traces:
        thr = m.threshold(t.signature)
        if thr is not None and t.magnitude >= thr:
            visible.append(t.persists)
    if visible and all(x is not None for x in visible):
        until = min(window, max(x for x in visible if x is not None))
    else:
        until = window
    if m.period == 0:
        return 1 if m.notice <= until else 0
    count = 0
    when = m.notice + m.period
    while when <= until:
        count += 1
        when += m.period
    return count


def detection_chance(regime: Regime, violation: str, perpetrator: str, coalition: frozenset[str],
                     window: int, direct_only: bool = False) -> Fraction:
    """The chance that a verifier outside ``coalition`` gets evidence, over
    every world of successes, for a regime with exact probabilities."""
    v = regime.violation[violation]
    succeed = {}
    for mech in regime.mechanisms:
        succeed[mech.id] = 1 - (1 - mech.detection_probability.low) ** observations(mech, v, window)
    never = frozenset(m for m, q in succeed.items() if q == 0)
    unsure = [m for m, q in succeed.items() if 0 < q < 1]
    total = Fraction(0)
    for picks in itertools.product((True, False), repeat=len(unsure)):
        weight = Fraction(1)
        failed = set(never)
        for m, ok in zip(unsure, picks):
            weight *= succeed[m] if ok else 1 - succeed[m]
            if not ok:
                failed.add(m)
        if weight == 0:
            continue
        if detection_time(regime, violation, perpetrator, coalition, frozenset(failed), direct_only) is not None:
            total += weight
    return total


@dataclass(frozen=True)
class Chance:
    """The least chance over every coalition, and a coalition that has it
    (its chosen colluders), for the first perpetrator in order that has
    the least."""

    value: Fraction
    perpetrator: str
    chosen: tuple[str, ...]


def worst_detection_chance(regime: Regime, violation: str, k: int, window: int,
                           direct_only: bool = False) -> Chance:
    best: Chance | None = None
    for p in regime.violation[violation].perpetrators:
        pool = candidates(regime, p)
        for size in range(min(k, len(pool)) + 1):
            for chosen in itertools.combinations(pool, size):
                c = detection_chance(regime, violation, p, coalition_of(regime, p, chosen), window, direct_only)
                if best is None or c < best.value:
                    best = Chance(c, p, chosen)
    assert best is not None
    return best


def false_alarm_chance(regime: Regime, violation: str, perpetrator: str, window: int) -> Fraction:
    """The chance that some mechanism whose report alone reaches a verifier,
    nobody colluding, raises a false alarm within the window."""
    v = regime.violation[violation]
    quiet = Fraction(1)
    everyone = frozenset(m.id for m in regime.mechanisms)
    for m in regime.mechanisms:
        a = m.false_alarm_probability.low
        if a == 0:
            continue
        if detection_time(regime, violation, perpetrator, frozenset(), everyone - {m.id}) is None:
            continue
        quiet *= (1 - a) ** observations(m, v, window)
    return 1 - quiet


def deterred(regime: Regime, violation: str, k: int, window: int, direct_only: bool = False) -> bool:
    """The inspectee prefers to comply, for every perpetrator and every
    coalition: gain (1 - P) - sanction P < - false_alarm_cost alarm."""
    v = regime.violation[violation]
    assert v.gain is not None
    sanction = v.sanction if v.sanction is not None else regime.sanction
    assert sanction is not None
    for p in v.perpetrators:
        pool = candidates(regime, p)
        alarm = false_alarm_chance(regime, violation, p, window)
        for size in range(min(k, len(pool)) + 1):
            for chosen in itertools.combinations(pool, size):
                P = detection_chance(regime, violation, p, coalition_of(regime, p, chosen), window, direct_only)
                if not v.gain * (1 - P) - sanction * P < -regime.false_alarm_cost * alarm:
                    return False
    return True
