"""``verify report``: documents a working group can circulate (Markdown, HTML,
JSON against the shipped schema, CSV), byte-identical for identical inputs,
with a receipt that reproduces them; ``claims`` and ``validate`` in JSON; the
progress display.

What the reports say is compared with what ``check --format json`` and
``claims`` say of the same designs, never with verdicts written here.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from verify.cli import main
from verify.report.progress import Progress
from verify.report.publish import schema

ROOT = Path(__file__).resolve().parent.parent
DESIGNS = ROOT / "designs"
FLAGSHIP = DESIGNS / "flagship-ai-agreement.yaml"
VARIANT = DESIGNS / "flagship-no-whistleblower.yaml"
IAEA = DESIGNS / "iaea-safeguards.yaml"
FORMATS = ("md", "html", "json", "csv")

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")


def cli(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main([str(a) for a in argv], out, err)
    return status, out.getvalue(), err.getvalue()


def verify(*argv: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """The console command, from the checkout, with relative paths."""
    return subprocess.run([sys.executable, "-m", "verify", *map(str, argv)], cwd=ROOT, capture_output=True,
                          timeout=600, env={**os.environ, **(env or {})})


def designs() -> list[Path]:
    return sorted(DESIGNS.glob("*.yaml"))


@pytest.fixture(scope="module")
def checked() -> dict[str, dict]:
    """``check --format json`` of every design, by path: what the reports must agree with."""
    done = verify("check", "--format", "json", *[p.relative_to(ROOT) for p in designs()])
    assert done.returncode in (0, 1), done.stderr.decode()
    return {f["path"]: f for f in json.loads(done.stdout)["files"]}


@pytest.fixture(scope="module")
def reports() -> dict[str, str]:
    """Every design's report in every format, one run per format."""
    out = {}
    for fmt in FORMATS:
        done = verify("report", "designs", "--format", fmt)
        assert done.returncode in (0, 1), done.stderr.decode()
        assert done.stderr == b"", "no progress display into a pipe"
        out[fmt] = done.stdout.decode("utf-8")
    return out


# ------------------------------------------------------------ every design, every format


def test_json_report_of_every_design_validates_and_agrees_with_check(reports, checked):
    doc = json.loads(reports["json"])
    jsonschema.validate(doc, schema(), cls=jsonschema.Draft202012Validator)
    assert [d["path"] for d in doc["designs"]] == [str(p.relative_to(ROOT)) for p in designs()]
    for d in doc["designs"]:
        want = checked[d["path"]]
        assert d["sha256"] == want["sha256"]
        got = [(r["property"], r["violation"], r["verdict"], r["figures"], r["perpetrator"]) for r in d["results"]]
        assert got == [(r["property"], r["violation"], r["verdict"], r["figures"], r["perpetrator"])
                       for r in want["results"]]
        assert d["summary"]["fails"] == sum(r["verdict"] == "fails" for r in want["results"])
        for r in d["results"]:
            assert r["title"].endswith(r["verdict"].upper())
            assert r["explanation"][0] == f"statement: {r['statement']}"


def test_the_schema_refuses_what_is_not_a_report(reports):
    doc = json.loads(reports["json"])
    validator = jsonschema.Draft202012Validator(schema())
    broken = json.loads(reports["json"])
    broken["designs"][0]["results"][0]["verdict"] = "probably"
    assert not validator.is_valid(broken)
    del doc["receipt"]
    assert not validator.is_valid(doc)


def test_input_hashes_are_those_of_the_files_and_chain_to_the_loaded_digest(reports):
    doc = json.loads(reports["json"])
    for d in doc["designs"]:
        chain = hashlib.sha256()
        for f in d["inputs"]:
            raw = (ROOT / f["path"]).read_bytes()
            assert f["sha256"] == hashlib.sha256(raw).hexdigest()
            chain.update(raw)
        assert chain.hexdigest() == d["sha256"]
    variant = next(d for d in doc["designs"] if d["path"].endswith(VARIANT.name))
    assert [f["path"] for f in variant["inputs"]] == [str(VARIANT.relative_to(ROOT)), str(FLAGSHIP.relative_to(ROOT))]


