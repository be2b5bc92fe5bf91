"""Named decisions and counted councils, on regimes small enough to work out
by hand: each figure below is derived in a comment, then the engine and the
oracle must both give it."""

from __future__ import annotations

from verify import oracle
from verify.analyses.properties import minimal_evasion_sets, non_circumventability, robustness_margin, timeliness
from verify.engine import Query, Scenario, compile_rules, detection
from verify.model import (
    REQUESTER,
    Actor,
    Asset,
    Body,
    Decision,
    Flow,
    Mechanism,
    Observation,
    Regime,
    Signature,
    ThreatModel,
    Trace,
    Verifier,
    Violation,
    effective,
)
from verify.results import KStar, Verdict


def _launch(persists: int | None = None) -> Regime:
    """An NGO's tip reaches a council by its decision ``open`` (approve 2,
    3 days); the council's decision ``launch`` (approve 2, 10 days) sends
    inspectors (notice 1, latency 2) to the site."""
    return effective(Regime(
        id="launch",
        actors=(Actor(id="x", kind="state"), Actor(id="ngo", kind="ngo"), Actor(id="insp", kind="inspectorate"),
                Actor(id="m1", kind="state"), Actor(id="m2", kind="state"), Actor(id="m3", kind="state")),
        assets=(Asset(id="site", host="x"),),
        signatures=(Signature(id="sig"),),
        violations=(Violation(id="v", perpetrators=("x",), at="site",
                              traces=(Trace(signature="sig", magnitude=1.0, persists=persists),)),),
        mechanisms=(
            Mechanism(id="tip", operator="ngo", observes=(Observation(signature="sig"),), at=("site",), latency=1),
            Mechanism(id="inspect", operator="insp", observes=(Observation(signature="sig"),), at=("site",),
                      triggered_by="launch", notice=1, latency=2),
        ),
        flows=(Flow(id="report", source="ngo", target="council", latency=2, decision="open"),),
        bodies=(Body(id="council", members=("m1", "m2", "m3")),),
        decisions=(Decision(id="open", body="council", approve=2, latency=3),
                   Decision(id="launch", body="council", approve=2, latency=10)),
        verifiers=(Verifier(id="insp"),),
        threat_model=ThreatModel(colluders=("m1", "m2", "m3"), max=1),
    ))[0]


def test_a_decision_trigger_starts_the_mechanism_after_the_decision():
    # tip seen at 1; at the council 1 + 2 + 3 (open) = 6; launch decided at
    # 6 + 10 = 16; inspectors observe at 16 + 1 = 17, report at 17 + 2 = 19.
    regime = _launch()
    graph = compile_rules(regime, "v", "x")
    found = detection(regime, graph, Scenario(frozenset({"x"})))
    assert found is not None and found[0] == 19
    assert oracle.detection_time(regime, "v", "x", frozenset({"x"})) == 19
    assert timeliness(regime, "v", 19, 0).verdict == Verdict.HOLDS
    assert timeliness(regime, "v", 18, 0).verdict == Verdict.FAILS


def test_a_trace_gone_before_the_decided_inspection_is_not_seen():
    # Persisting until 16, the trace is gone when the inspectors look at 17;
    # until 17, it is still there.
    for persists, seen in ((16, False), (17, True)):
        regime = _launch(persists)
        graph = compile_rules(regime, "v", "x")
        found = detection(regime, graph, Scenario(frozenset({"x"})))
        assert (found is not None) == seen, persists
        assert (oracle.detection_time(regime, "v", "x", frozenset({"x"})) is not None) == seen, persists


def test_two_colluders_block_a_two_of_three_approval():
    # Approve 2 of 3: one colluder leaves two yes votes, two leave one.
    regime = _launch()
    assert non_circumventability(regime, "v", 1).verdict == Verdict.HOLDS
    fails = non_circumventability(regime, "v", 2)
    assert fails.verdict == Verdict.FAILS and fails.witness is not None
    assert len(fails.witness.chosen) == 2
    assert robustness_margin(regime, "v").figures.kstar == KStar.of(1)


def _requests(recused: tuple[str, ...]) -> Regime:
    """Two states, r1 and r2, each see the violation and request an
    inspection; the council (r1, r2, a, b) lets a request through by its
    decision ``go``: 3 yes votes, with ``recused``."""
    members = ("r1", "r2", "a", "b")
    return effective(Regime(
        id="requests",
        actors=(Actor(id="x", kind="state"), Actor(id="ts", kind="inspectorate"),
                *(Actor(id=m, kind="state") for m in members)),
        assets=(Asset(id="site", host="x"),),
        signatures=(Signature(id="sig"),),
        violations=(Violation(id="v", perpetrators=("x",), at="site",
                              traces=(Trace(signature="sig", magnitude=1.0),)),),
        mechanisms=tuple(Mechanism(id=f"means-{r}", operator=r, observes=(Observation(signature="sig"),))
                         for r in ("r1", "r2")),
        flows=tuple(Flow(id=f"request-{r}", source=r, target="ts", via=("go",)) for r in ("r1", "r2")),
        bodies=(Body(id="council", members=members),),
        decisions=(Decision(id="go", body="council", approve=3, recused=recused),),
        verifiers=(Verifier(id="ts"),),
        threat_model=ThreatModel(colluders=members, max=1),
    ))[0]


