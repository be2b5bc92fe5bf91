"""Finding rules, non-frameability, attribution and confidentiality: the
engine against the brute-force oracle on random regimes.

The regimes are test_agreement's, with labels, reveals, carries and
information barriers added at random and, for the finding-rule check, every
verifier made to need two or three independent sources (the main agreement
test draws rules only a third of the time, and few of those reach a
verifier with enough sources to matter).
"""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from tests.test_agreement import random_regime
from verify import oracle
from verify.analyses.framing import non_frameability
from verify.analyses.leaks import cheapest_leak, confidentiality
from verify.analyses.properties import attribution, non_circumventability
from verify.engine import Query, Scenario, compile_rules, detection
from verify.engine.frame import framing_points, smallest_framing
from verify.model import Label, Regime, Verifier, effective
from verify.results import KStar, Verdict

SEEDS = range(200)


def with_secrets(rng: random.Random, regime: Regime) -> Regime:
    """Two labels with random cleared sets, revealed by random mechanisms
    (some behind a barrier) and carried by random flows."""
    actors = [a.id for a in regime.actors]
    labels = tuple(Label(id=f"L{i}", cleared=tuple(a for a in actors if rng.random() < 0.6)) for i in range(2))
    mechanisms = tuple(replace(m, reveals=tuple(lab.id for lab in labels if rng.random() < 0.3),
                               barrier=rng.random() < 0.25) for m in regime.mechanisms)
    flows = tuple(replace(f, carries=tuple(lab.id for lab in labels if rng.random() < 0.2)) for f in regime.flows)
    return replace(regime, labels=labels, mechanisms=mechanisms, flows=flows)


def draw(seed: int) -> Regime:
    rng = random.Random(seed)
    regime, _ = effective(with_secrets(rng, random_regime(rng)))
    return regime


def _framing(regime: Regime, seed: int) -> int:
    """non-frameability: the smallest framing coalition, the verdict at
    k = 0, 1, 2 with the margin, and that the engine's coalition frames by
    the oracle's reckoning."""
    n = 0
    for party in dict.fromkeys(regime.violation["v"].perpetrators):
        points = framing_points(regime, party)
        got = smallest_framing(regime, party, points, None)
        want = oracle.min_framing(regime, party)
        assert (None if got.status == "safe" else len(got.chosen)) == want, (seed, party, got, want)
        if got.status == "frames":
            coalition: set[str] = set()
            for c in got.chosen:
                coalition |= regime.closure(c)
            assert oracle.frames(regime, party, coalition), (seed, party)
        for k in (0, 1, 2):
            r = non_frameability(regime, party, k)
            assert (r.verdict == Verdict.HOLDS) == (want is None or want > k), (seed, party, k)
            assert r.figures.margin == (KStar.whole_pool() if want is None else KStar.of(want - 1)), (seed, party)
            n += 1
        n += 1
    return n


def agree(seed: int) -> int:
    """Compare every new property on one regime; return the comparisons."""
    regime = draw(seed)
    n = 0
    n = _framing(regime, seed)
    # confidentiality: the fewest colluders a leak needs, and the verdicts.
    for lab in regime.labels:
        found = cheapest_leak(regime, lab.id)
        want = oracle.min_leak(regime, lab.id)
        assert (None if found is None else found[0]) == want, (seed, lab.id, found, want)
        if found is not None:
            path = found[1]
            assert path[-1][2] not in lab.cleared and path[-1][2] in regime.actor, (seed, lab.id)
        for k in (0, 1, 2):
            r = confidentiality(regime, lab.id, k)
            assert (r.verdict == Verdict.HOLDS) == (want is None or want > k), (seed, lab.id, k)
            if r.verdict == Verdict.FAILS:
                assert oracle.leaks(regime, lab.id, r.figures.coalition), (seed, lab.id, k)
            n += 1
        n += 1
    # attribution against the oracle's own reading of it.
    plain = oracle.attributing_only(regime)
    for k in (0, 1):
        ours = attribution(regime, "v", k)
        theirs = oracle.non_circumventability(plain, "v", k)
        assert (ours.verdict == Verdict.HOLDS) == theirs.holds, (seed, k)
        n += 1
    # Finding rules that need several independent sources, on every verifier.
    rng = random.Random(seed + 10_000)
    strict = replace(regime, verifiers=tuple(
        Verifier(id=v.id, independent=rng.choice([2, 2, 3]), finding=rng.choice([None, "direct", "sealed"]))
        for v in regime.verifiers))
    strict, _ = effective(strict)
    n += _framing(strict, seed)
    for p in strict.violation["v"].perpetrators:
        graph = compile_rules(strict, "v", p)
        base = oracle.coalition_of(strict, p, ())
        t0 = oracle.detection_time(strict, "v", p, base)
        found_t = detection(strict, graph, Scenario(frozenset(base)))
        assert (None if found_t is None else found_t[0]) == t0, (seed, p)
        want_size = oracle.min_evasion_size(strict, "v", p)
        got_q = Query(strict, graph).smallest(None)
        assert (None if got_q.status == "detected" else len(got_q.chosen)) == want_size, (seed, p)
        n += 2
    for k in (0, 1):
        ours = non_circumventability(strict, "v", k)
        assert (ours.verdict == Verdict.HOLDS) == oracle.non_circumventability(strict, "v", k).holds, (seed, k)
        n += 1
    return n


