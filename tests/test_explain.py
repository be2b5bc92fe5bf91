"""Explanations: the words of a counterexample, and that they tell the truth.

The words are tested as words (a changed label or sentence fails here), one
scenario per reason code; and on the random regimes of the agreement test,
every step an explanation says is blocked is blocked in the oracle's own
evaluation of the same scenario, every step it says passes arrives when the
oracle says, and every noticed breach is one the oracle notices.
"""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

from test_agreement import random_regime
from test_oracle import flow, make, mech
from verify import oracle
from verify.analyses.properties import detectability, non_circumventability, witness
from verify.cli import main as cli
from verify.engine import compile_rules
from verify.explain import block_text, explain, route_text
from verify.load import load
from verify.model import Body, Regime, Trace
from verify.oracle.evaluate import Index, evidence_times_by_origin
from verify.oracle.evaluate import Scenario as OracleScenario
from verify.results import Block, Grade, Reason, StepKind, Verdict, Vote

ROOT = Path(__file__).resolve().parents[1]
D = 86400


def lines_of(regime: Regime, chosen=(), failed=(), p="P", direct=False) -> list[str]:
    graph = compile_rules(regime, "v", p, direct)
    w = witness(regime, graph, chosen, failed)
    return [line for route in w.routes for line in route_text(regime, route)]


# ------------------------------------------------ one scenario per reason


def test_operator_in_coalition():
    r = make(["P", "O", "V"], [mech("m", "O")], [flow("f", "O", "V")])
    assert lines_of(r, ["O"]) == [
        "m observes -> O [direct]",
        "blocked at m: O operates m and reports nothing (its output is not sealed)",
    ]


def test_failed_mechanism():
    r = make(["P", "O", "V"], [mech("m", "O")], [flow("f", "O", "V")])
    assert lines_of(r, failed=["m"]) == ["m observes -> O [direct]", "blocked at m: m has failed"]


def test_receiver_in_coalition_and_arrival():
    r = make(["P", "O", "R", "V"], [mech("m", "O", latency=2)], [flow("f", "O", "R", latency=3), flow("g", "R", "V")])
    assert lines_of(r, ["R"]) == [
        "m observes -> O [direct] => f -> R",
        "blocked at f: R receives f but is in the coalition",
    ]
    assert lines_of(r) == ["m observes -> O [direct] => f -> R => g -> V", "arrives at V after 5s"]


def test_withheld_seal_noticed_and_not():
    def regime(mandatory: bool) -> Regime:
        return make(["P", "O", "V"], [mech("m", "O", tamper_evident=True)],
                    [flow("f", "O", "V", mandatory=mandatory)])
    assert lines_of(regime(False), ["O"]) == [
        "m observes -> O [sealed] => f -> V",
        "blocked at f: O withholds the sealed evidence on f (not noticed: the report is not mandatory)",
    ]
    assert lines_of(regime(True), ["O"]) == [
        "m observes -> O [sealed] => f (missing) -> V [indirect]",
        "at f: O withholds the sealed evidence on f (noticed: the report is mandatory)",
        "arrives at V after 0",
    ]


def test_relays_drop_or_alter():
    def regime(**kw) -> Regime:
        return make(["P", "O", "X", "V"], [mech("m", "O")], [flow("f", "O", "V", via=("X",), **kw)])
    assert lines_of(regime(), ["X"]) == [
        "m observes -> O [direct] => f -> V",
        "blocked at f: X relays f and replaces the report (it is not authenticated)",
    ]
    assert lines_of(regime(authenticated=True), ["X"]) == [
        "m observes -> O [direct] => f -> V",
        "blocked at f: X relays f and drops the report (not noticed: the report is not mandatory)",
    ]
    assert lines_of(regime(authenticated=True, mandatory=True), ["X"])[1:] == [
        "at f: X relays f and drops the report (noticed: the report is mandatory)",
        "arrives at V after 0",
    ]


def test_access_refused_concealed_at_the_boundary():
    """A warned host hides a trace when its notice is at least the time the
    trace needs (semantics: hidden iff notice >= conceal)."""
    def regime(conceal: int) -> Regime:
        traces = (Trace(signature="sig", magnitude=10.0, conceal=conceal),)
        return make(["P", "O", "V"], [mech("m", "O", requires_access=("host",), mandatory=True, notice=4 * D)],
                    [flow("f", "O", "V")], traces=traces)
    assert lines_of(regime(4 * D)) == [
        "m observes -> O [direct]",
        "blocked at m: P is warned 4d ahead and hides every trace m could see (it needs at most 4d), "
        "then grants access",
    ]
    assert lines_of(regime(4 * D + 1)) == [
        "m (refused) -> O [indirect] => f -> V",
        "at m: P refuses m access (noticed: the refusal is itself evidence, which the operator reports)",
        "arrives at V after 4d",
    ]
    # The operator too in the coalition: nobody reports the refusal.
    assert lines_of(regime(4 * D + 1), ["O"])[1] == \
        "blocked at m: P refuses m access (not noticed: the operator O is in the coalition too)"


