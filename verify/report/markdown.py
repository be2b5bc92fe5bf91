"""The report as Markdown, for a repository, a wiki or a paper's appendix.

The design's words (titles, descriptions, sources, claim texts) are made
visible (:func:`verify.safety.visible`) and then escaped for Markdown, so a
title cannot become a link, a heading or live HTML where the file is shown;
explanations go into code blocks whose fence is longer than any run of
backticks inside.  Markdown cannot carry the SVG diagram portably (a
repository viewer drops inline SVG and data URIs): the report says how to
draw it instead; the HTML report embeds it.
"""

from __future__ import annotations

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

__all__ = ["to_markdown", "md", "code"]

_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
#: Characters that mean something only at the start of a line.
_LEADING = re.compile(r"^([#+\-=>])")
_NUMBERED = re.compile(r"^(\d+)([.)])")


def md(text: str) -> str:
    """One line of untrusted text, inert in Markdown: visible escapes for
    control characters, entities for ``<``, ``>`` and ``&`` (no HTML), a
    backslash before every character Markdown gives meaning to."""
    text = visible(" ".join(text.split()) if "\n" in text else text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _LEADING.sub(r"\\\1", _SPECIAL.sub(r"\\\1", text))
    return _NUMBERED.sub(r"\1\\\2", text)


def code(text: str, cell: bool = False) -> str:
    """Untrusted text as inline code: visible, fenced by more backticks than
    any run inside it; in a table ``cell`` with ``|`` escaped (GitHub splits
    cells before it reads code spans)."""
    text = visible(text)
    if cell:
        text = text.replace("|", "\\|")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _code(lines: list[str], lang: str = "text") -> list[str]:
    body = [visible(line) for line in lines]
    longest = max((len(m) for line in body for m in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + lang, *body, fence]


def _design(d: Design) -> list[str]:
    r = d.regime
    out = [f"## {md(heading(r))}", ""]
    facts = [f"- Regime: {code(r.id)}, file {code(r.path or '')}"]
    if d.base is not None:
        path, base_id = d.base
        facts.append(f"- Variant of {code(path)}" + (f" (regime {code(base_id)})" if base_id else ""))
    facts.append(f"- Who may collude: {md(pool_text(r))}")
    out += facts + [""]
    if r.description:
        out += [md(r.description), ""]
    if r.sources:
        out += ["Sources:", ""] + [f"- {md(s)}" for s in r.sources] + [""]
    out += [f"Diagram: not embedded in Markdown; {code(f'verify render {r.path or chr(45)} -o {r.id}.svg')} "
            "draws it, and the HTML report (`--format html`) shows it with each counterexample.", ""]
    for w in d.warnings:
        out += [f"> warning: {md(w)}", ""]

    out += ["### Results", ""]
    if not d.results:
        out += ["No properties were checked.", ""]
    else:
        out += ["| property | violation | parameters | perpetrator | verdict | figures |",
                "|---|---|---|---|---|---|"]
        for res in d.results:
            out.append(f"| {md(res.property)} | {md(res.violation)} | {md(params_brief(res))} | "
                       f"{md(res.perpetrator or '')} | **{res.verdict.value.upper()}** | {md(figures_brief(res))} |")
        out.append("")
        for res in d.results:
            out += [f"#### {md(title(res))}", ""] + _code(explain(r, res)) + [""]

    rows = trade_off(r, d.results)
    if rows:
        out += ["### Trade-off", "",
                "What each mechanism adds to detection (k* of each violation without it, from the robustness "
                "margin) beside what it exposes.", "",
                "| mechanism | k* without it | exposes |", "|---|---|---|"]
        for row in rows:
            adds, exposes = trade_off_cells(row)
            out.append(f"| {md(row.mechanism)} | {md(adds)} | {md(exposes)} |")
        out.append("")

    out += ["### Claims", ""]
    if not d.claims:
        out += ["No claims in this design.", ""]
    for c in d.claims:
        where = c.claim.where or c.claim.spec.where
        at = f" ({visible(str(where))})" if where is not None else ""
        out += [f"**{c.outcome}**: {code(c.claim.id)}{at}", "", f"> {md(c.claim.text)}", ""]
        if c.verdict is None:
            out += [f"Its violation {md(repr(c.claim.spec.param('violation')))} is absent: nothing was checked.", ""]
            continue
        out += [f"It means {md(c.claim.spec.property)}, expected to {c.claim.expect.rstrip('s')}; "
                f"the checker says it {c.verdict.value}.", ""]
        lines: list[str] = []
        for res in c.results:
            lines.append(title(res))
            lines.extend("  " + line for line in explain(r, res))
        out += _code(lines) + [""]

    out += ["### Input files", "", "| file | SHA-256 |", "|---|---|"]
    out += [f"| {code(f.path, cell=True)} | {code(f.sha256, cell=True)} |" for f in d.inputs]
    out.append("")
    return out


def to_markdown(report: Report) -> str:
    n = len(report.designs)
    lines = ["# Verification report", "",
             f"{n} design{'s' if n != 1 else ''}, checked by verify. Every verdict below can be reproduced "
             "with the command and the files in the receipt at the end.", ""]
    for d in report.designs:
        lines += _design(d)
    lines += ["## Receipt", "", "| | |", "|---|---|"]
    lines += [f"| {md(k)} | {code(v, cell=True)} |" for k, v in report.receipt.tool]
    lines += ["", "Command:", ""] + _code([" ".join(report.receipt.command)], "sh") + [""]
    lines += ["Input files (SHA-256):", ""]
    seen = dict.fromkeys((f.path, f.sha256) for d in report.designs for f in d.inputs)
    lines += [f"- {code(path)}: {code(digest)}" for path, digest in seen]
    return "\n".join(lines) + "\n"
