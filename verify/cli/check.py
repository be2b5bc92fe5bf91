"""``verify check FILE...``: prove or refute each design's properties.

Exit status: 0 every property holds, 1 at least one fails, 2 invalid input,
3 some answer is unknown (a time-out) and none fails.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import TextIO

from verify.analyses.properties import run
from verify.catalogue import catalogue
from verify.cli._common import (
    EXIT_FAILS,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_UNKNOWN,
    ArgumentError,
    Parser,
    count,
    report_regime_error,
    seconds,
    write_atomically,
)
from verify.durations import parse_duration
from verify.errors import RegimeError
from verify.load import load
from verify.model import PropertySpec, effective
from verify.report import to_json, to_text
from verify.results import Verdict
from verify.versions import versions

__all__ = ["main", "add_property_options", "spec_from_args", "status_of"]


def add_property_options(parser: Parser) -> None:
    parser.add_argument("--property", "-p", choices=sorted(catalogue()),
                        help="check this property instead of the design's list")
    parser.add_argument("--violation", help="only this violation")
    parser.add_argument("-k", type=count, help="colluders beyond the perpetrator (default: threat_model.max)")
    parser.add_argument("-T", help="deadline for timeliness, e.g. 30d")
    parser.add_argument("-f", type=count, help="honest failures for fault-tolerance")
    parser.add_argument("-K", type=count, help="largest coalition for minimal-evasion-sets")
    parser.add_argument("--direct", action="store_true", help="accept only direct evidence")
    parser.add_argument("--timeout", type=seconds, default=60.0,
                        help="seconds per solver call; a time-out is reported as unknown (default 60)")
    parser.add_argument("--as-is", action="store_true", help="check in-force elements only, not proposed ones")


def spec_from_args(args: argparse.Namespace, stream: TextIO) -> PropertySpec | None:
    if args.property is None:
        return None
    info = catalogue()[args.property]
    params: list[tuple[str, object]] = []
    for name in ("violation", "k", "T", "f", "K"):
        value = getattr(args, name)
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


def main(argv: list[str], stream: TextIO) -> int:
    parser = Parser(prog="verify check", stream=stream,
                    description="Prove or refute the properties a design lists (or one given with --property).")
    parser.add_argument("files", nargs="+", metavar="FILE")
    add_property_options(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("-o", "--output", help="write the report to this file instead of the terminal")
    try:
        args = parser.parse_args(argv)
        spec = spec_from_args(args, stream)
    except ArgumentError as e:
        return e.status
    regimes = []
    for path in args.files:
        try:
            regimes.append(load(path))
        except RegimeError as e:
            return report_regime_error(e, stream)
    done = []
    for regime in regimes:
        regime, warnings = effective(regime, as_is=args.as_is)
        specs = [spec] if spec else list(regime.properties)
        if spec and spec.param("violation") and spec.param("violation") not in regime.violation:
            stream.write(f"verify: {regime.path}: no violation {spec.param('violation')!r}\n")
            return EXIT_INVALID
        if not specs:
            warnings = (*warnings, "the design lists no properties; use --property")
        results = []
        for s in specs:
            got = run(regime, s, timeout=args.timeout)
            if not got:
                warnings = (*warnings, f"{s.property} is not checked: its violation "
                                       f"{s.param('violation')!r} is absent")
            results.extend(got)
        done.append((regime, results, warnings))
    if args.format == "json":
        text = to_json(done, versions())
    else:
        text = "".join(to_text(regime, results, warnings) for regime, results, warnings in done)
    if args.output:
        try:
            write_atomically(args.output, text)
        except OSError as e:
            stream.write(f"verify check: cannot write {args.output}: {e.strerror}\n")
            return EXIT_INVALID
        stream.write(f"wrote {args.output}\n")
    else:
        stream.write(text)
    return status_of(r.verdict for _, results, _ in done for r in results)
