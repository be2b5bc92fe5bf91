"""The report as one self-contained HTML file: styles inline, the diagrams
inline as SVG, no script, nothing fetched.  A working group can mail it,
print it or put it on a web page.

Every text the design supplies is made visible (:func:`verify.safety.visible`)
and then HTML-escaped through :func:`h`, the one function that puts text into
the page.  The SVG comes from Graphviz, which writes every label as escaped
XML text; it is inlined without its XML prolog, doctype and comments, and
scales to the page's width.
"""

from __future__ import annotations

import html
import re

from verify.explain import explain, title
from verify.report.document import (
    Design,
    Report,
    figures_brief,
    heading,
    params_brief,
    pool_text,
    trade_off,
    trade_off_cells,
)
from verify.safety import visible

__all__ = ["to_html", "h", "inline_svg"]

_STYLE = """
*{box-sizing:border-box}
body{font-family:Helvetica,Arial,sans-serif;color:#222;margin:0 auto;padding:16px 24px;max-width:1180px;
line-height:1.45;overflow-wrap:anywhere}
h1{font-size:1.7em}h2{margin-top:2em;border-bottom:2px solid #ccc;padding-bottom:4px}h3{margin-top:1.5em}
table{border-collapse:collapse;width:100%;margin:8px 0;table-layout:auto}
th,td{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f3f3f3}
pre{background:#f7f7f7;border:1px solid #e2e2e2;padding:8px;white-space:pre-wrap;overflow-wrap:anywhere;
font-size:.85em}
code{font-size:.92em}
.holds,.upheld{color:#1a7f37;font-weight:bold}.fails,.refuted{color:#cf222e;font-weight:bold}
.unknown,.not-checked{color:#9a6700;font-weight:bold}
figure{margin:12px 0;border:1px solid #ddd;padding:6px}figcaption{font-size:.9em;color:#555}
svg.diagram{display:block;width:100%;height:auto;max-height:1400px}
blockquote{border-left:4px solid #ccc;margin:8px 0;padding:2px 12px;color:#333}
.note{color:#555;font-style:italic}
"""


def h(text: str) -> str:
    """Untrusted text as HTML: visible escapes, then entities."""
    return html.escape(visible(text), quote=True)


_PROLOG = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->", re.S)
_ROOT_SIZE = re.compile(r'(<svg\b[^>]*?)\s(?:width|height)="[^"]*"')


def inline_svg(svg: str, label: str) -> str:
    """Graphviz's SVG, ready to sit inside the page: no prolog, doctype or
    comments, no fixed width and height on the root (its viewBox keeps the
    proportions and CSS fits it to the page), a class and an accessible name."""
    svg = _PROLOG.sub("", svg).strip()
    while True:
        shorter = _ROOT_SIZE.sub(r"\1", svg, count=1)
        if shorter == svg:
            break
        svg = shorter
    return re.sub(r"<svg\b", f'<svg class="diagram" role="img" aria-label="{h(label)}"', svg, count=1)


def _verdict(text: str) -> str:
    return f'<span class="{h(text.lower().replace(" ", "-"))}">{h(text.upper())}</span>'


def _pre(lines: list[str]) -> str:
    return "<pre>" + "\n".join(h(line) for line in lines) + "</pre>"


