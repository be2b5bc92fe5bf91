"""The engine against the oracle on regimes with large councils of
interchangeable members (issue 9): up to 50 members that only vote, with
high blocking or approval thresholds, gating the reports.

The engine counts such members with one integer per group; the oracle, on
its side, enumerates one representative per way of counting the members of
each interchangeable class (``shortcut=True``).  The two must agree on
non-circumventability at every interesting k (around the threshold and the
whole pool), on k* and k* without each element, on the minimal evasion sets
(compared as counts per class) and on the worst-case detection time.

The random regimes of test_agreement underneath keep every other element
type in play; the council is wired in as a gate on the routes to the
verifiers, so that its vote matters.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import replace

from test_agreement import random_regime
from verify import oracle
from verify.analyses.properties import minimal_evasion_sets, non_circumventability, robustness_margin, timeliness
from verify.model import PERPETRATOR, Actor, Body, Flow, Regime, ThreatModel, effective
from verify.results import CountedGroup, Verdict


def council_regime(rng: random.Random) -> Regime:
    base = random_regime(rng)
    m = rng.randint(5, 50)
    members = tuple(f"c{i:02d}" for i in range(m))
    # A few ordinary actors may sit on it too (they are not interchangeable
    # with the rest when they play other roles).
    extra = tuple(a.id for a in base.actors if rng.random() < 0.2)
    seats = extra + members
    if rng.random() < 0.6:
        rule = {"block": rng.randint(max(1, (2 * len(seats)) // 3), len(seats))}
    else:
        rule = {"approve": rng.randint(max(1, len(seats) // 2), len(seats))}
    council = Body(id="C", members=seats, recused=rng.choice([(), (PERPETRATOR,)]),
                   latency=rng.choice([0, 1]), **rule)
    verifiers = [v.id for v in base.verifiers]
    flows = []
    for f in base.flows:
        # Reports to a verifier pass the council's gate (or go to it).
        if f.target in verifiers and rng.random() < 0.7:
            f = replace(f, via=(*f.via, "C"))
        flows.append(f)
    ops = sorted({mech.operator for mech in base.mechanisms})
    if rng.random() < 0.5:
        flows.append(Flow(id="to-council", source=rng.choice(ops), target="C", latency=1))
        verifiers.append("C")
    pool = base.threat_model.colluders
    return replace(
        base,
        actors=base.actors + tuple(Actor(id=c, kind="state") for c in members),
        bodies=base.bodies + (council,),
        flows=tuple(flows),
        verifiers=tuple(v for v in base.verifiers) + ((replace(base.verifiers[0], id="C"),)
                                                      if "C" in verifiers else ()),
        threat_model=ThreatModel(colluders=None if pool is None else pool + members, max=1),
    )


def _vectors(regime: Regime, p: str, sets: list[tuple[str, ...]],
             groups: tuple[CountedGroup, ...] = ()) -> set[tuple[int, ...]]:
    """Each set as its count of members per interchangeable class of the
    oracle.  A set drawing n members of one of the engine's counted groups
    stands for any n of them; the engine's groups are judged on one rule
    graph and the oracle's classes on the whole regime, so a group may span
    several classes: every split of the n among them is a set it stands for."""
    classes = oracle.interchangeable_classes(regime, "v", p)
    where = {m: i for i, cls in enumerate(classes) for m in cls}
    out = set()
    for s in sets:
        base = [0] * len(classes)
        splits: list[list[dict[int, int]]] = []
        for g in groups:
            n = g.count(s)
            if not n:
                continue
            room: dict[int, int] = {}
            for m in g.members:
                room[where[m]] = room.get(where[m], 0) + 1
            splits.append([dict(zip(room, c)) for c in itertools.product(*(range(r + 1) for r in room.values()))
                           if sum(c) == n])
        grouped = {m for g in groups for m in g.members}
        for a in s:
            if a not in grouped:
                base[where[a]] += 1
        for pick in itertools.product(*splits):
            vec = list(base)
            for split in pick:
                for i, c in split.items():
                    vec[i] += c
            out.add(tuple(vec))
    return out


def _check(seed: int) -> int:
    rng = random.Random(seed)
    regime, _ = effective(council_regime(rng))
    direct = rng.random() < 0.25
    council = regime.body["C"]
    threshold = council.block if council.block is not None else council.approve
    assert threshold is not None
    pool = max(len(oracle.candidates(regime, p)) for p in regime.violation["v"].perpetrators)
    comparisons = 0
    for k in sorted({0, 1, threshold - 1, threshold, threshold + 1, pool}):
        if k < 0 or k > pool:
            continue
        ours = non_circumventability(regime, "v", k, direct=direct)
        theirs = oracle.non_circumventability(regime, "v", k, direct_only=direct, shortcut=True)
        assert ours.verdict != Verdict.UNKNOWN, (seed, k)
        assert (ours.verdict == Verdict.HOLDS) == theirs.holds, (seed, k)
        if ours.verdict == Verdict.FAILS:
            assert ours.witness is not None and ours.perpetrator is not None
            want = oracle.smallest_evasion(regime, "v", ours.perpetrator, k, direct_only=direct, shortcut=True)
            assert want is not None and len(ours.witness.chosen) == len(want), (seed, k)
        comparisons += 1
    margin = robustness_margin(regime, "v", direct=direct)
    assert margin.figures.kstar.plain() == oracle.robustness_margin(
        regime, "v", direct_only=direct, shortcut=True).k_star, seed
    for element, kstar in margin.figures.without:
        want_e = oracle.robustness_margin(regime.without(element), "v", direct_only=direct, shortcut=True).k_star
        assert kstar.plain() == want_e, (seed, element, kstar, want_e)
        comparisons += 1
    K = min(pool, threshold + 1)
    sets = minimal_evasion_sets(regime, "v", K, direct=direct).figures
    for p in regime.violation["v"].perpetrators:
        ours_p = [s for q, s in sets.sets if q == p]
        theirs_p = oracle.minimal_evasion_sets(regime, "v", p, K, direct_only=direct, shortcut=True)
        groups = tuple(g for g in sets.groups if g.perpetrator == p)
        assert _vectors(regime, p, ours_p, groups) == _vectors(regime, p, theirs_p), (seed, p)
        comparisons += 1
    worst = [oracle.worst_detection_time(regime, "v", p, 1, direct_only=direct, shortcut=True)
             for p in regime.violation["v"].perpetrators]
    if all(w is not None for w in worst):
        T = max(w for w in worst if w is not None)
        held = timeliness(regime, "v", T, 1, direct=direct)
        assert held.verdict == Verdict.HOLDS, seed
        if T > 0:
            assert timeliness(regime, "v", T - 1, 1, direct=direct).verdict == Verdict.FAILS, seed
        comparisons += 2
    return comparisons + 2


#: The regimes every run compares.
SEEDS = range(60)


def test_engine_agrees_with_oracle_on_large_councils(capsys):
    comparisons = sum(_check(seed) for seed in SEEDS)
    sizes = [len(council_regime(random.Random(seed)).body["C"].members) for seed in SEEDS]
    with capsys.disabled():
        print(f"\noracle agreement (large councils): {len(SEEDS)} random regimes with councils of "
              f"{min(sizes)} to {max(sizes)} members, {comparisons} comparisons, all agreed")