def test_an_operator_that_must_grant_access_itself():
    """The operator is also the access holder: refusing is being the
    corrupt operator, and nobody reports it."""
    r = make(["P", "O", "V"], [mech("m", "O", requires_access=("O",), mandatory=True)],
             [flow("f", "O", "V", mandatory=True)], colluders=("O",))
    assert lines_of(r, ["O"])[1] == \
        "blocked at m: O refuses m access (not noticed: the operator O is in the coalition too)"


def test_a_failed_operator_is_asked_for_nothing():
    r = make(["P", "O", "V"], [mech("m", "O", requires_access=("host",), mandatory=True)], [flow("f", "O", "V")])
    assert lines_of(r, failed=["O"])[1] == "blocked at m: O has failed"


def test_a_trigger_exactly_at_the_limit_still_sees():
    """Called for at the last moment the trace persists for: it sees; one
    second later: faded (the same bound as the engine's own evaluation)."""
    def regime(latency: int) -> Regime:
        traces = (Trace(signature="sig", magnitude=10.0, persists=5 * D),)
        return make(["P", "S", "O", "T", "V"],
                    [mech("s", "S", latency=latency, tamper_evident=True), mech("m", "O", triggered_by="T", period=D)],
                    [flow("h", "S", "T"), flow("g", "O", "V")], traces=traces)
    assert lines_of(regime(4 * D))[-1] == "arrives at V after 5d"
    assert lines_of(regime(4 * D + 1))[-1] == \
        "blocked at m: m is called for only at 4d 1s, after every trace it could see has faded " \
        "(it had to be called for by 4d)"


def test_refusal_not_mandatory():
    r = make(["P", "O", "V"], [mech("m", "O", requires_access=("host",))], [flow("f", "O", "V")])
    assert lines_of(r)[1] == "blocked at m: P refuses m access (not noticed: access is not mandatory)"


def test_trigger_in_coalition_and_faded_trace():
    """T is alerted by S's sealed logs and calls for m; the trace persists
    for 5 days, and m observes a day after it is called for."""
    traces = (Trace(signature="sig", magnitude=10.0, persists=5 * D),)

    def regime(latency: int) -> Regime:
        return make(["P", "S", "O", "T", "V"],
                    [mech("s", "S", latency=latency, tamper_evident=True),
                     mech("m", "O", triggered_by="T", period=D)],
                    [flow("h", "S", "T"), flow("g", "O", "V")], traces=traces)
    assert lines_of(regime(3 * D)) == ["s observes -> S [sealed] => h -> T => m observes -> O [direct] => g -> V",
                                       "arrives at V after 4d"]
    assert lines_of(regime(5 * D))[-1] == \
        "blocked at m: m is called for only at 5d, after every trace it could see has faded (it had to be called " \
        "for by 4d)"
    assert lines_of(regime(3 * D), ["T"])[-1] == "blocked at m: T is in the coalition and never calls for m"


def test_votes_in_words():
    council = Body(id="C", members=("A", "B", "D"), approve=2)
    r = make(["P", "O", "A", "B", "D"], [mech("m", "O")], [flow("f", "O", "C")], bodies=[council],
             verifiers=("C",))
    assert lines_of(r, ["A", "B"])[1] == "blocked at f: C's vote fails: 1 yes vote (D) of the 2 needed"
    blocker = Body(id="C", members=("A", "B", "D", "P"), block=2, recused=("perpetrator",))
    r = make(["P", "O", "A", "B", "D"], [mech("m", "O")], [flow("f", "O", "C")], bodies=[blocker],
             verifiers=("C",))
    assert lines_of(r, ["A", "B"])[1] == "blocked at f: C's vote is blocked by A, B (2 no votes stop it) (P recused)"


