"""Detection probability and deterrence (issue 7): closed forms worked by
hand, and the engine against the brute-force oracle on random regimes,
compared as exact fractions."""

from __future__ import annotations

import random
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest

from tests.test_agreement import random_regime
from verify import oracle
from verify.analyses.chance import detection_probability, deterrence, threshold
from verify.load import load
from verify.model import Probability, effective
from verify.oracle import chance as ochance
from verify.results import Deterrence, Likelihood, Verdict

F = Fraction


def design(tmp_path: Path, mechanisms: str, extra: str = "", violation: str = "") -> Path:
    """A lab under a state, an agency as verifier, a chip firm and a
    tipster that report to it, and the mechanisms given."""
    text = f"""\
regime: chance
actors:
  - {{id: state, kind: state}}
  - {{id: lab, kind: lab, controlled_by: state}}
  - {{id: agency, kind: inspectorate}}
  - {{id: firm, kind: chip-firm}}
  - {{id: tipster, kind: individual}}
assets:
  - {{id: dc, host: state}}
signatures:
  - {{id: compute}}
violations:
  - {{id: run, perpetrator: lab, at: dc, duration: 90d, signatures: [{{signature: compute, magnitude: 1}}]{violation}}}
mechanisms:
{mechanisms}
flows:
  - {{id: f1, from: firm, to: agency}}
  - {{id: f2, from: tipster, to: agency}}
verifiers: [agency]
threat_model: {{colluders: [firm, tipster], max: 1}}
{extra}"""
    path = tmp_path / "chance.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_one_mechanism_over_n_periods_is_one_minus_the_miss_to_the_n(tmp_path):
    for p, period, n in ((F(1, 2), "30d", 3), (F(1, 5), "10d", 9), (F(3, 8), "1d", 90)):
        path = design(tmp_path, f"  - {{id: logging, operator: firm, observes: [compute], period: {period}, "
                                f"detection_probability: {float(p)!r}}}")
        r = detection_probability(load(path), "run", p=F(1, 2), k=0)
        f = r.figures
        assert isinstance(f, Likelihood)
        assert f.low == f.high == 1 - (1 - p) ** n
        assert [(m.mechanism, m.trials) for m in f.mechanisms] == [("logging", n)]
        assert f.formula == f"1 - (1 - p[logging])**{n}"
        assert r.verdict == (Verdict.HOLDS if 1 - (1 - p) ** n >= F(1, 2) else Verdict.FAILS)


def test_a_colluder_who_can_cut_one_of_two_routes_leaves_the_other_routes_figure(tmp_path):
    # Two independent routes: logging (0.5 each 30 days, 3 looks in 90
    # days) through the chip firm, and a tip (0.2, once) through the
    # tipster.  Either may collude; the worst cuts the stronger route.
    path = design(tmp_path, "  - {id: logging, operator: firm, observes: [compute], period: 30d, "
                            "detection_probability: 0.5}\n"
                            "  - {id: tip, operator: tipster, observes: [compute], detection_probability: 0.2}")
    regime = load(path)
    both = 1 - F(1, 8) * F(4, 5)
    r0 = detection_probability(regime, "run", p=F(9, 10), k=0)
    assert isinstance(r0.figures, Likelihood) and r0.figures.low == both == F(9, 10)
    assert r0.verdict == Verdict.HOLDS
    r1 = detection_probability(regime, "run", p=F(9, 10), k=1)
    assert isinstance(r1.figures, Likelihood)
    # The firm colludes: only the tip is left.
    assert r1.figures.low == F(1, 5)
    assert r1.figures.coalition == ("lab", "firm")
    assert r1.verdict == Verdict.FAILS
    assert [(m.mechanism, m.reaches) for m in r1.figures.mechanisms] == [("logging", False), ("tip", True)]
    # The counterexample walks the coalition's routes.
    assert r1.witness is not None and r1.witness.chosen == ("firm",)


def test_an_interval_gives_an_interval_and_depends_with_its_threshold(tmp_path):
    path = design(tmp_path, "  - {id: tip, operator: tipster, observes: [compute], "
                            "detection_probability: [0.2, 0.6]}")
    regime = load(path)
    r = detection_probability(regime, "run", p=F(1, 2), k=0)
    f = r.figures
    assert isinstance(f, Likelihood) and (f.low, f.high) == (F(1, 5), F(3, 5))
    assert r.verdict == Verdict.UNKNOWN and "depends" in r.note
    [t] = f.thresholds
    assert (t.parameter, t.bound, t.value) == ("mechanisms.tip.detection_probability", "at-least", F(1, 2))
    assert detection_probability(regime, "run", p=F(1, 5), k=0).verdict == Verdict.HOLDS
    assert detection_probability(regime, "run", p=F(7, 10), k=0).verdict == Verdict.FAILS


