"""JSON report.  The shape is documented in docs/json-output.md and stable:
fields may be added, never renamed or removed without a new ``format``.

Ids, names and paths are the design's own, exactly; the document is written
through :func:`verify.safety.json_safe`, so a control, format or
bidirectional character in them is a ``\\uXXXX`` escape (the same string to
a JSON reader), never raw on a terminal that prints the file.  The words
(``blocked``, ``notices``, ...) are :mod:`verify.explain`'s, visible text.
"""

from __future__ import annotations

import json as _json
from fractions import Fraction
from typing import Any

from verify.explain import block_text, notice_text, unseen_text
from verify.model import Regime
from verify.numbers import short
from verify.results import (
    Block,
    CountedGroup,
    Deterrence,
    EvasionSets,
    Figures,
    Framing,
    Game,
    Leak,
    Likelihood,
    Margin,
    Result,
    Route,
    Step,
    Threshold,
    Witness,
    WorstCase,
)
from verify.safety import json_safe

__all__ = ["to_json", "FORMAT"]

FORMAT = "verify-results/1"


def _block(b: Block | None) -> dict[str, Any] | None:
    """A block as codes and figures, for programs (the words are in ``blocked``)."""
    if b is None:
        return None
    out: dict[str, Any] = {"code": b.reason.value, "who": b.who, "noticed": b.noticed}
    if b.unnoticed is not None:
        out["unnoticed"] = _block(b.unnoticed)
    if b.vote is not None:
        v = b.vote
        out["vote"] = {"body": v.body, "decision": v.decision, "rule": v.rule, "needed": v.needed,
                       "counted": list(v.counted), "recused": list(v.recused)}
    for key in ("at", "limit", "notice", "conceal"):
        if getattr(b, key) is not None:
            out[key] = getattr(b, key)
    return out


def _step(s: Step, end: Block | None, verifier: str) -> dict[str, Any]:
    # verify-results/1 promised that a non-null `blocked` means the route
    # stops at this step: a noticed breach (the route goes on) is written
    # under `noticed`, and evidence the verifier does not count (`end`) is
    # also the last step's `blocked`, as it always was.
    stop = s.block if s.block is not None and not s.block.noticed else None
    stop_text = None if stop is None else block_text(stop, s.element)
    if end is not None:
        stop, stop_text = end, block_text(end, verifier)
    return {"element": s.element, "kind": s.kind.value, "holder": s.holder, "grade": s.grade.value,
            "time": s.time, "blocked": stop_text, "blocker": None if stop is None else stop.who,
            "noticed": block_text(s.block, s.element) if s.block is not None and s.block.noticed else None,
            "reason": _block(s.block)}


def _route(r: Route) -> dict[str, Any]:
    last = len(r.steps) - 1
    return {
        "verifier": r.verifier,
        "arrives": r.time,
        "steps": [_step(s, r.end if i == last else None, r.verifier) for i, s in enumerate(r.steps)],
        "end": _block(r.end),
        "end_text": None if r.end is None else block_text(r.end, r.verifier),
    }


def _witness(w: Witness | None) -> dict[str, Any] | None:
    if w is None:
        return None
    return {
        "perpetrator": w.perpetrator,
        "chosen": list(w.chosen),
        "coalition": list(w.coalition),
        "failed": list(w.failed),
        "detection_time": w.detection_time,
        "detected_by": None if w.detected_by is None
        else {"holder": w.detected_by[0], "grade": w.detected_by[1].value},
        "routes": [_route(r) for r in w.routes],
        "notices": [notice_text(n) for n in w.notices],
        "breaches": [{"holder": n.holder, "code": n.reason.value, "element": n.element, "time": n.time}
                     for n in w.notices],
        "blind": [{"mechanism": u.mechanism, "reason": unseen_text(u), "code": u.reason.value,
                   "about": list(u.about)} for u in w.blind],
        "unrouted": list(w.unrouted),
        "groups": [_group(g) for g in w.groups],
        "clock": None if w.clock is None else {"from": w.clock[0], "starts": w.clock[1]},
    }


def _group(g: CountedGroup) -> dict[str, Any]:
    """Counted colluders: a set or coalition drawing n of ``members`` stands
    for any n of them."""
    return {"perpetrator": g.perpetrator, "label": g.label, "members": list(g.members), "sets": g.sets}


def exact(x: Fraction) -> str:
    """An exact number as JSON text: the decimal when it is a short one
    ("0.9"), else the fraction ("1/3"); a float would round it."""
    return short(x) or str(x)