def test_verifier_in_coalition_and_direct_only():
    r = make(["P", "O", "V"], [mech("m", "O")], [flow("f", "O", "V")])
    assert lines_of(r, ["V"])[-1] == "blocked at f: V receives f but is in the coalition"
    sealed = make(["P", "O", "V"], [mech("m", "O", tamper_evident=True)], [flow("f", "O", "V")])
    assert lines_of(sealed, ["V"])[-1] == "reaches V, which does not count it: V is in the coalition"
    traces = (Trace(signature="sig", magnitude=10.0),)
    refused = make(["P", "O", "V"], [mech("m", "O", requires_access=("host",), mandatory=True)],
                   [flow("f", "O", "V")], traces=traces)
    assert lines_of(refused, direct=True)[-1] == \
        "reaches V, which does not count it: V holds only indirect evidence, and only direct evidence counts"


def test_every_reason_has_words():
    for reason in Reason:
        if reason in (Reason.NOT_COVERED, Reason.ZERO_PROBABILITY, Reason.BELOW_THRESHOLD, Reason.NOT_OBSERVED):
            continue
        vote = Vote("C", "approve", 2, ()) if reason == Reason.BLOCKED_VOTE else None
        assert block_text(Block(reason, "x", vote=vote, at=1, limit=0, notice=1, conceal=1), "e")


# ------------------------------------------- the refused challenge inspection

CHALLENGE = """\
regime: challenge-inspection
actors:
  - {id: state-x, kind: state}
  - {id: state-r, kind: state}
  - {id: state-a, kind: state}
  - {id: state-b, kind: state}
  - {id: state-c, kind: state}
  - {id: inspectorate, kind: inspectorate}
assets:
  - {id: site, host: state-x}
signatures:
  - {id: residue}
violations:
  - id: production
    perpetrator: state-x
    at: site
    signatures:
      - {signature: residue, magnitude: 1, persists: forever, conceal: never}
mechanisms:
  - id: national-means
    operator: state-r
    observes: [{signature: residue, threshold: 0}]
    latency: 1d
  - id: challenge
    kind: inspection
    operator: inspectorate
    observes: [{signature: residue, threshold: 0}]
    triggered_by: council
    requires_access: [host]
    mandatory: true
    notice: 12h
bodies:
  - {id: council, members: [state-a, state-b, state-c, state-r], block: 3, recused: [perpetrator]}
  - {id: conference, members: [state-a, state-b, state-c, state-r], approve: 3, recused: [perpetrator]}
flows:
  - {id: request, from: state-r, to: council, latency: 1d}
  - {id: inspection-report, from: inspectorate, to: conference, latency: 7d, mandatory: true}
verifiers:
  - {id: conference}
threat_model:
  max: 2
  colluders: [state-a, state-b, state-c]
properties:
  - {property: non-circumventability, k: 2}
"""


def test_refused_inspection_shows_the_vote_that_decides_the_finding(tmp_path):
    path = tmp_path / "challenge.yaml"
    path.write_text(CHALLENGE)
    regime = load(path)
    result = non_circumventability(regime, "production", 2)
    assert result.verdict == Verdict.FAILS
    assert explain(regime, result)[2:] == [
        "  coalition: state-x [perpetrator]; state-a, state-b: any 2 of the 3 members of council and conference"
        " would do [chosen colluders]",
        "  route 1: national-means observes -> state-r [direct] => request -> council => challenge (refused) -> "
        "inspectorate [indirect] => inspection-report -> conference",
        "           at challenge: state-x refuses challenge access (noticed: the refusal is itself evidence, "
        "which the operator reports)",
        "           blocked at inspection-report: conference's vote fails: 2 yes votes (state-c, state-r) of the "
        "3 needed",
        "  noticed: inspectorate notices a refused access to challenge at 2.5d",
        "  outcome: no verifier outside the coalition ever holds evidence",
    ]
    # The same with codes, for programs.
    out = tmp_path / "out.json"
    assert cli(["check", str(path), "--format", "json", "-o", str(out)], io.StringIO()) == 1
    steps = json.loads(out.read_text())["files"][0]["results"][0]["witness"]["routes"][0]["steps"]
    assert [s["reason"] and s["reason"]["code"] for s in steps] == [None, None, "refused-access", "blocked-vote"]
    assert steps[2]["reason"]["noticed"] is True and steps[2]["grade"] == "I"
    # A non-null `blocked` still means the route stops there (verify-results/1).
    assert steps[2]["blocked"] is None and steps[2]["noticed"].startswith("state-x refuses challenge access")
    assert steps[3]["blocked"].startswith("conference's vote fails")
    assert steps[3]["reason"]["vote"] == {"body": "conference", "decision": None, "rule": "approve", "needed": 3,
                                          "counted": ["state-c", "state-r"], "recused": []}


