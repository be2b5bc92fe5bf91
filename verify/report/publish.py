"""The report as JSON (``verify report --format json``): the same content as
the Markdown and HTML reports, for programs.  Its shape is the JSON Schema
shipped with the package, ``verify/schema/report.schema.json``
(:func:`schema`), and is stable like ``check``'s: fields may be added, never
renamed or removed without a new ``format``.

Each result is the object ``check --format json`` writes
(:func:`verify.report.json.result_dict`), with its title and explanation in
words added.  Written through :func:`verify.safety.json_safe`.
"""

from __future__ import annotations

import json
from fractions import Fraction
from importlib import resources
from typing import Any

from verify.explain import explain, title
from verify.model import Regime
from verify.report.document import ClaimOutcome, Design, Report, pool_text, trade_off
from verify.report.json import exact, result_dict
from verify.safety import json_safe

__all__ = ["to_report_json", "claim_record", "schema", "FORMAT"]

FORMAT = "verify-report/1"


def _result(design: Design, index: int) -> dict[str, Any]:
    r = design.results[index]
    out = result_dict(r)
    out["title"] = title(r)
    out["explanation"] = explain(design.regime, r)
    return out


def claim_record(regime: Regime, c: ClaimOutcome) -> dict[str, Any]:
    """One claim as JSON (``claims --format json`` and the report): the
    drafter's sentence, where it is written, what it means, the verdict and
    the outcome in one record, and the results it rests on."""
    where = c.claim.where or c.claim.spec.where
    return {
        "id": c.claim.id, "text": c.claim.text,
        "file": None if where is None else where.file,
        "line": None if where is None else where.line,
        "column": None if where is None else where.column,
        "property": c.claim.spec.property,
        "params": {k: exact(v) if isinstance(v, Fraction) else v for k, v in c.claim.spec.params},
        "expect": c.claim.expect, "verdict": None if c.verdict is None else c.verdict.value,
        "outcome": c.outcome.lower().replace(" ", "-"),
        "results": [{**result_dict(x), "title": title(x), "explanation": explain(regime, x)} for x in c.results],
    }


def _design(d: Design) -> dict[str, Any]:
    r = d.regime
    tm = r.threat_model
    claims = [claim_record(r, c) for c in d.claims]
    counts = {v: sum(1 for x in d.results if x.verdict.value == v) for v in ("holds", "fails", "unknown")}
    return {
        "path": r.path, "regime": r.id, "title": r.title, "description": r.description,
        "sources": list(r.sources), "sha256": r.sha256,
        "inputs": [{"path": f.path, "sha256": f.sha256} for f in d.inputs],
        "base": None if d.base is None else {"path": d.base[0], "regime": d.base[1]},
        "threat_model": {"colluders": None if tm.colluders is None else list(tm.colluders), "max": tm.max,
                         "pool": pool_text(r)},
        "warnings": list(d.warnings),
        "results": [_result(d, i) for i in range(len(d.results))],
        "claims": claims,
        "summary": counts,
        "trade_off": [{"mechanism": t.mechanism, "barrier": t.barrier,
                       "adds": [{"violation": v, "without": k, "with": whole} for v, k, whole in t.adds],
                       "exposes": [{"label": lab, "to": who, "cleared": ok} for lab, who, ok in t.exposes]}
                      for t in trade_off(r, d.results)],
    }


def to_report_json(report: Report) -> str:
    doc = {
        "format": FORMAT,
        "designs": [_design(d) for d in report.designs],
        "receipt": {"tool": dict(report.receipt.tool), "command": list(report.receipt.command)},
    }
    return json_safe(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False)) + "\n"


def schema() -> dict[str, Any]:
    """The JSON Schema of :func:`to_report_json`'s document."""
    text = resources.files("verify.schema").joinpath("report.schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded
