"""``verify optimise`` against the oracle's enumeration of choices (issue 10).

The optimiser (verify/analyses/optimise.py) proves a least cost with z3's
Optimize and learned counterexamples; the oracle
(verify/oracle/optimise.py) tries every subset of the options in order of
cost and checks each with its own brute-force properties.  On random regimes
(those of test_agreement, with options, costs and properties added) they
must agree on whether some choice holds and on the least cost, and the
optimiser's design must hold by the oracle's reckoning.  ``_check(seed)``
reproduces any one regime on its own.
"""

from __future__ import annotations

import random
import time
import traceback
from dataclasses import replace
from fractions import Fraction

import pytest

from test_agreement import random_regime
from verify import oracle
from verify.analyses.optimise import optimise, options, with_choice
from verify.engine.synthesis import DERIVATION_LIMIT
from verify.model import (
    Actor,
    Asset,
    Body,
    Flow,
    Mechanism,
    Observation,
    PropertySpec,
    Regime,
    Signature,
    ThreatModel,
    Trace,
    Verifier,
    Violation,
    effective,
)
from verify.oracle.optimise import choose, option_ids, spec_holds
from verify.results import Verdict

#: Costs drawn for options: small whole numbers and halves (so that sums are
#: exact only as fractions), and no cost at all (counted 0).
COSTS: tuple[float | None, ...] = (1, 1, 2, 3, 4, 5, 0.5, 1.5, 2.5, None)

#: Removal makes every mechanism and flow an option, and the oracle
#: enumerates 2^n subsets (all of them when nothing holds): only on regimes
#: with at most this many options.
REMOVAL_MAX_OPTIONS = 11


def _spec(rng: random.Random) -> PropertySpec:
    """A property, on the violation named or on every one."""
    kind = rng.choice(["detectability", "non-circumventability", "timeliness", "fault-tolerance",
                       "robustness-margin"])
    params: list[tuple[str, object]] = []
    if rng.random() < 0.5:
        params.append(("violation", "v"))
    if kind == "non-circumventability":
        params.append(("k", rng.randint(0, 2)))
    elif kind == "timeliness":
        params += [("T", rng.choice([0, 3, 5, 10, 20])), ("k", rng.randint(0, 1))]
    elif kind == "fault-tolerance":
        params.append(("f", rng.randint(0, 1)))
    if rng.random() < 0.15:
        params.append(("direct", True))
    return PropertySpec(property=kind, params=tuple(params))


def optional_regime(seed: int) -> Regime:
    """test_agreement's regime for ``seed`` with two to six mechanisms and
    flows (and sometimes a body) made optional, with costs (some none), and
    one to three properties to hold."""
    rng = random.Random(seed)
    base = random_regime(rng)
    # verify optimise refuses a rule that needs several independent sources
    # (docs/optimise.md); the rest of the rule it handles.
    base = replace(base, verifiers=tuple(replace(v, independent=1) for v in base.verifiers))
    ids = [m.id for m in base.mechanisms] + [f.id for f in base.flows]
    picked = set(rng.sample(ids, min(len(ids), rng.randint(2, 6))))
    if base.bodies and rng.random() < 0.4:
        picked.add(rng.choice(base.bodies).id)
    costs = {e: rng.choice(COSTS) for e in sorted(picked)}

    def mark(e: Mechanism | Flow | Body) -> Mechanism | Flow | Body:
        return replace(e, optional=True, cost=costs[e.id]) if e.id in picked else e

    regime = effective(replace(
        base,
        mechanisms=tuple(mark(m) for m in base.mechanisms),
        flows=tuple(mark(f) for f in base.flows),
        bodies=tuple(mark(b) for b in base.bodies),
        # max 0 makes the robustness margin detectability; 2, a real margin.
        threat_model=replace(base.threat_model, max=rng.choice([0, 1, 1, 1, 2])),
    ))[0]
    # Most random regimes fail most properties even with every option in,
    # and every such regime is merely infeasible: draw until one to three
    # properties that hold with every option in are found (of eight tries),
    # and add one that fails only now and then.
    want = rng.randint(1, 3)
    holding: list[PropertySpec] = []
    failing: list[PropertySpec] = []
    for _ in range(8):
        spec = _spec(rng)
        (holding if spec_holds(regime, spec) else failing).append(spec)
        if len(holding) == want:
            break
    specs = holding + failing[:1] if rng.random() < 0.15 or not holding else holding
    return replace(regime, properties=tuple(specs))


