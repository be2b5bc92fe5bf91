"""``verify optimise`` (issue 10) on designs small enough to price by hand."""

from __future__ import annotations

import io
from dataclasses import replace
from fractions import Fraction

import yaml

from verify.analyses.optimise import front, optimise, options, with_choice
from verify.analyses.properties import non_circumventability
from verify.cli import main
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
)
from verify.results import Verdict

LABS = ("a", "b", "c", "d")
COSTS = (5, 3, 1, 2)


def four_routes(k: int = 1, **extra: object) -> Regime:
    """Four labs, each able to buy a report route (its own mechanism) to an
    agency, at costs 5, 3, 1 and 2; any lab may collude."""
    return Regime(
        id="four", actors=(Actor(id="x", kind="state"), Actor(id="agency", kind="agency"),
                           *(Actor(id=lab, kind="lab") for lab in LABS)),
        assets=(Asset(id="site", host="x"),), signatures=(Signature(id="s"),),
        violations=(Violation(id="v", perpetrators=("x",), at="site",
                              traces=(Trace(signature="s", magnitude=1.0),)),),
        mechanisms=tuple(Mechanism(id=f"m-{lab}", operator=lab, observes=(Observation(signature="s"),),
                                   optional=True, cost=cost) for lab, cost in zip(LABS, COSTS)),
        flows=tuple(Flow(id=f"f-{lab}", source=lab, target="agency") for lab in LABS),
        verifiers=(Verifier(id="agency"),),
        threat_model=ThreatModel(colluders=LABS, max=k),
        properties=(PropertySpec(property="non-circumventability", params=(("k", k),)),),
        **extra,  # type: ignore[arg-type]
    )


def test_the_cheapest_routes_that_defeat_k_colluders():
    # k colluders silence k labs: k + 1 routes are needed, the cheapest
    # first: 1, then 1 + 2, then 1 + 2 + 3, then all four.
    for k, want in ((0, {"m-c"}), (1, {"m-c", "m-d"}), (2, {"m-b", "m-c", "m-d"})):
        o = optimise(four_routes(k))
        assert o.status == "optimal"
        assert o.design is not None and set(o.design.chosen) == want
        assert o.design.cost == sum(c for lab, c in zip(LABS, COSTS) if f"m-{lab}" in want)
        assert o.lower_bound == o.design.cost
        # The design really holds, and one cheaper option less would not.
        design = with_choice(four_routes(k), o.design.chosen, options(four_routes(k)))
        assert non_circumventability(design, "v", k).verdict == Verdict.HOLDS


def test_no_choice_helps_when_every_option_is_not_enough():
    o = optimise(four_routes(4))
    assert o.status == "infeasible" and o.design is None
    assert o.results and all(r.verdict == Verdict.FAILS for r in o.results)
    assert len(o.results[0].witness.chosen) == 4


def test_the_front_rises_with_k_and_ends_where_nothing_holds():
    points = front(four_routes(1), kmax=4)
    costs = [p.optimum.design.cost if p.optimum.design else None for p in points]
    assert costs == [1, 3, 6, 11, None]
    assert points[-1].optimum.status == "infeasible"


def test_an_option_that_other_elements_need_is_bought_with_them():
    # A fifth route, from lab e, whose flow is free but passes an optional
    # gate body: buying the flow means buying the gate.  At 4, gate + route
    # c = 5 loses to routes c + d = 3; at 1/2, gate + c = 1.5 wins.
    def with_gate(gate_cost: float) -> Regime:
        base = four_routes(1)
        return replace(
            base,
            actors=(*base.actors, Actor(id="e", kind="lab"), Actor(id="m1", kind="state")),
            mechanisms=(*base.mechanisms, Mechanism(id="m-e", operator="e", observes=(Observation(signature="s"),))),
            flows=(*base.flows, Flow(id="f-e", source="e", target="agency", via=("gate",), optional=True, cost=0)),
            bodies=(Body(id="gate", members=("m1",), approve=1, optional=True, cost=gate_cost),),
            threat_model=ThreatModel(colluders=(*LABS, "e"), max=1))

    expensive = optimise(with_gate(4))
    assert expensive.design is not None and set(expensive.design.chosen) == {"m-c", "m-d"}
    cheap = optimise(with_gate(Fraction(1, 2)))  # type: ignore[arg-type]
    assert cheap.design is not None and set(cheap.design.chosen) == {"f-e", "gate", "m-c"}
    assert cheap.design.cost == Fraction(3, 2)


