"""``verify check FILE...``: prove or refute each design's properties.

Exit status: 0 every property holds, 1 at least one fails, 2 invalid input,
3 some answer is unknown (a time-out) and none fails.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Iterable
from functools import partial
from types import ModuleType
from typing import TYPE_CHECKING, Any, TextIO

from verify.cache import Cache, answered
from verify.catalogue import catalogue, names
from verify.cli._common import (
    EXIT_FAILS,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_UNKNOWN,
    ArgumentError,
    Parser,
    add_extends_option,
    add_report_options,
    chance,
    count,
    deliver,
    errors,
    expand_paths,
    load_designs,
    progress,
    seconds,
)
from verify.durations import parse_duration
from verify.errors import UsageError
from verify.explain import title
from verify.model import PropertySpec, Regime, effective
from verify.report import FORMATS
from verify.results import Result, Verdict
from verify.safety import visible
from verify.unread import unread_fields
from verify.versions import versions

if TYPE_CHECKING:
    from verify.report.cases import Suite

#: Seconds a whole run of check or claims may take by default: a design from
#: elsewhere can ask for a long enumeration (thousands of minimal evasion
#: sets), and --timeout bounds only each solver call.
RUN_BUDGET = 1800.0

__all__ = ["RUN_BUDGET", "main", "add_property_options", "spec_from_args", "status_of", "suites", "render"]


def add_property_options(parser: Parser) -> None:
    parser.add_argument("--property", "-p", choices=names(),
                        help="check this property instead of the design's list")
    parser.add_argument("--violation", help="only this violation")
    parser.add_argument("--party", help="non-frameability: only this party (default: every perpetrator)")
    parser.add_argument("--label", help="confidentiality: only this label (default: every label)")
    parser.add_argument("-k", type=count, help="colluders beyond the perpetrator (default: threat_model.max)")
    parser.add_argument("-T", help="deadline for timeliness, e.g. 30d; the window of detection-probability and "
                                   "deterrence (default: the violation's duration)")
    parser.add_argument("--p", dest="p", type=chance, metavar="P",
                        help="detection-probability: the least probability required, e.g. 0.9")
    parser.add_argument("--from", dest="start", metavar="EVENT",
                        help="timeliness: count -T from when this mechanism or flow first delivers")
    parser.add_argument("--coalition", metavar="A,B,...", type=_ids, default=None,
                        help="answer for exactly this coalition (the perpetrator and these accomplices, with "
                             "what they control) instead of every one; '' for none")
    parser.add_argument("--failed", metavar="X,Y,...", type=_ids, default=None,
                        help="with --coalition: these elements fail")
    parser.add_argument("-f", type=count, help="honest failures for fault-tolerance")
    parser.add_argument("-K", type=count, help="largest coalition for minimal-evasion-sets")
    parser.add_argument("--direct", action="store_true", help="accept only direct evidence")
    parser.add_argument("--timeout", type=seconds, default=60.0,
                        help="seconds per solver call; a time-out is reported as unknown (default 60)")
    parser.add_argument("--as-is", action="store_true", help="check in-force elements only, not proposed ones")


def _ids(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(",") if x.strip())


def spec_from_args(args: argparse.Namespace, stream: TextIO | None = None) -> PropertySpec | None:
    """The --property and its parameters; usage errors go to the error stream
    (``stream`` is accepted for callers of the old signature and ignored)."""
    stream = errors()
    if args.property is None:
        return None
    info = catalogue()[args.property]
    params: list[tuple[str, object]] = []
    for name in ("violation", "party", "label", "k", "T", "f", "K", "from", "p"):
        value = getattr(args, "start" if name == "from" else name)
        if value is None:
            continue
        if name not in info.parameters:
            stream.write(f"verify: {args.property} takes no parameter {name}\n")
            raise ArgumentError(name)
        if name == "T":
            try:
                value = parse_duration(value)
            except ValueError:
                stream.write(f"verify: -T {value!r} is not a duration (e.g. 30d, 12h, 1y)\n")
                raise ArgumentError(name) from None
        params.append((name, value))
    if args.direct:
        if "direct" not in info.parameters:
            stream.write(f"verify: {args.property} takes no parameter direct\n")
            raise ArgumentError("direct")
        params.append(("direct", True))
    for req in info.required():
        if req not in dict(params):
            stream.write(f"verify: {args.property} needs -{req}\n")
            raise ArgumentError(req)
    return PropertySpec(property=args.property, params=tuple(params))


def status_of(verdicts: Iterable[Verdict]) -> int:
    verdicts = set(verdicts)
    if Verdict.FAILS in verdicts:
        return EXIT_FAILS
    if Verdict.UNKNOWN in verdicts:
        return EXIT_UNKNOWN
    return EXIT_OK


Checked = tuple[Regime, list[Result], tuple[str, ...]]


def _summary(results: list[Result]) -> str:
    counts = {v: sum(1 for r in results if r.verdict == v) for v in Verdict}
    return f"{counts[Verdict.HOLDS]} hold, {counts[Verdict.FAILS]} fail, {counts[Verdict.UNKNOWN]} unknown"


def suites(done: list[Checked]) -> list[Suite]:
    """The CI formats' view of the results."""
    from verify.report.cases import Note, Suite, result_case

    out = []
    for regime, results, warnings in done:
        # Unread fields are validate's notes in CI formats: a gate on check
        # reports verdicts, not the same notes on every run.
        unread = {m for m, _ in unread_fields(regime, checked={r.property for r in results})}
        notes = [Note(w, "no-properties" if w.startswith("the design lists no properties") else
                      "violation-absent" if " is not checked: " in w else "left-out", level="note")
                 for w in warnings if w not in unread]
        out.append(Suite(path=regime.path or regime.id, name=regime.title or regime.id,
                         cases=[result_case(regime, r) for r in results], notes=notes))
    return out