def test_a_variant_names_itself_and_its_base(reports):
    doc = json.loads(reports["json"])
    variant = next(d for d in doc["designs"] if d["path"].endswith(VARIANT.name))
    assert variant["regime"] == "flagship-no-whistleblower"
    assert variant["base"] == {"path": str(FLAGSHIP.relative_to(ROOT)), "regime": "flagship-ai-agreement"}
    assert next(d for d in doc["designs"] if d["path"].endswith(FLAGSHIP.name))["base"] is None
    assert f"Variant of `{FLAGSHIP.relative_to(ROOT)}` (regime `flagship-ai-agreement`)" in reports["md"]
    assert "Variant of <code>designs/flagship-ai-agreement.yaml</code>" in reports["html"]


def test_reports_say_who_may_collude(reports):
    from verify.load import load

    doc = json.loads(reports["json"])
    iaea = load(IAEA)
    pool = iaea.threat_model.colluders
    assert pool, "the IAEA design names its colluder pool"
    entry = next(d for d in doc["designs"] if d["regime"] == iaea.id)
    assert entry["threat_model"]["colluders"] == list(pool)
    sentence = f"{len(pool)} actors may collude: {', '.join(pool)}"
    assert sentence in entry["threat_model"]["pool"]
    assert sentence in reports["md"] and sentence in reports["html"]
    flagship = next(d for d in doc["designs"] if d["regime"] == "flagship-ai-agreement")
    assert flagship["threat_model"]["colluders"] is None
    assert flagship["threat_model"]["pool"].startswith("every actor may collude")


def test_markdown_and_html_carry_every_design_verdict_and_claim(reports, checked):
    from verify.load import load

    md, page = reports["md"], reports["html"]
    for path in designs():
        regime = load(path)
        rel = str(path.relative_to(ROOT))
        assert f"## {regime.title}" in md.replace("\\", "")
        assert regime.title.replace("'", "&#x27;") in page
        for r in checked[rel]["results"]:
            assert r["statement"] in md
            assert r["statement"].replace("'", "&#x27;") in page
        for claim in regime.claims:
            text = " ".join(claim.text.split())
            assert text in md.replace("\\", "") or text.replace("-", "\\-") in md
            assert text.replace("'", "&#x27;") in page
        for f in (rel, *[str(Path(e).relative_to(ROOT)) if os.path.isabs(e) else e for e in regime.extends]):
            digest = hashlib.sha256((ROOT / f).read_bytes()).hexdigest()
            assert digest in md and digest in page


def test_claims_in_the_report_agree_with_verify_claims(reports):
    done = verify("claims", "--format", "json", "designs")
    assert done.returncode in (0, 1), done.stderr.decode()
    claims = json.loads(done.stdout)
    doc = json.loads(reports["json"])
    got = {(d["path"], c["id"]): (c["outcome"], c["verdict"], c["line"]) for d in doc["designs"] for c in d["claims"]}
    want = {(f["path"], c["id"]): (c["outcome"], c["verdict"], c["line"]) for f in claims["files"]
            for c in f["claims"]}
    assert got == want and got


def test_csv_has_one_row_per_design_property_and_parameters(reports, checked):
    rows = list(csv.DictReader(io.StringIO(reports["csv"])))
    want = [(path, r["property"], r["violation"], r["verdict"]) for path, f in checked.items() for r in f["results"]]
    assert [(r["file"], r["property"], r["violation"], r["verdict"]) for r in rows] == want
    for row in rows:
        result = next(r for r in checked[row["file"]]["results"]
                      if (r["property"], r["violation"]) == (row["property"], row["violation"]))
        figures = result["figures"]
        if "k*" in figures:
            assert row["k_star"] == str(figures["k*"])
        if "worst-case time" in figures:
            assert row["worst_case_time_s"] == str(figures["worst-case time"])
        assert row["sha256"] == checked[row["file"]]["sha256"]


