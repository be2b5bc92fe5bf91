"""``verify render FILE -o OUT.svg|.png|.dot [--as-is]``: draw a regime."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

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
from verify.errors import RegimeError, RenderError
from verify.model import effective
from verify.render import FORMATS, output_format, render

__all__ = ["main"]


def main(argv: Sequence[str], stream: TextIO) -> int:
    parser = Parser(
        prog="verify render",
        stream=stream,
        description="Draw a regime with Graphviz. Proposed and suspended elements "
        "are drawn, styled as such, unless --as-is.",
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
    add_extends_option(parser)
    try:
        args = parser.parse_args(argv)
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
        regime = load_design(args.file, allow=args.allow_extends)
    except RegimeError as err:
        return report_regime_error(err)

    if args.as_is:
        regime, warnings = effective(regime, as_is=True)
        for warning in warnings:
            errors().write(f"warning: {warning}\n")

    try:
        render(regime, args.output)
    except RenderError as err:
        errors().write(f"{parser.prog}: error: {err}\n")
        return EXIT_INVALID
    stream.write(f"{args.output}\n")
    return 0