def test_new_properties_agree_with_the_oracle(capsys):
    count = sum(agree(s) for s in SEEDS)
    assert count > 10 * len(SEEDS)
    with capsys.disabled():
        print(f"\noracle agreement (finding rules, non-frameability, attribution, confidentiality): "
              f"{len(SEEDS)} random regimes, {count} comparisons, all agreed")


@pytest.mark.slow
def test_new_properties_agree_with_the_oracle_long():
    for s in random.SystemRandom().sample(range(2**31), 1000):
        agree(s)


def test_trade_off_table_of_the_weights_designs():
    from pathlib import Path

    from verify.analyses.properties import run
    from verify.load import load
    from verify.report.document import trade_off, trade_off_cells

    root = Path(__file__).resolve().parents[1] / "designs"
    rows = {}
    for name in ("weights-sharing", "weights-attestation"):
        regime, _ = effective(load(root / f"{name}.yaml"))
        results = [r for s in regime.properties for r in run(regime, s)]
        [rows[name]] = trade_off(regime, results)
    # The evaluation is the only route (k* -1 without it, 0 with it) and, in
    # the open variant, shows the weights to a cleared institute.
    assert rows["weights-sharing"].adds == (("unsafe-release", "-1", "0"),)
    assert rows["weights-sharing"].exposes == (("weights", "home-aisi", True),)
    assert trade_off_cells(rows["weights-attestation"])[1] == "nothing (behind an information barrier)"


def test_a_relay_can_rewrite_what_a_body_sends(tmp_path):
    """A body that could hold an inspection's report sends it on through a
    relay on an unauthenticated flow: the relay alone can frame, by the
    engine's points and by the oracle's enumeration alike."""
    from verify.load import load

    path = tmp_path / "body.yaml"
    path.write_text("""
regime: body-relay
actors:
  - {id: lab, kind: lab}
  - {id: inspector, kind: individual}
  - {id: clerk, kind: individual}
  - {id: court, kind: agency}
  - {id: m1, kind: state}
  - {id: m2, kind: state}
assets: [{id: dc, host: lab}]
signatures: [{id: compute}]
violations: [{id: run, perpetrator: lab, at: dc, signatures: [{signature: compute}]}]
mechanisms:
  - {id: inspection, kind: inspection, operator: inspector, observes: [compute]}
flows:
  - {id: report, from: inspector, to: board, authenticated: true}
  - {id: referral, from: board, to: court, via: [clerk]}
bodies:
  - {id: board, members: [m1, m2], approve: 1}
verifiers:
  - {id: court}
threat_model: {colluders: [clerk, m1, m2]}
properties:
  - {property: non-frameability, party: lab}
""", encoding="utf-8")
    regime, _ = effective(load(path))
    r = non_frameability(regime, "lab", 1)
    assert r.verdict == Verdict.FAILS
    assert r.figures.coalition == ("clerk",) and r.figures.fabrications[0].how == "relay"
    assert oracle.min_framing(regime, "lab") == 1