def test_rests_on_in_words():
    regime = load(ROOT / "designs" / "flagship-ai-agreement.yaml")
    result = detectability(regime, "covert-training-run")
    assert explain(regime, result)[1] == \
        "rests on: chip-attest-agency, chip-logging (removing any of these may break it)"


# ------------------------------------------ explanations against the oracle

_ORACLE_GRADE = {Grade.SEALED: oracle.SEALED, Grade.DIRECT: oracle.DIRECT, Grade.INDIRECT: oracle.INDIRECT}


def _one_step(osc: OracleScenario, regime: Regime, step, before, origin: str) -> tuple[str, str, int, str] | None:
    """What the oracle's own single-step evaluation gives for ``step``, taken
    from what the route held just before it (None: START); ``origin``: the
    mechanism the evidence comes from (a flow may forward only some)."""
    if step.kind == StepKind.OBSERVE:
        m = regime.mechanism[step.element]
        d = regime.decision.get(m.triggered_by or "")
        if d is not None and not osc.vote_passes(d.id, None):
            return None  # the decision that would call for it is not taken
        trigger = m.triggered_by if d is None else d.body
        if trigger is not None and not osc.honest(trigger):
            return None  # a trigger in the coalition (or failed) never fires
        return osc.observe(m, (0 if before is None else before.time) + (0 if d is None else d.latency))
    return osc.send(regime.flow[step.element], _ORACLE_GRADE[before.grade], before.time, origin)


def test_explained_blocks_are_blocked_in_the_oracle():
    checked = {"pass": 0, "noticed": 0, "blocked": 0, "end": 0}
    for seed in range(150):
        rng = random.Random(seed)
        regime = random_regime(rng)
        direct = rng.random() < 0.25
        index = Index.build(regime, "v")
        for p in regime.violation["v"].perpetrators:
            graph = compile_rules(regime, "v", p, direct)
            cands = list(graph.candidates)
            for _ in range(3):
                chosen = rng.sample(cands, rng.randint(0, min(2, len(cands))))
                coalition = oracle.coalition_of(regime, p, chosen)
                failable = [m.id for m in regime.mechanisms] + [f.id for f in regime.flows] + \
                    [a.id for a in regime.actors if a.id not in coalition]
                failed = rng.sample(failable, 1) if rng.random() < 0.3 else []
                w = witness(regime, graph, chosen, failed)
                osc = OracleScenario(index, p, coalition, frozenset(failed))
                for route in w.routes:
                    before = None
                    origin = ""
                    for step in route.steps:
                        if step.kind == StepKind.OBSERVE:
                            origin = step.element
                        got = _one_step(osc, regime, step, before, origin)
                        # A flow's vote is taken in send(), on receipt.
                        held = got is not None and osc.can_hold(got[0], got[1], step.kind == StepKind.PASS)
                        where = (seed, p, chosen, failed, step)
                        if step.block is None:
                            assert held and got[:2] == (step.holder, _ORACLE_GRADE[step.grade]), where
                            checked["pass"] += 1
                        elif step.block.noticed:
                            assert held and got[:2] == (step.holder, oracle.INDIRECT), where
                            checked["noticed"] += 1
                        else:
                            # Blocked: nothing the holder may hold comes of it
                            # (a refusal or a missing report would be noticed).
                            assert not held, where
                            checked["blocked"] += 1
                            break
                        before = step
                    else:
                        last = route.steps[-1]
                        rule = next((v for v in regime.verifiers if v.id == route.verifier), None)
                        if rule is not None and rule.independent > 1:
                            continue  # one route alone never meets it; test_findings compares those
                        accepted = osc.finds(route.verifier, {(_ORACLE_GRADE[last.grade], origin)}, direct, False)
                        assert accepted == (route.end is None), (seed, p, chosen, failed, route)
                        checked["end"] += 1
                # The first arrival of every passing step is the oracle's.
                times = oracle.evidence_times(regime, "v", p, coalition, frozenset(failed))
                tagged = evidence_times_by_origin(regime, "v", p, coalition, frozenset(failed))
                for route in w.routes:
                    origin = ""
                    for step in route.steps:
                        if step.kind == StepKind.OBSERVE:
                            origin = step.element
                        if step.time is not None and regime.by_origin:
                            assert tagged[(step.holder, _ORACLE_GRADE[step.grade], origin)] == step.time, (seed, step)
                        elif step.time is not None:
                            assert times[(step.holder, _ORACLE_GRADE[step.grade])] == step.time, (seed, step)
    # The corpus exercises every branch, not just the easy one.
    assert min(checked.values()) > 20, checked


