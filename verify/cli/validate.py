"""``verify validate FILE...``: load each file and report every problem.

Problems and warnings are diagnostics, on stderr, one per line in gcc's shape
(``file:line:col: error: E015 message``); the ``ok`` lines and the count are
the report, on stdout.  Status 0 if every file is valid, 2 otherwise.

Warnings include elements a reader could take for one another
(:func:`verify.safety.confusables`: names alike after Unicode normalisation
and case folding, ids that differ only by case).  Every path, message and
name printed is made visible (docs/cli.md, "Untrusted text").

``--format json`` (format ``verify-validate/1``, docs/json-output.md): one
record per file, valid or not, with its errors and warnings as data (code,
file, line, column, message, found, expected, hint); the same stability
promise as ``check``'s JSON.  Diagnostics still go to stderr as well.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from verify.cli._common import (
    EXIT_INVALID,
    ArgumentError,
    Parser,
    add_extends_option,
    add_report_options,
    deliver,
    errors,
    expand_paths,
    load_design,
    paint,
    progress,
    use_colour,
)
from verify.errors import RegimeError
from verify.graph import dead_mechanisms
from verify.model import effective
from verify.report import to_ci
from verify.report.cases import Note, Suite
from verify.safety import confusables, json_safe, visible
from verify.unread import unread_fields
from verify.versions import versions

__all__ = ["main", "FORMATS", "FORMAT"]

FORMATS = ("text", "json", "sarif", "junit", "github")
#: The ``format`` of the JSON report.
FORMAT = "verify-validate/1"


def _json(found: list[Suite], records: dict[str, dict[str, Any]], total: int) -> str:
    files = []
    for suite in found:
        base = records.get(suite.path, {"regime": None, "sha256": None, "counts": None})
        files.append({
            "path": suite.path, "valid": not suite.diagnostics, **base,
            "errors": [{"code": d.code, "message": d.message, "file": d.where.file, "line": d.where.line,
                        "column": d.where.column, "found": d.found, "expected": d.expected, "hint": d.hint}
                       for d in suite.diagnostics],
            "warnings": [{"rule": n.rule, "message": n.message,
                          "file": None if n.where is None else n.where.file,
                          "line": None if n.where is None else n.where.line,
                          "column": None if n.where is None else n.where.column} for n in suite.notes],
        })
    doc = {"format": FORMAT, "tool": versions(), "files": files, "errors": total}
    return json_safe(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False)) + "\n"


def main(argv: list[str], stream: TextIO) -> int:
    parser = Parser(prog="verify validate", stream=stream,
                    description="Check that regime files are well-formed and every reference resolves. "
                                "FILE may be - (stdin) or a folder (its *.yaml and *.yml files, sorted).")
    parser.add_argument("files", nargs="+", metavar="FILE")
    add_report_options(parser, FORMATS)
    add_extends_option(parser)
    try:
        args = parser.parse_args(argv)
        paths = expand_paths(args.files, parser.prog)
    except ArgumentError as e:
        return e.status
    err = errors()
    colour = use_colour(err)
    status, total = 0, 0
    found: list[Suite] = []
    records: dict[str, dict[str, Any]] = {}
    report: list[str] = []
    for path in paths:
        shown = "<stdin>" if path == "-" else path
        suite = Suite(path=shown, name=shown, validity=True)
        found.append(suite)
        try:
            regime = load_design(path, allow=args.allow_extends, limits=args.limits)
        except RegimeError as e:
            for d in e.diagnostics:
                err.write(paint(f"{d}\n", colour))
            suite.diagnostics.extend(e.diagnostics)
            total += len(e.diagnostics)
            status = EXIT_INVALID
            continue
        progress(args, visible(f"verify validate: loaded {regime.path}"
                               + (f" (extends {', '.join(regime.extends)})" if regime.extends else "")))
        shown = regime.path or shown
        records[suite.path] = {"regime": regime.id, "sha256": regime.sha256, "counts": {
            "actors": len(regime.actors), "mechanisms": len(regime.mechanisms), "flows": len(regime.flows)}}
        regime, warnings = effective(regime)
        for w in warnings:
            suite.notes.append(Note(w, "left-out"))
        if not regime.verifiers:
            suite.notes.append(Note("no verifiers: nothing can ever count as detection", "no-verifiers"))
        for m in dead_mechanisms(regime):
            suite.notes.append(Note(f"mechanism {m!r} has no chain of flows to any verifier", "unrouted-mechanism",
                                    where=regime.mechanism[m].where))
        for message, where in confusables(regime):
            suite.notes.append(Note(message, "confusable-name", where=where))
        for message, where in unread_fields(regime):
            suite.notes.append(Note(message, "unread-field", where=where))
        for n in suite.notes:
            if not args.quiet:
                err.write(paint(f"{visible(str(n.where or shown))}: warning: {n.message}\n", colour))
        if not args.quiet:
            report.append(f"{visible(shown)}: ok ({len(regime.actors)} actors, {len(regime.mechanisms)} mechanisms, "
                          f"{len(regime.flows)} flows)\n")
    summary = f"{total} error{'s' if total != 1 else ''}"
    if args.format == "text":
        if total:
            err.write(f"{summary}\n")
        text = "".join(report)
    elif args.format == "json":
        text = _json(found, records, total)
    else:
        text = to_ci(found, args.format, "validate", summary)
    if text or args.format != "text":
        failed = deliver(text, args, stream, parser.prog)
        if failed is not None:
            return failed
    return status