def test_deterrence_threshold_is_the_formula_worked_by_hand(tmp_path):
    # Logging 0.5 three times and a tip 0.2: P = 0.9 with no accomplice.
    # Gain d, sanction b, false alarms from the tip (0.1 per look, one
    # look) costing h: deterred iff d(1 - P) - bP < -h a, so
    #   gain  < (bP - h a) / (1 - P),   sanction > (d(1 - P) + h a) / P.
    path = design(tmp_path, "  - {id: logging, operator: firm, observes: [compute], period: 30d, "
                            "detection_probability: 0.5}\n"
                            "  - {id: tip, operator: tipster, observes: [compute], detection_probability: 0.2, "
                            "false_alarm_probability: 0.1}",
                  extra="sanction: 30\nfalse_alarm_cost: 5\n", violation=", gain: 100")
    regime = load(path)
    P, a, b, h, d = F(9, 10), F(1, 10), F(30), F(5), F(100)
    r = deterrence(regime, "run", k=0)
    f = r.figures
    assert isinstance(f, Deterrence)
    assert f.detection.low == P and f.alarm_high == a
    assert f.violate[0] == d * (1 - P) - b * P == -17
    assert f.comply[0] == -h * a
    assert r.verdict == Verdict.HOLDS  # -17 < -0.5: violating pays less
    gain = threshold(regime, "deterrence", "violations.run.gain", "run", k=0)
    assert (gain.bound, gain.value) == ("below", (b * P - h * a) / (1 - P)) == ("below", 265)
    sanction = threshold(regime, "deterrence", "sanction", "run", k=0)
    assert (sanction.bound, sanction.value) == ("above", (d * (1 - P) + h * a) / P)
    # Right at the threshold it does not hold; just past it, it does.
    at = replace(regime, sanction=sanction.value)
    assert deterrence(at, "run", k=0).verdict == Verdict.FAILS
    past = replace(regime, sanction=sanction.value + F(1, 1000))
    assert deterrence(past, "run", k=0).verdict == Verdict.HOLDS
    # The logging probability that deters: 1 - (1 - x)^3 (4/5) > needed.
    needed = (d + h * a) / (d + b)
    logging = threshold(regime, "deterrence", "mechanisms.logging.detection_probability", "run", k=0)
    assert logging.bound == "above"
    assert abs(float(logging.value) - (1 - float((1 - needed) / F(4, 5)) ** (1 / 3))) < 1e-12
    # The tip alone cannot decide it: any value does.
    tip = threshold(regime, "deterrence", "mechanisms.tip.detection_probability", "run", k=0)
    assert tip.bound == "any"


def test_solving_for_a_probability_gives_the_root(tmp_path):
    path = design(tmp_path, "  - {id: logging, operator: firm, observes: [compute], period: 30d, "
                            "detection_probability: 0.5}")
    regime = load(path)
    t = threshold(regime, "detection-probability", "mechanisms.logging.detection_probability", "run",
                  p=F(9, 10), k=0)
    # 1 - (1 - x)^3 >= 0.9  <=>  x >= 1 - 0.1^(1/3)
    assert t.bound == "at-least" and t.exact == "1 - 10**(2/3)/10"
    assert abs(float(t.value) - (1 - 0.1 ** (1 / 3))) < 1e-12
    period = threshold(regime, "detection-probability", "mechanisms.logging.period", "run", p=F(9, 10), k=0)
    # 0.5^n <= 0.1 needs n = 4 looks in 90 days: a period of at most 22.5 days.
    assert period.bound == "at-most" and period.value == 90 * 86400 // 4


# ------------------------------------------------------------------ the oracle


def chance_regime(rng: random.Random):
    regime = random_regime(rng)
    # Chance is weighed route by route: a rule needing several independent
    # sources is "not computed" (test_a_multi_source_rule_is_not_computed).
    regime = replace(regime, verifiers=tuple(replace(v, independent=1) for v in regime.verifiers))
    choices = [Probability.of(1), Probability.of(F(1, 2)), Probability.of(F(1, 3)), Probability.of(F(2, 5)),
               Probability.of(F(9, 10)), Probability(F(1, 5), F(3, 5)), Probability.of(0)]
    ms = tuple(replace(m, detection_probability=rng.choice(choices),
                       false_alarm_probability=rng.choice([Probability.of(0), Probability.of(F(1, 10)),
                                                           Probability(F(0), F(1, 4))]))
               for m in regime.mechanisms)
    v = replace(regime.violations[0], duration=rng.choice([5, 12, 40]), gain=F(rng.choice([1, 10, 50])))
    return replace(regime, mechanisms=ms, violations=(v,), sanction=F(rng.choice([5, 20, 100])),
                   false_alarm_cost=F(rng.choice([0, 1, 10])), applied=None)


