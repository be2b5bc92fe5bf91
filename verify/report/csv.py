"""Results tables as CSV, for papers and spreadsheets: one row per design,
property and parameters (and perpetrator, when a property names the one it
fails for).

Every text cell is made visible (:func:`verify.safety.visible`); one that
begins with ``=``, ``+``, ``-``, ``@`` or a tab is prefixed with ``'`` so that
a spreadsheet shows it as text and never runs it as a formula (a design's
title comes from anyone).  Rows end in ``\\n``; the same results give the
same bytes.
"""

from __future__ import annotations

import csv
import io

from verify.durations import format_duration
from verify.report.document import Report, params_brief
from verify.results import EvasionSets, Margin, WorstCase
from verify.safety import visible

__all__ = ["to_csv", "COLUMNS", "cell"]

COLUMNS = ("file", "regime", "title", "property", "violation", "parameters", "perpetrator", "verdict", "k_star",
           "worst_case_time_s", "worst_case_time", "evasion_sets", "coalition", "statement", "sha256")


def cell(value: object) -> str:
    if isinstance(value, int | float):
        return str(value)
    text = "" if value is None else visible(str(value))
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for d in report.designs:
        r = d.regime
        for res in d.results:
            f = res.figures
            coalition = res.witness.coalition if res.witness is not None else \
                f.coalition if isinstance(f, WorstCase) else ()
            writer.writerow([cell(x) for x in (
                r.path, r.id, r.title or "", res.property, res.violation, params_brief(res), res.perpetrator,
                res.verdict.value,
                f.kstar.plain() if isinstance(f, Margin) else None,
                f.time if isinstance(f, WorstCase) else None,
                format_duration(f.time) if isinstance(f, WorstCase) else None,
                len(f.sets) if isinstance(f, EvasionSets) else None,
                " ".join(coalition), res.statement, r.sha256)])
    return out.getvalue()
