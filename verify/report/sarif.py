"""SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/), for code
scanning: one run, the tool ``verify`` with one rule per property id,
diagnostic code and kind of warning; one result per property that fails or
is unknown, refuted or unknown claim, diagnostic and warning, at the line and
column of the property spec, claim or mistake in the YAML.

Deterministic like the other reports: no timestamps, sorted rules.  Its
messages are made of visible text (:mod:`verify.report.cases`), and the
document is written through :func:`verify.safety.json_safe`, so no control or
bidirectional character is in it raw.
"""

from __future__ import annotations

import json
from typing import Any

from verify.model import Location
from verify.report.cases import STDIN, Level, Suite, rule_help, uri
from verify.safety import json_safe

__all__ = ["to_sarif", "SCHEMA_URI"]

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"

#: outcome -> level.  An unknown answer is not a failure proven, and never a pass.
_LEVEL: dict[str, Level] = {"fail": "error", "unknown": "warning", "error": "warning"}


def _location(path: str, where: Location | None) -> list[dict[str, Any]]:
    file = where.file if where is not None else path
    if file == STDIN:
        return []  # no artifact to point at
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri(file)}}
    if where is not None:
        physical["region"] = {"startLine": where.line, "startColumn": where.column}
    return [{"physicalLocation": physical}]


def to_sarif(suites: list[Suite], version: str) -> str:
    found: list[tuple[str, Level, str, list[dict[str, Any]], dict[str, Any]]] = []
    for s in suites:
        for c in s.cases:
            if c.outcome != "pass":
                found.append((c.rule, _LEVEL[c.outcome], c.text, _location(s.path, c.where),
                              {"outcome": c.outcome, "name": c.name}))
        for d in s.diagnostics:
            found.append((d.code, "error", str(d), _location(s.path, d.where), {}))
        for n in s.notes:
            found.append((n.rule, n.level, n.message, _location(s.path, n.where), {}))
    rule_ids = sorted({f[0] for f in found})
    index = {r: i for i, r in enumerate(rule_ids)}
    rules = []
    for r in rule_ids:
        short, text = rule_help(r)
        rules.append({"id": r, "shortDescription": {"text": short}, "fullDescription": {"text": text},
                      "help": {"text": text}})
    results = []
    for rule, level, message, locations, props in found:
        res: dict[str, Any] = {"ruleId": rule, "ruleIndex": index[rule], "level": level, "message": {"text": message}}
        if locations:
            res["locations"] = locations
        if props:
            res["properties"] = props
        results.append(res)
    doc = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "verify", "version": version, "semanticVersion": version,
                                "rules": rules}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json_safe(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False)) + "\n"