def agree(seed: int) -> int:
    rng = random.Random(seed)
    regime, _ = effective(chance_regime(rng))
    window = regime.violation["v"].duration
    count = 0
    for k in (0, 1, 2):
        want_low = ochance.worst_detection_chance(ochance.at(regime, "low"), "v", k, window)
        want_high = ochance.worst_detection_chance(ochance.at(regime, "high"), "v", k, window)
        need = rng.choice([F(1, 2), F(9, 10), F(1, 3)])
        got = detection_probability(regime, "v", p=need, k=k)
        assert got.verdict != Verdict.UNKNOWN or "depends" in got.note, (seed, k, got.note)
        f = got.figures
        assert isinstance(f, Likelihood), (seed, k)
        assert (f.low, f.high) == (want_low.value, want_high.value), (seed, k, f.low, f.high, want_low, want_high)
        expected = (Verdict.HOLDS if want_low.value >= need else Verdict.FAILS if want_high.value < need
                    else Verdict.UNKNOWN)
        assert got.verdict == expected, (seed, k)
        d = deterrence(regime, "v", k=k)
        low_ok = ochance.deterred(ochance.at_worst(regime), "v", k, window)
        high_ok = ochance.deterred(ochance.at_best(regime), "v", k, window)
        expected = Verdict.HOLDS if low_ok else Verdict.FAILS if not high_ok else Verdict.UNKNOWN
        assert d.verdict == expected, (seed, k, d.verdict, low_ok, high_ok)
        count += 3
    return count


#: The regimes every run compares.
SEEDS = range(150)


def test_detection_probability_and_deterrence_agree_with_the_oracle(capsys):
    count = sum(agree(s) for s in SEEDS)
    assert count == 9 * len(SEEDS)
    with capsys.disabled():
        print(f"\noracle agreement (detection-probability, deterrence): {len(SEEDS)} random regimes, "
              f"{count} exact comparisons, all agreed")


def test_a_multi_source_rule_is_not_computed():
    # Seed 16: a verifier reached by two independent operators.
    regime = chance_regime(random.Random(16))
    strict = replace(regime, verifiers=tuple(replace(v, independent=2) for v in regime.verifiers))
    got = detection_probability(strict, "v", p=F(1, 2), k=0, T=10)
    assert got.verdict == Verdict.UNKNOWN
    assert "not computed" in got.note


@pytest.mark.slow
def test_chance_agrees_with_the_oracle_long():
    seeds = random.SystemRandom().sample(range(2**31), 1000)
    for s in seeds:
        agree(s)


def test_oracle_sees_what_it_claims():
    # The oracle's own sanity: a coalition that blocks everything gets 0.
    rng = random.Random(3)
    regime, _ = effective(chance_regime(rng))
    p = regime.violation["v"].perpetrators[0]
    everyone = oracle.coalition_of(regime, p, oracle.candidates(regime, p))
    low = ochance.at(regime, "low")
    assert ochance.detection_chance(low, "v", p, everyone, 40) <= ochance.detection_chance(
        low, "v", p, oracle.coalition_of(regime, p, ()), 40)


@pytest.mark.parametrize("extra, violation, message", [
    ("properties: [{property: detection-probability, p: 0.9}]", "",
     "detection-probability counts observations in a window, and violation 'run' gives no duration"),
    ("properties: [{property: deterrence, T: 30d}]", "",
     "deterrence needs violation 'run''s gain"),
    ("properties: [{property: deterrence, T: 30d}]", ", gain: 5",
     "deterrence needs a sanction for violation 'run'"),
    ("claims: [{id: c, text: t, property: detection-probability, p: 0.5, T: 30d, coalition: [firm]}]", "",
     "'coalition' does not apply to detection-probability"),
])
def test_what_chance_cannot_do_without_is_refused_at_its_place(tmp_path, extra, violation, message):
    from verify.errors import InvalidRegimeError

    path = design(tmp_path, "  - {id: tip, operator: tipster, observes: [compute], detection_probability: 0.2}",
                  extra=extra, violation=violation)
    path.write_text(path.read_text(encoding="utf-8").replace("duration: 90d, ", ""), encoding="utf-8")
    with pytest.raises(InvalidRegimeError) as info:
        load(path)
    found = [d for d in info.value.diagnostics if message in d.message]
    assert found, info.value.diagnostics
    assert found[0].where.line == path.read_text(encoding="utf-8").splitlines().index(extra) + 1