def _holds_by_oracle(regime: Regime, chosen: tuple[str, ...], removal: bool) -> bool:
    """Whether the optimiser's choice holds, checked on the design the
    optimiser's own ``with_choice`` builds (what it claims holds), and on the
    oracle's own build of it (the two must be the same design)."""
    opts = options(regime, removal)
    design = with_choice(regime, chosen, opts)
    assert design == choose(regime, chosen, opts)
    return all(spec_holds(design, s) for s in regime.properties)


def _compare(seed: int, regime: Regime, removal: bool, derivation_limit: int = DERIVATION_LIMIT) -> str:
    """Compare the two on one regime; return "infeasible", "free" (the
    least cost is 0) or "paid".  ``derivation_limit`` 0: every scenario
    learned as a clause (the way large regimes are), not a derivation."""
    where = f"seed {seed}{' (removal)' if removal else ''}{' (clauses)' if derivation_limit == 0 else ''}"
    assert options(regime, removal) == option_ids(regime, removal), where
    want = oracle.least_cost(regime, regime.properties, removal=removal)
    got = optimise(regime, timeout=None, removal=removal, derivation_limit=derivation_limit)
    assert got.status in ("optimal", "infeasible"), (where, got.status, got.note)
    assert (got.status == "optimal") == (want is not None), (where, got.status, want)
    if want is None:
        # The reason no choice helps: what fails with every option in.
        assert any(r.verdict == Verdict.FAILS for r in got.results), (where, got.results)
        return "infeasible"
    assert got.design is not None, where
    assert got.design.cost == want[0], (where, got.design.chosen, got.design.cost, want)
    assert got.lower_bound == got.design.cost, (where, got.lower_bound, got.design.cost)
    assert _holds_by_oracle(regime, got.design.chosen, removal), (where, got.design.chosen)
    return "free" if want[0] == 0 else "paid"


def _check(seed: int) -> tuple[str, str | None]:
    """The comparison on ``seed``'s regime with its optional elements, and,
    on every other regime small enough, the one with removal (None if
    not made)."""
    regime = optional_regime(seed)
    plain = _compare(seed, regime, removal=False)
    assert _compare(seed, regime, removal=False, derivation_limit=0) == plain, seed
    removal = None
    if seed % 2 == 0 and len(option_ids(regime, removal=True)) <= REMOVAL_MAX_OPTIONS:
        removal = _compare(seed, regime, removal=True)
    return plain, removal


#: Seeds on which the optimiser is known to disagree with the oracle, each
#: with the reason and where it was reported; kept out of the run until the
#: optimiser is fixed, so that every other seed is still compared.  Empty:
#: none is known.
KNOWN_DISAGREEMENTS: frozenset[int] = frozenset()

#: The regimes every run compares: the same ones each time.
SEEDS = range(200)


