"""Plain-text report.

Every line is passed through :func:`verify.safety.visible` as it is joined
into the report: the file name, the title, the warnings and the explanations
all quote the design (docs/cli.md, "Untrusted text").
"""

from __future__ import annotations

from verify.explain import explain, title
from verify.model import Regime
from verify.results import Result, Verdict
from verify.safety import visible
from verify.versions import versions

__all__ = ["to_text"]


def to_text(regime: Regime, results: list[Result], warnings: tuple[str, ...] = ()) -> str:
    lines = [f"== {regime.path or regime.id}: {regime.title or regime.id}"]
    for w in warnings:
        lines.append(f"warning: {w}")
    for r in results:
        lines.append("")
        lines.append(title(r))
        lines.extend("  " + line for line in explain(regime, r))
    counts = {v: sum(1 for r in results if r.verdict == v) for v in Verdict}
    lines.append("")
    lines.append(f"{counts[Verdict.HOLDS]} hold, {counts[Verdict.FAILS]} fail, {counts[Verdict.UNKNOWN]} unknown")
    lines.append(receipt(regime))
    return "\n".join(visible(line) for line in lines) + "\n"


def receipt(regime: Regime) -> str:
    """What a reader needs to reproduce these verdicts: the hash of the bytes
    that were checked and the versions that checked them."""
    tools = ", ".join(f"{name} {version}" for name, version in versions().items())
    digest = regime.sha256 or "not known (not read from a file)"
    return f"receipt: sha256 {digest}; {tools}"
