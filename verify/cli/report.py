"""``verify report FILE... --format md|html|json|csv [-o OUT]``: one document
a working group can circulate, cite and reproduce.

For each design: what it is (title, description, sources, the base a
variant extends, who may collude), its diagram (HTML), each property with
its verdict and its counterexample (drawn on the diagram in HTML) or what it
rests on, each claim with the drafter's sentence; then a receipt: the
SHA-256 of every input file, the tool's versions and the command line.
Identical inputs give byte-identical reports (docs/reports.md).

Exit status as for ``check``: 0 every property holds, 1 some fails, 2
invalid input or an output that cannot be written, 3 some unknown and none
fails.
"""

from __future__ import annotations

import argparse
import time
from typing import TextIO

from verify.analyses.properties import ask, run
from verify.cli._common import (
    EXIT_INVALID,
    ArgumentError,
    Parser,
    add_extends_option,
    deliver,
    errors,
    expand_paths,
    load_design,
    load_designs,
    progress,
)
from verify.cli.check import add_property_options, spec_from_args, status_of
from verify.errors import RenderError, UsageError
from verify.model import Claim, Regime, effective
from verify.report.document import (
    ChangedInputError,
    Design,
    Receipt,
    Report,
    base_of,
    claim_outcome,
    input_files,
)
from verify.report.progress import Progress
from verify.results import Result, Verdict
from verify.safety import visible
from verify.versions import versions

__all__ = ["main", "FORMATS", "build", "write"]

FORMATS = ("md", "html", "json", "csv")


def _command(argv: list[str]) -> tuple[str, ...]:
    """``verify report`` and its arguments, the output path left out."""
    out, skip = ["verify", "report"], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in ("-o", "--output"):
            skip = True
            continue
        if a.startswith("--output=") or (a.startswith("-o") and len(a) > 2):
            continue
        out.append(a)
    return tuple(out)


def _drawings(regime: Regime, results: list[Result]) -> tuple[str | None, str, tuple[tuple[int, str], ...]]:
    """The diagram and one counterexample drawing per failing result (SVG)."""
    from verify.render import draw, overlay_of

    try:
        plain = draw(regime, "svg").decode("utf-8")
    except RenderError as e:
        return None, str(e), ()
    drawn = []
    for i, r in enumerate(results):
        if r.verdict == Verdict.FAILS and r.witness is not None:
            try:
                drawn.append((i, draw(regime, "svg", overlay=overlay_of(regime, r)).decode("utf-8")))
            except (RenderError, ValueError):
                continue
    return plain, "", tuple(drawn)


def build(regimes: list[Regime], args: argparse.Namespace, argv: list[str], err: TextIO) -> Report:
    """Check every design and gather the report (raises UsageError)."""
    spec = spec_from_args(args)
    prepared = []
    total = 0
    for regime in regimes:
        regime, warnings = effective(regime, as_is=args.as_is)
        specs = [spec] if spec else list(regime.properties)
        if spec and spec.param("violation") and spec.param("violation") not in regime.violation:
            raise UsageError(f"{regime.path}: no violation {spec.param('violation')!r}")
        prepared.append((regime, warnings, specs))
        total += len(specs) + len(regime.claims)
    bar = Progress(err, total, enabled=not args.quiet and not args.verbose)
    designs = []
    try:
        for regime, warnings, specs in prepared:
            inputs = input_files(regime)
            if not specs:
                warnings = (*warnings, "the design lists no properties; use --property")
            results: list[Result] = []
            for s in specs:
                bar.step(f"{regime.path}: {s.property}")
                started = time.monotonic()
                got = run(regime, s, timeout=args.timeout)
                if not got:
                    warnings = (*warnings, f"{s.property} is not checked: its violation "
                                           f"{s.param('violation')!r} is absent")
                for r in got:
                    progress(args, f"verify report: {visible(regime.path or '')}: {r.property} {r.violation}: "
                                   f"{r.verdict.value.upper()} ({time.monotonic() - started:.1f}s)")
                results.extend(got)

            def answer(rg: Regime, c: Claim) -> list[Result]:
                return ask(rg, c, timeout=args.timeout)

            claims = []
            for c in regime.claims:
                bar.step(f"{regime.path}: claim {c.id}")
                claims.append(claim_outcome(regime, c, answer))
            diagram: str | None = None
            note = ""
            drawn: tuple[tuple[int, str], ...] = ()
            if args.format == "html":
                diagram, note, drawn = _drawings(regime, results)
            designs.append(Design(regime=regime, results=tuple(results), warnings=tuple(warnings),
                                  claims=tuple(claims), inputs=inputs,
                                  base=base_of(regime, lambda p: load_design(
                                      p, allow=args.allow_extends, limits=args.limits)),
                                  diagram=diagram, diagram_note=note, counterexamples=drawn))
    finally:
        bar.close()
    return Report(designs=tuple(designs),
                  receipt=Receipt(tool=tuple(sorted(versions().items())), command=_command(argv)))


def write(report: Report, fmt: str) -> str:
    if fmt == "md":
        from verify.report.markdown import to_markdown

        return to_markdown(report)
    if fmt == "html":
        from verify.report.html import to_html

        return to_html(report)
    if fmt == "json":
        from verify.report.publish import to_report_json

        return to_report_json(report)
    from verify.report.csv import to_csv

    return to_csv(report)


def main(argv: list[str], stream: TextIO) -> int:
    parser = Parser(prog="verify report", stream=stream,
                    description="Write one self-contained report of every design given: what it is, each "
                                "property's verdict with its counterexample or what it rests on, each claim, and "
                                "a receipt (input hashes, versions, command line). FILE may be - (stdin) or a "
                                "folder (its *.yaml and *.yml files, sorted).")
    parser.add_argument("files", nargs="+", metavar="FILE")
    add_property_options(parser)
    parser.add_argument("--format", choices=FORMATS, default="md",
                        help="md (default), html (diagrams inline), json (for programs) or csv (the results table)")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write the report to FILE (whole or not at all) instead of stdout")
    parser.add_argument("-q", "--quiet", action="store_true", help="no 'wrote FILE', no progress display")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print each file as loaded and each result with its time (stderr)")
    add_extends_option(parser)
    try:
        args = parser.parse_args(argv)
        spec_from_args(args)
        if getattr(args, "coalition", None) is not None or getattr(args, "failed", None) is not None:
            errors().write(f"{parser.prog}: error: --coalition and --failed give one scenario; report answers "
                           "for every coalition (draw a scenario with verify render --counterexample)\n")
            return EXIT_INVALID
        paths = expand_paths(args.files, parser.prog)
    except ArgumentError as e:
        return e.status
    regimes, stop = load_designs(paths, args, "report", stream)
    if stop is not None:
        return stop
    try:
        report = build(regimes, args, list(argv), errors())
    except ArgumentError as e:
        return e.status
    except (UsageError, ChangedInputError, OSError) as e:
        errors().write(f"{parser.prog}: error: {visible(str(e))}; nothing written\n")
        return EXIT_INVALID
    failed = deliver(write(report, args.format), args, stream, parser.prog)
    if failed is not None:
        return failed
    return status_of(r.verdict for d in report.designs for r in d.results)
