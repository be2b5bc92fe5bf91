"""``verify diff A B``: structural changes field by field, verdicts and figures
compared with the counterexample that appeared or disappeared, and a status
a CI gate can use (1 when something got worse).

Expected verdicts and counterexamples are read from ``check --format json``
of each design, never written here.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from verify.cli import main
from verify.diff import compare, structure
from verify.durations import format_duration
from verify.load import load

ROOT = Path(__file__).resolve().parent.parent
DESIGNS = ROOT / "designs"
FLAGSHIP = DESIGNS / "flagship-ai-agreement.yaml"
VARIANT = DESIGNS / "flagship-no-whistleblower.yaml"


def cli(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main([str(a) for a in argv], out, err)
    return status, out.getvalue(), err.getvalue()


def check_json(path: Path) -> dict:
    status, out, err = cli("check", path, "--format", "json")
    assert status in (0, 1), err
    return json.loads(out)["files"][0]


@pytest.fixture
def one_mechanism_less(tmp_path: Path) -> Path:
    """The flagship and a variant of it that removes exactly one mechanism."""
    shutil.copy(FLAGSHIP, tmp_path / "flagship.yaml")
    variant = tmp_path / "no-whistleblower.yaml"
    variant.write_text("regime: flagship-minus-one\nextends: flagship.yaml\n"
                       "remove:\n  mechanisms: [whistleblower]\n", encoding="utf-8")
    return variant


def test_removing_one_mechanism_shows_the_new_failure_and_its_counterexample(one_mechanism_less):
    base = one_mechanism_less.parent / "flagship.yaml"
    before, after = check_json(base), check_json(one_mechanism_less)
    turned = [(a, b) for a, b in zip(before["results"], after["results"])
              if a["verdict"] == "holds" and b["verdict"] == "fails"]
    assert turned, "removing the whistle-blower breaks something (else this test shows nothing)"
    status, out, err = cli("diff", base, one_mechanism_less)
    assert status == 1, err
    assert "  - mechanism whistleblower: removed" in out
    for _, b in turned:
        head = f"WORSE: {b['property']}({b['violation']}"
        line = next(x for x in out.splitlines() if x.startswith("  " + head))
        assert "HOLDS -> FAILS" in line
        if b["witness"] is not None:
            block = out[out.index(line):]
            assert "counterexample that appeared:" in block.splitlines()[1]
            coalition = next(x for x in block.splitlines() if x.strip().startswith("coalition:"))
            for actor in b["witness"]["coalition"]:
                assert actor in coalition
    # Not every line is worse: what did not change says so.
    same = [a for a, b in zip(before["results"], after["results"]) if a == {**b, "file": a["file"]}]
    assert out.count("  SAME: ") >= len(same)


def test_the_reverse_diff_is_better_and_exits_0(one_mechanism_less):
    base = one_mechanism_less.parent / "flagship.yaml"
    status, out, err = cli("diff", one_mechanism_less, base)
    assert status == 0, err
    assert "  + mechanism whistleblower: added" in out
    assert "BETTER: " in out and "WORSE: " not in out
    assert "counterexample that disappeared:" in out


def test_the_flagship_and_its_variant(tmp_path):
    status, out, err = cli("diff", FLAGSHIP, VARIANT, "--format", "json")
    assert status == 1, err
    doc = json.loads(out)
    assert doc["format"] == "verify-diff/1" and doc["worse"] is True
    assert doc["a"]["regime"] == "flagship-ai-agreement" and doc["b"]["regime"] == "flagship-no-whistleblower"
    removed = {(c["kind"], c["id"]) for c in doc["structure"] if c["change"] == "removed"}
    assert {("actor", "insider"), ("mechanism", "whistleblower"), ("flow", "wb-to-council")} <= removed
    claim = next(c for c in doc["structure"] if (c["kind"], c["id"]) == ("claim", "two-accomplices"))
    assert claim["fields"] == [{"field": "expect", "before": "holds", "after": "fails"}]
    after = check_json(VARIANT)
    for r in doc["results"]:
        want = next(x for x in after["results"] if (x["property"], x["violation"]) == (r["property"], r["violation"]))
        assert r["after"]["verdict"] == want["verdict"]
        assert r["after"]["witness"] == want["witness"]
    margin = next(r for r in doc["results"] if r["property"] == "robustness-margin")
    assert margin["change"] == "worse"
    assert f"k* {margin['before']['figures']['k*']} -> {margin['after']['figures']['k*']}" in margin["what"]


def test_a_design_against_itself_changes_nothing():
    status, out, err = cli("diff", FLAGSHIP, FLAGSHIP)
    assert status == 0, err
    assert "structure: 0 changes" in out
    assert "WORSE" not in out and "BETTER" not in out
    assert out.rstrip().endswith("0 structural changes")


def test_field_by_field_and_a_later_worst_case(tmp_path):
    shutil.copy(FLAGSHIP, tmp_path / "flagship.yaml")
    slower = tmp_path / "slower.yaml"
    slower.write_text("regime: slower\nextends: flagship.yaml\nflows:\n"
                      "  - id: wb-to-council\n    latency: 20d\n", encoding="utf-8")
    a, b = load(tmp_path / "flagship.yaml"), load(slower)
    changes = [c for c in structure(a, b) if c.kind == "flow"]
    assert len(changes) == 1 and changes[0].id == "wb-to-council"
    assert [(f.field, f.before, f.after) for f in changes[0].fields] == [("latency", 7 * 86400, 20 * 86400)]
    params = ("-p", "timeliness", "-T", "90d", "-k", "2")
    status, out, err = cli("diff", tmp_path / "flagship.yaml", slower, *params)
    assert f"      latency: {format_duration(7 * 86400)} -> {format_duration(20 * 86400)}" in out
    times = []
    for design in (tmp_path / "flagship.yaml", slower):
        code, text, _ = cli("check", design, *params, "--format", "json")
        (result,) = json.loads(text)["files"][0]["results"]
        assert result["verdict"] == "holds"
        times.append(result["figures"]["worst-case time"])
    line = next(x for x in out.splitlines() if "timeliness(" in x)
    assert times[1] > times[0], "the whistle-blower sets the flagship's worst case"
    assert line == (f"  WORSE: timeliness(covert-training-run, T=90d, k=2): worst-case time "
                    f"{format_duration(times[0])} -> {format_duration(times[1])}")
    assert status == 1


def test_compare_judges_with_any_runner():
    """The analysis is a plain function of two regimes and a runner."""
    a = load(FLAGSHIP)
    seen = []

    def run(regime, spec):
        seen.append((regime.id, spec.property))
        return []

    d = compare(a, a, run)
    assert d.results == () and not d.worse
    assert {s for _, s in seen} == {p.property for p in a.properties}
    assert {r for r, _ in seen} == {a.id}


def test_bad_input_exits_2_without_a_traceback(tmp_path):
    status, out, err = cli("diff", FLAGSHIP, ROOT / "tests/data/broken/duplicate_id.yaml")
    assert status == 2 and out == ""
    assert "error: E021" in err and "Traceback" not in err
    status, out, err = cli("diff", FLAGSHIP)
    assert status == 2 and "required" in err
    status, out, err = cli("diff", FLAGSHIP, VARIANT, "-p", "timeliness", "-T", "soon")
    assert status == 2 and "not a duration" in err


def test_diff_output_onto_an_input_is_refused(tmp_path):
    shutil.copy(FLAGSHIP, tmp_path / "a.yaml")
    before = (tmp_path / "a.yaml").read_bytes()
    status, out, err = cli("diff", tmp_path / "a.yaml", VARIANT, "-o", tmp_path / "a.yaml")
    assert status == 2 and "input design" in err
    assert (tmp_path / "a.yaml").read_bytes() == before
