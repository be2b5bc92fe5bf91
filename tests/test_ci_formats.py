"""The CI formats of ``validate``, ``check`` and ``claims``: SARIF 2.1.0
(validated against the official schema, tests/data/sarif), JUnit XML (read
back with junitparser, a JUnit XML reader CI tools' own format is modelled
on), GitHub workflow annotations (escaping), and the line and column the
JSON report now carries.

Every verdict asserted is the tool's own, computed here, never assumed.
"""

from __future__ import annotations

import io
import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import z3
from junitparser import Error, Failure, JUnitXml

from verify.analyses.properties import run as run_property
from verify.cli import main
from verify.engine.solve import Query
from verify.explain import explain, title
from verify.load import load
from verify.model import effective
from verify.report.github import annotation, escape_data, escape_property

ROOT = Path(__file__).resolve().parent.parent
DESIGNS = ROOT / "designs"
FLAGSHIP = DESIGNS / "flagship-ai-agreement.yaml"
MINE_BAN = DESIGNS / "mine-ban-transparency.yaml"
BROKEN = ROOT / "tests" / "data" / "broken"
SARIF_SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif" / "sarif-schema-2.1.0.json").read_text("utf-8"))


def cli(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main([str(a) for a in argv], out, err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def _in_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def sarif_of(*argv: object) -> tuple[int, dict]:
    status, out, _ = cli(*argv, "--format", "sarif")
    doc = json.loads(out)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(doc)
    return status, doc


def refuted_flagship(tmp_path: Path) -> Path:
    """The flagship with its first claim expecting the opposite: refuted."""
    text = FLAGSHIP.read_text("utf-8").replace("    expect: holds\n", "    expect: fails\n", 1)
    path = tmp_path / "refuted.yaml"
    path.write_text(text, "utf-8")
    return path


@pytest.fixture
def solver_gives_up(monkeypatch):
    monkeypatch.setattr(z3.Solver, "check", lambda self, *assumptions: z3.unknown)
    # The engine calls the solver through Query._check (no per-call casts).
    monkeypatch.setattr(Query, "_check", lambda self, assumptions: z3.unknown)
    monkeypatch.setattr(z3.Solver, "reason_unknown", lambda self: "timeout")


# ------------------------------------------------------------------ SARIF


def test_sarif_of_check_validates_and_has_one_result_per_failing_property():
    status, doc = sarif_of("check", "designs/mine-ban-transparency.yaml")
    regime, _ = effective(load(str(MINE_BAN)))
    results = [r for spec in regime.properties for r in run_property(regime, spec)]
    failing = [r for r in results if r.verdict.value != "holds"]
    assert failing and status == 1
    [run] = doc["runs"]
    assert doc["version"] == "2.1.0"
    driver = run["tool"]["driver"]
    import verify

    assert driver["name"] == "verify" and driver["version"] == verify.__version__
    rule_ids = [r["id"] for r in driver["rules"]]
    assert rule_ids == sorted({r.property for r in failing})
    assert all(r["help"]["text"] and r["shortDescription"]["text"] for r in driver["rules"])
    assert len(run["results"]) == len(failing)
    lines = MINE_BAN.read_text("utf-8").splitlines()
    for got, want in zip(run["results"], failing, strict=True):
        assert got["ruleId"] == want.property and got["level"] == "error"
        assert rule_ids[got["ruleIndex"]] == want.property
        [loc] = got["locations"]
        phys = loc["physicalLocation"]
        assert phys["artifactLocation"]["uri"] == "designs/mine-ban-transparency.yaml"  # relative to the cwd
        assert want.where is not None
        assert (phys["region"]["startLine"], phys["region"]["startColumn"]) == (want.where.line, want.where.column)
        # The line is the property's spec in the YAML.
        assert "property" in lines[want.where.line - 1]
        assert got["message"]["text"] == "\n".join([title(want), *explain(regime, want)])


def test_sarif_for_a_file_outside_the_working_directory_has_a_file_uri(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _, doc = sarif_of("check", MINE_BAN, "-p", "detectability")
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]}
    assert uris == {MINE_BAN.as_uri()}
    # A property given with -p points at the violation's declaration.
    regime = load(str(MINE_BAN))
    lines = {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in doc["runs"][0]["results"]}
    assert lines <= {v.where.line for v in regime.violations if v.where}


def test_sarif_of_a_design_where_everything_holds_has_no_results():
    status, doc = sarif_of("check", FLAGSHIP)
    assert status == 0
    assert doc["runs"][0]["results"] == [] and doc["runs"][0]["tool"]["driver"]["rules"] == []


def test_sarif_unknown_is_a_warning(tmp_path, solver_gives_up):
    status, doc = sarif_of("check", FLAGSHIP, "-p", "timeliness", "-T", "20d", "-k", "1")
    assert status == 3
    assert {r["level"] for r in doc["runs"][0]["results"]} == {"warning"}
    assert all("not a proof" in r["message"]["text"] for r in doc["runs"][0]["results"])


def test_sarif_of_claims_has_the_refuted_claim_at_its_line(tmp_path):
    path = refuted_flagship(tmp_path)
    status, doc = sarif_of("claims", path)
    assert status == 1
    [result] = doc["runs"][0]["results"]
    regime = load(str(path))
    claim = regime.claims[0]
    assert result["ruleId"] == claim.spec.property and result["level"] == "error"
    assert result["message"]["text"].startswith(f"REFUTED: {claim.id}")
    region = result["locations"][0]["physicalLocation"]["region"]
    assert claim.where is not None and (region["startLine"], region["startColumn"]) == claim.where[1:]


def test_sarif_of_validate_has_one_result_per_diagnostic_with_its_code():
    path = BROKEN / "duplicate_id.yaml"
    status, doc = sarif_of("validate", path, FLAGSHIP)
    assert status == 2
    with pytest.raises(Exception) as info:
        load(str(path))
    diags = info.value.diagnostics  # type: ignore[attr-defined]
    results = [r for r in doc["runs"][0]["results"] if r["level"] == "error"]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results] == \
           [(d.code, d.where.line) for d in diags]
    rules = {r["id"]: r for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    assert "duplicate id" in rules["E021"]["shortDescription"]["text"]


def test_sarif_of_check_on_a_broken_file_carries_its_diagnostics_and_exits_2():
    status, doc = sarif_of("check", BROKEN / "duplicate_id.yaml")
    assert status == 2
    assert {r["ruleId"] for r in doc["runs"][0]["results"]} == {"E021"}


def test_sarif_is_deterministic():
    assert cli("check", MINE_BAN, "--format", "sarif") == cli("check", MINE_BAN, "--format", "sarif")


# ------------------------------------------------------------------ JUnit


def junit_of(*argv: object) -> tuple[int, JUnitXml, str]:
    status, out, _ = cli(*argv, "--format", "junit")
    ET.fromstring(out)  # well-formed
    xml = JUnitXml.fromstring(out)
    return status, xml, out


def test_junit_of_check_one_suite_per_file_one_case_per_result():
    status, xml, _ = junit_of("check", MINE_BAN, FLAGSHIP)
    assert status == 1
    suites = list(xml)
    assert [s.name for s in suites] == ["designs/mine-ban-transparency.yaml", "designs/flagship-ai-agreement.yaml"]
    for suite, path in zip(suites, (MINE_BAN, FLAGSHIP), strict=True):
        regime, _ = effective(load(str(path)))
        results = [r for spec in regime.properties for r in run_property(regime, spec)]
        cases = list(suite)
        assert len(cases) == len(results) == suite.tests
        for case, r in zip(cases, results, strict=True):
            assert case.name.startswith(f"{r.property}({r.violation}")
            if r.verdict.value == "fails":
                [failure] = case.result
                assert isinstance(failure, Failure)
                assert failure.text == "\n".join([title(r), *explain(regime, r)])
            else:
                assert case.is_passed
        assert suite.failures == sum(r.verdict.value == "fails" for r in results)


def test_junit_unknown_is_an_error_not_a_skip(solver_gives_up):
    status, xml, _ = junit_of("check", FLAGSHIP, "-p", "detectability")
    assert status == 3
    [suite] = list(xml)
    for case in suite:
        [res] = case.result
        assert isinstance(res, Error) and res.type == "unknown"
        assert not case.is_skipped
    assert suite.errors == suite.tests and suite.skipped == 0


def test_junit_of_claims_and_validate(tmp_path):
    status, xml, _ = junit_of("claims", refuted_flagship(tmp_path))
    assert status == 1
    [suite] = list(xml)
    regime = load(str(tmp_path / "refuted.yaml"))
    assert [c.name for c in suite] == [c.id for c in regime.claims]
    assert suite.failures == 1 and isinstance(list(suite)[0].result[0], Failure)

    status, xml, _ = junit_of("validate", FLAGSHIP, BROKEN / "duplicate_id.yaml")
    assert status == 2
    good, bad = list(xml)
    assert [c.name for c in good] == ["valid"] and list(good)[0].is_passed
    [case] = list(bad)
    [failure] = case.result
    assert isinstance(failure, Failure) and "E021" in failure.text


# ------------------------------------------------------------------ GitHub


ANNOTATION = re.compile(r"^::(error|warning|notice) ((?:[a-z]+=[^,:]*)(?:,[a-z]+=[^,:]*)*)::(.*)$")


def test_github_escaping():
    assert escape_data("50% a\r\nb") == "50%25 a%0D%0Ab"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    line = annotation("error", "x.yaml", None, "p(v, k=1): FAILS", "line 1\nline 2: 100%")
    assert line == "::error file=x.yaml,title=p(v%2C k=1)%3A FAILS::line 1%0Aline 2: 100%25"


def test_github_annotations_of_check_point_at_the_property():
    status, out, _ = cli("check", MINE_BAN, "--format", "github")
    assert status == 1
    regime, _ = effective(load(str(MINE_BAN)))
    failing = [r for spec in regime.properties for r in run_property(regime, spec) if r.verdict.value == "fails"]
    lines = out.splitlines()
    annotations = [m for m in map(ANNOTATION.match, lines) if m]
    assert len(annotations) == len(failing)
    for m, r in zip(annotations, failing, strict=True):
        assert m.group(1) == "error"
        props = dict(p.split("=", 1) for p in m.group(2).split(","))
        assert props["file"] == "designs/mine-ban-transparency.yaml"
        assert r.where is not None and (int(props["line"]), int(props["col"])) == (r.where.line, r.where.column)
        assert "\n" not in m.group(3) and "%0A" in m.group(3)
    assert lines[-1].endswith("unknown") and not lines[-1].startswith("::")


def test_github_annotations_of_validate_errors():
    status, out, _ = cli("validate", BROKEN / "duplicate_id.yaml", "--format", "github")
    assert status == 2
    assert out.startswith("::error file=tests/data/broken/duplicate_id.yaml,line=27,col=9,title=verify E021::E021 ")


# ------------------------------------------------------------------ JSON


def test_json_results_carry_file_line_and_column():
    _, out, _ = cli("check", MINE_BAN, "--format", "json")
    results = json.loads(out)["files"][0]["results"]
    lines = MINE_BAN.read_text("utf-8").splitlines()
    for r in results:
        assert r["file"] == os.path.normpath(str(MINE_BAN))
        assert "property" in lines[r["line"] - 1]
        assert r["column"] >= 1
    _, out, _ = cli("check", MINE_BAN, "-p", "detectability", "--format", "json")
    for r in json.loads(out)["files"][0]["results"]:
        assert r["file"] is r["line"] is r["column"] is None


def test_sarif_of_a_design_from_stdin_validates_without_locations():
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "verify", "check", "-", "--format", "sarif"], cwd=ROOT,
                          input=MINE_BAN.read_bytes(), capture_output=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(doc)
    results = doc["runs"][0]["results"]
    assert results and all("locations" not in r for r in results)


def test_sarif_of_a_variant_points_into_the_file_that_lists_the_property(tmp_path):
    """A property listed by the base is located in the base."""
    _, doc = sarif_of("check", DESIGNS / "flagship-no-whistleblower.yaml")
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]}
    regime = load(str(DESIGNS / "flagship-no-whistleblower.yaml"))
    files = {os.path.relpath(s.where.file, ROOT) for s in regime.properties if s.where}
    assert uris and uris <= files
