"""Results into plain language a diplomat can follow, step by step.

Only words are made here; what happened was decided by the analyses.
"""

from __future__ import annotations

from verify.durations import format_duration
from verify.model import Regime
from verify.results import Result, Route, Verdict

__all__ = ["title", "params_text", "route_text", "explain"]

_GRADE = {"S": "sealed", "D": "direct", "I": "indirect"}


def params_text(result: Result) -> str:
    parts = [result.violation]
    for k, v in result.params:
        if k == "violation":
            continue
        parts.append(f"{k}={format_duration(v) if k == 'T' else v}")
    return ", ".join(parts)


def title(result: Result) -> str:
    return f"{result.property}({params_text(result)}): {result.verdict.value.upper()}"


def _who(regime: Regime, actor: str) -> str:
    a = regime.actor.get(actor)
    return f"{actor} ({a.name})" if a is not None and a.name else actor


def route_text(regime: Regime, route: Route) -> list[str]:
    """A route as a chain, then where it stops."""
    chain = []
    for s in route.steps:
        if s.kind == "observe":
            chain.append(f"{s.element} observes -> {s.holder} [{_GRADE.get(s.grade, s.grade)}]")
        else:
            chain.append(f"{s.element} -> {s.holder}")
    lines = [" => ".join(chain)]
    block = route.block
    if block is not None:
        lines.append(f"blocked at {block.element}: {block.blocked}")
    elif route.time is not None:
        lines.append(f"arrives at {route.verifier} after {format_duration(route.time)}")
    return lines


def explain(regime: Regime, result: Result) -> list[str]:
    """The lines under a result's title."""
    lines = [f"statement: {result.statement}"]
    if result.verdict == Verdict.UNKNOWN:
        lines.append(f"unknown: {result.note or 'the solver gave no answer'}; this is not a proof")
        return lines
    if result.property == "robustness-margin":
        kstar = result.figure("k*")
        lines.append(f"k* = {kstar}" + (" (detectability fails)" if kstar == -1 else
                                        " (even the whole pool cannot evade)" if kstar == "all" else ""))
        without = result.figure("without", ())
        if without:
            lines.append("without each mechanism or flow, k* would be:")
            for element, value in without:
                drop = "" if value == kstar else f"  (drops from {kstar})"
                lines.append(f"  {element}: {value}{drop}")
    if result.property == "minimal-evasion-sets":
        sets = result.figure("sets", ())
        if not sets:
            lines.append("no coalition within the bound evades")
        for p, s in sets:
            lines.append(f"evades: {p} with {', '.join(s) if s else 'no accomplice'}")
        crit = result.figure("criticality", ())
        if crit:
            lines.append("criticality: " + ", ".join(f"{a} {n}" for a, n in crit))
        return lines
    if result.verdict == Verdict.HOLDS:
        worst = result.figure("worst-case time")
        if worst is not None:
            who = result.figure("worst-case coalition", ())
            lines.append(f"worst case: first evidence after {format_duration(worst)}"
                         + (f", when {who[0]} " + (f"colludes with {', '.join(who[1:])}" if who[1:] else "acts alone")
                            if who else ""))
        if result.rests_on:
            lines.append("rests on: " + ", ".join(result.rests_on)
                         + " (removing any of these may break it)")
        if result.certificate:
            lines.append(f"certificate: {len(result.certificate)} evidence routes that share no actor, "
                         "even after merging each actor with what controls it:")
            for i, route in enumerate(result.certificate, 1):
                lines.append(f"  {i}. {route_text(regime, route)[0]}")
        return lines
    w = result.witness
    if w is None:
        return lines
    if result.note:
        lines.append(f"note: {result.note}")
    chosen = set(w.chosen)
    members = []
    for a in w.coalition:
        role = ("perpetrator" if a == w.perpetrator else "chosen colluder" if a in chosen
                else "controlled by the coalition")
        members.append(f"{_who(regime, a)} [{role}]")
    lines.append(f"counterexample for perpetrator {w.perpetrator}:")
    lines.append("  coalition: " + "; ".join(members))
    if w.failed:
        lines.append("  failed: " + ", ".join(w.failed))
    v = regime.violation[w.violation]
    blind = list(w.unrouted)
    if not w.routes:
        lines.append("  no evidence route reaches a verifier at all")
    for i, route in enumerate(w.routes, 1):
        text = route_text(regime, route)
        lines.append(f"  route {i}: {text[0]}")
        for extra in text[1:]:
            lines.append(f"           {extra}")
    for n in w.notices:
        lines.append(f"  noticed: {n}")
    for m, why in w.blind:
        lines.append(f"  {m} cannot see {v.id}: {why}")
    if blind:
        lines.append(f"  on no route to a verifier for {v.id}: {', '.join(blind)}")
    if w.detection_time is None:
        lines.append("  outcome: no verifier outside the coalition ever holds evidence")
    else:
        who, grade = w.detected_by
        lines.append(f"  outcome: first evidence reaches {who} ({_GRADE.get(grade, grade)}) "
                     f"after {format_duration(w.detection_time)}")
    return lines
