"""The brute-force oracle on tiny regimes built by hand.

Every regime here has a perpetrator ``P`` hosting the asset ``site`` where the
violation ``v`` happens, leaving one trace of signature ``sig`` (magnitude 10)
unless a test says otherwise.  Times are worked out by hand in the comments.
"""

from __future__ import annotations

import random
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from verify.model import (
    HOST,
    PERPETRATOR,
    Actor,
    Asset,
    Body,
    Flow,
    Mechanism,
    Observation,
    Probability,
    Regime,
    Signature,
    ThreatModel,
    Trace,
    Verifier,
    Violation,
)
from verify.oracle import (
    DIRECT,
    INDIRECT,
    SEALED,
    candidates,
    coalition_of,
    detectability,
    detection_time,
    evidence_times,
    failure_candidates,
    fault_tolerance,
    interchangeable_classes,
    min_evasion_size,
    minimal_evasion_sets,
    non_circumventability,
    robustness_margin,
    smallest_evasion,
    smallest_failure_set,
    timeliness,
    worst_detection_time,
)

H = 3600


# -- building blocks ---------------------------------------------------------


def act(id: str, *controllers: str) -> Actor:
    return Actor(id=id, kind="state", controlled_by=controllers)


def mech(id: str, operator: str, *, sig: str = "sig", threshold: float = 0.0, **kw) -> Mechanism:
    return Mechanism(id=id, operator=operator, observes=(Observation(signature=sig, threshold=threshold),), **kw)


def flow(id: str, source: str, target: str, **kw) -> Flow:
    return Flow(id=id, source=source, target=target, **kw)


def make(
    actors,
    mechanisms=(),
    flows=(),
    bodies=(),
    verifiers=("V",),
    traces=None,
    perpetrators=("P",),
    host="P",
    colluders=None,
    assets=("site",),
) -> Regime:
    actors = tuple(a if isinstance(a, Actor) else act(a) for a in actors)
    traces = traces if traces is not None else (Trace(signature="sig", magnitude=10.0),)
    sigs = sorted({t.signature for t in traces} | {o.signature for m in mechanisms for o in m.observes})
    return Regime(
        id="r",
        actors=actors,
        assets=tuple(Asset(id=a, host=host) for a in assets),
        signatures=tuple(Signature(id=s) for s in sigs),
        violations=(Violation(id="v", perpetrators=perpetrators, at="site", traces=traces),),
        mechanisms=tuple(mechanisms),
        flows=tuple(flows),
        bodies=tuple(bodies),
        verifiers=tuple(Verifier(id=v) for v in verifiers),
        threat_model=ThreatModel(colluders=colluders, max=1),
    )


def t0(regime: Regime, *chosen: str, failed=frozenset(), direct_only=False, p="P"):
    """Detection time with ``chosen`` colluders joining ``p``."""
    return detection_time(
        regime, "v", p, coalition_of(regime, p, chosen), frozenset(failed), direct_only=direct_only
    )


# -- observation -------------------------------------------------------------


def test_standing_mechanism_and_flow_times_add_up():
    r = make(
        ["P", "I", "V"],
        [mech("sat", "I", notice=5, period=10, latency=3)],
        [flow("rep", "I", "V", period=2, latency=7)],
    )
    # observation 5 + 10, analysis 3, then the report 2 + 7
    assert t0(r) == 27
    assert evidence_times(r, "v", "P", coalition_of(r, "P", ()))[("I", DIRECT)] == 18


def test_verifier_that_operates_the_mechanism_detects_at_its_own_latency():
    r = make(["P", "V"], [mech("m", "V", period=4, latency=1)])
    assert t0(r) == 5


def test_threshold_and_coverage():
    at_threshold = make(["P", "V"], [mech("m", "V", threshold=10.0)])
    above = make(["P", "V"], [mech("m", "V", threshold=10.5)])
    elsewhere = make(["P", "V"], [mech("m", "V", at=("other",))], assets=("site", "other"))
    blind = make(["P", "V"], [mech("m", "V", sig="heat")])
    zero = make(["P", "V"], [mech("m", "V", detection_probability=Probability.of(0))])
    assert t0(at_threshold) == 0
    assert t0(above) is None
    assert t0(elsewhere) is None
    assert t0(blind) is None
    assert t0(zero) is None


