"""What a publishable report holds (``verify report``): for each design, what
it is, its results and its claims, the files it was read from with their
hashes, and a receipt that says how to reproduce it.

Plain frozen data, gathered once; the Markdown, HTML, JSON and CSV views
(:mod:`verify.report.markdown`, :mod:`~verify.report.html`,
:mod:`~verify.report.publish`, :mod:`~verify.report.csv`) only arrange it,
and take their words from :mod:`verify.explain`.  Nothing here reads a clock
or an absolute path the user did not give: identical inputs give identical
reports, byte for byte.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from verify.errors import RegimeError, UsageError
from verify.model import Claim, Regime
from verify.results import Result, Verdict, combine

__all__ = ["InputFile", "ClaimOutcome", "Design", "Receipt", "Report", "input_files", "claim_outcome",
           "pool_text", "base_of", "heading", "params_brief", "figures_brief", "ChangedInputError",
           "UPHELD", "REFUTED", "UNKNOWN", "NOT_CHECKED", "TradeOff", "trade_off", "trade_off_cells"]

UPHELD, REFUTED, UNKNOWN, NOT_CHECKED = "UPHELD", "REFUTED", "UNKNOWN", "NOT CHECKED"


class ChangedInputError(UsageError):
    """An input file's bytes are no longer those that were checked."""


@dataclass(frozen=True)
class InputFile:
    """A file a design was read from (the design, or a base it extends)."""

    path: str
    sha256: str


@dataclass(frozen=True)
class ClaimOutcome:
    claim: Claim
    #: UPHELD, REFUTED, UNKNOWN, or NOT CHECKED (its violation is absent).
    outcome: str
    verdict: Verdict | None
    results: tuple[Result, ...]


@dataclass(frozen=True)
class Design:
    regime: Regime
    results: tuple[Result, ...]
    warnings: tuple[str, ...]
    claims: tuple[ClaimOutcome, ...]
    inputs: tuple[InputFile, ...]
    #: The base a variant extends: its path, and its regime id when it loads
    #: on its own (None otherwise).
    base: tuple[str, str | None] | None = None
    #: The diagram as inline SVG (HTML only), or why there is none.
    diagram: str | None = None
    diagram_note: str = ""
    #: Counterexample drawings, by the index of the failing result.
    counterexamples: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class Receipt:
    """What a reader needs to reproduce the verdicts."""

    #: Tool and library versions (verify, z3-solver, networkx, python).
    tool: tuple[tuple[str, str], ...]
    #: The command line, as given (the output path left out: it does not
    #: change a verdict, and a reader reproduces onto a path of their own).
    command: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    designs: tuple[Design, ...]
    receipt: Receipt


@dataclass(frozen=True)
class TradeOff:
    """One row of the trade-off table: what a mechanism adds to detection
    (each violation's k* without it, as the robustness margin computed it)
    beside what it exposes (labels, to whom, whether cleared)."""

    mechanism: str
    #: (violation, k* without the mechanism, k* with it); None: not computed
    #: in this run (the design lists no robustness-margin for it).
    adds: tuple[tuple[str, str | None, str | None], ...]
    #: (label, actor, cleared); empty behind a barrier or when it reveals nothing.
    exposes: tuple[tuple[str, str, bool], ...]
    barrier: bool


def trade_off(regime: Regime, results: Sequence[Result]) -> tuple[TradeOff, ...]:
    """The trade-off table, when the design has something on either side:
    a robustness margin checked, or a mechanism that reveals a label."""
    from verify.analyses.leaks import exposure
    from verify.results import Margin

    margins = {r.violation: r.figures for r in results
               if r.property == "robustness-margin" and isinstance(r.figures, Margin)}
    if not margins and not any(m.reveals for m in regime.mechanisms):
        return ()
    rows = []
    for m in regime.mechanisms:
        adds = []
        for v in regime.violations:
            f = margins.get(v.id)
            without = None if f is None else dict(f.without).get(m.id)
            adds.append((v.id, None if without is None else without.text, None if f is None else f.kstar.text))
        rows.append(TradeOff(m.id, tuple(adds), exposure(regime, m.id), m.barrier))
    return tuple(rows)


def trade_off_cells(row: TradeOff) -> tuple[str, str]:
    """The two cells of a row, in words."""
    adds = "; ".join(f"{v}: {'not computed' if k is None else f'{k} (with it: {whole})'}"
                     for v, k, whole in row.adds)
    if row.exposes:
        exposes = ", ".join(f"{lab} to {who}" + ("" if ok else " (NOT cleared)") for lab, who, ok in row.exposes)
    else:
        exposes = "nothing (behind an information barrier)" if row.barrier else "nothing"
    return adds, exposes