def test_receipt_names_versions_and_the_command(reports):
    from verify.versions import versions

    doc = json.loads(reports["json"])
    assert doc["receipt"]["tool"] == versions()
    assert doc["receipt"]["command"] == ["verify", "report", "designs", "--format", "json"]
    for key, value in versions().items():
        assert f"| {key} | `{value}` |" in reports["md"].replace("\\-", "-")
    assert "verify report designs --format md" in reports["md"]


@needs_dot
def test_html_embeds_the_diagram_and_each_counterexample(reports, checked):
    page = reports["html"]
    failing = sum(r["verdict"] == "fails" and r["witness"] is not None for f in checked.values()
                  for r in f["results"])
    assert failing > 0
    assert page.count('<svg class="diagram"') == len(designs()) + failing
    assert "<?xml" not in page and "<!--" not in page and "<script" not in page.lower()
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "") \
        .replace('xmlns:xlink="http://www.w3.org/1999/xlink"', "")


# ------------------------------------------------------------ byte identity


def test_reports_are_byte_identical_across_hash_seeds(tmp_path):
    for fmt in FORMATS:
        got = []
        for seed in ("0", "4242"):
            out = tmp_path / f"r-{seed}.{fmt}"
            done = verify("report", "designs", "--format", fmt, "-o", out, env={"PYTHONHASHSEED": seed})
            assert done.returncode in (0, 1), done.stderr.decode()
            got.append(out.read_bytes())
        assert got[0] == got[1], fmt
        assert got[0]


def test_the_output_path_is_not_part_of_the_report(tmp_path):
    a, b = tmp_path / "a.md", tmp_path / "b" / "c.md"
    b.parent.mkdir()
    for out in (a, b):
        assert verify("report", FLAGSHIP.relative_to(ROOT), "-o", out).returncode == 0
    assert a.read_bytes() == b.read_bytes()
    assert str(tmp_path) not in a.read_text()


# ------------------------------------------------------------ bad input, outputs


def test_output_onto_the_input_is_refused(tmp_path):
    design = tmp_path / "d.yaml"
    shutil.copy(DESIGNS / "mine-ban-transparency.yaml", design)
    before = design.read_bytes()
    status, out, err = cli("report", design, "-o", design)
    assert status == 2 and "input design" in err
    assert design.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["d.yaml"]


def test_a_broken_design_writes_nothing(tmp_path):
    out = tmp_path / "r.html"
    status, stdout, err = cli("report", ROOT / "tests/data/broken/duplicate_id.yaml", "--format", "html", "-o", out)
    assert status == 2
    assert "error: E021" in err and "Traceback" not in err
    assert not out.exists() and stdout == ""


def test_a_design_changed_after_loading_is_refused(tmp_path):
    from verify.load import load
    from verify.report.document import ChangedInputError, input_files

    design = tmp_path / "d.yaml"
    shutil.copy(DESIGNS / "mine-ban-transparency.yaml", design)
    regime = load(design)
    assert input_files(regime)[0].sha256 == hashlib.sha256(design.read_bytes()).hexdigest()
    design.write_bytes(design.read_bytes() + b"\n# changed\n")
    with pytest.raises(ChangedInputError):
        input_files(regime)


HOSTILE = """\
regime: hostile
title: "<script>alert(1)</script> =HYPERLINK(\\"x\\") [link](http://e.example) \\e[32mHOLDS\\u202e"
description: "# heading <img src=x onerror=alert(1)> ``` fence"
sources: ["=1+1", "| pipe |"]
actors:
  - {id: a, kind: state, name: "<b>bold</b>"}
  - {id: b, kind: agency}
assets:
  - {id: site, host: a}
signatures:
  - {id: heat}
violations:
  - id: v
    perpetrator: a
    at: site
    signatures: [{signature: heat}]
mechanisms:
  - {id: sat, operator: a, observes: [heat]}
flows:
  - {id: up, from: a, to: b}
verifiers: [b]
properties:
  - property: detectability
claims:
  - id: c1
    text: "</blockquote><script>x()</script> ``` \\e[31m"
    property: detectability
    violation: v
    expect: fails
"""