def test_triggered_mechanism_starts_when_its_trigger_holds_evidence():
    r = make(
        ["P", "A", "V"],
        [
            mech("sat", "A", sig="plume", latency=10),
            mech("insp", "V", triggered_by="A", notice=4, period=6, latency=5),
        ],
        traces=(Trace(signature="plume", magnitude=1.0), Trace(signature="sig", magnitude=10.0)),
    )
    # the satellite's report reaches A at 10; the inspection observes at
    # 10 + 4 + 6 = 20 and reports at 25
    assert t0(r) == 25
    # a trigger in the coalition never fires
    assert t0(r, "A") is None


def test_trigger_fired_by_indirect_evidence():
    r = make(
        ["P", "A", "V"],
        [
            mech("visit", "A", sig="plume", requires_access=(HOST,), mandatory=True, latency=2),
            mech("insp", "V", triggered_by="A", latency=3),
        ],
        traces=(Trace(signature="plume", magnitude=1.0), Trace(signature="sig", magnitude=10.0)),
    )
    # insp needs no access, so the refused visit (indirect at A at 2) starts
    # it and V holds direct evidence at 5
    assert t0(r, direct_only=True) == 5


def test_persistence_cuts_off_a_late_triggered_mechanism():
    def regime(persists):
        return make(
            ["P", "A", "V"],
            [
                mech("sat", "A", sig="plume", latency=10),
                mech("insp", "V", triggered_by="A", notice=4, period=6, latency=5),
            ],
            traces=(Trace(signature="plume", magnitude=1.0), Trace(signature="sig", magnitude=10.0, persists=persists)),
        )

    assert t0(regime(20)) == 25  # observes at 20, the trace lasts until 20
    assert t0(regime(19)) is None


def test_access_refusal_is_indirect_only_when_mandatory():
    mandatory = make(["P", "V"], [mech("m", "V", requires_access=(HOST,), mandatory=True, latency=3)])
    voluntary = make(["P", "V"], [mech("m", "V", requires_access=(HOST,), latency=3)])
    assert t0(mandatory) == 3
    assert t0(mandatory, direct_only=True) is None
    assert t0(voluntary) is None
    # with an honest host access is granted and the evidence is direct
    honest_host = make(["P", "H", "V"], [mech("m", "V", requires_access=(HOST,), latency=3)], host="H")
    assert t0(honest_host, direct_only=True) == 3
    assert t0(honest_host, "H") is None


def test_concealment_within_notice():
    def regime(notice, conceal=24 * H, extra=()):
        return make(
            ["P", "V"],
            [mech("m", "V", sig="sig", requires_access=(HOST,), mandatory=True, notice=notice)],
            traces=(Trace(signature="sig", magnitude=10.0, conceal=conceal), *extra),
        )

    assert t0(regime(24 * H)) is None  # sanitised in time: nothing at all
    assert t0(regime(24 * H - 1)) == 24 * H - 1  # refused: indirect at t_obs
    assert t0(regime(0, conceal=None)) == 0  # cannot be hidden
    # a trace the mechanism does not observe does not count either way
    assert t0(regime(24 * H, extra=(Trace(signature="heat", magnitude=1.0),))) is None


def test_concealment_needs_every_seen_trace_concealable():
    r = make(
        ["P", "V"],
        [
            Mechanism(
                id="m",
                operator="V",
                observes=(Observation(signature="a"), Observation(signature="b")),
                requires_access=(HOST,),
                mandatory=True,
                notice=10,
            )
        ],
        traces=(Trace(signature="a", magnitude=1, conceal=5), Trace(signature="b", magnitude=1, conceal=50)),
    )
    assert t0(r) == 10
    # once b has faded before the observation only a is seen: concealable
    faded = make(
        ["P", "V"],
        r.mechanisms,
        traces=(Trace(signature="a", magnitude=1, conceal=5),
                Trace(signature="b", magnitude=1, conceal=50, persists=9)),
    )
    assert t0(faded) is None


