"""``verify render FILE -o OUT.svg|.png|.dot [--as-is]``: draw a regime.

With ``--counterexample PROPERTY`` (and the property's parameters, as for
``check --property``) the property is checked and its counterexample drawn on
the diagram: the violation, the perpetrator, the coalition, the colluder
pool, each blocked step and how, the routes that survive and the verifiers
that never hear.  A property that holds has no counterexample: nothing is
written and the status is 2 (the request cannot be met), with a message
saying so.  With ``--coalition A,B`` (and ``--failed X``), as for ``check``,
exactly that scenario is drawn, whatever its verdict.
"""

from __future__ import annotations

import argparse
import io
from collections.abc import Sequence
from typing import TextIO

from verify.catalogue import names
from verify.cli._common import (
    EXIT_INVALID,
    ArgumentError,
    Parser,
    add_extends_option,
    errors,
    load_design,
    refuse_output,
    report_regime_error,
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
    coalition = getattr(args, "coalition", None)
    if coalition is not None:
        # check --coalition's question: exactly this scenario, drawn whatever
        # its verdict (a scenario that is detected shows the routes that reach).
        from verify.analyses.properties import what_if

        given = [r for r in what_if(regime, spec, coalition, getattr(args, "failed", None) or ())
                 if r.witness is not None]
        if not given:
            return f"{spec.property}: nothing checked"
        return overlay_of(regime, given[0])
    results = run(regime, spec, timeout=args.timeout)
    failing = [r for r in results if r.verdict == Verdict.FAILS and r.witness is not None]
    if not failing:
        said = "; ".join(title(r) for r in results) or f"{spec.property}: nothing checked"
        return f"{said}: no counterexample to draw"
    return overlay_of(regime, failing[0])


def _property_parameters(parser: Parser) -> list[tuple[str, str, object]]:
    """The parameters ``check --property`` takes (every option of
    :func:`~verify.cli.check.add_property_options` but ``--property`` itself
    and those this command has already), added to ``parser`` for
    ``--counterexample``: a parameter added to ``check`` arrives here too.
    Returns (flag, dest, default) of each parameter of the property."""
    from verify.cli.check import add_property_options

    scratch = Parser(prog=parser.prog, stream=io.StringIO(), add_help=False)
    add_property_options(scratch)
    taken = {a.dest for a in parser._actions}
    out = []
    for action in scratch._actions:
        if action.dest == "property" or action.dest in taken:
            continue
        if action.help:
            action.help += " (with --counterexample)"
        parser._add_action(action)
        if action.dest != "timeout":
            out.append((action.option_strings[-1], action.dest, action.default))
    return out


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
    parser.add_argument("--counterexample", metavar="PROPERTY", choices=names(),
                        help="check PROPERTY and draw its counterexample (the first perpetrator it fails for)")
    params = _property_parameters(parser)
    add_extends_option(parser)
    try:
        args = parser.parse_args(argv)
        if args.counterexample is None:
            given = [flag for flag, dest, default in params if getattr(args, dest) != default]
            if given:
                errors().write(f"{parser.prog}: error: {', '.join(given)} only with --counterexample PROPERTY\n")
                return EXIT_INVALID
        else:
            from verify.cli.check import spec_from_args

            if getattr(args, "failed", None) is not None and getattr(args, "coalition", None) is None:
                errors().write(f"{parser.prog}: error: --failed goes with --coalition (a given scenario)\n")
                return EXIT_INVALID
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
