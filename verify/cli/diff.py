"""``verify diff A.yaml B.yaml [--format text|json]``: what changed from design
A to design B, in its structure and in its answers (:mod:`verify.diff`).

Exit status: 1 when a property that held now fails, a figure got worse or a
claim that was upheld is now refuted (a CI gate for a repository of
designs); 3 when nothing got worse but some answer of B is unknown where A's
was not (a time-out is never read as "no change"); 0 otherwise; 2 on bad
input.
"""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from verify.analyses.properties import ask as ask_claim
from verify.analyses.properties import run
from verify.cli._common import (
    EXIT_FAILS,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_UNKNOWN,
    ArgumentError,
    Parser,
    add_extends_option,
    deliver,
    errors,
    load_designs,
)
from verify.cli.check import add_property_options, spec_from_args
from verify.diff import Diff, ElementChange, ResultChange, compare, plain
from verify.durations import format_duration
from verify.errors import UsageError
from verify.explain import explain, params_text
from verify.model import Claim, PropertySpec, Regime, effective
from verify.report.document import claim_outcome
from verify.report.json import result_dict
from verify.report.progress import Progress
from verify.safety import json_safe, visible

__all__ = ["main", "to_text", "to_json", "FORMAT"]

FORMAT = "verify-diff/1"
_MARK = {"added": "+", "removed": "-", "changed": "~"}


def _show(field: str, value: Any) -> str:
    if value is None:
        return "(none)"
    if field in ("latency", "period", "notice", "duration", "persists", "conceal") and isinstance(value, int):
        return format_duration(value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "[" + ", ".join(_show("", v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(k, v)}" for k, v in value.items()) + "}"
    # Folded YAML text ends in a line break: shown on one line.
    return " ".join(str(value).split()) if "\n" in str(value) else str(value)


def _element(c: ElementChange) -> list[str]:
    head = f"  {_MARK[c.change]} {c.kind} {c.id}: {c.change}"
    return [head] + [f"      {f.field}: {_show(f.field, f.before)} -> {_show(f.field, f.after)}" for f in c.fields]


def _name(r: ResultChange) -> str:
    some = r.after or r.before
    assert some is not None
    return f"{r.property}({params_text(some)})"


def to_text(d: Diff) -> str:
    lines = [f"== diff {d.a.path or d.a.id} -> {d.b.path or d.b.id}",
             f"from {d.a.id} ({d.a.title or d.a.id}) to {d.b.id} ({d.b.title or d.b.id})", ""]
    lines.append(f"structure: {len(d.structure)} change{'s' if len(d.structure) != 1 else ''}")
    for c in d.structure:
        lines += _element(c)
    lines += ["", "verdicts and figures:"]
    if not d.results:
        lines.append("  no properties to compare (neither design lists any; use --property)")
    for r in d.results:
        what = "; ".join(r.what)
        lines.append(f"  {r.change.upper()}: {_name(r)}" + (f": {what}" if what else ""))
        after_fails = r.after is not None and r.after.verdict.value == "fails" and r.after.witness is not None
        before_fails = r.before is not None and r.before.verdict.value == "fails" and r.before.witness is not None
        if after_fails and r.change != "same" and r.after is not None:
            lines.append("    counterexample that appeared:" if not before_fails else "    counterexample now:")
            lines += [f"      {line}" for line in explain(d.b, r.after)]
        elif before_fails and not after_fails and r.before is not None:
            lines.append("    counterexample that disappeared:")
            lines += [f"      {line}" for line in explain(d.a, r.before)]
    if d.claims:
        lines += ["", "claims:"]
        for cc in d.claims:
            lines.append(f"  {cc.change.upper()}: {cc.id}: {cc.before or '(none)'} -> {cc.after or '(none)'}")
    counts = {k: sum(1 for r in d.results if r.change == k) for k in ("worse", "better", "unknown")}
    same = len(d.results) - sum(counts.values())
    lines += ["", f"{counts['worse']} worse, {counts['better']} better, {counts['unknown']} unknown, "
                  f"{same} other; {len(d.structure)} structural change{'s' if len(d.structure) != 1 else ''}"]
    return "\n".join(visible(line) for line in lines) + "\n"


def _side(r: Regime) -> dict[str, Any]:
    return {"path": r.path, "regime": r.id, "title": r.title, "sha256": r.sha256}


def to_json(d: Diff) -> str:
    doc = {
        "format": FORMAT,
        "a": _side(d.a),
        "b": _side(d.b),
        "worse": d.worse,
        "structure": [{"kind": c.kind, "id": c.id, "change": c.change,
                       "fields": [{"field": f.field, "before": f.before, "after": f.after} for f in c.fields]}
                      for c in d.structure],
        "results": [{"property": r.property, "violation": r.violation, "params": {k: plain(v) for k, v in r.params},
                     "change": r.change, "what": list(r.what),
                     "before": None if r.before is None else result_dict(r.before),
                     "after": None if r.after is None else result_dict(r.after)} for r in d.results],
        "claims": [{"id": c.id, "before": c.before, "after": c.after, "change": c.change} for c in d.claims],
    }
    return json_safe(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False)) + "\n"