# -- corrupt operators, senders and relays -----------------------------------


def test_corrupt_operator_with_and_without_tamper_evidence():
    def regime(tamper, mandatory):
        return make(
            ["P", "O", "V"],
            [mech("m", "O", tamper_evident=tamper, latency=2)],
            [flow("f", "O", "V", latency=3, mandatory=mandatory)],
        )

    assert t0(regime(False, True)) == 5
    assert t0(regime(True, True), direct_only=True) == 5  # sealed is direct
    assert t0(regime(False, True), "O") is None  # authors "all clear"
    assert t0(regime(True, False), "O") is None  # withholds, unnoticed
    assert t0(regime(True, True), "O") == 5  # the missing seal is noticed
    assert t0(regime(True, True), "O", direct_only=True) is None
    # the sealed item sits with the corrupt operator
    r = regime(True, True)
    reached = evidence_times(r, "v", "P", coalition_of(r, "P", ["O"]))
    assert reached == {("O", SEALED): 2, ("V", INDIRECT): 5}


def test_corrupt_sender_withholds_sealed_noticed_but_authored_not():
    def regime(tamper):
        return make(
            ["P", "A", "B", "V"],
            [mech("m", "A", tamper_evident=tamper)],
            [flow("ab", "A", "B", latency=1), flow("bv", "B", "V", latency=2, mandatory=True)],
        )

    assert t0(regime(False)) == 3
    assert t0(regime(False), "B") is None
    assert t0(regime(True), "B") == 3
    assert t0(regime(True), "B", direct_only=True) is None


def test_sealed_item_reaches_a_corrupt_target_who_can_only_withhold_it():
    r = make(
        ["P", "A", "B", "V"],
        [mech("m", "A", tamper_evident=True)],
        [flow("ab", "A", "B", latency=1), flow("bv", "B", "V", latency=2, mandatory=False)],
    )
    reached = evidence_times(r, "v", "P", coalition_of(r, "P", ["B"]))
    assert reached[("B", SEALED)] == 1
    assert ("V", INDIRECT) not in reached and t0(r, "B") is None


def test_corrupt_relay_on_authenticated_and_unauthenticated_flows():
    def regime(authenticated, mandatory, tamper=False):
        return make(
            ["P", "A", "R", "V"],
            [mech("m", "A", tamper_evident=tamper)],
            [flow("f", "A", "V", via=("R",), latency=4, mandatory=mandatory, authenticated=authenticated)],
        )

    assert t0(regime(False, True), direct_only=True) == 4
    assert t0(regime(False, True), "R") is None  # rewritten, unnoticed
    assert t0(regime(True, True), "R") == 4  # dropped, noticed
    assert t0(regime(True, True), "R", direct_only=True) is None
    assert t0(regime(True, False), "R") is None  # dropped, not missed
    assert t0(regime(False, True, tamper=True), "R") == 4  # a seal can only be dropped
    assert t0(regime(False, False, tamper=True), "R") is None


def test_failed_relay_carries_nothing_and_nothing_is_noticed():
    r = make(
        ["P", "A", "R", "V"],
        [mech("m", "A")],
        [flow("f", "A", "V", via=("R",), mandatory=True, authenticated=True)],
    )
    assert t0(r, failed={"R"}) is None
    assert t0(r, failed={"f"}) is None
    assert t0(r) == 0


def test_drop_to_a_coalition_target_is_never_noticed():
    r = make(
        ["P", "O", "B", "V"],
        [mech("m", "O", tamper_evident=True)],
        [flow("ob", "O", "B", mandatory=True, latency=1), flow("bv", "B", "V", latency=2)],
    )

    def reached(*chosen):
        return evidence_times(r, "v", "P", coalition_of(r, "P", chosen))

    assert reached("O") == {("O", SEALED): 0, ("B", INDIRECT): 1, ("V", INDIRECT): 3}
    assert reached("O", "B") == {("O", SEALED): 0}


# -- decision bodies ---------------------------------------------------------