def _sha256(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def input_files(regime: Regime) -> tuple[InputFile, ...]:
    """Each file ``regime`` was read from, with the SHA-256 of its bytes.

    The loader hashed the bytes it parsed, the design's then each base's,
    into ``regime.sha256``; the files are read again here one by one, and
    the same chain of bytes must give that digest again, so the hashes the
    report prints are those of the bytes that were checked.  A file changed
    in between raises :class:`ChangedInputError` rather than printing a
    hash of something that was not checked.  A design read from stdin
    cannot be read again: it is listed with its (combined) digest."""
    if regime.path in (None, "<stdin>") or regime.sha256 is None:
        own = InputFile(regime.path or "<stdin>", regime.sha256 or "")
        return (own, *(InputFile(p, _sha256(p)) for p in regime.extends))
    chain = hashlib.sha256()
    out = []
    for path in (regime.path, *regime.extends):
        with open(path, "rb") as fh:
            raw = fh.read()
        chain.update(raw)
        out.append(InputFile(path, hashlib.sha256(raw).hexdigest()))
    if chain.hexdigest() != regime.sha256:
        raise ChangedInputError(f"{regime.path} (or a file it extends) changed while it was being checked; "
                                "run again")
    return tuple(out)


def base_of(regime: Regime, load: Callable[[str], Regime]) -> tuple[str, str | None] | None:
    """The base a variant extends, with its regime id when it loads alone."""
    if not regime.extends:
        return None
    path = regime.extends[0]
    try:
        return path, load(path).id
    except (RegimeError, OSError):
        return path, None


def claim_outcome(regime: Regime, claim: Claim, run: Callable[[Regime, Claim], Sequence[Result]]) -> ClaimOutcome:
    """A claim is upheld when the checker's verdict is the one the drafter
    expected (a claim may expect a property to fail)."""
    results = tuple(run(regime, claim))
    verdict = combine(list(results)) if results else None
    if verdict is None:
        outcome = NOT_CHECKED
    elif verdict == Verdict.UNKNOWN:
        outcome = UNKNOWN
    else:
        outcome = UPHELD if verdict.value == claim.expect else REFUTED
    return ClaimOutcome(claim, outcome, verdict, results)


def pool_text(regime: Regime) -> str:
    """Who may collude, as a sentence: the threat model's pool."""
    tm = regime.threat_model
    most = f"; the agreement claims to withstand {tm.max} accomplice{'s' if tm.max != 1 else ''}"
    if tm.colluders is None:
        return f"every actor may collude ({len(regime.actors)} actors){most}"
    n = len(tm.colluders)
    return f"{n} actor{'s' if n != 1 else ''} may collude: {', '.join(tm.colluders)}{most}"


def heading(regime: Regime) -> str:
    """A design's heading: its title and its regime id, so that a variant
    that keeps its base's title is still told apart from it."""
    return f"{regime.title} ({regime.id})" if regime.title else regime.id


def params_brief(result: Result) -> str:
    """The parameters other than the violation: ``k=2, T=90d`` (visible text)."""
    from verify.explain import params_text

    text = params_text(result)
    head = result.violation
    return text[len(head) + 2:] if text.startswith(head + ", ") else "" if text == head else text


def figures_brief(result: Result) -> str:
    """The result's figures in a few words: ``k* = 2``, ``worst case 51d``,
    ``4 evasion sets``; empty when it has none."""
    from verify.durations import format_duration
    from verify.numbers import fraction_text
    from verify.results import Deterrence, EvasionSets, Framing, Game, Leak, Likelihood, Margin, WorstCase

    f = result.figures
    if isinstance(f, Likelihood):
        return "P(detect) " + (fraction_text(f.low) if f.low == f.high else
                               f"{fraction_text(f.low)} to {fraction_text(f.high)}")
    if isinstance(f, Deterrence):
        return f"P(detect) {fraction_text(f.detection.low)}, deterrence needs above {fraction_text(f.needed)}"
    if isinstance(f, Margin):
        return f"k* = {f.kstar.text}"
    if isinstance(f, WorstCase):
        return f"worst case {format_duration(f.time)}"
    if isinstance(f, EvasionSets):
        n = len(f.sets)
        return f"{n} evasion set{'s' if n != 1 else ''}"
    if isinstance(f, Game):
        return f"P(detect) {fraction_text(f.value)} per period, best plan"
    if isinstance(f, (Framing, Leak)):
        return "margin " + f.margin.text + (": " + ", ".join(f.coalition) if f.coalition else "")
    w = result.witness
    if result.verdict == Verdict.FAILS and w is not None:
        return "coalition: " + ", ".join(w.coalition)
    return ""
