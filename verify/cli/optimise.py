"""``verify optimise FILE``: the cheapest choice of the design's optional
elements under which every property it lists holds (or ``--remove``: the
in-force elements that could be dropped), ``--front K``: cost against the
robustness margin, with ``--svg`` a plot of it.

Exit status: 0 an optimum (proved), 1 no choice makes the properties hold,
2 invalid input, 3 no proof of optimality (a time-out: the best design found,
the lower bound and the gap are printed).
"""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any, TextIO

from verify.analyses.optimise import FrontPoint, Optimum, front, optimise
from verify.cli._common import (
    EXIT_FAILS,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_UNKNOWN,
    ArgumentError,
    Parser,
    add_extends_option,
    add_report_options,
    count,
    deliver,
    errors,
    load_designs,
    refuse_output,
    seconds,
)
from verify.errors import UsageError
from verify.explain import title
from verify.files import write_atomically
from verify.model import Regime
from verify.safety import json_safe, visible
from verify.versions import versions

__all__ = ["main", "to_text", "to_json", "front_svg"]

FORMAT = "verify-optimise/1"


def _money(x: Fraction | None) -> str:
    if x is None:
        return "-"
    return str(x.numerator) if x.denominator == 1 else f"{float(x):g}"


def _optimum_lines(o: Optimum, what: str) -> list[str]:
    lines = []
    if o.status == "optimal" and o.design is not None:
        d = o.design
        lines.append(f"optimal: {what} {', '.join(d.chosen) if d.chosen else 'nothing'}; "
                     f"cost {_money(d.cost)} (proved least after {o.rounds} proposal{'s' * (o.rounds != 1)})")
        lines.append(f"  intrusiveness {_money(d.intrusiveness)}; reveals "
                     + (", ".join(d.reveals) if d.reveals else "no label"))
        left = [x for x in o.options if x not in d.chosen]
        lines.append("  left out: " + (", ".join(left) if left else "nothing"))
    elif o.status == "infeasible":
        lines.append("infeasible: no choice of the options makes every property hold; "
                     "even with all of them in:" if o.results else f"infeasible: {o.note}")
        for r in o.results:
            lines.append(f"  {title(r)}")
            w = r.witness
            if w is not None:
                lines.append(f"    coalition: {', '.join(w.coalition)}" + (f"; failed: {', '.join(w.failed)}"
                                                                            if w.failed else ""))
    else:
        lines.append(f"{o.status}: no proof of optimality ({o.note or 'time-out'})")
        if o.design is not None:
            lines.append(f"  best design known to hold: {', '.join(o.design.chosen) or 'nothing'}; "
                         f"cost {_money(o.design.cost)}")
        lines.append(f"  proven lower bound: {_money(o.lower_bound)}; gap: {_money(o.gap)}")
    if o.free:
        lines.append(f"  note: no cost given for {', '.join(o.free)} (counted as 0)")
    return lines


def to_text(regime: Regime, o: Optimum | None, points: tuple[FrontPoint, ...], removal: bool) -> str:
    head = f"== {regime.path or regime.id}: {regime.title or regime.id}"
    lines = [head, ""]
    opts = o.options if o is not None else (points[0].optimum.options if points else ())
    lines.append(("may drop: " if removal else "options: ") + (", ".join(opts) if opts else "none"))
    if o is not None:
        lines += _optimum_lines(o, "drop all but" if removal else "add")
    if points:
        lines.append("front: cost against the robustness margin (k accomplices defeated)")
        lines.append("  k  cost  design")
        last: Fraction | None = None
        for p in points:
            d = p.optimum.design
            if p.optimum.status != "optimal" or d is None:
                lines.append(f"  {p.k:<2} -     {p.optimum.status}")
                continue
            mark = "" if last is None or d.cost > last else "  (same cost as k-1)"
            lines.append(f"  {p.k:<2} {_money(d.cost):<5} {', '.join(d.chosen) or 'nothing'}{mark}")
            last = d.cost
    return "\n".join(lines) + "\n"


def _design_dict(o: Optimum) -> dict[str, Any]:
    d = o.design
    return {
        "status": o.status,
        "options": list(o.options),
        "chosen": None if d is None else list(d.chosen),
        "cost": None if d is None else _money(d.cost),
        "intrusiveness": None if d is None else _money(d.intrusiveness),
        "reveals": None if d is None else list(d.reveals),
        "lower_bound": _money(o.lower_bound) if o.lower_bound is not None else None,
        "gap": _money(o.gap) if o.gap is not None else None,
        "rounds": o.rounds,
        "free": list(o.free),
        "note": o.note,
        "failing": [title(r) for r in o.results] if o.status == "infeasible" else [],
    }


def to_json(regime: Regime, o: Optimum | None, points: tuple[FrontPoint, ...], removal: bool) -> str:
    doc = {
        "format": FORMAT,
        "tool": versions(),
        "path": regime.path,
        "regime": regime.id,
        "sha256": regime.sha256,
        "mode": "remove" if removal else "add",
        "optimum": None if o is None else _design_dict(o),
        "front": [{"k": p.k, **_design_dict(p.optimum)} for p in points],
    }
    return json_safe(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False)) + "\n"


