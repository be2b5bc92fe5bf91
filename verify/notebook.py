"""What a regime and its results look like in a REPL and in Jupyter.

Short text reprs (a regime is not an 18,000-character dataclass dump), an
HTML view of a result (its title, statement and explanation), the SVG diagram
of a regime, and :func:`table`: many results as one HTML table, a list of
plain records, or a pandas DataFrame.

Words come from :mod:`verify.explain` and drawings from :mod:`verify.render`;
this module only arranges them.  :mod:`verify.model` and
:mod:`verify.results` delegate their ``__repr__``, ``_repr_html_`` and
``_repr_svg_`` here, importing it on first use, so that importing them stays
cheap.
"""

from __future__ import annotations

import html
import importlib
import shutil
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from verify.durations import format_duration
from verify.errors import RenderError
from verify.explain import explain, params_text, title
from verify.model import Regime
from verify.results import EvasionSets, Margin, Result, Verdict, WorstCase

__all__ = ["regime_repr", "regime_svg", "result_repr", "result_html", "table", "Table", "Results", "COLUMNS"]

#: The keys of every record :meth:`Table.records` gives, in column order.
COLUMNS = ("file", "regime", "property", "violation", "params", "verdict", "kstar", "worst_case_time",
           "perpetrator", "coalition", "evasion_sets", "statement", "note")

_VERDICT_COLOURS = {Verdict.HOLDS: "#1a7f37", Verdict.FAILS: "#cf222e", Verdict.UNKNOWN: "#9a6700"}


# --- regimes -------------------------------------------------------------------


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def regime_repr(regime: Regime) -> str:
    """``<Regime id: 14 actors, 12 mechanisms, 11 flows, 1 violation; path>``."""
    parts = ", ".join([_count(len(regime.actors), "actor"), _count(len(regime.mechanisms), "mechanism"),
                       _count(len(regime.flows), "flow"), _count(len(regime.violations), "violation")])
    where = f"; {regime.path}" if regime.path else ""
    return f"<Regime {regime.id}: {parts}{where}>"


def regime_svg(regime: Regime) -> str | None:
    """The regime's diagram as SVG text, or None when Graphviz's ``dot`` is
    missing or fails (Jupyter then shows the text repr)."""
    from verify import render

    if shutil.which("dot") is None:
        return None
    try:
        return render.draw(regime, "svg").decode("utf-8")
    except RenderError:
        return None


# --- results -------------------------------------------------------------------


def result_repr(result: Result) -> str:
    """``<Result non-circumventability(covert-training-run, k=2): HOLDS>``."""
    return f"<Result {title(result)}>"


def _explanation(result: Result, regime: Regime | None) -> list[str]:
    # Without its regime an explanation names actors by id only.
    return explain(regime if regime is not None else Regime(id=""), result)


def _verdict_html(verdict: Verdict) -> str:
    return (f'<span style="color:{_VERDICT_COLOURS[verdict]};font-weight:bold">'
            f"{html.escape(verdict.value.upper())}</span>")


def result_html(result: Result, regime: Regime | None = None) -> str:
    """A result as HTML: its title, its statement, then the explanation lines
    (:func:`verify.explain.explain`), every piece of text escaped."""
    lines = _explanation(result, regime)
    if lines and lines[0].startswith("statement: "):
        lines = lines[1:]
    head = html.escape(f"{result.property}({params_text(result)}): ")
    body = "\n".join(html.escape(line) for line in lines)
    return (f'<div class="verify-result"><p><strong>{head}</strong>{_verdict_html(result.verdict)}</p>'
            f"<p>{html.escape(result.statement)}</p>"
            + (f'<pre style="white-space:pre-wrap">{body}</pre>' if body else "")
            + "</div>")


# --- tables --------------------------------------------------------------------


def _record(result: Result, regime: Regime | None) -> dict[str, Any]:
    figures = result.figures
    coalition: list[str] | None = None
    if result.witness is not None:
        coalition = list(result.witness.coalition)
    elif isinstance(figures, WorstCase):
        coalition = list(figures.coalition)
    return {
        "file": regime.path if regime is not None else None,
        "regime": regime.id if regime is not None else None,
        "property": result.property,
        "violation": result.violation,
        "params": {k: v for k, v in result.params if k != "violation"},
        "verdict": result.verdict.value,
        "kstar": figures.kstar.plain() if isinstance(figures, Margin) else None,
        "worst_case_time": figures.time if isinstance(figures, WorstCase) else None,
        "perpetrator": result.perpetrator,
        "coalition": coalition,
        "evasion_sets": len(figures.sets) if isinstance(figures, EvasionSets) else None,
        "statement": result.statement,
        "note": result.note,
    }


def _cell(key: str, value: Any) -> str:
    if value is None:
        return ""
    if key == "worst_case_time":
        return format_duration(value)
    if key == "params":
        return ", ".join(f"{k}={format_duration(v) if k == 'T' and isinstance(v, int) else v}"
                         for k, v in value.items())
    if key == "coalition":
        return ", ".join(value)
    return str(value)