def test_approve_vote_counts_honest_unrecused_members():
    board = Body(id="Board", members=("P", "X", "Y"), approve=2, recused=(PERPETRATOR,), latency=7)
    r = make(["P", "X", "Y", "I"], [mech("m", "I", latency=1)], [flow("f", "I", "Board", latency=2)],
             bodies=(board,), verifiers=("Board",))
    assert t0(r) == 10  # 1 + 2, then the board's 7
    assert t0(r, "X") is None  # only Y left to approve
    assert t0(r, failed={"Y"}) is None


def test_block_vote_with_recusal_of_perpetrator_and_its_controllers():
    def regime(recused):
        council = Body(id="C", members=("S", "X", "P"), block=1, recused=recused)
        return make([act("S"), act("P", "S"), "X", "I"], [mech("m", "I")], [flow("f", "I", "C")],
                    bodies=(council,), verifiers=("C",))

    recusing = regime((PERPETRATOR,))
    assert t0(recusing) == 0  # P would block but is recused
    assert t0(recusing, "S") == 0  # S controls P: recused too
    assert t0(recusing, "X") is None
    assert t0(regime(())) is None  # P is a member in the coalition: one no
    assert t0(regime(("P",))) == 0
    assert t0(regime(("P",)), "S") is None  # S is not named, so S blocks


def test_gate_body_in_via_adds_latency_and_can_block():
    gate = Body(id="G", members=("X", "Y"), approve=1, latency=30)
    r = make(["P", "I", "X", "Y", "V"], [mech("m", "I")],
             [flow("f", "I", "V", via=("G",), latency=5, mandatory=True, authenticated=True)], bodies=(gate,),
             colluders=("X", "Y"))
    assert t0(r) == 35
    assert t0(r, "X") == 35
    # both members colluding block the vote: not a noticed drop
    assert smallest_evasion(r, "v", "P", 2) == ("X", "Y")
    assert t0(r, failed={"G"}) is None


def test_body_as_trigger_and_as_source():
    board = Body(id="B", members=("X",), approve=1, latency=10)
    r = make(
        ["P", "I", "X", "V"],
        [mech("sat", "I", sig="plume", latency=1), mech("insp", "V", triggered_by="B", latency=2)],
        [flow("ib", "I", "B", latency=3)],
        bodies=(board,),
        traces=(Trace(signature="plume", magnitude=1.0), Trace(signature="sig", magnitude=10.0)),
    )
    # the board holds evidence at 1 + 3 + 10 = 14; the inspection reports at 16
    assert t0(r) == 16
    assert t0(r, "X") is None


# -- control, coalitions and searches ----------------------------------------


def test_controlled_by_closure_puts_the_operator_in_the_coalition():
    r = make([act("P"), act("O", "P"), "V"], [mech("m", "O")], [flow("f", "O", "V")])
    assert coalition_of(r, "P", ()) == {"P", "O"}
    assert t0(r) is None
    assert detectability(r, "v").holds is False
    # a state that controls two operators blocks both routes alone
    r2 = make([act("P"), act("S"), act("A", "S"), act("B", "S"), "V"],
              [mech("ma", "A"), mech("mb", "B")], [flow("fa", "A", "V"), flow("fb", "B", "V")])
    assert coalition_of(r2, "P", ["S"]) == {"P", "S", "A", "B"}
    assert smallest_evasion(r2, "v", "P", 2) == ("S",)
    assert minimal_evasion_sets(r2, "v", "P", 3) == [("A", "B"), ("S",), ("V",)]
    assert min_evasion_size(r2, "v", "P") == 1
    assert candidates(r2, "P") == ("S", "A", "B", "V")


