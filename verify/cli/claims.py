"""``verify claims FILE...``: each drafter's sentence, upheld or refuted.

A claim is upheld when the checker's verdict is the one the drafter expected
(a claim may expect a property to fail: "a single state CAN hide this").
Exit status: 0 every claim upheld, 1 some refuted, 2 invalid input, 3 some
unknown and none refuted.
"""

from __future__ import annotations

from typing import TextIO

from verify.analyses.properties import run
from verify.cli._common import EXIT_FAILS, EXIT_OK, EXIT_UNKNOWN, ArgumentError, Parser, report_regime_error, seconds
from verify.errors import RegimeError
from verify.explain import explain, title
from verify.load import load
from verify.model import effective
from verify.results import Verdict, combine

__all__ = ["main"]


def main(argv: list[str], stream: TextIO) -> int:
    parser = Parser(prog="verify claims", stream=stream,
                    description="Report each claim a design carries as upheld or refuted.")
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--timeout", type=seconds, default=60.0, help="seconds per solver call (default 60)")
    parser.add_argument("--as-is", action="store_true", help="check in-force elements only")
    try:
        args = parser.parse_args(argv)
    except ArgumentError as e:
        return e.status
    try:
        regimes = [load(p) for p in args.files]
    except RegimeError as e:
        return report_regime_error(e, stream)
    outcomes = []
    for regime in regimes:
        regime, warnings = effective(regime, as_is=args.as_is)
        stream.write(f"== {regime.path}: {regime.title or regime.id}\n")
        for w in warnings:
            stream.write(f"warning: {w}\n")
        if not regime.claims:
            stream.write("no claims in this design\n")
        for claim in regime.claims:
            results = run(regime, claim.spec, timeout=args.timeout)
            if not results:
                stream.write(f"\nUNKNOWN: {claim.id}: its violation {claim.spec.param('violation')!r} is absent\n")
                outcomes.append("UNKNOWN")
                continue
            verdict = combine(results)
            if verdict == Verdict.UNKNOWN:
                outcome = "UNKNOWN"
            else:
                outcome = "UPHELD" if verdict.value == claim.expect else "REFUTED"
            outcomes.append(outcome)
            stream.write(f"\n{outcome}: {claim.id}: \"{claim.text}\"\n")
            stream.write(f"  means: {claim.spec.property}, expected to {claim.expect.rstrip('s')}; "
                         f"the checker says it {verdict.value}\n")
            for r in results:
                stream.write(f"  {title(r)}\n")
                for line in explain(regime, r):
                    stream.write(f"    {line}\n")
    stream.write(f"\n{outcomes.count('UPHELD')} upheld, {outcomes.count('REFUTED')} refuted, "
                 f"{outcomes.count('UNKNOWN')} unknown\n")
    if "REFUTED" in outcomes:
        return EXIT_FAILS
    return EXIT_UNKNOWN if "UNKNOWN" in outcomes else EXIT_OK