def test_hostile_text_is_inert_in_every_format(tmp_path):
    design = tmp_path / "hostile.yaml"
    design.write_text(HOSTILE, encoding="utf-8")
    got = {}
    for fmt in FORMATS:
        status, out, err = cli("report", design, "--format", fmt)
        assert status == 1, err  # a's own report is its only route
        got[fmt] = out
        assert "\x1b" not in out and "\u202e" not in out
    page = got["html"].lower()
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;" in page
    # Outside code blocks (where Markdown shows text as it is) no tag, link or
    # heading of the design's survives.
    import re

    prose = re.sub(r"(?ms)^(`{3,})text$.*?^\1$", "", got["md"])
    assert "<" not in prose and "](http" not in prose.replace("\\](http", "")
    assert "\\[link\\](http" in prose and "&lt;script&gt;" in prose
    assert "\n# heading" not in prose and "\\# heading" in prose
    # A spreadsheet never reads a cell of the design's words as a formula.
    rows = list(csv.reader(io.StringIO(got["csv"])))
    title = rows[0].index("title")
    assert all(not row[title].startswith(("=", "+", "-", "@")) for row in rows[1:])
    assert rows[1][title].startswith("<script>")
    doc = json.loads(got["json"])
    assert doc["designs"][0]["title"].startswith("<script>")  # JSON keeps the data exactly
    assert "\\u001b" in got["json"] and "\\u202e" in got["json"]


# ------------------------------------------------------------ claims and validate in JSON


def test_claims_json_keeps_sentence_line_and_verdict_in_one_record(tmp_path):
    out = tmp_path / "claims.json"
    status, stdout, err = cli("claims", FLAGSHIP, "--format", "json", "-o", out)
    assert status == 0 and stdout == ""
    assert f"wrote {out}" in err
    doc = json.loads(out.read_text())
    assert doc["format"] == "verify-claims/1"
    from verify.load import load

    regime = load(FLAGSHIP)
    records = doc["files"][0]["claims"]
    assert [c["id"] for c in records] == [c.id for c in regime.claims]
    lines = FLAGSHIP.read_text().splitlines()
    for record, claim in zip(records, regime.claims):
        assert record["text"] == claim.text
        assert lines[record["line"] - 1].strip().startswith(f"- id: {claim.id}")
        assert record["outcome"] in ("upheld", "refuted", "unknown")
        assert (record["outcome"] == "upheld") == (record["verdict"] == claim.expect)
        assert record["results"] and all(r["verdict"] in ("holds", "fails", "unknown") for r in record["results"])


def test_claims_json_status_follows_the_outcomes(tmp_path):
    design = tmp_path / "d.yaml"
    design.write_text(HOSTILE.replace("expect: fails", "expect: holds"), encoding="utf-8")
    status, out, err = cli("claims", design, "--format", "json")
    assert status == 1
    assert json.loads(out)["summary"] == {"upheld": 0, "refuted": 1, "unknown": 0}


def test_validate_json_lists_errors_as_data(tmp_path):
    broken = ROOT / "tests/data/broken/duplicate_id.yaml"
    out = tmp_path / "v.json"
    status, stdout, err = cli("validate", FLAGSHIP, broken, "--format", "json", "-o", out)
    assert status == 2
    assert "error: E021" in err  # diagnostics still on stderr
    doc = json.loads(out.read_text())
    assert doc["format"] == "verify-validate/1" and doc["errors"] >= 1
    good, bad = doc["files"]
    assert good["valid"] and good["errors"] == [] and good["regime"] == "flagship-ai-agreement"
    assert good["counts"]["actors"] > 0
    assert not bad["valid"] and bad["regime"] is None
    e = bad["errors"][0]
    assert e["code"] == "E021" and e["file"].endswith("duplicate_id.yaml") and e["line"] >= 1


