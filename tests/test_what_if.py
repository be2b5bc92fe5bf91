"""``--coalition`` (issue 10, item 5): the answer for exactly one scenario,
against the oracle's evaluation of that scenario on the random regimes."""

from __future__ import annotations

import io
import random
from pathlib import Path

from test_agreement import random_regime
from verify import oracle
from verify.analyses.properties import ask, what_if
from verify.cli import main
from verify.durations import parse_duration
from verify.load import load
from verify.model import PropertySpec, effective
from verify.results import Verdict

FLAGSHIP = str(Path(__file__).resolve().parent.parent / "designs" / "flagship-ai-agreement.yaml")


def test_a_given_coalition_agrees_with_the_oracle():
    compared = 0
    for seed in range(200):
        rng = random.Random(seed)
        regime, _ = effective(random_regime(rng))
        pool = sorted({a for p in regime.violation["v"].perpetrators for a in oracle.candidates(regime, p)})
        chosen = tuple(rng.sample(pool, rng.randint(0, min(2, len(pool)))))
        elements = [m.id for m in regime.mechanisms] + [f.id for f in regime.flows]
        failed = tuple(rng.sample(elements, 1)) if rng.random() < 0.3 else ()
        T = rng.choice([None, 3, 10])
        spec = PropertySpec(property="timeliness" if T is not None else "detectability",
                            params=(("T", T),) if T is not None else ())
        ours = what_if(regime, spec, chosen, failed)[0]
        want = True
        for p in regime.violation["v"].perpetrators:
            coalition = oracle.coalition_of(regime, p, chosen)
            if set(failed) & coalition:
                continue
            t = oracle.detection_time(regime, "v", p, coalition, frozenset(failed))
            if t is None or (T is not None and t > T):
                want = False
        if any(set(failed) & oracle.coalition_of(regime, p, chosen) for p in regime.violation["v"].perpetrators):
            continue  # the oracle refuses failed coalition members; nothing to compare
        assert (ours.verdict == Verdict.HOLDS) == want, (seed, chosen, failed, T)
        assert ours.witness is not None
        compared += 1
    print(f"\nwhat-if agreement: {compared} random scenarios, all agreed")
    assert compared > 150


def test_check_coalition_on_the_flagship():
    out, err = io.StringIO(), io.StringIO()
    # The Agency and the UK institute colluding: with the lab, the Council
    # still notices the Agency's missing mandatory report at 31d; with the
    # state (whose closure holds the chip firm, which then withholds its
    # seals unnoticed), only the whistle-blower's account reaches the Council,
    # at 51d.
    status = main(["check", FLAGSHIP, "-p", "timeliness", "-T", "51d", "--coalition", "agency,aisi-uk"], out, err)
    assert status == 0, out.getvalue() + err.getvalue()
    assert "coalition={agency, aisi-uk}" in out.getvalue()
    assert "scenario for perpetrator lab-a" in out.getvalue()
    assert "noticed: council notices a missing report on agency-report at 31d" in out.getvalue()
    out = io.StringIO()
    assert main(["check", FLAGSHIP, "-p", "timeliness", "-T", "50d", "--coalition", "agency,aisi-uk"], out, err) == 1
    assert "counterexample for perpetrator state-a" in out.getvalue()
    assert "first evidence reaches council (direct) after 51d" in out.getvalue()
    assert main(["check", FLAGSHIP, "--coalition", "nobody"], io.StringIO(), err) == 2
    assert "no actor 'nobody'" in err.getvalue()
    assert main(["check", FLAGSHIP, "--failed", "agency"], io.StringIO(), err) == 2


CLAIMS = """\
regime: scenario-claims
extends: flagship-ai-agreement.yaml
claims:
  - id: state-and-chip-firm
    text: "If the chip firm colludes, the Council still hears within 30 days."
    property: timeliness
    T: 30d
    coalition: [chipco]
  - id: chip-and-whistleblower-down
    text: "With chip logging and the whistle-blower channel down, the lab alone is still caught."
    property: detectability
    failed: [chip-logging, whistleblower]
    expect: fails
  - id: agency-suborned
    text: "x"
    property: non-circumventability
    coalition: agency
"""


def _oracle_scenario(regime, chosen, failed, T=None):
    """True when, for every perpetrator, a verifier detects (by T)."""
    for p in regime.violation["covert-training-run"].perpetrators:
        coalition = oracle.coalition_of(regime, p, chosen)
        t = oracle.detection_time(regime, "covert-training-run", p, coalition, frozenset(failed))
        if t is None or (T is not None and t > T):
            return False
    return True


def test_a_claim_may_name_a_coalition_and_failures(tmp_path):
    (tmp_path / "flagship-ai-agreement.yaml").write_text(Path(FLAGSHIP).read_text())
    path = tmp_path / "claims.yaml"
    path.write_text(CLAIMS)
    regime = load(str(path))
    by_id = {c.id: c for c in regime.claims}
    assert by_id["state-and-chip-firm"].coalition == ("chipco",)
    assert by_id["chip-and-whistleblower-down"].coalition == ()
    assert by_id["chip-and-whistleblower-down"].failed == ("chip-logging", "whistleblower")
    assert by_id["agency-suborned"].coalition == ("agency",)
    applied, _ = effective(regime)
    wants = {
        "state-and-chip-firm": _oracle_scenario(applied, ("chipco",), (), T=parse_duration("30d")),
        "chip-and-whistleblower-down": _oracle_scenario(applied, (), ("chip-logging", "whistleblower")),
        "agency-suborned": _oracle_scenario(applied, ("agency",), ()),
    }
    for claim in regime.claims:
        if claim.id not in wants:
            continue  # the base design's own claims
        results = ask(regime, claim)
        assert results and all(r.witness is not None for r in results)
        assert (results[0].verdict == Verdict.HOLDS) == wants[claim.id], claim.id
    out, err = io.StringIO(), io.StringIO()
    status = main(["claims", str(path)], out, err)
    text = out.getvalue()
    upheld = [c.id for c in regime.claims if c.id in wants and wants[c.id] == (c.expect == "holds")]
    for c in regime.claims:
        if c.id in wants:
            assert (f"UPHELD: {c.id}:" in text) == (c.id in upheld), (c.id, text)
    assert status == (0 if len(upheld) == 3 else 1)
    assert "scenario for perpetrator" in text


def test_a_scenario_claim_is_checked_at_load(tmp_path):
    (tmp_path / "flagship-ai-agreement.yaml").write_text(Path(FLAGSHIP).read_text())
    path = tmp_path / "bad.yaml"
    path.write_text("""\
regime: bad
extends: flagship-ai-agreement.yaml
claims:
  - id: margin
    text: "x"
    property: robustness-margin
    coalition: [agency]
  - id: with-k
    text: "x"
    property: non-circumventability
    coalition: [agency]
    k: 2
  - id: misspelt
    text: "x"
    property: detectability
    failed: [chip-loging]
""")
    out, err = io.StringIO(), io.StringIO()
    assert main(["validate", str(path)], out, err) == 2
    text = out.getvalue() + err.getvalue()
    assert "bad.yaml:7:5: error: E026 claim 'margin': 'coalition' does not apply to robustness-margin" in text
    assert "bad.yaml:12:5: error: E026 claim 'with-k': parameter 'k' does not apply to a claim about a given" in text
    assert "bad.yaml:16:14: error: E020" in text and "did you mean 'chip-logging'?" in text