def main(argv: list[str], stream: TextIO) -> int:
    parser = Parser(prog="verify diff", stream=stream,
                    description="Compare design A with design B: elements added, removed or changed (field by "
                                "field), and the verdicts and figures that changed, with the counterexample that "
                                "appeared or disappeared. Status 1 when something got worse (a CI gate).")
    # One positional of two files (A, then B): shell completion offers file
    # names for it, and -o refuses either of them.
    parser.add_argument("files", nargs=2, metavar="FILE",
                        help="design A (before) then design B (after); either may be - for stdin")
    add_property_options(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text (default) or json (format verify-diff/1)")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write the diff to FILE (whole or not at all) instead of stdout")
    parser.add_argument("-q", "--quiet", action="store_true", help="no 'wrote FILE', no progress display")
    add_extends_option(parser)
    try:
        args = parser.parse_args(argv)
        spec = spec_from_args(args)
        if getattr(args, "coalition", None) is not None or getattr(args, "failed", None) is not None:
            errors().write(f"{parser.prog}: error: --coalition and --failed give one scenario; diff answers "
                           "for every coalition (draw a scenario with verify render --counterexample)\n")
            return EXIT_INVALID
        if args.files == ["-", "-"]:
            errors().write(f"{parser.prog}: - (stdin) can be given only once\n")
            return EXIT_INVALID
    except ArgumentError as e:
        return e.status
    regimes, stop = load_designs(args.files, argparse.Namespace(**{**vars(args), "verbose": False}), "diff", stream)
    if stop is not None:
        return stop
    a, b = (effective(r, as_is=args.as_is)[0] for r in regimes)
    specs: list[PropertySpec] | None = None
    if spec is not None:
        v = spec.param("violation")
        if v is not None and v not in a.violation and v not in b.violation:
            errors().write(f"verify: no violation {v!r} in either design\n")
            return EXIT_INVALID
        specs = [spec]

    def ask(regime: Regime, s: PropertySpec) -> list[Any]:
        return run(regime, s, timeout=args.timeout)

    def claim(regime: Regime, c: Claim) -> str:
        return claim_outcome(regime, c, lambda rg, cl: ask_claim(rg, cl, timeout=args.timeout)).outcome

    n = 2 * len(specs if specs is not None else {*a.properties, *b.properties}) + len({*a.claims, *b.claims})
    bar = Progress(errors(), n, enabled=not args.quiet)
    try:
        found = compare(a, b, ask, specs, claim=claim if spec is None else None, step=bar.step)
    except UsageError as e:
        errors().write(f"{parser.prog}: error: {visible(str(e))}\n")
        return EXIT_INVALID
    finally:
        bar.close()
    text = to_json(found) if args.format == "json" else to_text(found)
    failed = deliver(text, args, stream, parser.prog)
    if failed is not None:
        return failed
    if found.worse:
        return EXIT_FAILS
    return EXIT_UNKNOWN if found.unknown else EXIT_OK