def test_two_independent_routes_need_two_colluders():
    r = make(["P", "A", "B", "X", "V"], [mech("ma", "A"), mech("mb", "B")],
             [flow("fa", "A", "V"), flow("fb", "B", "V")], colluders=("X", "A", "B"))
    assert smallest_evasion(r, "v", "P", 1) is None
    assert smallest_evasion(r, "v", "P", 2) == ("A", "B")
    assert minimal_evasion_sets(r, "v", "P", 3) == [("A", "B")]
    assert min_evasion_size(r, "v", "P") == 2
    assert non_circumventability(r, "v", k=1).holds is True
    assert robustness_margin(r, "v").k_star == 1
    # with the verifier in the pool, one colluder is enough
    r_all = make(["P", "A", "B", "X", "V"], r.mechanisms, r.flows)
    nc = non_circumventability(r_all, "v", k=1)
    assert nc.holds is False and nc.perpetrator == "P" and nc.witness == ("V",)
    assert minimal_evasion_sets(r_all, "v", "P", 2) == [("A", "B"), ("V",)]
    # an empty pool cannot evade a standing route
    only = make(["P", "V"], [mech("m", "V")], colluders=())
    assert min_evasion_size(only, "v", "P") is None
    assert robustness_margin(only, "v").k_star == "all"
    assert robustness_margin(make(["P", "V"], []), "v").k_star == -1


def test_deadline_and_worst_case_time():
    r = make(["P", "A", "B", "V"], [mech("ma", "A", latency=10), mech("mb", "B", latency=100)],
             [flow("fa", "A", "V"), flow("fb", "B", "V")], colluders=("A", "B"))
    assert t0(r) == 10
    assert smallest_evasion(r, "v", "P", 1, deadline=50) == ("A",)
    assert smallest_evasion(r, "v", "P", 1, deadline=100) is None
    assert worst_detection_time(r, "v", "P", 1) == 100
    assert worst_detection_time(r, "v", "P", 2) is None
    tl = timeliness(r, "v", 100, k=1)
    assert tl.holds and tl.time == 100
    tl = timeliness(r, "v", 99, k=1)
    assert not tl.holds and tl.witness == ("A",) and tl.time == 100


def test_failures_of_access_holders_raise_nothing():
    r = make(["P", "I", "X", "V"], [mech("m", "I", requires_access=("X",), mandatory=True)], [flow("f", "I", "V")])
    assert t0(r, "X") == 0  # refused by a colluder: noticed
    assert t0(r, failed={"X"}) is None  # an honest failure is not a breach
    assert smallest_failure_set(r, "v", "P", 1) == ("I",)
    assert smallest_failure_set(r, "v", "P", 0) is None


def test_fault_tolerance_counts_elements_of_every_kind():
    r = make(["P", "A", "B", "V"], [mech("ma", "A"), mech("mb", "B")],
             [flow("fa", "A", "V"), flow("fb", "B", "V")], verifiers=("V",))
    assert smallest_failure_set(r, "v", "P", 2) == ("V",)
    r2 = make(["P", "A", "B", "V", "W"], [mech("ma", "A"), mech("mb", "B")],
              [flow("fa", "A", "V"), flow("fb", "B", "W")], verifiers=("V", "W"))
    assert fault_tolerance(r2, "v", 1).holds
    ft = fault_tolerance(r2, "v", 2)
    assert not ft.holds and ft.witness == ("A", "B")


def test_multi_perpetrator_property_names_the_failing_one():
    r = make(["P", "Q", "V"], [mech("m", "V", requires_access=("Q",))], perpetrators=("P", "Q"))
    d = detectability(r, "v")
    assert d.holds is False and d.perpetrator == "Q"
    assert dict(d.per_perpetrator) == {"P": 0, "Q": None}


# -- monotonicity and the interchangeable-colluder shortcut ------------------