# ---------------------------------------------- whole explanations, as words


def test_a_whole_counterexample_in_words():
    """Every line of a counterexample: header, coalition roles, failures,
    routes, mechanisms that cannot see, outcome."""
    regime = load(ROOT / "designs" / "iaea-safeguards.yaml")
    result = verify_check(regime, "fault-tolerance", f=1, violation="pu-diversion")
    assert explain(regime, result)[1:] == [
        "counterexample for perpetrator state-n:",
        "  coalition: state-n (State N) [perpetrator]; n-operator (State N's nuclear operator) [controlled by the "
        "coalition]; n-ssac (State N's system of accounting for and control of nuclear material (SSAC)) "
        "[controlled by the coalition]",
        "  failed: iaea",
        "  route 1: cs-monitoring observes -> iaea [sealed]",
        "           blocked at cs-monitoring: iaea has failed",
        "  route 2: routine-inspection observes -> iaea [direct]",
        "           blocked at routine-inspection: iaea has failed",
        "  route 3: accounting-reports observes -> n-ssac [direct]",
        "           blocked at accounting-reports: n-ssac operates accounting-reports and reports nothing "
        "(its output is not sealed)",
        "  ap-declaration cannot see pu-diversion: it observes site-activity, which the violation does not leave",
        "  complementary-access cannot see pu-diversion: it observes site-activity, env-particles, which the "
        "violation does not leave",
        "  wide-area-sampling cannot see pu-diversion: it observes env-particles, which the violation does not leave",
        "  outcome: no verifier outside the coalition ever holds evidence",
    ]


def test_analyses_in_words():
    regime = load(ROOT / "designs" / "flagship-ai-agreement.yaml")
    margin = explain(regime, verify_check(regime, "robustness-margin"))
    assert margin[1:5] == ["k* = 2", "without each mechanism or flow, k* would be:",
                           "  chip-logging: 0  (drops from 2)", "  aisi-network-report: 1  (drops from 2)"]
    # The list ends where the counterexample (k*+1 colluders that evade) begins.
    assert margin[margin.index("scenario for perpetrator state-a:") - 1] == "  wb-to-agency: 2"
    sets = explain(regime, verify_check(regime, "minimal-evasion-sets", K=3))
    assert sets[1] == "evades: state-a with uk, agency, insider"
    assert sets[-1] == "criticality: agency 4, uk 2, aisi-uk 2, insider 2, wb-ngo 2"
    worst = explain(regime, verify_check(regime, "timeliness", T="90d", k=2))
    assert worst[1] == "worst case: first evidence after 51d, when state-a colludes with aisi-uk, agency"


def verify_check(regime: Regime, prop: str, **params: object):
    import verify

    [result] = verify.check(regime, prop, **params)  # type: ignore[arg-type]
    return result


# ------------------------------------------------ route enumeration against networkx

def test_shortest_simple_paths_are_networkx_s_path_for_path():
    """The routes an explanation shows are enumerated by a port of
    networkx's Yen's algorithm over plain adjacency lists (issue 14: building
    the networkx graph was a third of a walk).  Same graphs, edges added in
    the same order: the same paths in the same order, ties included."""
    import networkx as nx

    from verify.analyses.routes import shortest_simple_paths

    rng = random.Random(2026)
    compared = empty = 0
    for _ in range(600):
        n = rng.randint(2, 14)
        nodes = [("", str(i), "") for i in range(n)]
        edges = list(dict.fromkeys((rng.choice(nodes), rng.choice(nodes)) for _ in range(rng.randint(0, 4 * n))))
        edges = [(u, v) for u, v in edges if u != v]
        g = nx.DiGraph()
        g.add_nodes_from(nodes)
        g.add_edges_from(edges)
        succ: dict = {}
        pred: dict = {}
        for u, v in edges:
            succ.setdefault(u, []).append(v)
            pred.setdefault(v, []).append(u)
        source, target = nodes[0], nodes[-1]
        limit = rng.randint(1, 30)
        ours = [p for _, p in zip(range(limit), shortest_simple_paths(succ, pred, source, target))]
        if not nx.has_path(g, source, target):
            assert ours == []
            empty += 1
            continue
        theirs = [p for _, p in zip(range(limit), nx.shortest_simple_paths(g, source, target))]
        assert ours == theirs, (edges, source, target)
        compared += len(theirs)
    assert compared > 800 and empty > 20, (compared, empty)
    print(f"route enumeration: {compared} paths as networkx's, {empty} graphs without one")