def test_recusing_the_requester_costs_its_yes_vote():
    # Recused, r1's request counts r2, a, b: any one colluder among them
    # leaves 2 of the 3 yes votes needed, and r2's request likewise; a
    # colluding requester stays silent and its vote still counts against the
    # other request.  So every single member evades: k* = 0.  Not recused,
    # 4 voters and 3 needed: one colluder leaves 3 (k* >= 1), two leave 2.
    regime = _requests((REQUESTER,))
    assert robustness_margin(regime, "v").figures.kstar == KStar.of(0)
    assert oracle.robustness_margin(regime, "v").k_star == 0
    sets = minimal_evasion_sets(regime, "v", 1).figures
    assert sorted(s for _, s in sets.expanded()) == [("a",), ("b",), ("r1",), ("r2",)]
    plain = _requests(())
    assert robustness_margin(plain, "v").figures.kstar == KStar.of(1)
    assert oracle.robustness_margin(plain, "v").k_star == 1


def _council(n: int, block: int) -> Regime:
    members = tuple(f"m{i:02d}" for i in range(n))
    return effective(Regime(
        id="council",
        actors=(Actor(id="x", kind="state"), Actor(id="req", kind="state"), Actor(id="ts", kind="inspectorate"),
                *(Actor(id=m, kind="state") for m in members)),
        assets=(Asset(id="site", host="x"),),
        signatures=(Signature(id="sig"),),
        violations=(Violation(id="v", perpetrators=("x",), at="site",
                              traces=(Trace(signature="sig", magnitude=1.0),)),),
        mechanisms=(Mechanism(id="means", operator="req", observes=(Observation(signature="sig"),)),),
        flows=(Flow(id="request", source="req", target="ts", via=("red-light",)),),
        bodies=(Body(id="ec", members=("x", *members)),),
        decisions=(Decision(id="red-light", body="ec", block=block, recused=("perpetrator",)),),
        verifiers=(Verifier(id="ts"),),
        threat_model=ThreatModel(colluders=members, max=1),
    ))[0]


def test_a_large_council_is_counted_as_one_group():
    # 40 interchangeable members besides the recused perpetrator; 31 no
    # votes stop the request: 30 colluders cannot, 31 can, and the only
    # minimal evasion set is "any 31 of the 40".
    regime = _council(40, 31)
    q = Query(regime, compile_rules(regime, "v", "x"))
    assert [len(g) for g in q.groups] == [40]
    assert non_circumventability(regime, "v", 30).verdict == Verdict.HOLDS
    fails = non_circumventability(regime, "v", 31)
    assert fails.verdict == Verdict.FAILS and fails.witness is not None
    assert len(fails.witness.chosen) == 31
    assert [len(g.members) for g in fails.witness.groups] == [40]
    sets = minimal_evasion_sets(regime, "v", 40).figures
    assert [len(s) for _, s in sets.sets] == [31]
    assert [(len(g.members), g.sets) for g in sets.groups] == [(40, 1)]
    assert robustness_margin(regime, "v").figures.kstar == KStar.of(30)
    assert oracle.robustness_margin(regime, "v", shortcut=True).k_star == 30


def test_a_clock_from_the_report_reaching_the_council():
    # The report first delivers at 6 (1 + 2 + 3 for the decision "open"),
    # the inspectors' report at 19: 13 after.  Two colluders block "open",
    # so the report never delivers and no clock starts: the property holds
    # even at k = 2, where non-circumventability fails.
    regime = _launch()
    held = timeliness(regime, "v", 13, 1, start="report")
    assert held.verdict == Verdict.HOLDS and held.figures.time == 13
    fails = timeliness(regime, "v", 12, 0, start="report")
    assert fails.verdict == Verdict.FAILS and fails.witness is not None
    assert fails.witness.clock == ("report", 6) and fails.witness.detection_time == 19
    assert timeliness(regime, "v", 13, 2, start="report").verdict == Verdict.HOLDS
    assert oracle.timeliness(regime, "v", 13, 2, start="report").holds
    assert not oracle.timeliness(regime, "v", 12, 0, start="report").holds


def test_check_takes_a_clock_from_the_command_line(tmp_path):
    import io

    import yaml

    from verify.cli import main

    doc = {
        "regime": "clock",
        "actors": [{"id": "x", "kind": "state"}, {"id": "ngo", "kind": "ngo"}, {"id": "agency", "kind": "agency"}],
        "assets": [{"id": "site", "host": "x"}], "signatures": [{"id": "sig"}],
        "violations": [{"id": "v", "perpetrator": "x", "at": "site",
                        "signatures": [{"signature": "sig", "magnitude": 1}]}],
        "mechanisms": [{"id": "tip", "operator": "ngo", "observes": ["sig"], "latency": "2d"}],
        "flows": [{"id": "hotline", "from": "ngo", "to": "agency", "latency": "36h"}],
        "verifiers": ["agency"], "threat_model": {"colluders": ["ngo"], "max": 0},
    }
    path = tmp_path / "clock.yaml"
    path.write_text(yaml.safe_dump(doc))
    out, err = io.StringIO(), io.StringIO()
    # Seen at 2d, the hotline delivers at 3.5d: 0 after the clock starts
    # from the hotline, 1.5d after it starts from the tip.
    assert main(["check", str(path), "-p", "timeliness", "-T", "0", "-k", "0", "--from", "hotline"], out, err) == 0
    assert main(["check", str(path), "-p", "timeliness", "-T", "1d", "-k", "0", "--from", "tip"], out, err) == 1
    assert "1.5d after the clock starts" in out.getvalue()
    assert main(["check", str(path), "-p", "timeliness", "-T", "1d", "--from", "nothing"], out, err) == 2
    assert "'nothing' is not a mechanism or flow" in err.getvalue()
