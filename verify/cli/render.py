"""``verify render FILE -o OUT.svg|.png|.dot [--as-is]``: draw a regime.

With ``--counterexample PROPERTY`` (and the property's parameters, as for
``check --property``) the property is checked and its counterexample drawn on
the diagram: the violation, the perpetrator, the coalition, the colluder
pool, each blocked step and how, the routes that survive and the verifiers
that never hear.  A property that holds has no counterexample: nothing is
written and the status is 2 (the request cannot be met), with a message
saying so.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TextIO

from verify.catalogue import catalogue
from verify.cli._common import (
    EXIT_INVALID,
    ArgumentError,
    Parser,
    add_extends_option,
    count,
    errors,
    load_design,
    refuse_output,
    report_regime_error,
    seconds,
)
from verify.errors import RegimeError, RenderError, UsageError
from verify.model import Regime, effective
from verify.render import FORMATS, Overlay, output_format, overlay_of, render
from verify.safety import visible

__all__ = ["main", "counterexample_overlay"]


def counterexample_overlay(regime: Regime, args: argparse.Namespace) -> Overlay | str:
    """The overlay of the first failing result of ``--counterexample``, or
    why there is none (a message for the error stream)."""
    from verify.analyses.properties import run
    from verify.cli.check import spec_from_args
    from verify.explain import title
    from verify.results import Verdict

    spec = spec_from_args(argparse.Namespace(**{**vars(args), "property": args.counterexample}))
    assert spec is not None
    violation = spec.param("violation")
    if violation is not None and violation not in regime.violation:
        return f"no violation {violation!r} in {regime.path}"
    results = run(regime, spec, timeout=args.timeout)
    failing = [r for r in results if r.verdict == Verdict.FAILS and r.witness is not None]
    if not failing:
        said = "; ".join(title(r) for r in results) or f"{spec.property}: nothing checked"
        return f"{said}: no counterexample to draw"
    return overlay_of(regime, failing[0])


def main(argv: Sequence[str], stream: TextIO) -> int:
    parser = Parser(
        prog="verify render",
        stream=stream,
        description="Draw a regime with Graphviz. Proposed and suspended elements "
        "are drawn, styled as such, unless --as-is. With --counterexample PROPERTY, "
        "the property's counterexample is drawn on the diagram.",
    )
    parser.add_argument("file", metavar="FILE", help="the regime file, or - to read it from stdin")
    parser.add_argument(
        "-o", "--output", required=True, metavar="OUT",
        help="file to write; its extension picks the format: " + ", ".join(FORMATS),
    )
    parser.add_argument(
        "--as-is", action="store_true",
        help="draw only what is in force: leave out proposed and suspended elements",
    )
    parser.add_argument("--counterexample", metavar="PROPERTY", choices=sorted(catalogue()),
                        help="check PROPERTY and draw its counterexample (the first perpetrator it fails for)")
    parser.add_argument("--violation", help="only this violation (with --counterexample)")
    parser.add_argument("-k", type=count, help="colluders beyond the perpetrator (with --counterexample)")
    parser.add_argument("-T", help="deadline for timeliness, e.g. 30d (with --counterexample)")
    parser.add_argument("-f", type=count, help="honest failures for fault-tolerance (with --counterexample)")
    parser.add_argument("-K", type=count, help="largest coalition for minimal-evasion-sets (with --counterexample)")
    parser.add_argument("--direct", action="store_true", help="accept only direct evidence (with --counterexample)")
    parser.add_argument("--timeout", type=seconds, default=60.0,
                        help="seconds per solver call (with --counterexample; default 60)")
    add_extends_option(parser)
    try:
        args = parser.parse_args(argv)
        if args.counterexample is None:
            given = [f for f in ("violation", "k", "T", "f", "K") if getattr(args, f) is not None]
            if given or args.direct:
                errors().write(f"{parser.prog}: error: {', '.join(given or ['--direct'])} "
                               "only with --counterexample PROPERTY\n")
                return EXIT_INVALID
        else:
            from verify.cli.check import spec_from_args

            # Parameters are checked before anything is loaded.
            spec_from_args(argparse.Namespace(**{**vars(args), "property": args.counterexample}))
    except ArgumentError as err:
        return err.status

    # Refuse a bad extension before loading, so the user hears about the
    # mistake they can fix at once and no work is wasted.
    try:
        output_format(args.output)
    except RenderError as err:
        errors().write(f"{parser.prog}: error: {err}\n")
        return EXIT_INVALID
    if refuse_output(args.output, args, parser.prog):
        return EXIT_INVALID

    try:
        regime = load_design(args.file, allow=args.allow_extends, limits=args.limits)
    except RegimeError as err:
        return report_regime_error(err)

    if args.as_is:
        regime, warnings = effective(regime, as_is=True)
        for warning in warnings:
            errors().write(visible(f"warning: {warning}") + "\n")

    overlay = None
    if args.counterexample is not None:
        regime, _ = effective(regime, as_is=args.as_is)
        try:
            found = counterexample_overlay(regime, args)
        except (ArgumentError, UsageError) as err:
            if str(err):
                errors().write(f"{parser.prog}: error: {visible(str(err))}\n")
            return EXIT_INVALID
        if isinstance(found, str):
            errors().write(f"{parser.prog}: error: {visible(found)}; nothing written\n")
            return EXIT_INVALID
        overlay = found

    try:
        render(regime, args.output, overlay=overlay)
    except RenderError as err:
        errors().write(f"{parser.prog}: error: {err}\n")
        return EXIT_INVALID
    stream.write(f"{args.output}\n")
    return 0
