"""The command line, end to end: exit statuses, reports, output files, the
starter regime, claims, the schema, the dispatcher and ``--as-is``.

Commands are run in-process through ``verify.cli.main(argv, stream)``; only
the module entry point (and one cross-process determinism check) uses a
subprocess.  Every verdict asserted here is the tool's own, computed in the
test, never assumed.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
import z3

from verify.analyses.properties import run as run_property
from verify.cli import main
from verify.engine.solve import Query
from verify.load import load
from verify.model import effective

ROOT = Path(__file__).resolve().parent.parent
DESIGNS = ROOT / "designs"
FLAGSHIP = DESIGNS / "flagship-ai-agreement.yaml"
VARIANT = DESIGNS / "flagship-no-whistleblower.yaml"
MINE_BAN = DESIGNS / "mine-ban-transparency.yaml"
IAEA = DESIGNS / "iaea-safeguards.yaml"
ALL_DESIGNS = sorted(DESIGNS.glob("*.yaml"))
BROKEN = ROOT / "tests" / "data" / "broken" / "duplicate_id.yaml"

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import synthetic, to_yaml  # noqa: E402


def cli(*argv: str) -> tuple[int, str]:
    """Status and stdout (the report); stderr is checked by :func:`cli3`."""
    return cli3(*argv)[:2]


def cli3(*argv: str) -> tuple[int, str, str]:
    """Status, stdout (reports) and stderr (diagnostics, usage errors)."""
    out, err = io.StringIO(), io.StringIO()
    status = main([str(a) for a in argv], out, err)
    return status, out.getvalue(), err.getvalue()


def verdict_lines(output: str) -> dict[str, str]:
    """'property(params): VERDICT' lines of a text report, title -> verdict."""
    out = {}
    for line in output.splitlines():
        for verdict in ("HOLDS", "FAILS", "UNKNOWN"):
            if line.endswith(f": {verdict}") and not line.startswith(" "):
                out[line[: -len(verdict) - 2]] = verdict
    return out


# A regime where a proposed mechanism is the only way the violation is seen:
# the inspectorate operates it and is the verifier.  Without it nothing sees
# the violation.
AS_IS = """\
regime: proposed-only
title: A regime whose only mechanism is still proposed
actors:
  - {id: host-state, kind: state}
  - {id: lab, kind: lab, controlled_by: host-state}
  - {id: inspectorate, kind: inspectorate}
  - {id: other-state, kind: state}
assets:
  - {id: site, host: host-state, owner: lab}
signatures:
  - {id: compute, unit: FLOP}
violations:
  - id: covert-run
    perpetrator: lab
    at: site
    signatures:
      - {signature: compute, magnitude: 1e26, persists: forever}
mechanisms:
  - id: remote-sensing
    kind: monitoring
    operator: inspectorate
    observes: [{signature: compute, threshold: 1e25}]
    status: proposed
    latency: 2d
verifiers: [inspectorate]
threat_model: {max: 1}
properties:
  - property: detectability
claims:
  - id: seen
    text: "The inspectorate sees a covert run."
    property: detectability
    expect: {expect}