def random_regime(rng: random.Random) -> Regime:
    """A small regime with every feature drawn at random."""
    n = rng.randint(3, 6)
    ids = [f"a{i}" for i in range(n)]
    actors = []
    for i, a in enumerate(ids):
        ctrl = tuple(c for c in ids[:i] if rng.random() < 0.15)
        actors.append(act(a, *ctrl))
    n_bodies = rng.randint(0, 2)
    bodies = []
    for j in range(n_bodies):
        members = tuple(rng.sample(ids, rng.randint(1, min(3, n))))
        approve = rng.random() < 0.5  # drawn before the threshold, as always
        threshold = rng.randint(1, len(members))
        kw = {"approve": threshold} if approve else {"block": threshold}
        bodies.append(Body(id=f"b{j}", members=members, recused=(PERPETRATOR,) if rng.random() < 0.5 else (),
                           latency=rng.choice([0, 1, 5]), **kw))
    holders = ids + [b.id for b in bodies]
    sigs = ["s0", "s1"]
    traces = tuple(
        Trace(signature=s, magnitude=rng.choice([1.0, 5.0, 5.0]), persists=rng.choice([None, None, 5, 20]),
              conceal=rng.choice([None, 2, 8]))
        for s in sigs if rng.random() < 0.8
    ) or (Trace(signature="s0", magnitude=1.0),)
    mechanisms = []
    for j in range(rng.randint(1, 4)):
        access = () if rng.random() < 0.5 else tuple(rng.sample([HOST, *ids], rng.randint(1, 2)))
        mechanisms.append(Mechanism(
            id=f"m{j}", operator=rng.choice(ids),
            observes=tuple(Observation(signature=s, threshold=rng.choice([0.0, 3.0]))
                           for s in sigs if rng.random() < 0.7)
            or (Observation(signature="s1"),),
            requires_access=access, mandatory=rng.random() < 0.5, tamper_evident=rng.random() < 0.4,
            triggered_by=rng.choice(holders) if rng.random() < 0.25 else None,
            period=rng.choice([0, 1, 3]), notice=rng.choice([0, 0, 2, 10]), latency=rng.choice([0, 1, 4]),
        ))
    verifiers = rng.sample(holders, rng.randint(1, 2))
    flows = []
    for j in range(rng.randint(0, 7)):
        # Aim half the flows at a verifier, or few scenarios detect anything.
        s = rng.choice([m.operator for m in mechanisms] if rng.random() < 0.5 else holders)
        targets = [x for x in (verifiers if rng.random() < 0.5 else holders) if x != s]
        t = rng.choice(targets or [x for x in holders if x != s])
        via = tuple(x for x in rng.sample(holders, min(2, len(holders))) if x not in (s, t) and rng.random() < 0.4)
        flows.append(Flow(id=f"f{j}", source=s, target=t, via=via, latency=rng.choice([0, 1, 6]),
                          period=rng.choice([0, 2]), mandatory=rng.random() < 0.5, authenticated=rng.random() < 0.5))
    # Often keep the verifiers out of the pool, or one colluder always wins.
    colluders = None if rng.random() < 0.3 else tuple(a for a in ids if a not in verifiers)
    return Regime(
        id="rand",
        actors=tuple(actors),
        assets=(Asset(id="site", host=rng.choice(ids)),),
        signatures=tuple(Signature(id=s) for s in sigs),
        violations=(Violation(id="v", perpetrators=(ids[0],), at="site", traces=traces),),
        mechanisms=tuple(mechanisms),
        flows=tuple(flows),
        bodies=tuple(bodies),
        verifiers=tuple(Verifier(id=v) for v in verifiers),
        threat_model=ThreatModel(colluders=colluders),
    )


def _no_better(small, big):
    """``big`` (more colluders or failures) detects neither more nor sooner."""
    return big is None or (small is not None and small <= big)


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_monotone_in_coalition_and_failures_on_random_regimes(seed):
    rng = random.Random(seed)
    r = random_regime(rng)
    p = "a0"
    pool = candidates(r, p)
    for do in (False, True):
        for size in range(len(pool) + 1):
            for chosen in combinations(pool, size):
                t = t0(r, *chosen, direct_only=do, p=p)
                for x in pool:
                    if x not in chosen:
                        assert _no_better(t, t0(r, *chosen, x, direct_only=do, p=p))
    # more failures, no colluders
    cands = failure_candidates(r, p)
    for _ in range(10):
        failed = set(rng.sample(cands, rng.randint(0, min(2, len(cands)))))
        t = t0(r, failed=failed, p=p)
        for x in cands:
            assert _no_better(t, t0(r, failed=failed | {x}, p=p))
    # demanding direct evidence never detects sooner
    assert _no_better(t0(r, p=p), t0(r, p=p, direct_only=True))


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_shortcut_agrees_with_plain_enumeration_on_random_regimes(seed):
    r = random_regime(random.Random(seed))
    p = "a0"
    for k in (1, 2, 3):
        plain = smallest_evasion(r, "v", p, k)
        short = smallest_evasion(r, "v", p, k, shortcut=True)
        assert (plain is None) == (short is None)
        if plain is not None:
            assert len(plain) == len(short) and t0(r, *short, p=p) is None
        assert worst_detection_time(r, "v", p, k) == worst_detection_time(r, "v", p, k, shortcut=True)
    assert min_evasion_size(r, "v", p) == min_evasion_size(r, "v", p, shortcut=True)


