"""``--coalition`` (issue 10, item 5): the answer for exactly one scenario,
against the oracle's evaluation of that scenario on the random regimes."""

from __future__ import annotations

import io
import random
from pathlib import Path

from test_agreement import random_regime
from verify import oracle
from verify.analyses.properties import what_if
from verify.cli import main
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
