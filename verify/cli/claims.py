"""``verify claims FILE...``: each drafter's sentence, upheld or refuted.

``--format json`` (format ``verify-claims/1``, docs/json-output.md) keeps each
claim's sentence, where it is written and the verdict in one record, with the
same stability promise as ``check``'s JSON.

A claim is upheld when the checker's verdict is the one the drafter expected
(a claim may expect a property to fail: "a single state CAN hide this").
Exit status: 0 every claim upheld, 1 some refuted, 2 invalid input, 3 some
unknown and none refuted.

Each line of the text report is made visible (:func:`verify.safety.visible`):
a claim's id and text are the drafter's own words, and must not be able to
make REFUTED read UPHELD (docs/cli.md, "Untrusted text").
"""

from __future__ import annotations

import json
import time
from typing import TextIO

from verify.analyses.properties import ask
from verify.cli._common import (
    EXIT_FAILS,
    EXIT_OK,
    EXIT_UNKNOWN,
    ArgumentError,
    Parser,
    add_extends_option,
    add_report_options,
    deliver,
    errors,
    expand_paths,
    load_designs,
    progress,
    seconds,
)
from verify.cli.check import RUN_BUDGET
from verify.model import Regime, effective
from verify.report import to_ci
from verify.report.cases import Note, Suite, claim_case
from verify.report.document import NOT_CHECKED, ClaimOutcome, claim_outcome
from verify.report.progress import Progress
from verify.report.publish import claim_record
from verify.safety import json_safe, visible
from verify.versions import versions

__all__ = ["main", "FORMATS", "FORMAT", "to_json"]

FORMATS = ("text", "json", "sarif", "junit", "github")
#: The ``format`` of the JSON report.
FORMAT = "verify-claims/1"


def to_json(files: list[tuple[Regime, tuple[str, ...], list[ClaimOutcome]]], summary: dict[str, int]) -> str:
    doc = {
        "format": FORMAT,
        "tool": versions(),
        "files": [{"path": regime.path, "regime": regime.id, "title": regime.title, "sha256": regime.sha256,
                   "extends": list(regime.extends), "warnings": list(warnings),
                   "claims": [claim_record(regime, c) for c in outcomes]}
                  for regime, warnings, outcomes in files],
        "summary": summary,
    }
    return json_safe(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False)) + "\n"


def _summary(outcomes: list[str]) -> str:
    return (f"{outcomes.count('UPHELD')} upheld, {outcomes.count('REFUTED')} refuted, "
            f"{outcomes.count('UNKNOWN')} unknown")


def main(argv: list[str], stream: TextIO) -> int:
    parser = Parser(prog="verify claims", stream=stream,
                    description="Report each claim a design carries as upheld or refuted. "
                                "FILE may be - (stdin) or a folder (its *.yaml and *.yml files, sorted).")
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--timeout", type=seconds, default=60.0, help="seconds per solver call (default 60)")
    parser.add_argument("--budget", type=seconds, default=RUN_BUDGET,
                        help=f"seconds for the whole run; a claim not reached is unknown (default {RUN_BUDGET:.0f})")
    parser.add_argument("--as-is", action="store_true", help="check in-force elements only")
    add_report_options(parser, FORMATS)
    add_extends_option(parser)
    try:
        args = parser.parse_args(argv)
        paths = expand_paths(args.files, parser.prog)
    except ArgumentError as e:
        return e.status
    regimes, stop = load_designs(paths, args, "claims", stream)
    if stop is not None:
        return stop
    outcomes: list[str] = []
    text: list[str] = []
    found: list[Suite] = []
    records: list[tuple[Regime, tuple[str, ...], list[ClaimOutcome]]] = []
    bar = Progress(errors(), sum(len(r.claims) for r in regimes), enabled=not args.quiet and not args.verbose)
    ends = time.monotonic() + args.budget
    for regime in regimes:
        regime, warnings = effective(regime, as_is=args.as_is)
        kept: list[ClaimOutcome] = []
        records.append((regime, warnings, kept))
        suite = Suite(path=regime.path or regime.id, name=regime.title or regime.id,
                      notes=[Note(w, "left-out", level="note") for w in warnings])
        found.append(suite)
        text.append(visible(f"== {regime.path}: {regime.title or regime.id}") + "\n")
        text.extend(visible(f"warning: {w}") + "\n" for w in warnings)
        if not regime.claims:
            text.append("no claims in this design\n")
        for claim in regime.claims:
            bar.step(f"{regime.path}: {claim.id}")
            started = time.monotonic()
            got = claim_outcome(regime, claim, lambda rg, c: ask(rg, c, timeout=args.timeout,
                                                                 budget=ends - time.monotonic()))
            kept.append(got)
            results, verdict = list(got.results), got.verdict
            # Nothing checked (the claim's violation is absent) counts as unknown.
            outcome = "UNKNOWN" if got.outcome == NOT_CHECKED else got.outcome
            outcomes.append(outcome)
            progress(args, visible(f"verify claims: {regime.path}: {outcome}: {claim.id} "
                                   f"({time.monotonic() - started:.1f}s)"))
            case = claim_case(regime, claim, results, outcome, verdict)
            suite.cases.append(case)
            if verdict is None:
                text.append("\n" + visible(f"UNKNOWN: {claim.id}: its violation {claim.spec.param('violation')!r} "
                                           "is absent") + "\n")
            else:
                text.append("\n" + case.text + "\n")
    bar.close()
    summary = _summary(outcomes)
    if args.format == "text":
        report = f"{summary}\n" if args.quiet else "".join(text) + f"\n{summary}\n"
    elif args.format == "json":
        report = to_json(records, {"upheld": outcomes.count("UPHELD"), "refuted": outcomes.count("REFUTED"),
                                   "unknown": outcomes.count("UNKNOWN")})
    else:
        report = to_ci(found, args.format, "claims", summary)
    failed = deliver(report, args, stream, parser.prog)
    if failed is not None:
        return failed
    if "REFUTED" in outcomes:
        return EXIT_FAILS
    return EXIT_UNKNOWN if "UNKNOWN" in outcomes else EXIT_OK

