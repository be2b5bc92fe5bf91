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
from pathlib import Path

import pytest

from tests.test_agreement import random_regime
from tests.test_agreement_exact import pure_regime
from verify import oracle
from verify.analyses.bounds import Packer, _roots, disjoint_routes, packing
from verify.analyses.properties import robustness_margin
from verify.engine import RuleGraph, compile_rules
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
        _compare_noticed(regime, graph, p, want, counts)
    margin = robustness_margin(regime, "v")
    assert margin.figures.kstar.plain() == oracle.robustness_margin(regime, "v").k_star
    for element, kstar in margin.figures.without:
        assert kstar.plain() == oracle.robustness_margin(regime.without(element), "v").k_star, element
        counts["comparisons"] += 1
    counts["settled by routes"] += "merged-disjoint routes" in margin.note
    counts["regimes"] += 1


def _compare_noticed(regime: Regime, graph: RuleGraph, p: str, want: int | None, counts: Counter[str]) -> None:
    """The margin's packing (``noticed``: routes may also end with a
    mandatory flow's noticed hop, through a vote or not): never more routes
    than the oracle's smallest evasion, with all elements, without each
    element it uses, and whenever it says one more route takes an
    element's place."""
    packer = Packer(regime, graph, noticed=True)
    routes = packer.pack()
    assert want is None or len(routes) <= want, ("noticed", p, len(routes), want)
    counts["noticed routes"] += sum(1 for r in routes if packer._laid[r].noticed)
    counts["through a vote"] += sum(1 for r in routes if packer._laid[r].gate is not None)
    for e in sorted({s.element for r in routes for s in r.steps}):
        want_e = oracle.min_evasion_size(regime.without(e), "v", p)
        if packer.reroute(routes, e):
            assert want_e is None or len(routes) <= want_e, ("reroute", p, e, len(routes), want_e)
            counts["rerouted"] += 1
        fewer = packer.pack(frozenset({e}))
        assert want_e is None or len(fewer) <= want_e, ("noticed without", p, e, len(fewer), want_e)
        assert not {s.element for r in fewer for s in r.steps} & {e}, (p, e)
        counts["comparisons"] += 2
    packer.pack()  # as it was for the margin


def council_regime(seed: int, folder: str) -> Regime:
    """A small design of the benchmark's kind (benchmarks/generate.py,
    ``synthetic``): tamper-evident logs at chip firms, agencies that report
    to a council by mandatory flows, random flows between everyone, some
    mandatory.  Evading it must silence the council (block its vote) or
    the sealed logs, so its smallest evasion rests on noticed hops."""
    import os

    import yaml

    rng = random.Random(seed)
    states = [f"s{i}" for i in range(rng.choice((3, 4, 5)))]
    agencies = [f"a{i}" for i in range(rng.choice((1, 2)))]
    chips = [f"c{i}" for i in range(rng.choice((1, 2, 3)))]
    orgs = [f"o{i}" for i in range(rng.choice((3, 4, 5)))]
    actors = [{"id": x, "kind": "state"} for x in states] + [{"id": x, "kind": "agency"} for x in agencies]
    actors += [{"id": x, "kind": "chip-firm"} for x in chips]
    actors += [{"id": x, "kind": "lab", **({"controlled_by": rng.choice(states)} if rng.random() < 0.3 else {})}
               for x in orgs]
    everyone = states + agencies + chips + orgs
    flows = []
    for i, src in enumerate(everyone):
        for j in range(2):
            dst = rng.choice(agencies) if rng.random() < 0.3 else rng.choice(everyone)
            if dst != src:
                flows.append({"id": f"f{i}-{j}", "from": src, "to": dst, "latency": "1d",
                              "mandatory": rng.random() < 0.5, "authenticated": rng.random() < 0.5})
    flows += [{"id": f"report-{a}", "from": a, "to": "council", "latency": "1d", "mandatory": True,
               "authenticated": True} for a in agencies]
    members = states[:]
    doc = {
        "regime": f"council-{seed}", "actors": actors,
        "assets": [{"id": "site", "host": states[0], "owner": orgs[0]}],
        "signatures": [{"id": "compute", "unit": "FLOP"}],
        "violations": [{"id": "v", "perpetrator": orgs[0], "at": "site",
                        "signatures": [{"signature": "compute", "magnitude": 1e26}]}],
        "mechanisms": [{"id": f"log-{c}", "kind": "logging", "operator": c, "observes": ["compute"],
                        "tamper_evident": True} for c in chips] +
                      [{"id": f"decl-{o}", "kind": "declaration", "operator": o, "observes": ["compute"]}
                       for o in orgs[1:3] + rng.sample(states[1:], rng.choice((0, 1, 2)))],
        "flows": flows,
        "bodies": [{"id": "council", "members": members, "approve": len(members) // 2 + 1,
                    "recused": "perpetrator"}],
        "verifiers": agencies + ["council"],
        "threat_model": {"max": 2},
    }
    if rng.random() < 0.4:
        # An agency nobody can corrupt: its routes are blocked only by who
        # carries evidence to it (a member state, say).
        doc["threat_model"]["colluders"] = [x for x in everyone if x != agencies[0]]
    path = os.path.join(folder, f"council-{seed}.yaml")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(yaml.safe_dump(doc, sort_keys=False))
    from verify.load import load

    return effective(load(path))[0]


def test_noticed_packing_agrees_with_oracle_on_councils(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The margin's packing where it matters most: designs whose evasion
    must block a council's vote or the sealed logs reported to it."""
    counts = _agree("councils", range(60), capsys, tmp_path)
    # Not vacuous: routes end with noticed hops, through the council's vote and not.
    assert counts["through a vote"] >= 10 and counts["noticed routes"] > counts["through a vote"], counts


@pytest.mark.parametrize("family", ["agreement", "pure"])
def test_packing_agrees_with_oracle(family: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    counts = _agree(family, range(100), capsys, tmp_path)
    # Not vacuous: the margin's short cut is taken.
    assert counts["settled by routes"] >= 5, counts


@pytest.mark.slow
@pytest.mark.parametrize("family", ["agreement", "pure"])
def test_packing_agrees_with_oracle_long(family: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    counts = _agree(family, range(100, 1100), capsys, tmp_path)
    assert counts["settled by routes"] >= 5, counts


def _agree(family: str, seeds: range, capsys: pytest.CaptureFixture[str], folder: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    for seed in seeds:
        regime = (random_regime(random.Random(seed)) if family == "agreement"
                  else council_regime(seed, str(folder)) if family == "councils"
                  else effective(pure_regime(seed)[0])[0])
        try:
            _compare(regime, counts)
        except AssertionError as e:
            raise AssertionError(f"seed {seed}: {e}") from e
    with capsys.disabled():
        print(f"\noracle agreement (route packing, {family}): {counts['regimes']} random regimes "
              f"(seeds {seeds.start}-{seeds.stop - 1}), "
              f"{counts['routes']} routes, more than the greedy search on {counts['more than greedy']} graphs, "
              f"margins settled by routes on {counts['settled by routes']}; with noticed hops "
              f"{counts['noticed routes']} routes ending with one ({counts['through a vote']} through a vote), "
              f"{counts['rerouted']} elements rerouted; {counts['comparisons']} comparisons, all agreed")
    return counts
