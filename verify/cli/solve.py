"""``verify solve FILE --property P --for PARAM``: the value of one
parameter at which a property starts to hold.

For detection-probability and deterrence, PARAM is one of
``mechanisms.<id>.detection_probability``, ``mechanisms.<id>.period``,
``violations.<id>.gain``, ``violations.<id>.sanction``, ``sanction`` or
``false_alarm_cost``: the answer is the number (exact: a fraction, or a
root written as a formula, with its decimal) and which side of it the
property holds on.  Every other number is taken as written (an interval at
its low end).

Exit status: 0 a threshold (or "any value"), 1 no value makes it hold,
2 invalid input.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from verify.analyses.chance import PARAMETERS, threshold
from verify.cli._common import (
    EXIT_FAILS,
    EXIT_INVALID,
    EXIT_OK,
    ArgumentError,
    Parser,
    add_extends_option,
    add_report_options,
    chance,
    count,
    deliver,
    errors,
    load_designs,
    seconds,
)
from verify.durations import parse_duration
from verify.errors import UsageError
from verify.numbers import fraction_text
from verify.results import Threshold
from verify.safety import visible
from verify.versions import versions

__all__ = ["main", "to_text", "to_json"]

FORMAT = "verify-solve/1"

_WORDS = {"at-least": "from", "above": "above", "at-most": "up to", "below": "below"}


def to_text(prop: str, violation: str, t: Threshold) -> str:
    head = f"{prop}({violation}) for {t.parameter}: "
    if t.bound == "any":
        return head + "holds whatever its value\n"
    if t.bound == "none":
        return head + "holds at no value (other numbers must change)\n"
    if t.duration:
        return head + f"holds for a period {_WORDS[t.bound]} {t.exact}\n"
    assert t.value is not None
    exact = f" (exactly {t.exact})" if t.exact and t.exact != str(t.value) else ""
    return head + f"holds for a value {_WORDS[t.bound]} {fraction_text(t.value)}{exact}\n"


def to_json(prop: str, violation: str, t: Threshold) -> str:
    doc: dict[str, Any] = {
        "format": FORMAT, "versions": versions(), "property": prop, "violation": violation,
        "parameter": t.parameter, "bound": t.bound, "exact": t.exact or None,
        "value": None if t.value is None else str(t.value),
        "decimal": None if t.value is None else float(t.value),
        "seconds": int(t.value) if t.duration and t.value is not None else None,
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str], stream: TextIO) -> int:
    parser = Parser(prog="verify solve", stream=stream,
                    description="The value of one parameter at which a property starts to hold, exactly "
                                "(detection-probability, deterrence).")
    parser.add_argument("files", nargs=1, metavar="FILE")
    parser.add_argument("--property", "-p", required=True, choices=sorted(PARAMETERS))
    parser.add_argument("--for", dest="param", required=True, metavar="PARAM",
                        help="e.g. mechanisms.<id>.detection_probability, mechanisms.<id>.period, "
                             "violations.<id>.gain, violations.<id>.sanction, sanction, false_alarm_cost")
    parser.add_argument("--violation", help="the violation (default: the design's only one)")
    parser.add_argument("-k", type=count, help="colluders beyond the perpetrator (default: threat_model.max)")
    parser.add_argument("-T", help="the window (default: the violation's duration)")
    parser.add_argument("--p", dest="p", type=chance, metavar="P",
                        help="detection-probability: the least probability required")
    parser.add_argument("--timeout", type=seconds, default=60.0, help="seconds per solver call (default 60)")
    add_report_options(parser, ("text", "json"))
    add_extends_option(parser)
    try:
        args = parser.parse_args(argv)
    except ArgumentError as e:
        return e.status
    regimes, stop = load_designs(args.files, args, "solve", stream)
    if stop is not None:
        return stop
    regime = regimes[0]
    where = visible(regime.path or "")
    violation = args.violation
    if violation is None:
        if len(regime.violations) != 1:
            errors().write(f"verify solve: {where}: name the violation with --violation (one of "
                           f"{', '.join(v.id for v in regime.violations) or 'none: the design has no violation'})\n")
            return EXIT_INVALID
        violation = regime.violations[0].id
    if violation not in regime.violation:
        errors().write(f"verify solve: {where}: no violation {visible(violation)!r}\n")
        return EXIT_INVALID
    T = None
    if args.T is not None:
        try:
            T = parse_duration(args.T)
        except ValueError:
            errors().write(f"verify solve: -T {visible(args.T)!r} is not a duration (e.g. 30d, 12h, 1y)\n")
            return EXIT_INVALID
    if args.property == "detection-probability" and args.p is None:
        errors().write("verify solve: detection-probability needs --p, the least probability required\n")
        return EXIT_INVALID
    try:
        t = threshold(regime, args.property, args.param, violation, p=args.p, k=args.k, T=T,
                      timeout=args.timeout)
    except UsageError as e:
        errors().write(f"verify solve: {where}: {e}\n")
        return EXIT_INVALID
    text = (to_json if args.format == "json" else to_text)(args.property, violation, t)
    failed = deliver(text, args, stream, parser.prog)
    if failed is not None:
        return failed
    return EXIT_FAILS if t.bound == "none" else EXIT_OK