#: The columns the HTML and text views show (the statement and note are long;
#: they are in the records and in each result's own view).
_SHOWN = ("file", "regime", "property", "violation", "params", "verdict", "kstar", "worst_case_time",
          "perpetrator", "coalition", "evasion_sets")
_HEADINGS = {"kstar": "k*", "worst_case_time": "worst case", "evasion_sets": "evasion sets"}


class Table:
    """Results as rows: ``_repr_html_`` for Jupyter, :meth:`records` for
    programs, :meth:`to_pandas` for a DataFrame.  Iterating gives the results."""

    def __init__(self, results: Iterable[Result], regime: Regime | None = None):
        self._rows_of: list[tuple[Result, Regime | None]] = []
        self.add(results, regime)

    def add(self, results: Iterable[Result], regime: Regime | None = None) -> None:
        """More rows: ``results`` about ``regime`` (the results of
        :func:`verify.check` know theirs)."""
        if regime is None and isinstance(results, Results):
            regime = results.regime
        for r in results:
            if not isinstance(r, Result):
                raise TypeError(f"verify.table takes results (from verify.check), not {type(r).__name__}")
            self._rows_of.append((r, regime))

    @property
    def results(self) -> tuple[Result, ...]:
        return tuple(r for r, _ in self._rows_of)

    def __len__(self) -> int:
        return len(self._rows_of)

    def __iter__(self) -> Iterator[Result]:
        return iter(self.results)

    def records(self) -> list[dict[str, Any]]:
        """One plain dict per result, with the keys of :data:`COLUMNS`: file,
        regime, property, violation, params (a dict; T in seconds), verdict
        ("holds", "fails" or "unknown"), kstar (robustness-margin: an integer,
        "all" or "unknown"), worst_case_time (seconds, a timeliness that
        holds), perpetrator, coalition (the counterexample's, or the one that
        forces the worst case), evasion_sets (how many), statement, note.
        A value that does not apply is None."""
        return [_record(r, regime) for r, regime in self._rows_of]

    def to_pandas(self) -> Any:
        """The records as a pandas DataFrame (columns in :data:`COLUMNS` order)."""
        try:
            # By name: pandas is optional, and mypy should not need its stubs.
            pandas = importlib.import_module("pandas")
        except ImportError as err:
            raise ImportError("Table.to_pandas needs pandas, which is not installed "
                              "(pip install pandas); Table.records() gives the same rows "
                              "as plain dicts") from err
        return pandas.DataFrame(self.records(), columns=list(COLUMNS))

    def _rows(self) -> tuple[Sequence[str], list[tuple[Verdict, list[str]]]]:
        records = self.records()
        columns = [c for c in _SHOWN if any(rec[c] not in (None, {}, []) for rec in records)
                   or c in ("property", "violation", "verdict")]
        rows = [(r.verdict, [_cell(c, rec[c]) for c in columns]) for r, rec in zip(self.results, records)]
        return columns, rows

    def _repr_html_(self) -> str:
        columns, rows = self._rows()
        head = "".join(f"<th>{html.escape(_HEADINGS.get(c, c))}</th>" for c in columns)
        body = []
        verdict_at = list(columns).index("verdict")
        for verdict, cells in rows:
            tds = [_verdict_html(verdict) if i == verdict_at else html.escape(text) for i, text in enumerate(cells)]
            body.append("<tr>" + "".join(f"<td>{td}</td>" for td in tds) + "</tr>")
        return (f'<table class="verify-table"><thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(body)}</tbody></table>")

    def __repr__(self) -> str:
        columns, rows = self._rows()
        grid = [[_HEADINGS.get(c, c) for c in columns]] + [cells for _, cells in rows]
        widths = [max(len(line[i]) for line in grid) for i in range(len(columns))]
        return "\n".join("  ".join(text.ljust(w) for text, w in zip(line, widths)).rstrip() for line in grid)


class Results(list[Result]):
    """What :func:`verify.check` returns: a plain list of results that also
    knows the regime they are about, so that in Jupyter it shows as a table
    naming the file, and its explanations name actors."""

    def __init__(self, results: Iterable[Result], regime: Regime):
        super().__init__(results)
        self.regime = regime

    def table(self) -> Table:
        return Table(self, self.regime)

    def records(self) -> list[dict[str, Any]]:
        return self.table().records()

    def to_pandas(self) -> Any:
        return self.table().to_pandas()

    def explain(self, index: int) -> str:
        """One result as HTML with its regime's names (``_repr_html_`` of a
        lone result names actors by id)."""
        return result_html(self[index], self.regime)

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()


def table(*groups: Iterable[Result], regime: Regime | None = None) -> Table:
    """Results as a :class:`Table`, one group after another (``regime``: the
    one a group is about, for results that did not come from
    :func:`verify.check`, which know theirs)."""
    out = Table((), regime)
    for group in groups:
        out.add(group, regime)
    return out