def render(done: list[Checked], fmt: str, quiet: bool = False) -> str:
    # Each view imported when asked for: a quiet re-check needs none
    # (issue 14: start-up).
    if fmt == "json":
        from verify.report.json import to_json

        return to_json(done, versions())
    if fmt == "text":
        if quiet:
            return "".join(f"{visible(regime.path or regime.id)}: {_summary(results)}\n" for regime, results, _ in done)
        from verify.report.text import to_text

        return "".join(to_text(regime, results, warnings) for regime, results, warnings in done)
    from verify.report import to_ci

    return to_ci(suites(done), fmt, "check", _summary([r for _, rs, _ in done for r in rs]))


def _analyses() -> ModuleType:
    """The analyses, imported when a question is asked: a re-check answered
    from the cache needs neither them nor z3 (issue 14: start-up)."""
    import verify.analyses.properties

    return verify.analyses.properties


def _run(regime: Regime, spec: PropertySpec, **options: Any) -> list[Result]:
    return _analyses().run(regime, spec, **options)  # type: ignore[no-any-return]


def main(argv: list[str], stream: TextIO) -> int:
    parser = Parser(prog="verify check", stream=stream,
                    description="Prove or refute the properties a design lists (or one given with --property). "
                                "FILE may be - (stdin) or a folder (its *.yaml and *.yml files, sorted).")
    parser.add_argument("files", nargs="+", metavar="FILE")
    add_property_options(parser)
    parser.add_argument("--budget", type=seconds, default=RUN_BUDGET,
                        help=f"seconds for the whole run; what it does not reach is unknown (default {RUN_BUDGET:.0f})")
    parser.add_argument("--cache", metavar="DIR", default=os.environ.get("VERIFY_CACHE") or None,
                        help="keep results in DIR and answer unchanged questions from it (default: $VERIFY_CACHE, "
                             "else none); safe to delete")
    parser.add_argument("--minimal-cores", action="store_true",
                        help="minimise each 'rests on' to the end, whatever it costs (by default within a budget "
                             "of twice the proof's own work, and marked when not minimal)")
    add_report_options(parser, FORMATS)
    add_extends_option(parser)
    try:
        args = parser.parse_args(argv)
        spec = spec_from_args(args)
        paths = expand_paths(args.files, parser.prog)
    except ArgumentError as e:
        return e.status
    coalition = getattr(args, "coalition", None)
    if getattr(args, "failed", None) is not None and coalition is None:
        errors().write("verify check: --failed goes with --coalition (a given scenario)\n")
        return EXIT_INVALID
    cache = Cache(args.cache) if args.cache else None
    regimes, stop = load_designs(paths, args, "check", stream, cache)
    if stop is not None:
        return stop
    done: list[Checked] = []
    ends = time.monotonic() + args.budget
    for regime in regimes:
        regime, warnings = effective(regime, as_is=args.as_is)
        specs = [spec] if spec else list(regime.properties)
        warnings = (*warnings, *(m for m, _ in unread_fields(regime, checked={s.property for s in specs})))
        if spec and spec.param("violation") and spec.param("violation") not in regime.violation:
            errors().write(f"verify: {visible(regime.path or '')}: no violation {spec.param('violation')!r}\n")
            return EXIT_INVALID
        if spec and isinstance(spec.param("party"), str) and spec.param("party") not in regime.actor:
            errors().write(f"verify: {visible(regime.path or '')}: no actor {visible(str(spec.param('party')))!r}\n")
            return EXIT_INVALID
        if spec and isinstance(spec.param("label"), str) and \
                spec.param("label") not in {lab.id for lab in regime.labels}:
            errors().write(f"verify: {visible(regime.path or '')}: no label {visible(str(spec.param('label')))!r}\n")
            return EXIT_INVALID
        start = spec.param("from") if spec else None
        if isinstance(start, str) and start not in regime.mechanism and start not in regime.flow:
            errors().write(f"verify: {visible(regime.path or '')}: --from {visible(start)!r} is not a mechanism "
                           "or flow of this design (a clock starts when one first delivers)\n")
            return EXIT_INVALID
        if not specs:
            warnings = (*warnings, "the design lists no properties; use --property")
        results = []
        for s in specs:
            started = time.monotonic()
            if coalition is not None and spec is None and s.property not in _analyses().WHAT_IF:
                warnings = (*warnings, f"{s.property} is not checked: it is about every coalition, "
                                       "and --coalition gives one")
                continue
            if coalition is not None:
                try:
                    got = _analyses().what_if(regime, s, coalition, args.failed or ())
                except UsageError as e:
                    errors().write(f"verify: {visible(regime.path or '')}: {visible(str(e))}\n")
                    return EXIT_INVALID
            else:
                left = ends - time.monotonic()
                try:
                    got = answered(cache, regime, s, partial(_run, regime, s, timeout=args.timeout, budget=left,
                                                                  minimal_cores=args.minimal_cores),
                                   minimal_cores=args.minimal_cores) if left > 0 else \
                        [_analyses().out_of_time(regime, s, v) for v in _analyses().asked(regime, s)]
                except UsageError as e:
                    # A question the design cannot answer (detection-probability
                    # with no window): the file's own list is validated, so this
                    # is a --property asked of the wrong design.
                    errors().write(f"verify: {visible(regime.path or '')}: {visible(str(e))}\n")
                    return EXIT_INVALID
            for r in got:
                progress(args, f"verify check: {visible(regime.path or '')}: {title(r)} "
                               f"({time.monotonic() - started:.1f}s)")
            if not got:
                key = _analyses().SUBJECTS.get(s.property, "violation")
                warnings = (*warnings, f"{s.property} is not checked: its {key} {s.param(key)!r} is absent"
                            if s.param(key) is not None else
                            f"{s.property} is not checked: the design has no {key} to check it for")
            results.extend(got)
        done.append((regime, results, warnings))
    failed = deliver(render(done, args.format, args.quiet), args, stream, parser.prog)
    if failed is not None:
        return failed
    return status_of(r.verdict for _, results, _ in done for r in results)