def _agree(seeds: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    failures: list[tuple[int, str]] = []
    plain: list[str] = []
    removal: list[str] = []
    for seed in seeds:
        if seed in KNOWN_DISAGREEMENTS:
            continue
        try:
            one, other = _check(seed)
        except Exception:
            failures.append((seed, traceback.format_exc()))
            continue
        plain.append(one)
        if other is not None:
            removal.append(other)
    if failures:
        listed = ", ".join(str(s) for s, _ in failures)
        pytest.fail(f"optimise disagrees with the oracle on seeds {listed}; the first:\n{failures[0][1]}")
    optimal = len(plain) - plain.count("infeasible")
    with capsys.disabled():
        print(f"\noracle agreement (optimise): {len(plain)} random regimes, {optimal} optimal"
              f" ({plain.count('paid')} at a cost above 0), {plain.count('infeasible')} infeasible;"
              f" removal on {len(removal)}, {len(removal) - removal.count('infeasible')} optimal,"
              f" {removal.count('infeasible')} infeasible; each with scenarios learned as derivations and as clauses;"
              f" all agreed ({time.monotonic() - started:.1f}s)")
    assert len(plain) == len(set(seeds) - KNOWN_DISAGREEMENTS)
    # Each kind of answer must occur, or the comparison says little.
    assert plain.count("paid") > 0 and plain.count("infeasible") > 0
    assert removal.count("paid") > 0


def test_optimise_agrees_with_oracle(capsys: pytest.CaptureFixture[str]) -> None:
    _agree(list(SEEDS), capsys)


@pytest.mark.slow
def test_optimise_agrees_with_oracle_long(capsys: pytest.CaptureFixture[str]) -> None:
    # Fresh regimes each run; a failure names its seed.
    _agree(random.SystemRandom().sample(range(2**31), 1000), capsys)


# Hand-made designs with known answers.

LABS = ("a", "b", "c", "d")


def report_routes(k: int, costs: tuple[float | None, ...] = (5, 3, 1, 2), optional: bool = True) -> Regime:
    """Four labs, each observing the state's site and able to buy a report
    route to the agency at the given costs; any lab may collude."""
    return effective(Regime(
        id="routes",
        actors=(Actor(id="x", kind="state"), Actor(id="agency", kind="agency"),
                *(Actor(id=lab, kind="lab") for lab in LABS)),
        assets=(Asset(id="site", host="x"),), signatures=(Signature(id="s"),),
        violations=(Violation(id="v", perpetrators=("x",), at="site", traces=(Trace(signature="s", magnitude=1.0),)),),
        mechanisms=tuple(Mechanism(id=f"m-{lab}", operator=lab, observes=(Observation(signature="s"),))
                         for lab in LABS),
        flows=tuple(Flow(id=f"f-{lab}", source=lab, target="agency", optional=optional, cost=cost)
                    for lab, cost in zip(LABS, costs)),
        verifiers=(Verifier(id="agency"),),
        threat_model=ThreatModel(colluders=LABS, max=k),
        properties=(PropertySpec(property="non-circumventability", params=(("k", k),)),),
    ))[0]


def test_k_colluders_need_k_plus_one_routes_the_cheapest_first() -> None:
    # One colluder silences one lab: two routes, the two cheapest (1 + 2).
    # With none, the single cheapest route.
    for k, cost, chosen in ((1, 3, ("f-c", "f-d")), (0, 1, ("f-c",))):
        regime = report_routes(k)
        assert oracle.least_cost(regime, regime.properties) == (Fraction(cost), chosen)
        got = optimise(regime, timeout=None)
        assert got.status == "optimal" and got.design is not None
        assert got.design.cost == cost and set(got.design.chosen) == set(chosen)


def test_no_choice_holds_against_every_lab() -> None:
    # Four colluders silence all four labs: nothing to buy helps.
    regime = report_routes(4)
    assert oracle.least_cost(regime, regime.properties) is None
    assert optimise(regime, timeout=None).status == "infeasible"


def test_ties_go_to_fewer_elements_then_declaration_order() -> None:
    # k=0: any one route does; costs 2, 1, 1, 2: the first of the two at 1.
    regime = report_routes(0, costs=(2, 1, 1, 2))
    assert oracle.least_cost(regime, regime.properties) == (Fraction(1), ("f-b",))
    # Routes with no cost count 0, and then the empty choice is not enough
    # but one free route is.
    regime = report_routes(0, costs=(None, 3, None, 1))
    assert oracle.least_cost(regime, regime.properties) == (Fraction(0), ("f-a",))


def test_halves_add_up_exactly() -> None:
    # 0.1 + 0.2 is not 0.3 in binary floating point; the oracle counts the
    # costs as written.
    regime = report_routes(1, costs=(0.1, 0.2, 5, 5))
    assert oracle.least_cost(regime, regime.properties) == (Fraction(3, 10), ("f-a", "f-b"))
    got = optimise(regime, timeout=None)
    assert got.design is not None and got.design.cost == Fraction(3, 10)


def test_removal_keeps_the_cheapest_routes_that_suffice() -> None:
    # Every route in force; removal may drop any mechanism or flow.  Only the
    # flows cost anything (mechanisms count 0), so the least cost is still
    # the two cheapest routes; the optimiser need only agree on the cost.
    regime = report_routes(1, optional=False)
    assert option_ids(regime) == ()
    assert len(option_ids(regime, removal=True)) == 8
    want = oracle.least_cost(regime, regime.properties, removal=True)
    assert want is not None and want[0] == 3
    # The mechanisms of the two labs kept must be kept too; they are free.
    assert set(want[1]) == {"m-c", "m-d", "f-c", "f-d"}
    got = optimise(regime, timeout=None, removal=True)
    assert got.status == "optimal" and got.design is not None and got.design.cost == 3


def gated_route() -> Regime:
    """A sensor whose report can reach the agency cheaply through a council
    that must approve it (the flow and the council both optional), or
    dearly on a direct line."""
    return effective(Regime(
        id="gated",
        actors=(Actor(id="x", kind="state"), Actor(id="op", kind="agency"), Actor(id="agency", kind="agency"),
                Actor(id="c1", kind="state"), Actor(id="c2", kind="state")),
        assets=(Asset(id="site", host="x"),), signatures=(Signature(id="s"),),
        violations=(Violation(id="v", perpetrators=("x",), at="site", traces=(Trace(signature="s", magnitude=1.0),)),),
        mechanisms=(Mechanism(id="sensor", operator="op", observes=(Observation(signature="s"),)),),
        flows=(Flow(id="direct", source="op", target="agency", optional=True, cost=10),
               Flow(id="referral", source="op", target="agency", via=("council",), optional=True, cost=1)),
        bodies=(Body(id="council", members=("c1", "c2"), approve=1, optional=True, cost=4),),
        verifiers=(Verifier(id="agency"),),
        threat_model=ThreatModel(colluders=(), max=0),
        properties=(PropertySpec(property="detectability"),),
    ))[0]


def test_an_option_that_needs_another_is_bought_with_it() -> None:
    regime = gated_route()
    opts = option_ids(regime)
    # Without the council the referral goes with it: buying the referral
    # alone buys nothing.
    assert [f.id for f in choose(regime, ("referral",), opts).flows] == []
    assert not spec_holds(choose(regime, ("referral",), opts), regime.properties[0])
    # So the cheapest design is referral and council, 1 + 4, under the
    # direct line's 10.
    assert oracle.least_cost(regime, regime.properties) == (Fraction(5), ("referral", "council"))
    got = optimise(regime, timeout=None)
    assert got.status == "optimal" and got.design is not None
    assert got.design.cost == 5 and set(got.design.chosen) == {"referral", "council"}


def test_the_analyses_count_as_non_circumventability_at_the_threat_models_size() -> None:
    # The robustness margin holds iff k* reaches max: with max 1, two routes;
    # minimal evasion sets with K=0 ask only that no lone perpetrator evades.
    regime = replace(report_routes(1), properties=(PropertySpec(property="robustness-margin"),))
    assert oracle.least_cost(regime, regime.properties) == (Fraction(3), ("f-c", "f-d"))
    sets = (PropertySpec(property="minimal-evasion-sets", params=(("K", 0),)),)
    assert oracle.least_cost(regime, sets) == (Fraction(1), ("f-c",))


def test_repair_and_early_stop_agree_with_oracle(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The anytime path: every proposal repaired into a design that holds at
    once (REPAIR_AT 0), and the search stopping as soon as a bound meets a
    repaired design.  The answer must still be the oracle's least cost."""
    import verify.analyses.optimise as opt

    monkeypatch.setattr(opt, "REPAIR_AT", 0.0)
    compared = early = 0
    for seed in range(100):
        regime = optional_regime(seed)
        want = oracle.least_cost(regime, regime.properties)
        got = optimise(regime, timeout=1000)
        assert (got.status == "optimal") == (want is not None), (seed, got.status, want)
        if want is not None:
            assert got.design is not None and got.design.cost == want[0], (seed, got.design, want)
            assert _holds_by_oracle(regime, got.design.chosen, False), seed
            early += got.results == ()
        compared += 1
    with capsys.disabled():
        print(f"\noracle agreement (optimise, repair on): {compared} random regimes, {early} ended by a repaired "
              "design meeting the bound; all agreed")
    assert early > 0
