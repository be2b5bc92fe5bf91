"""``verify validate FILE...``: load each file and report every problem."""

from __future__ import annotations

from typing import TextIO

from verify.cli._common import EXIT_INVALID, ArgumentError, Parser
from verify.errors import RegimeError
from verify.graph import dead_mechanisms
from verify.load import load
from verify.model import effective


def main(argv: list[str], stream: TextIO) -> int:
    parser = Parser(prog="verify validate", stream=stream,
                    description="Check that regime files are well-formed and every reference resolves.")
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    try:
        args = parser.parse_args(argv)
    except ArgumentError as e:
        return e.status
    status, total = 0, 0
    for path in args.files:
        try:
            regime = load(path)
        except RegimeError as e:
            for d in e.diagnostics:
                stream.write(f"{d}\n")
            total += len(e.diagnostics)
            status = EXIT_INVALID
            continue
        regime, warnings = effective(regime)
        for w in warnings:
            stream.write(f"{path}: warning: {w}\n")
        if not regime.verifiers:
            stream.write(f"{path}: warning: no verifiers: nothing can ever count as detection\n")
        for m in dead_mechanisms(regime):
            where = regime.mechanism[m].where
            stream.write(f"{where or path}: warning: mechanism {m!r} has no chain of flows to any verifier\n")
        if not args.quiet:
            stream.write(f"{path}: ok ({len(regime.actors)} actors, {len(regime.mechanisms)} mechanisms, "
                         f"{len(regime.flows)} flows)\n")
    if total:
        stream.write(f"{total} error{'s' if total != 1 else ''}\n")
    return status