def test_council_of_interchangeable_members_collapses_to_one_class():
    members = tuple(f"c{i}" for i in range(9))
    council = Body(id="EC", members=members, approve=5, recused=(PERPETRATOR,))
    r = make(["P", "I", *members], [mech("m", "I")], [flow("f", "I", "EC")], bodies=(council,),
             verifiers=("EC",), colluders=members + ("I",))
    classes = interchangeable_classes(r, "v", "P")
    assert classes == (members, ("I",))
    # 5 of 9 must approve: 5 colluders leave 4
    assert smallest_evasion(r, "v", "P", 5, shortcut=True) == ("I",)
    r_no_i = make(["P", "I", *members], r.mechanisms, r.flows, bodies=(council,), verifiers=("EC",), colluders=members)
    assert smallest_evasion(r_no_i, "v", "P", 5) == members[:5]
    assert smallest_evasion(r_no_i, "v", "P", 5, shortcut=True) == members[:5]
    assert min_evasion_size(r_no_i, "v", "P", shortcut=True) == 5
    assert smallest_evasion(r_no_i, "v", "P", 4, shortcut=True) is None


def test_actors_with_different_roles_are_not_interchangeable():
    r = make([act("P"), act("S"), act("A", "S"), act("B", "S"), act("C"), "V"],
             [mech("ma", "A"), mech("mb", "B"), mech("mc", "C")],
             [flow("fa", "A", "V"), flow("fb", "B", "V"), flow("fc", "C", "V")])
    # A and B are swapped by a symmetry (same controller, same kind of
    # route); C is not controlled by S
    assert interchangeable_classes(r, "v", "P") == (("S",), ("A", "B"), ("C",), ("V",))


def test_a_relay_holds_nothing_and_a_coalition_verifier_detects_nothing():
    r = make(["P", "A", "V", "W"], [mech("m", "A", tamper_evident=True)],
             [flow("f", "A", "W", via=("V",), latency=2)], verifiers=("V", "W"), colluders=("V", "W"))
    reached = evidence_times(r, "v", "P", coalition_of(r, "P", ()))
    assert reached == {("A", SEALED): 0, ("W", SEALED): 2}  # nothing at the relay V
    assert t0(r) == 2
    # W in the coalition holds the seal but is no longer a verifier that counts
    assert evidence_times(r, "v", "P", coalition_of(r, "P", ["W"]))[("W", SEALED)] == 2
    assert t0(r, "W") is None


def test_direct_only_changes_the_verdicts_and_the_times():
    r = make(["P", "I", "J", "V"],
             [mech("visit", "I", requires_access=(HOST,), mandatory=True, latency=1),
              mech("sat", "J", latency=50)],
             [flow("fi", "I", "V"), flow("fj", "J", "V")], colluders=("J",))
    # the refused visit is indirect evidence at 1; the satellite's is direct at 50
    assert t0(r) == 1 and t0(r, direct_only=True) == 50
    assert detectability(r, "v").time == 1
    assert detectability(r, "v", direct_only=True).time == 50
    assert non_circumventability(r, "v", k=1).holds
    nc = non_circumventability(r, "v", k=1, direct_only=True)
    assert not nc.holds and nc.witness == ("J",)


def test_a_colluder_inside_another_ones_closure_is_never_part_of_a_minimal_set():
    r = make([act("P"), act("S"), act("A", "S"), "V"], [mech("ma", "A")], [flow("fa", "A", "V")],
             colluders=("S", "A"))
    assert minimal_evasion_sets(r, "v", "P", 2) == [("A",), ("S",)]
    assert smallest_evasion(r, "v", "P", 2) == ("S",)  # pool order
