"""Max-flow's route packing against the brute-force oracle.

``packing`` proposes routes by max-flow over holders and keeps those it can
lay out as rules with no root in common, on any graph, pure or not.  The
robustness margin uses it twice: as the lower bound for k*, and, when it
finds k*+1 routes, to settle without a search every element that no route
uses or that max-flow can route around (issue 14).  Both are sound only if
every route kept is real and no colluder blocks two of them: here the
number of routes is compared with the oracle's smallest evasion, with all
elements and without each element the margin settles, and the margin with
each element's k* is compared whole, on the main agreement test's random
regimes and on the mostly pure ones of the graph-bounds test.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest

from tests.test_agreement import random_regime
from tests.test_agreement_exact import pure_regime
from verify import oracle
from verify.analyses.bounds import _roots, disjoint_routes, packing
from verify.analyses.properties import robustness_margin
from verify.engine import compile_rules
from verify.engine.rules import may_be_corrupt
from verify.model import Regime, effective


def _compare(regime: Regime, counts: Counter[str]) -> None:
    for p in regime.violation["v"].perpetrators:
        graph = compile_rules(regime, "v", p)
        routes = packing(regime, graph)
        want = oracle.min_evasion_size(regime, "v", p)
        assert want is None or len(routes) <= want, (p, len(routes), want)
        # No root in two routes: merged with their controllers, the routes'
        # holders are disjoint, but for those nobody can corrupt.
        corruptible = may_be_corrupt(regime, graph.base, graph.candidates)
        taken: set[str] = set()
        for r in routes:
            mine = {root for s in r.steps if s.holder in corruptible for root in _roots(regime, s.holder)}
            assert not mine & taken, (p, r)
            taken |= mine
        counts["routes"] += len(routes)
        counts["more than greedy"] += len(routes) > len(disjoint_routes(regime, graph))
        for e in sorted({s.element for r in routes for s in r.steps})[:3]:
            fewer = packing(regime, graph, frozenset({e}))
            want_e = oracle.min_evasion_size(regime.without(e), "v", p)
            assert want_e is None or len(fewer) <= want_e, (p, e, len(fewer), want_e)
            assert not {s.element for r in fewer for s in r.steps} & {e}, (p, e)
            counts["comparisons"] += 1
        counts["comparisons"] += 1
    margin = robustness_margin(regime, "v")
    assert margin.figures.kstar.plain() == oracle.robustness_margin(regime, "v").k_star
    for element, kstar in margin.figures.without:
        assert kstar.plain() == oracle.robustness_margin(regime.without(element), "v").k_star, element
        counts["comparisons"] += 1
    counts["settled by routes"] += "merged-disjoint routes" in margin.note
    counts["regimes"] += 1


@pytest.mark.parametrize("family", ["agreement", "pure"])
def test_packing_agrees_with_oracle(family: str, capsys: pytest.CaptureFixture[str]) -> None:
    _agree(family, range(100), capsys)


@pytest.mark.slow
@pytest.mark.parametrize("family", ["agreement", "pure"])
def test_packing_agrees_with_oracle_long(family: str, capsys: pytest.CaptureFixture[str]) -> None:
    _agree(family, range(100, 1100), capsys)


def _agree(family: str, seeds: range, capsys: pytest.CaptureFixture[str]) -> None:
    counts: Counter[str] = Counter()
    for seed in seeds:
        regime = (random_regime(random.Random(seed)) if family == "agreement"
                  else effective(pure_regime(seed)[0])[0])
        try:
            _compare(regime, counts)
        except AssertionError as e:
            raise AssertionError(f"seed {seed}: {e}") from e
    with capsys.disabled():
        print(f"\noracle agreement (route packing, {family}): {counts['regimes']} random regimes "
              f"(seeds {seeds.start}-{seeds.stop - 1}), "
              f"{counts['routes']} routes, more than the greedy search on {counts['more than greedy']} graphs, "
              f"margins settled by routes on {counts['settled by routes']}, {counts['comparisons']} comparisons, "
              "all agreed")
    # Not vacuous: the margin's short cut is taken.
    assert counts["settled by routes"] >= 5, counts