@pytest.mark.parametrize("command", ["claims", "validate"])
def test_json_output_onto_the_input_is_refused(tmp_path, command):
    design = tmp_path / "d.yaml"
    shutil.copy(DESIGNS / "mine-ban-transparency.yaml", design)
    before = design.read_bytes()
    status, out, err = cli(command, design, "--format", "json", "-o", design)
    assert status == 2 and "input design" in err
    assert design.read_bytes() == before


# ------------------------------------------------------------ progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_on_a_terminal_and_clears_itself():
    term = Terminal()
    bar = Progress(term, 3)
    for what in ("a.yaml: detectability", "a.yaml: timeliness", "b.yaml: claim \x1b[31mx"):
        bar.step(what)
    bar.close()
    text = term.getvalue()
    assert "[1/3] a.yaml: detectability" in text and "[3/3] b.yaml: claim \\x1b[31mx" in text
    assert text.endswith("\r\x1b[K")
    assert "\x1b[31m" not in text


def test_progress_stays_off_when_not_a_terminal_or_quiet():
    pipe, term = io.StringIO(), Terminal()
    for stream, enabled in ((pipe, True), (term, False)):
        bar = Progress(stream, 5, enabled=enabled)
        bar.step("x")
        bar.close()
    assert pipe.getvalue() == "" and term.getvalue() == ""


def test_report_on_a_terminal_shows_progress_and_not_in_the_report(tmp_path, monkeypatch):
    out, err = io.StringIO(), Terminal()
    status = main(["report", str(DESIGNS / "mine-ban-transparency.yaml"), "-o", str(tmp_path / "r.md")], out, err)
    assert status == 1
    assert "\r\x1b[K[1/" in err.getvalue()
    assert "\r" not in (tmp_path / "r.md").read_text()


# ------------------------------------------------------------ citation


def test_citation_file_is_valid_cff_and_names_this_version():
    import tomllib

    import yaml

    path = ROOT / "CITATION.cff"
    if not path.exists() and not (ROOT / ".git").exists():
        pytest.skip("an unpacked sdist without CITATION.cff (MANIFEST.in does not include it)")
    cff = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key in ("cff-version", "message", "title", "authors", "version", "license"):
        assert cff.get(key), key
    assert cff["cff-version"].startswith("1.2")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert cff["version"] == project["version"]
    assert cff["license"] == project["license"]
    assert all(a.get("name") or a.get("family-names") for a in cff["authors"])
    assert "receipt" in cff["message"]


def test_a_variant_that_keeps_its_base_title_is_told_apart(tmp_path):
    shutil.copy(FLAGSHIP, tmp_path / "flagship.yaml")
    variant = tmp_path / "v.yaml"
    variant.write_text("regime: same-title\nextends: flagship.yaml\nremove:\n  mechanisms: [cloud-kyc]\n",
                       encoding="utf-8")
    status, out, err = cli("report", tmp_path / "flagship.yaml", variant, "-p", "detectability")
    assert status in (0, 1), err
    headings = [line for line in out.splitlines() if line.startswith("## ") and line != "## Receipt"]
    assert len(headings) == 2 and len(set(headings)) == 2
    assert headings[1].endswith("(same-title)")


def test_the_text_report_ends_with_its_receipt(tmp_path):
    """check's text report names the hash of the bytes it checked and the
    versions that checked them (issue 12: it carried neither)."""
    import hashlib
    import io

    from verify.cli import main
    from verify.versions import versions

    src = Path(__file__).resolve().parent.parent / "designs" / "flagship-ai-agreement.yaml"
    path = tmp_path / "design.yaml"
    path.write_bytes(src.read_bytes() + b"\n# an edit changes the hash\n")
    out = io.StringIO()
    main(["check", str(path)], out, io.StringIO())
    last = out.getvalue().splitlines()[-1]
    assert last.startswith(f"receipt: sha256 {hashlib.sha256(path.read_bytes()).hexdigest()}; ")
    assert hashlib.sha256(src.read_bytes()).hexdigest() not in last
    for name, version in versions().items():
        assert f"{name} {version}" in last
