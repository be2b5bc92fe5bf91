"""k* and the margin without each element through MaxSAT, against the oracle.

``Query.minimum`` tries a binary search on the budget first and hands over
to z3's MaxSAT (RC2) past ``SEARCH_WORK`` resource units.  The random
regimes of the agreement test are small, so the binary search always
finishes there and MaxSAT is never reached; here the limit is set to zero,
so that every smallest evasion (k* and each critical element's k*) comes
from MaxSAT, and each is compared with the oracle's.
"""

from __future__ import annotations

import random

import pytest

from tests.test_agreement import random_regime
from verify import oracle
from verify.analyses.properties import robustness_margin
from verify.engine import Query, solve


def test_maxsat_margins_agree_with_oracle(monkeypatch, capsys):
    calls = {"maxsat": 0}
    real = solve.Query._maxsat

    def counted(self, *args, **kwargs):
        calls["maxsat"] += 1
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Query, "SEARCH_WORK", 0)
    monkeypatch.setattr(Query, "_maxsat", counted)
    comparisons = 0
    for seed in range(120):
        regime = random_regime(random.Random(seed))
        margin = robustness_margin(regime, "v")
        want = oracle.robustness_margin(regime, "v").k_star
        assert margin.figures.kstar.plain() == want, seed
        for element, kstar in margin.figures.without:
            assert kstar.plain() == oracle.robustness_margin(regime.without(element), "v").k_star, (seed, element)
        comparisons += 1 + len(margin.figures.without)
    # Not a vacuous run: MaxSAT answered, and often.
    assert calls["maxsat"] >= 60
    with capsys.disabled():
        print(f"\noracle agreement (MaxSAT): 120 random regimes, {calls['maxsat']} MaxSAT optima, "
              f"{comparisons} comparisons, all agreed")


@pytest.mark.parametrize("work", [0, Query.SEARCH_WORK])
def test_either_path_gives_the_same_margin(monkeypatch, work):
    # The binary search and MaxSAT prove the same optimum.
    monkeypatch.setattr(Query, "SEARCH_WORK", work)
    regime = random_regime(random.Random(7))
    assert robustness_margin(regime, "v").figures.kstar.plain() == oracle.robustness_margin(regime, "v").k_star
