"""The notebook API: short reprs, HTML and SVG views, tables, and the tour
notebook (docs/notebooks/tour.ipynb) executed in a real Jupyter kernel."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

import verify
from verify import notebook
from verify.errors import RenderError
from verify.explain import explain, title
from verify.model import Regime
from verify.results import Result, Verdict

ROOT = Path(__file__).resolve().parents[1]
DESIGNS = ROOT / "designs"
FLAGSHIP = DESIGNS / "flagship-ai-agreement.yaml"
TOUR = ROOT / "docs" / "notebooks" / "tour.ipynb"


@pytest.fixture(scope="module")
def flagship() -> Regime:
    return verify.load(FLAGSHIP)


@pytest.fixture(scope="module")
def mine_ban() -> Regime:
    return verify.load(DESIGNS / "mine-ban-transparency.yaml")


def _result(**changes: object) -> Result:
    fields: dict[str, object] = dict(property="detectability", params=(), violation="v", verdict=Verdict.HOLDS,
                                     statement="A statement.")
    fields.update(changes)
    return Result(**fields)  # type: ignore[arg-type]


# --- reprs ---------------------------------------------------------------------


def test_a_regime_has_a_one_line_repr(flagship):
    text = repr(flagship)
    assert text == (f"<Regime flagship-ai-agreement: {len(flagship.actors)} actors, {len(flagship.mechanisms)} "
                    f"mechanisms, {len(flagship.flows)} flows, 1 violation; {flagship.path}>")
    assert str(flagship) == text
    assert "designs/flagship-ai-agreement.yaml" in text.replace(os.sep, "/")


def test_a_regime_repr_counts_in_the_singular_and_leaves_out_a_missing_path():
    assert repr(Regime(id="empty")) == "<Regime empty: 0 actors, 0 mechanisms, 0 flows, 0 violations>"


def test_a_regime_keeps_its_dataclass_equality(flagship):
    again = verify.load(FLAGSHIP)
    assert again == flagship and again is not flagship


def test_a_result_has_a_one_line_repr(flagship):
    results = verify.check(flagship, "non-circumventability", k=2)
    assert [repr(r) for r in results] == ["<Result non-circumventability(covert-training-run, k=2): HOLDS>"]
    assert repr(results) == "[<Result non-circumventability(covert-training-run, k=2): HOLDS>]"
    assert repr(results[0]) == f"<Result {title(results[0])}>"


# --- views ---------------------------------------------------------------------


def test_a_regime_shows_its_diagram_as_svg(flagship):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    svg = flagship._repr_svg_()
    assert svg is not None and "<svg" in svg and "</svg>" in svg
    # Each node's <title> is its id (Graphviz writes "-" as "&#45;"),
    # except interchangeable members, drawn as one node with a count.
    from verify.render import member_groups

    grouped = {a for g in member_groups(flagship) for a in g}
    drawn = [a for a in flagship.actors if a.id not in grouped]
    assert drawn and all(f"<title>{a.id.replace('-', '&#45;')}</title>" in svg for a in drawn)


def test_without_dot_a_regime_has_no_svg_view(flagship, monkeypatch):
    monkeypatch.setattr(notebook.shutil, "which", lambda name: None)
    assert flagship._repr_svg_() is None


def test_a_failing_dot_gives_no_svg_view(flagship, monkeypatch):
    from verify import render

    def broken(source: str, fmt: str) -> bytes:
        raise RenderError("'dot -Tsvg' failed")

    monkeypatch.setattr(notebook.shutil, "which", lambda name: "/usr/bin/dot")
    monkeypatch.setattr(render, "_run_dot", broken)
    assert flagship._repr_svg_() is None


def test_a_result_shows_title_statement_and_explanation_in_html(mine_ban):
    result = verify.check(mine_ban, "non-circumventability", k=1)[0]
    assert result.verdict == Verdict.FAILS
    page = notebook.result_html(result, mine_ban)
    import html

    assert html.escape(result.statement) in page
    assert "FAILS" in page and "non-circumventability(" in page
    lines = explain(mine_ban, result)
    assert lines[0].startswith("statement: ")
    for line in lines[1:]:
        assert html.escape(line) in page
    # With its regime, an explanation gives actors their names; alone, ids.
    named = [a for a in mine_ban.actors if a.name and a.id in result.witness.coalition]
    assert named and f"{named[0].id} ({html.escape(named[0].name)})" in page
    assert f"{named[0].id} ({html.escape(named[0].name)})" not in result._repr_html_()


def test_result_html_escapes_everything():
    result = _result(statement="<script>alert(1)</script> & more", note="<b>",
                     params=(("violation", "<v>"),), violation="<v>", verdict=Verdict.UNKNOWN)
    page = result._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "&amp; more" in page and "&lt;b&gt;" in page and "<b>" not in page
    assert "UNKNOWN" in page


def test_a_result_made_by_hand_explains_without_its_regime():
    result = _result()
    assert "A statement." in result._repr_html_()
    assert repr(result) == "<Result detectability(v): HOLDS>"


def test_check_returns_a_list_that_knows_its_regime(flagship):
    results = verify.check(flagship, "detectability")
    assert isinstance(results, list) and results.regime is flagship
    assert [r["file"] for r in results.records()] == [flagship.path]
    assert "<table" in results._repr_html_() and "HOLDS" in results._repr_html_()
    assert "Frontier" in results.explain(0) or "rests on" in results.explain(0)


# --- tables --------------------------------------------------------------------


def test_table_records_are_plain_dicts(flagship):
    results = verify.check(flagship)
    records = verify.table(results).records()
    assert len(records) == len(results)
    assert all(tuple(r) == notebook.COLUMNS for r in records)
    by = {r["property"]: r for r in records}
    assert {r["file"] for r in records} == {flagship.path}
    assert {r["regime"] for r in records} == {"flagship-ai-agreement"}
    assert by["non-circumventability"]["params"] == {"k": 2}
    assert by["timeliness"]["params"] == {"k": 2, "T": 90 * 86400}
    assert all(r["verdict"] in ("holds", "fails", "unknown") for r in records)
    assert by["robustness-margin"]["kstar"] == 2
    assert by["detectability"]["kstar"] is None
    worst = by["timeliness"]["worst_case_time"]
    assert isinstance(worst, int) and 0 < worst <= 90 * 86400
    assert by["timeliness"]["coalition"][0] in flagship.violation["covert-training-run"].perpetrators
    assert by["minimal-evasion-sets"]["evasion_sets"] >= 1
    assert by["detectability"]["statement"].startswith("If ")


def test_table_records_a_counterexample(mine_ban):
    records = verify.table(verify.check(mine_ban, "non-circumventability", k=1)).records()
    assert records and all(r["verdict"] == "fails" for r in records)
    assert all(r["perpetrator"] and r["perpetrator"] in r["coalition"] for r in records)


def test_table_takes_the_regime_for_results_made_elsewhere(flagship):
    from verify.analyses.properties import run
    from verify.model import PropertySpec

    results = run(flagship, PropertySpec(property="detectability"))
    assert verify.table(results).records()[0]["regime"] is None
    assert verify.table(results, regime=flagship).records()[0]["regime"] == "flagship-ai-agreement"


def test_table_html_and_text(flagship, mine_ban):
    first, second = verify.check(flagship, "robustness-margin"), verify.check(mine_ban, "non-circumventability", k=1)
    results = first + second
    table = verify.table(first, second)
    assert {r["regime"] for r in table.records()} == {flagship.id, mine_ban.id}
    assert len(table) == len(results) and list(table) == results
    page = table._repr_html_()
    assert page.startswith("<table") and page.count("<tr>") == len(results) + 1
    assert "<th>k*</th>" in page and "HOLDS" in page and "FAILS" in page
    text = repr(table)
    assert len(text.splitlines()) == len(results) + 1 and "k*" in text.splitlines()[0]


def test_table_html_escapes():
    page = verify.table([_result(violation="<v&>", statement="<s>")])._repr_html_()
    assert "&lt;v&amp;&gt;" in page and "<v&>" not in page


def test_table_takes_only_results():
    with pytest.raises(TypeError, match="takes results"):
        verify.table(["detectability"])  # type: ignore[list-item]


def test_to_pandas(flagship):
    pandas = pytest.importorskip("pandas")
    frame = verify.table(verify.check(flagship)).to_pandas()
    assert isinstance(frame, pandas.DataFrame)
    assert tuple(frame.columns) == notebook.COLUMNS and len(frame) == len(flagship.properties)
    assert list(frame["verdict"]) == [r.verdict.value for r in verify.check(flagship)]


def test_to_pandas_without_pandas_says_so(flagship, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    table = verify.table(verify.check(flagship, "detectability"))
    with pytest.raises(ImportError, match="needs pandas"):
        table.to_pandas()
    assert table.records()


# --- the tour notebook ---------------------------------------------------------


def _texts(nb: object) -> list[str]:
    out = []
    for cell in nb.cells:  # type: ignore[attr-defined]
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream":
                out.append(o.get("text", ""))
            for value in o.get("data", {}).values():
                out.append(value if isinstance(value, str) else "".join(value) if isinstance(value, list) else "")
    return out


def test_the_tour_notebook_runs(monkeypatch):
    """Executed as Jupyter would: a python3 kernel started in the notebook's
    folder, with this checkout's package first on its path."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(TOUR, as_version=4)
    nbformat.validate(nb)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    client = NotebookClient(nb, kernel_name="python3", timeout=600,
                            resources={"metadata": {"path": str(TOUR.parent)}})
    client.execute()  # raises CellExecutionError on the first cell that fails
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    texts = _texts(nb)
    assert any("HOLDS" in t for t in texts)
    assert any("<svg" in t for t in texts) or shutil.which("dot") is None
    assert any('<table class="verify-table"' in t for t in texts)


def test_the_tour_notebook_is_committed_without_outputs():
    import nbformat

    nb = nbformat.read(TOUR, as_version=4)
    assert nb.nbformat == 4
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")
