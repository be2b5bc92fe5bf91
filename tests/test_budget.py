"""A time budget for the whole run (issue 11): --timeout bounds each solver
call, but a design from elsewhere can ask for an enumeration without end
(here 3^12 minimal evasion sets); --budget bounds the run, and what it does
not reach is unknown (exit 3), never holds."""

from __future__ import annotations

import io
import time
from pathlib import Path

from verify.analyses.properties import ask, robustness_margin, run
from verify.cli import main
from verify.explain import explain
from verify.load import load
from verify.model import PropertySpec
from verify.results import Verdict

FLAGSHIP = str(Path(__file__).resolve().parent.parent / "designs" / "flagship-ai-agreement.yaml")


def many_sets(folder: Path, n: int = 12) -> Path:
    """n reports, each from its own operator through two relays of its own,
    to an agency that cannot collude: a coalition hides the violation by
    taking one of the three on each route, so there are 3^n minimal evasion
    sets, all of size n (one more than the claimed n - 1)."""
    lines = ["regime: many-sets", "actors:", "  - {id: lab, kind: lab}", "  - {id: agency, kind: agency}"]
    for i in range(n):
        lines += [f"  - {{id: a{i}, kind: ngo}}", f"  - {{id: b{i}, kind: ngo}}", f"  - {{id: o{i}, kind: individual}}"]
    lines += ["assets: [{id: site, host: lab}]", "signatures: [{id: s}]",
              "violations: [{id: v, perpetrator: lab, at: site, signatures: [{signature: s, magnitude: 1}]}]",
              "mechanisms:", *[f"  - {{id: m{i}, operator: o{i}, observes: [s]}}" for i in range(n)],
              "flows:", *[f"  - {{id: f{i}, from: o{i}, to: agency, via: [a{i}, b{i}]}}" for i in range(n)],
              "verifiers: [agency]",
              f"threat_model: {{max: {n - 1}, colluders: [{{kind: ngo}}, {{kind: individual}}]}}",
              f"properties: [{{property: minimal-evasion-sets, K: {n}}}]",
              "claims:", "  - {id: all-sets, text: 'Every coalition that hides it is known.', "
              f"property: minimal-evasion-sets, K: {n}}}"]
    path = folder / "many.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_an_endless_enumeration_is_cut_by_the_budget_and_unknown(tmp_path):
    path = str(many_sets(tmp_path))
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    status = main(["check", path, "--budget", "2"], out, err)
    assert time.monotonic() - started < 15
    assert status == 3, out.getvalue() + err.getvalue()
    assert "minimal-evasion-sets(v, K=12): UNKNOWN" in out.getvalue()
    assert "the time budget ran out after" in out.getvalue()

    out = io.StringIO()
    started = time.monotonic()
    assert main(["claims", path, "--budget", "2"], out, io.StringIO()) == 3
    assert time.monotonic() - started < 15
    assert "UNKNOWN: all-sets" in out.getvalue()


def test_what_the_run_does_not_reach_is_unknown_not_holds():
    out = io.StringIO()
    # Far too little for six questions: the first may finish, the rest are
    # reported as not checked.
    status = main(["check", FLAGSHIP, "--budget", "0.001"], out, io.StringIO())
    text = out.getvalue()
    assert status == 3
    assert "not checked: the run's time budget ran out" in text
    # Every result is unknown but perhaps the first (a certificate needs no
    # solver call): nothing after the budget ran out reads as holding.
    assert text.count(": UNKNOWN") >= 5


def test_the_budget_bounds_an_analysis_and_keeps_what_it_found():
    regime = load(FLAGSHIP)
    # k* comes first and stands; elements not reached have unknown margins.
    # (No per-call timeout here, so that k* is found whatever the load.)
    margin = robustness_margin(regime, "covert-training-run", budget=1e-6)
    assert margin.verdict == Verdict.HOLDS
    assert "the time budget ran out" in margin.note
    [full] = run(regime, PropertySpec(property="robustness-margin"))
    assert full.note == "" and full.figures.kstar == margin.figures.kstar
    # An unknown margin is not a drop.
    lines = explain(regime, margin)
    unknown = [line for line in lines if line.endswith(": unknown") or ": unknown " in line]
    assert unknown and not any("drops from" in line for line in unknown)


def test_a_claim_about_one_scenario_is_walked_even_with_no_time_left():
    """A given scenario is walked, not searched: the budget does not cut it."""
    from verify.model import Claim

    regime = load(FLAGSHIP)
    claim = Claim(id="c", text="x", spec=PropertySpec(property="detectability"), coalition=(),
                  failed=("whistleblower",))
    [got] = ask(regime, claim, budget=0)
    assert got.verdict != Verdict.UNKNOWN and "With exactly" in got.statement


def test_a_cut_enumeration_that_already_found_a_small_set_fails(tmp_path):
    """With the claimed size at n, every set found (of n) breaches it: the
    verdict is decided even though the list is cut."""
    path = many_sets(tmp_path)
    path.write_text(path.read_text().replace("threat_model: {max: 11,", "threat_model: {max: 12,"))
    out = io.StringIO()
    assert main(["check", str(path), "--budget", "2"], out, io.StringIO()) == 1
    assert "minimal-evasion-sets(v, K=12): FAILS" in out.getvalue()
    assert "the time budget ran out after" in out.getvalue()