def _threshold(t: Threshold) -> dict[str, Any]:
    return {"parameter": t.parameter, "bound": t.bound, "exact": t.exact or None,
            "value": None if t.value is None else exact(t.value)}


def _likelihood(f: Likelihood) -> dict[str, Any]:
    return {"probability": {"low": exact(f.low), "high": exact(f.high)}, "window": f.window,
            "worst coalition": list(f.coalition),
            "mechanisms": [{"mechanism": m.mechanism, "p": exact(m.p), "trials": m.trials,
                            "success": exact(m.success), "reaches": m.reaches} for m in f.mechanisms],
            "certain": list(f.certain), "formula": f.formula,
            "thresholds": [_threshold(t) for t in f.thresholds]}


def _figures(f: Figures | None) -> dict[str, Any]:
    """The figures under the keys docs/json-output.md promises."""
    if isinstance(f, Likelihood):
        return _likelihood(f)
    if isinstance(f, Deterrence):
        return {"detection": _likelihood(f.detection), "gain": exact(f.gain), "sanction": exact(f.sanction),
                "false_alarm_cost": exact(f.false_alarm_cost),
                "false alarm": {"low": exact(f.alarm_low), "high": exact(f.alarm_high)},
                "violate": [exact(x) for x in f.violate], "comply": [exact(x) for x in f.comply],
                "needed": exact(f.needed), "thresholds": [_threshold(t) for t in f.thresholds]}
    if isinstance(f, Margin):
        return {"k*": f.kstar.plain(), "without": [[e, k.plain()] for e, k in f.without]}
    if isinstance(f, WorstCase):
        return {"worst-case time": f.time, "worst-case coalition": list(f.coalition)}
    if isinstance(f, EvasionSets):
        return {"sets": [[p, list(s)] for p, s in f.sets], "criticality": [[a, n] for a, n in f.criticality],
                "groups": [_group(g) for g in f.groups]}
    if isinstance(f, Framing):
        return {"party": f.party, "margin": f.margin.plain(), "coalition": list(f.coalition),
                "verifier": f.verifier,
                "fabrications": [{"mechanism": x.mechanism, "author": x.author, "how": x.how, "flow": x.flow,
                                  "steps": [{"flow": fl, "holder": h} for fl, h in x.steps]}
                                 for x in f.fabrications]}
    if isinstance(f, Leak):
        return {"label": f.label, "margin": f.margin.plain(), "coalition": list(f.coalition),
                "receiver": f.receiver,
                "path": [{"how": how, "element": e, "holder": h} for how, e, h in f.path]}
    if isinstance(f, Game):
        return {"budget": f.budget, "value": exact(f.value), "total": exact(f.total), "period": f.period,
                "effort used": exact(f.effort),
                "allocation": [{"mechanism": m, "asset": a, "coverage": exact(c)} for m, a, c in f.allocation],
                "best responses": [{"violation": v, "per period": exact(p), "over duration": exact(o),
                                    "periods": n} for v, p, o, n in f.best]}
    return {}


def result_dict(r: Result) -> dict[str, Any]:
    return {
        "property": r.property,
        "violation": r.violation,
        "params": {k: exact(v) if isinstance(v, Fraction) else v for k, v in r.params},
        "verdict": r.verdict.value,
        "statement": r.statement,
        "perpetrator": r.perpetrator,
        "witness": _witness(r.witness),
        "rests_on": list(r.rests_on),
        "rests_on_minimal": r.rests_on_minimal,
        "certificate": [_route(c) for c in r.certificate],
        "figures": _figures(r.figures),
        "note": r.note,
        # Where the property (or claim) was written: its file (the design, or
        # a base it extends), 1-based line and column; null for a property
        # given on the command line.
        "file": None if r.where is None else r.where.file,
        "line": None if r.where is None else r.where.line,
        "column": None if r.where is None else r.where.column,
    }


def to_json(files: list[tuple[Regime, list[Result], tuple[str, ...]]], versions: dict[str, str]) -> str:
    doc = {
        "format": FORMAT,
        "tool": versions,
        "files": [
            {"path": regime.path, "regime": regime.id, "sha256": regime.sha256,
             "extends": list(regime.extends), "warnings": list(warnings),
             "results": [result_dict(r) for r in results]}
            for regime, results, warnings in files
        ],
    }
    return json_safe(_json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False)) + "\n"