def _design(d: Design, index: int) -> list[str]:
    r = d.regime
    out = [f'<section id="design-{index}">', f"<h2>{h(heading(r))}</h2>", "<ul>",
           f"<li>Regime <code>{h(r.id)}</code>, file <code>{h(r.path or '')}</code></li>"]
    if d.base is not None:
        path, base_id = d.base
        out.append(f"<li>Variant of <code>{h(path)}</code>"
                   + (f" (regime <code>{h(base_id)}</code>)" if base_id else "") + "</li>")
    out += [f"<li>Who may collude: {h(pool_text(r))}</li>", "</ul>"]
    if r.description:
        out.append(f"<p>{h(' '.join(r.description.split()))}</p>")
    if r.sources:
        out += ["<p>Sources:</p>", "<ul>"] + [f"<li>{h(s)}</li>" for s in r.sources] + ["</ul>"]
    for w in d.warnings:
        out.append(f'<p class="note">warning: {h(w)}</p>')
    if d.diagram is not None:
        out += ["<figure>", inline_svg(d.diagram, f"diagram of {r.id}"),
                f"<figcaption>The design {h(r.id)} as drawn by <code>verify render</code>.</figcaption>",
                "</figure>"]
    else:
        out.append(f'<p class="note">No diagram: {h(d.diagram_note)}</p>')

    out.append("<h3>Results</h3>")
    if not d.results:
        out.append("<p>No properties were checked.</p>")
    else:
        out += ["<table>", "<tr><th>property</th><th>violation</th><th>parameters</th><th>perpetrator</th>"
                "<th>verdict</th><th>figures</th></tr>"]
        for i, res in enumerate(d.results):
            out.append(f'<tr><td><a href="#d{index}-r{i}">{h(res.property)}</a></td><td>{h(res.violation)}</td>'
                       f"<td>{h(params_brief(res))}</td><td>{h(res.perpetrator or '')}</td>"
                       f"<td>{_verdict(res.verdict.value)}</td><td>{h(figures_brief(res))}</td></tr>")
        out.append("</table>")
        drawings = dict(d.counterexamples)
        for i, res in enumerate(d.results):
            head = title(res)
            verdict = res.verdict.value
            out.append(f'<h4 id="d{index}-r{i}">{h(head.rsplit(": ", 1)[0])}: {_verdict(verdict)}</h4>')
            out.append(_pre(explain(r, res)))
            if i in drawings:
                out += ["<figure>", inline_svg(drawings[i], f"counterexample of {head}"),
                        f"<figcaption>The counterexample on the diagram: {h(head)}.</figcaption>", "</figure>"]

    rows = trade_off(r, d.results)
    if rows:
        out += ["<h3>Trade-off</h3>",
                "<p>What each mechanism adds to detection (k* of each violation without it, from the robustness "
                "margin) beside what it exposes.</p>",
                "<table>", "<tr><th>mechanism</th><th>k* without it</th><th>exposes</th></tr>"]
        for row in rows:
            adds, exposes = trade_off_cells(row)
            out.append(f"<tr><td>{h(row.mechanism)}</td><td>{h(adds)}</td><td>{h(exposes)}</td></tr>")
        out.append("</table>")

    out.append("<h3>Claims</h3>")
    if not d.claims:
        out.append("<p>No claims in this design.</p>")
    for c in d.claims:
        where = c.claim.where or c.claim.spec.where
        at = f" ({h(str(where))})" if where is not None else ""
        out += [f"<h4>{_verdict(c.outcome)}: <code>{h(c.claim.id)}</code>{at}</h4>",
                f"<blockquote>{h(' '.join(c.claim.text.split()))}</blockquote>"]
        if c.verdict is None:
            out.append(f"<p>Its violation {h(repr(c.claim.spec.param('violation')))} is absent: "
                       "nothing was checked.</p>")
            continue
        out.append(f"<p>It means {h(c.claim.spec.property)}, expected to {h(c.claim.expect.rstrip('s'))}; "
                   f"the checker says it {_verdict(c.verdict.value)}.</p>")
        lines: list[str] = []
        for res in c.results:
            lines.append(title(res))
            lines.extend("  " + line for line in explain(r, res))
        out.append(_pre(lines))

    out += ["<h3>Input files</h3>", "<table>", "<tr><th>file</th><th>SHA-256</th></tr>"]
    out += [f"<tr><td><code>{h(f.path)}</code></td><td><code>{h(f.sha256)}</code></td></tr>" for f in d.inputs]
    out += ["</table>", "</section>"]
    return out


def to_html(report: Report) -> str:
    n = len(report.designs)
    titles = ", ".join(d.regime.id for d in report.designs)
    lines = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>Verification report: {h(titles)}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
             "<h1>Verification report</h1>",
             f"<p>{n} design{'s' if n != 1 else ''}, checked by verify. Every verdict below can be reproduced "
             "with the command and the files in the receipt at the end.</p>", "<ul>"]
    lines += [f'<li><a href="#design-{i}">{h(heading(d.regime))}</a></li>'
              for i, d in enumerate(report.designs)]
    lines.append("</ul>")
    for i, d in enumerate(report.designs):
        lines += _design(d, i)
    lines += ['<section id="receipt">', "<h2>Receipt</h2>", "<table>"]
    lines += [f"<tr><th>{h(k)}</th><td><code>{h(v)}</code></td></tr>" for k, v in report.receipt.tool]
    lines += ["</table>", "<p>Command:</p>", _pre([" ".join(report.receipt.command)]),
              "<p>Input files (SHA-256):</p>", "<table>"]
    seen = dict.fromkeys((f.path, f.sha256) for d in report.designs for f in d.inputs)
    lines += [f"<tr><td><code>{h(p)}</code></td><td><code>{h(s)}</code></td></tr>" for p, s in seen]
    lines += ["</table>", "</section>", "</body>", "</html>"]
    return "\n".join(lines) + "\n"