def front_svg(regime: Regime, points: tuple[FrontPoint, ...]) -> str:
    """The front as a step plot: k* reached (x) against cost (y).  Drawn by
    hand, like the diagrams, so that every byte is ours and the same each
    time."""
    pts = [(p.k, p.optimum.design.cost) for p in points
           if p.optimum.status == "optimal" and p.optimum.design is not None]
    w, h, m = 480, 320, 48
    kmax = max((k for k, _ in pts), default=1) or 1
    cmax = max((float(c) for _, c in pts), default=1.0) or 1.0

    def x(k: float) -> float:
        return m + (w - 2 * m) * k / kmax

    def y(c: float) -> float:
        return h - m - (h - 2 * m) * c / cmax

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
           'font-family="Helvetica, Arial, sans-serif" font-size="12">',
           f"<title>{_esc(regime.title or regime.id)}: cost against robustness</title>",
           f'<rect width="{w}" height="{h}" fill="#ffffff"/>',
           f'<line x1="{m}" y1="{h - m}" x2="{w - m}" y2="{h - m}" stroke="#333"/>',
           f'<line x1="{m}" y1="{m}" x2="{m}" y2="{h - m}" stroke="#333"/>',
           f'<text x="{w / 2:.1f}" y="{h - 12}" text-anchor="middle">k: accomplices defeated</text>',
           f'<text x="14" y="{h / 2:.1f}" transform="rotate(-90 14 {h / 2:.1f})" text-anchor="middle">cost</text>']
    for k in range(kmax + 1):
        out.append(f'<text x="{x(k):.1f}" y="{h - m + 16}" text-anchor="middle">{k}</text>')
    path = []
    for i, (k, c) in enumerate(pts):
        if i:
            path.append(f"L{x(k):.1f},{y(float(pts[i - 1][1])):.1f}")
        path.append(f"{'M' if not i else 'L'}{x(k):.1f},{y(float(c)):.1f}")
    if path:
        out.append(f'<path d="{" ".join(path)}" fill="none" stroke="#2b6cb0" stroke-width="2"/>')
    for k, c in pts:
        out.append(f'<circle cx="{x(k):.1f}" cy="{y(float(c)):.1f}" r="4" fill="#2b6cb0"/>')
        out.append(f'<text x="{x(k) + 6:.1f}" y="{y(float(c)) - 6:.1f}">{_esc(_money(c))}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _esc(text: str) -> str:
    return (visible(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def main(argv: list[str], stream: TextIO) -> int:
    parser = Parser(prog="verify optimise", stream=stream,
                    description="The cheapest choice of a design's optional elements under which every "
                                "property it lists holds, proved least; or what could be dropped (--remove); "
                                "or the front of cost against the robustness margin (--front K).")
    parser.add_argument("files", nargs=1, metavar="FILE")
    parser.add_argument("--remove", action="store_true",
                        help="the opposite question: which in-force mechanisms and flows could be dropped")
    parser.add_argument("--front", type=count, metavar="K",
                        help="the cheapest design for each k from 0 to K (non-circumventability with k)")
    parser.add_argument("--svg", metavar="OUT.svg", help="with --front: also draw the front as an SVG plot")
    parser.add_argument("--timeout", type=seconds, default=None,
                        help="seconds for the whole search; then the best design found, the lower bound "
                             "and the gap (never a false 'optimal')")
    parser.add_argument("--as-is", action="store_true", help="in-force elements only, not proposed ones")
    add_report_options(parser, ("text", "json"))
    add_extends_option(parser)
    try:
        args = parser.parse_args(argv)
    except ArgumentError as e:
        return e.status
    if args.svg and args.front is None:
        errors().write("verify optimise: --svg draws the front: give --front K too\n")
        return EXIT_INVALID
    if args.svg and refuse_output(args.svg, args, parser.prog):
        return EXIT_INVALID
    regimes, stop = load_designs(args.files, args, "optimise", stream)
    if stop is not None:
        return stop
    regime = regimes[0]
    try:
        o = None if args.front is not None else optimise(regime, timeout=args.timeout, as_is=args.as_is,
                                                            removal=args.remove)
        points = () if args.front is None else front(regime, kmax=args.front, timeout=args.timeout,
                                                     as_is=args.as_is, removal=args.remove)
    except UsageError as e:
        errors().write(f"verify optimise: {visible(regime.path or '')}: {e}\n")
        return EXIT_INVALID
    text = (to_json if args.format == "json" else to_text)(regime, o, points, args.remove)
    if args.quiet and args.format == "text":
        # The answer alone: no heading, no list of options.
        text = "".join(line for line in text.splitlines(keepends=True)
                       if not line.startswith(("== ", "options:", "may drop:")) and line.strip())
    failed = deliver(text, args, stream, parser.prog)
    if failed is not None:
        return failed
    if args.svg:
        try:
            write_atomically(args.svg, front_svg(regime, points))
        except OSError as e:
            errors().write(f"verify optimise: cannot write {visible(args.svg)}: {e.strerror}\n")
            return EXIT_INVALID
    statuses = [o.status] if o is not None else [p.optimum.status for p in points]
    if all(s == "optimal" for s in statuses):
        return EXIT_OK
    if o is not None and o.status == "infeasible":
        return EXIT_FAILS
    if o is None and statuses and statuses[-1] == "infeasible":
        # A front ends where no design reaches k: the points before it stand.
        return EXIT_OK if len(statuses) > 1 else EXIT_FAILS
    return EXIT_UNKNOWN