"""


def as_is_regime(tmp_path: Path, expect: str = "holds") -> Path:
    path = tmp_path / "proposed-only.yaml"
    path.write_text(AS_IS.replace("{expect}", expect), encoding="utf-8")
    return path


# ------------------------------------------------------------ exit statuses


def test_check_exits_0_when_every_property_holds():
    status, output = cli("check", FLAGSHIP)
    verdicts = verdict_lines(output)
    assert status == 0, output
    assert verdicts and set(verdicts.values()) == {"HOLDS"}
    assert f"{len(verdicts)} hold, 0 fail, 0 unknown" in output


def test_check_exits_1_when_a_property_fails():
    status, output = cli("check", MINE_BAN)
    verdicts = verdict_lines(output)
    assert status == 1, output
    assert "FAILS" in verdicts.values()
    assert verdicts["non-circumventability(army-retained-stockpile, k=1)"] == "FAILS"
    assert verdicts["detectability(army-retained-stockpile)"] == "HOLDS"


def test_check_exits_2_for_a_broken_file_and_reports_it():
    status, output, errors = cli3("check", BROKEN)
    assert status == 2
    assert output == "", "diagnostics go to stderr, never into the report"
    assert "E021" in errors and "duplicate id 'seals'" in errors
    assert "Traceback" not in errors


def test_check_exits_2_when_one_of_several_files_is_broken():
    status, output, errors = cli3("check", FLAGSHIP, BROKEN)
    assert status == 2
    assert "E021" in errors
    assert output == "", "nothing is checked when a file does not load"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["-p", "timeliness"], "timeliness needs -T"),
        (["-p", "no-such-property"], "invalid choice"),
        (["-p", "detectability", "-k", "1"], "detectability takes no parameter k"),
        (["-p", "timeliness", "-T", "3"], "is not a duration"),
        (["-p", "detectability", "--violation", "nope"], "no violation 'nope'"),
        (["--format", "xml"], "invalid choice"),
        (["--no-such-option"], "unrecognized arguments"),
    ],
)
def test_check_exits_2_for_bad_arguments(argv, message):
    status, output, errors = cli3("check", FLAGSHIP, *argv)
    assert status == 2, errors
    assert message in errors
    assert "Traceback" not in errors
    assert output == ""


def test_check_without_a_file_exits_2():
    status, output, errors = cli3("check")
    assert status == 2
    assert "FILE" in errors and output == ""


def _synthetic(tmp_path: Path, n: int = 300, seed: int = 3) -> Path:
    path = tmp_path / f"synthetic-{n}.yaml"
    path.write_text(to_yaml(synthetic(n, seed=seed)), encoding="utf-8")
    return path


@pytest.fixture
def solver_gives_up(monkeypatch):
    """Every z3 call answers "unknown", as a time-out does, but every time:
    a real time-out short enough to provoke one depends on the machine."""
    monkeypatch.setattr(z3.Solver, "check", lambda self, *assumptions: z3.unknown)
    # The engine calls the solver through Query._check (no per-call casts).
    monkeypatch.setattr(Query, "_check", lambda self, assumptions: z3.unknown)
    monkeypatch.setattr(z3.Solver, "reason_unknown", lambda self: "timeout")


def test_check_exits_3_when_the_solver_gives_no_answer_and_never_says_holds(tmp_path, solver_gives_up):
    path = _synthetic(tmp_path)
    argv = ("check", path, "-p", "timeliness", "-T", "20d", "-k", "2")
    status, output = cli(*argv)
    assert status == 3, output
    verdicts = verdict_lines(output)
    assert verdicts == {"timeliness(covert-run, T=20d, k=2)": "UNKNOWN"}
    assert "HOLDS" not in output
    assert "0 hold, 0 fail, 1 unknown" in output
    assert "not a proof" in output

    status, out_json = cli(*argv, "--format", "json")
    assert status == 3
    [result] = json.loads(out_json)["files"][0]["results"]
    assert result["verdict"] == "unknown"
    assert result["rests_on"] == [] and result["certificate"] == []
    assert "no answer" in result["note"]


def test_the_timeout_option_reaches_the_solver(tmp_path, monkeypatch):
    limits = []
    real_set = z3.Solver.set

    def spy(self, *args, **keys):
        if args and args[0] == "timeout":
            limits.append(args[1])
        return real_set(self, *args, **keys)

    monkeypatch.setattr(z3.Solver, "set", spy)
    status, output = cli("check", _synthetic(tmp_path, n=30), "-p", "timeliness", "-T", "20d", "-k", "2",
                         "--timeout", "2.5")
    assert status in (0, 1), output
    assert limits and set(limits) == {2500}


def test_the_question_given_up_on_has_a_definite_answer(tmp_path):
    """The unknown above stands for a time-out, not a question the tool
    cannot answer: with the solver at work the same check is definite."""
    status, output = cli("check", _synthetic(tmp_path), "-p", "timeliness", "-T", "20d", "-k", "2")
    assert status in (0, 1), output
    assert set(verdict_lines(output).values()) <= {"HOLDS", "FAILS"}


# ------------------------------------------------------------------- JSON


def _json(*argv) -> tuple[int, dict, str]:
    status, output = cli("check", *argv, "--format", "json")
    return status, json.loads(output), output


def test_json_report_shape_versions_and_hashes():
    status, doc, _ = _json(FLAGSHIP, MINE_BAN)
    assert status == 1  # the mine-ban regime fails
    assert doc["format"] == "verify-results/1"
    import verify

    assert doc["tool"]["verify"] == verify.__version__
    from importlib import metadata

    assert doc["tool"]["z3-solver"] == metadata.version("z3-solver")
    assert [f["regime"] for f in doc["files"]] == ["flagship-ai-agreement", "mine-ban-transparency"]
    for f, path in zip(doc["files"], (FLAGSHIP, MINE_BAN), strict=True):
        assert f["extends"] == []
        assert f["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert f["results"], f["path"]
        for r in f["results"]:
            assert r["verdict"] in ("holds", "fails", "unknown")
            assert {"property", "violation", "params", "statement", "witness", "rests_on",
                    "certificate", "figures", "note"} <= set(r)
    flagship, mine = doc["files"]
    assert {r["verdict"] for r in flagship["results"]} == {"holds"}
    assert "fails" in {r["verdict"] for r in mine["results"]}


def test_json_verdicts_are_the_text_verdicts():
    _, doc, _ = _json(MINE_BAN)
    _, text = cli("check", MINE_BAN)
    json_verdicts = [r["verdict"].upper() for r in doc["files"][0]["results"]]
    assert json_verdicts == list(verdict_lines(text).values())


def test_json_hash_of_a_variant_covers_the_file_it_extends():
    _, doc, _ = _json(VARIANT)
    [f] = doc["files"]
    assert [Path(p).resolve() for p in f["extends"]] == [FLAGSHIP.resolve()]
    expected = hashlib.sha256(VARIANT.read_bytes() + FLAGSHIP.read_bytes()).hexdigest()
    assert f["sha256"] == expected
    assert f["sha256"] != hashlib.sha256(VARIANT.read_bytes()).hexdigest()


def _run_process(*argv: str, seed: str = "0") -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONHASHSEED=seed)
    return subprocess.run([sys.executable, "-m", "verify", *map(str, argv)], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=120)


def test_json_and_text_reports_are_byte_identical_across_runs():
    """Two runs of the program, each a fresh process with a different hash
    seed (set iteration order changes with it): the same bytes."""
    files = [FLAGSHIP, MINE_BAN]
    out = {}
    for fmt in ("json", "text"):
        first = _run_process("check", *files, "--format", fmt, seed="1")
        second = _run_process("check", *files, "--format", fmt, seed="2")
        assert first.returncode == second.returncode == 1, first.stderr
        assert first.stdout == second.stdout, fmt
        out[fmt] = first.stdout
    assert json.loads(out["json"])["format"] == "verify-results/1"
    assert verdict_lines(out["text"])



def test_reports_are_byte_identical_across_runs_in_one_process():
    outputs = {fmt: [cli("check", FLAGSHIP, "--format", fmt)[1] for _ in range(3)]
               for fmt in ("json", "text")}
    for fmt, runs in outputs.items():
        assert runs[0] == runs[1] == runs[2], fmt


def test_a_file_checked_twice_in_one_command_gets_the_same_report():
    status, output = cli("check", FLAGSHIP, FLAGSHIP, "--format", "json")
    assert status == 0
    first, second = json.loads(output)["files"]
    assert first == second


# --------------------------------------------------------------- -o OUTPUT


def test_output_file_holds_the_report_and_the_path_is_printed(tmp_path):
    out = tmp_path / "report.json"
    argv = ("check", MINE_BAN, "-p", "non-circumventability", "--format", "json")
    status, printed, errors = cli3(*argv, "-o", out)
    assert status == 1
    assert (printed, errors) == ("", f"wrote {out}\n")
    _, to_terminal = cli(*argv)
    assert out.read_text(encoding="utf-8") == to_terminal
    assert json.loads(out.read_text(encoding="utf-8"))["format"] == "verify-results/1"
    # Nothing else (no temporary file) is left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_text_output_file(tmp_path):
    out = tmp_path / "report.txt"
    argv = ("check", FLAGSHIP, "-p", "robustness-margin")
    status, printed, errors = cli3(*argv, "-o", out)
    assert status == 0
    assert (printed, errors) == ("", f"wrote {out}\n")
    text = out.read_text(encoding="utf-8")
    assert text == cli(*argv)[1]
    assert verdict_lines(text) == {"robustness-margin(covert-training-run)": "HOLDS"}


def test_output_into_a_missing_folder_exits_2_and_writes_nothing(tmp_path):
    out = tmp_path / "no-such-folder" / "report.json"
    before = sorted(tmp_path.rglob("*"))
    status, printed, errors = cli3("check", FLAGSHIP, "--format", "json", "-o", out)
    assert status == 2
    assert printed == "" and "Traceback" not in errors
    assert "cannot write" in errors and str(out) in errors
    assert not out.exists() and not out.parent.exists()
    assert sorted(tmp_path.rglob("*")) == before


# --------------------------------------------------------------------- new


def test_new_writes_a_starter_that_validates_and_checks(tmp_path):
    path = tmp_path / "sub" / "my-regime.yaml"
    path.parent.mkdir()
    status, printed, said = cli3("new", "my-regime", "-o", path)
    assert status == 0, said
    assert (printed, said) == ("", f"wrote {path}\n")  # like every command's "wrote", on stderr
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    schema = first.split("$schema=", 1)[1]
    assert (path.parent / schema).resolve().is_file()
    assert yaml.safe_load(text)["regime"] == "my-regime"

    status, output = cli("validate", path)
    assert status == 0, output
    assert f"{path}: ok" in output

    # The starter is written to fail non-circumventability with one
    # accomplice (every route runs through the inspectorate) while detection
    # by a lab acting alone holds, and holds within 30 days.
    status, output = cli("check", path)
    assert status == 1, output
    assert verdict_lines(output) == {
        "detectability(covert-training)": "HOLDS",
        "non-circumventability(covert-training, k=1)": "FAILS",
        "timeliness(covert-training, T=30d, k=0)": "HOLDS",
    }
    assert "coalition: lab-a [perpetrator]; inspectorate [chosen colluder]" in output

    status, output = cli("claims", path)
    assert status == 0, output
    assert "UPHELD: caught-within-a-month" in output


def test_new_tutorial_second_channel_makes_non_circumventability_hold(tmp_path):
    """README's tutorial: a mandatory, authenticated chip-firm -> council flow
    makes k=1 hold, resting on chip-logging, logs-to-council and
    logs-to-inspectorate."""
    path = tmp_path / "my-regime.yaml"
    assert cli("new", "my-regime", "-o", path)[0] == 0
    text = path.read_text(encoding="utf-8")
    assert text.count("\nbodies:") == 1
    flow = (
        "  - id: logs-to-council\n"
        "    from: chip-firm\n"
        "    to: council\n"
        "    latency: 2d\n"
        "    mandatory: true\n"
        "    authenticated: true\n"
    )
    text = text.replace("\nbodies:", "\n" + flow + "\nbodies:", 1)
    path.write_text(text, encoding="utf-8")
    status, output = cli("check", path, "-p", "non-circumventability", "-k", "1", "--format", "json")
    assert status == 0, output
    [r] = json.loads(output)["files"][0]["results"]
    assert r["verdict"] == "holds"
    assert r["rests_on"] == ["chip-logging", "logs-to-council", "logs-to-inspectorate"]


def test_new_refuses_to_overwrite_without_force(tmp_path):
    path = tmp_path / "taken.yaml"
    path.write_text("mine\n", encoding="utf-8")
    status, _, said = cli3("new", "taken", "-o", path)
    assert status == 2
    assert "--force" in said
    assert path.read_text(encoding="utf-8") == "mine\n"
    status, output = cli("new", "taken", "-o", path, "--force")
    assert status == 0, output
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["regime"] == "taken"


def test_new_refuses_an_invalid_id(tmp_path):
    path = tmp_path / "x.yaml"
    status, _, said = cli3("new", "9 lives", "-o", path)
    assert status == 2
    assert "not a valid id" in said
    assert not path.exists()


# ------------------------------------------------------------------ claims


def _claim_outcomes(output: str) -> dict[str, str]:
    out = {}
    for line in output.splitlines():
        for word in ("UPHELD", "REFUTED", "UNKNOWN"):
            if line.startswith(f"{word}: "):
                out[line.split(": ", 2)[1]] = word
    return out


@pytest.mark.parametrize("path", ALL_DESIGNS, ids=lambda p: p.name)
def test_claims_on_each_design(path):
    status, output = cli("claims", path)
    outcomes = _claim_outcomes(output)
    regime, _ = effective(load(str(path)))
    assert set(outcomes) == {c.id for c in regime.claims}
    # Each printed outcome is what the analysis gives against the expectation.
    for claim in regime.claims:
        results = run_property(regime, claim.spec)
        verdicts = {r.verdict.value for r in results}
        got = "fails" if "fails" in verdicts else ("unknown" if "unknown" in verdicts else "holds")
        assert outcomes[claim.id] == ("UPHELD" if got == claim.expect else "REFUTED"), claim.id
    all_upheld = set(outcomes.values()) == {"UPHELD"}
    assert (status == 0) == all_upheld
    assert f"{len(outcomes)} upheld, 0 refuted, 0 unknown" in output or not all_upheld


def test_a_claim_with_the_wrong_expectation_is_refuted(tmp_path):
    right = as_is_regime(tmp_path, expect="holds")
    status, output = cli("claims", right)
    assert status == 0, output
    assert _claim_outcomes(output) == {"seen": "UPHELD"}

    wrong = as_is_regime(tmp_path, expect="fails")
    status, output = cli("claims", wrong)
    assert status == 1, output
    assert _claim_outcomes(output) == {"seen": "REFUTED"}
    assert "the checker says it holds" in output
    assert "0 upheld, 1 refuted, 0 unknown" in output


def test_claims_exit_2_for_a_broken_file():
    status, output, errors = cli3("claims", BROKEN)
    assert status == 2
    assert output == "" and "E021" in errors and "Traceback" not in errors


# ------------------------------------------------------- schema, dispatcher


def test_schema_prints_json():
    status, output = cli("schema")
    assert status == 0
    schema = json.loads(output)
    assert schema["$defs"]["property"]["properties"]["property"]["enum"]


def test_no_arguments_prints_usage_and_exits_2():
    status, _, output = cli3()  # a usage error: on stderr
    assert status == 2
    assert output.startswith("usage: verify COMMAND")
    for command in ("validate", "check", "claims", "render", "schema", "new"):
        assert f"  {command} " in output


def test_help_exits_0():
    status, output = cli("--help")
    assert status == 0
    assert output.startswith("usage: verify COMMAND")


def test_unknown_command_near_miss_gets_a_suggestion():
    status, _, output = cli3("chek", FLAGSHIP)
    assert status == 2
    assert "unknown command 'chek'" in output
    assert "did you mean 'check'?" in output


def test_unknown_command_far_from_any_gets_no_suggestion():
    status, _, output = cli3("xyzzy")
    assert status == 2
    assert "unknown command 'xyzzy'" in output
    assert "did you mean" not in output


def test_command_help_exits_0_and_lists_options():
    status, output = cli("check", "--help")
    assert status == 0
    for option in ("--property", "--timeout", "--as-is", "--format", "--output"):
        assert option in output


# ------------------------------------------------------------------ --as-is


def test_as_is_leaves_out_a_proposed_mechanism(tmp_path):
    path = as_is_regime(tmp_path)
    status, output = cli("check", path)
    assert status == 0, output
    assert verdict_lines(output) == {"detectability(covert-run)": "HOLDS"}
    assert "warning" not in output

    status, output = cli("check", path, "--as-is")
    assert status == 1, output
    assert verdict_lines(output) == {"detectability(covert-run)": "FAILS"}
    warnings = [line for line in output.splitlines() if line.startswith("warning:")]
    assert any("remote-sensing" in w and "proposed" in w for w in warnings), output

    status, output = cli("check", path, "--as-is", "--format", "json")
    [f] = json.loads(output)["files"]
    assert any("remote-sensing" in w and "proposed" in w for w in f["warnings"])
    assert [r["verdict"] for r in f["results"]] == ["fails"]


def test_as_is_on_the_iaea_design_warns_about_each_proposed_element():
    regime = load(str(IAEA))
    proposed = {e.id for e in regime.elements() if e.status == "proposed"}
    assert proposed, "the IAEA design has a proposed element (wide-area sampling)"
    status, output = cli("check", IAEA, "--as-is", "-p", "detectability")
    warnings = [line for line in output.splitlines() if line.startswith("warning:")]
    assert warnings
    for e in proposed:
        assert any(repr(e) in w and "proposed" in w for w in warnings), e
    assert status in (0, 1)


# -------------------------------------------------------------- entry point


def test_python_dash_m_verify_help():
    proc = subprocess.run([sys.executable, "-m", "verify", "--help"], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: verify COMMAND")
    assert "check" in proc.stdout and proc.stderr == ""
