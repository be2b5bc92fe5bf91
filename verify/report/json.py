"""JSON report.  The shape is documented in docs/json-output.md and stable:
fields may be added, never renamed or removed without a new ``format``."""

from __future__ import annotations

import hashlib
import json as _json

from verify.model import Regime
from verify.results import Result, Route, Witness

__all__ = ["to_json", "FORMAT", "regime_hash"]

FORMAT = "verify-results/1"


def regime_hash(regime: Regime) -> str:
    """sha256 of the file and every file it extends, in that order."""
    h = hashlib.sha256()
    for path in (regime.path, *regime.extends):
        if path:
            with open(path, "rb") as fh:
                h.update(fh.read())
    return h.hexdigest()


def _route(r: Route) -> dict:
    return {
        "verifier": r.verifier,
        "arrives": r.time,
        "steps": [
            {"element": s.element, "kind": s.kind, "holder": s.holder, "grade": s.grade,
             "time": s.time, "blocked": s.blocked, "blocker": s.blocker}
            for s in r.steps
        ],
    }


def _witness(w: Witness | None) -> dict | None:
    if w is None:
        return None
    return {
        "perpetrator": w.perpetrator,
        "chosen": list(w.chosen),
        "coalition": list(w.coalition),
        "failed": list(w.failed),
        "detection_time": w.detection_time,
        "detected_by": None if w.detected_by is None else {"holder": w.detected_by[0], "grade": w.detected_by[1]},
        "routes": [_route(r) for r in w.routes],
        "notices": list(w.notices),
        "blind": [{"mechanism": m, "reason": why} for m, why in w.blind],
        "unrouted": list(w.unrouted),
    }


def _plain(value):
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def result_dict(r: Result) -> dict:
    return {
        "property": r.property,
        "violation": r.violation,
        "params": {k: v for k, v in r.params},
        "verdict": r.verdict.value,
        "statement": r.statement,
        "perpetrator": r.perpetrator,
        "witness": _witness(r.witness),
        "rests_on": list(r.rests_on),
        "certificate": [_route(c) for c in r.certificate],
        "figures": {k: _plain(v) for k, v in r.figures},
        "note": r.note,
    }


def to_json(files: list[tuple[Regime, list[Result], tuple[str, ...]]], versions: dict) -> str:
    doc = {
        "format": FORMAT,
        "tool": versions,
        "files": [
            {"path": regime.path, "regime": regime.id, "sha256": regime_hash(regime),
             "extends": list(regime.extends), "warnings": list(warnings),
             "results": [result_dict(r) for r in results]}
            for regime, results, warnings in files
        ],
    }
    return _json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