def test_removal_keeps_only_what_the_properties_need():
    base = four_routes(1)
    in_force = replace(base, mechanisms=tuple(replace(m, optional=False) for m in base.mechanisms))
    o = optimise(in_force, removal=True)
    assert o.status == "optimal" and o.design is not None
    # Only mechanisms cost anything: keep the two cheapest; the flows of the
    # dropped ones go too (cost 0), as few elements as possible.
    assert set(o.design.chosen) == {"m-c", "m-d", "f-c", "f-d"}


def _yaml(tmp_path, doc: dict) -> str:
    path = tmp_path / "candidates.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return str(path)


def test_the_command_prints_the_optimum_and_draws_the_front(tmp_path):
    doc = {
        "regime": "cand", "actors": [{"id": "x", "kind": "state"}, {"id": "agency", "kind": "agency"}]
        + [{"id": lab, "kind": "lab"} for lab in LABS],
        "assets": [{"id": "site", "host": "x"}], "signatures": [{"id": "s"}],
        "violations": [{"id": "v", "perpetrator": "x", "at": "site",
                        "signatures": [{"signature": "s", "magnitude": 1}]}],
        "mechanisms": [{"id": f"m-{lab}", "operator": lab, "observes": ["s"], "optional": True, "cost": c}
                       for lab, c in zip(LABS, COSTS)],
        "flows": [{"id": f"f-{lab}", "from": lab, "to": "agency"} for lab in LABS],
        "verifiers": ["agency"], "threat_model": {"colluders": list(LABS), "max": 1},
        "properties": [{"property": "non-circumventability", "k": 1}],
    }
    path = _yaml(tmp_path, doc)
    out, err = io.StringIO(), io.StringIO()
    assert main(["optimise", path], out, err) == 0, err.getvalue()
    assert "optimal: add m-c, m-d; cost 3" in out.getvalue()
    svg = tmp_path / "front.svg"
    out = io.StringIO()
    assert main(["optimise", path, "--front", "4", "--svg", str(svg)], out, err) == 0, err.getvalue()
    assert "  2  6     m-b, m-c, m-d" in out.getvalue()
    text = svg.read_text()
    assert text.startswith("<svg") and text.count("<circle") == 4
    out = io.StringIO()
    assert main(["optimise", path, "--format", "json"], out, err) == 0
    assert '"cost": "3"' in out.getvalue()
    doc["properties"] = [{"property": "non-circumventability", "k": 4}]
    assert main(["optimise", _yaml(tmp_path, doc)], io.StringIO(), err) == 1
    assert main(["optimise", path, "--svg", str(svg)], io.StringIO(), err) == 2


def test_a_search_cut_short_has_a_repaired_design_to_report(monkeypatch):
    """Past REPAIR_AT of the time, the latest proposal is grown, cheapest
    defeating option first, into a design that holds: an upper bound; when
    the proven lower bound meets it, that design is optimal."""
    import verify.analyses.optimise as opt

    monkeypatch.setattr(opt, "REPAIR_AT", 0.0)
    got = optimise(four_routes(k=1), timeout=600)
    # The first proposal, m-c alone (cost 1), evades with c; the cheapest
    # option that defeats that coalition is m-d (2): {m-c, m-d} holds at 3,
    # and the next proposal's bound is 3.
    assert got.status == "optimal"
    assert got.design is not None and set(got.design.chosen) == {"m-c", "m-d"}
    assert got.design.cost == 3 == got.lower_bound
    chosen = with_choice(four_routes(k=1), got.design.chosen, options(four_routes(k=1)))
    assert non_circumventability(chosen, "v", 1).verdict == Verdict.HOLDS


def test_a_gap_names_a_design_that_holds_and_a_bound_below_it(tmp_path, monkeypatch):
    """200 options on 1,000 actors against two accomplices, cut at 20 s:
    whatever the search reaches, the design it names holds, costs less than
    buying everything, and the bound is below its cost."""
    import sys
    from pathlib import Path

    from verify.load import load

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from generate import candidates

    path = tmp_path / "cand.yaml"
    path.write_text(yaml.safe_dump(candidates(1000, 200, k=2)), encoding="utf-8")
    regime = load(str(path))
    import verify.analyses.optimise as opt

    # Repair after the first proposal, so that a loaded machine still has
    # the time to finish it.
    monkeypatch.setattr(opt, "REPAIR_AT", 0.0)
    got = optimise(regime, timeout=30)
    assert got.status in ("gap", "optimal")
    assert got.design is not None and got.lower_bound is not None
    assert got.lower_bound <= got.design.cost
    full = sum((Fraction(str(e.cost)) for e in [*regime.mechanisms, *regime.flows] if e.optional), Fraction(0))
    assert got.design.cost < full  # a repaired design, not merely "everything"
    chosen = with_choice(regime, got.design.chosen, options(regime))
    assert non_circumventability(chosen, "covert-run", 2).verdict == Verdict.HOLDS
