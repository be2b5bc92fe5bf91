"""The z3 engine against the brute-force oracle, on random regimes.

This is how users can trust the engine: two implementations written
independently from docs/semantics.md (the oracle imports nothing of
verify.engine) must agree on every verdict, on the size of the smallest
counterexample and on detection times, and both must be monotone.

The generator uses every element type: control, assets and coverage,
thresholds, persistence and concealment, access (host and named), mandatory
and tamper-evident mechanisms, triggers (actors and bodies), flows with
relays and gates, mandatory and authenticated flows, approve and block votes
with recusal, named decisions (gates, receipt and triggers; recusing the
requester; bodies with no rule of their own), several verifiers, a colluder
pool, several perpetrators.

The same 300 regimes (seeds 0-299) are compared in every run, spread over the
available cores; ``_check(seed)`` reproduces any one of them on its own, and
``VERIFY_TEST_WORKERS=1`` keeps everything in the pytest process.  The slow
run (``-m slow``) draws 3,000 fresh ones.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import random
import traceback
from dataclasses import replace
from fractions import Fraction
from importlib.machinery import PathFinder

import pytest

from verify import oracle
from verify.analyses.bounds import certificate, disjoint_routes, exact_min_evasion, is_pure, may_fold_pure
from verify.analyses.properties import (
    fault_tolerance,
    minimal_evasion_sets,
    non_circumventability,
    robustness_margin,
    timeliness,
)
from verify.engine import Query, RuleGraph, Scenario, compile_rules, detection
from verify.model import (
    HOST,
    PERPETRATOR,
    REQUESTER,
    Actor,
    Asset,
    Body,
    Decision,
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
    effective,
)
from verify.results import Verdict


def random_regime(rng: random.Random) -> Regime:
    n = rng.randint(3, 7)
    ids = [f"x{i}" for i in range(n)]
    actors = tuple(
        Actor(id=a, kind=rng.choice(["state", "lab", "agency", "ngo"]),
              controlled_by=tuple(c for c in ids[:i] if rng.random() < 0.12))
        for i, a in enumerate(ids))
    bodies = []
    for j in range(rng.choice([0, 0, 1, 2])):
        members = tuple(rng.sample(ids, rng.randint(2, min(4, n))))
        approve = rng.random() < 0.6  # drawn before the threshold, as always
        threshold = rng.randint(1, len(members))
        rule = {"approve": threshold} if approve else {"block": threshold}
        rec = rng.choice([(), (PERPETRATOR,), (rng.choice(members),)])
        bodies.append(Body(id=f"B{j}", members=members, recused=rec, latency=rng.choice([0, 2, 7]), **rule))
    # Named decisions of the bodies, some recusing the requester; a body
    # may keep no rule of its own, and then only its decisions are voted on.
    decisions = []
    for j, b in enumerate(bodies):
        for i in range(rng.choice([0, 0, 1, 2])):
            approve = rng.random() < 0.5
            threshold = rng.randint(1, len(b.members))
            rule = {"approve": threshold} if approve else {"block": threshold}
            rec = rng.choice([(), (PERPETRATOR,), (REQUESTER,), (PERPETRATOR, REQUESTER)])
            decisions.append(Decision(id=f"D{j}{i}", body=b.id, recused=rec, latency=rng.choice([0, 1, 5]), **rule))
        if any(d.body == b.id for d in decisions) and rng.random() < 0.3:
            bodies[j] = replace(b, approve=None, block=None)
    ruleless = {b.id: [d.id for d in decisions if d.body == b.id] for b in bodies
                if b.approve is None and b.block is None}

    def gate(x: str, p: float = 0.5) -> str:
        """A vote to go through: a body's own rule, or one of its decisions."""
        options = [d.id for d in decisions if d.body == x]
        if x in ruleless or (options and rng.random() < p):
            return rng.choice(options)
        return x

    holders = ids + [b.id for b in bodies]
    body_ids = {b.id: None for b in bodies}  # ordered: rng.choice draws from it
    assets = (Asset(id="site", host=rng.choice(ids)), Asset(id="other", host=rng.choice(ids)))
    sigs = ("heat", "logs")
    traces = tuple(
        Trace(signature=s, magnitude=rng.choice([1.0, 4.0, 9.0]),
              persists=rng.choice([None, None, 6, 15, 40]), conceal=rng.choice([None, None, 3, 4, 12]))
        for s in sigs if rng.random() < 0.75) or (Trace(signature="heat", magnitude=2.0),)
    perps = tuple(rng.sample(ids, rng.choice([1, 1, 2])))
    # Mostly keep perpetrators out of the observing and judging roles, or
    # nearly every regime is trivially blind.
    others = [a for a in ids if a not in perps] or ids
    judges = [h for h in holders if h not in perps] if rng.random() < 0.85 else holders
    verifiers = tuple(rng.sample(judges, min(len(judges), rng.randint(1, 2))))
    mechanisms = []
    for j in range(rng.randint(2, 5)):
        obs = tuple(Observation(signature=s, threshold=rng.choice([0.0, 0.0, 0.0, 4.0, 5.0]))
                    for s in sigs if rng.random() < 0.8) or (Observation(signature="heat"),)
        access = rng.choice([(), (), (), (HOST,), (rng.choice(ids),), (HOST, rng.choice(ids))])
        mechanisms.append(Mechanism(
            id=f"m{j}", operator=rng.choice(others if rng.random() < 0.75 else ids), observes=obs,
            at=rng.choice([None, None, None, ("site",), ("other",)]),
            requires_access=tuple(dict.fromkeys(access)),
            mandatory=rng.random() < 0.5, tamper_evident=rng.random() < 0.4,
            triggered_by=gate(rng.choice([*verifiers, *holders, *body_ids]), 0.8) if rng.random() < 0.3 else None,
            period=rng.choice([0, 1, 5]), notice=rng.choice([0, 0, 3, 4, 12]), latency=rng.choice([0, 2, 3]),
            detection_probability=Probability.of(rng.choice([1, 1, 1, Fraction(1, 2), 0])),
            kind=rng.choice(["inspection", "whistleblower", "other"]), attributes=rng.random() < 0.8))
    operators = [m.operator for m in mechanisms]
    # Most operators report towards a verifier, directly or through another
    # holder; other flows are drawn at random.
    ends = []
    for op in operators:
        if rng.random() < 0.8:
            mid = rng.choice(holders)
            ends += [(op, mid), (mid, rng.choice(verifiers))] if rng.random() < 0.4 else [(op, rng.choice(verifiers))]
    ends += [(rng.choice(holders), rng.choice(holders)) for _ in range(rng.randint(0, 4))]
    flows = []
    for j, (src, dst) in enumerate((a, b) for a, b in ends if a != b):
        via = tuple(h for h in rng.sample(holders, min(2, len(holders))) if h not in (src, dst) and rng.random() < 0.35)
        via = tuple(dict.fromkeys(gate(h) if h in body_ids else h for h in via))
        decision = None
        if dst in body_ids:
            chosen = gate(dst)
            decision = None if chosen == dst else chosen
        # Some flows forward only some evidence (by mechanism or by kind).
        forwards = forwards_kinds = None
        if rng.random() < 0.07:
            forwards = tuple(m.id for m in mechanisms if rng.random() < 0.5)
        elif rng.random() < 0.05:
            forwards_kinds = (rng.choice(["inspection", "whistleblower"]),)
        flows.append(Flow(id=f"f{j}", source=src, target=dst, via=via,
                          latency=rng.choice([0, 1, 3, 8]), period=rng.choice([0, 0, 2]),
                          mandatory=rng.random() < 0.5, authenticated=rng.random() < 0.5, decision=decision,
                          forwards=forwards, forwards_kinds=forwards_kinds))
    pool = rng.choice([None, tuple(a for a in ids if a not in verifiers), tuple(rng.sample(ids, rng.randint(1, n)))])
    return Regime(
        id="random", actors=actors, assets=assets, signatures=tuple(Signature(id=s) for s in sigs),
        violations=(Violation(id="v", perpetrators=perps, at="site", traces=traces),),
        mechanisms=tuple(mechanisms), flows=tuple(flows), bodies=tuple(bodies), decisions=tuple(decisions),
        verifiers=tuple(_finding_rule(rng, v, mechanisms) for v in verifiers),
        threat_model=ThreatModel(colluders=pool, max=1))


def _finding_rule(rng: random.Random, v: str, mechanisms: list[Mechanism]) -> Verifier:
    """A verifier, with a finding rule drawn at random a third of the time."""
    if rng.random() >= 0.35:
        return Verifier(id=v)
    named = tuple(m.id for m in mechanisms if rng.random() < 0.6) if rng.random() < 0.3 else None
    kinds = (rng.choice(["inspection", "whistleblower", "other"]),) if rng.random() < 0.2 else None
    return Verifier(id=v, finding=rng.choice([None, None, "direct", "sealed"]),
                    independent=rng.choice([1, 2, 2, 2, 3]), mechanisms=named, kinds=kinds)


def _size(x):
    return None if x is None else len(x)


class _Deadlines:
    """One timed solver for a rule graph, built when first needed and asked
    at every deadline in turn (as ``Query.worst_time`` moves it)."""

    def __init__(self, regime: Regime, graph: RuleGraph):
        self.regime, self.graph = regime, graph
        self.query: Query | None = None

    def evades(self, deadline: int, k: int) -> bool:
        if self.query is None:
            self.query = Query(self.regime, self.graph, deadline=deadline)
        self.query.deadline = deadline
        out = self.query.evade(k=k)
        assert out.status in ("evades", "detected"), out
        return out.status == "evades"


def _check(seed: int) -> int:
    """Compare the engine with the oracle on the regime drawn from ``seed``;
    return how many comparisons were made.

    What does not depend on the question is built once and reused, as a user
    iterating on a design would: the rules are compiled once per perpetrator,
    and one solver answers every coalition size and every deadline (a timed
    query takes the deadline of each question, as ``Query.worst_time`` does),
    so each perpetrator costs at most three solvers (untimed, timed,
    failures) instead of one per question.
    """
    rng = random.Random(seed)
    # Applied once, so that every analysis below gets this very regime back
    # from effective() (nothing is suspended or proposed here) and reuses
    # what it has computed (closures, controllers) instead of a fresh copy.
    regime, _ = effective(random_regime(rng))
    direct = rng.random() < 0.25
    comparisons = 0
    for p in regime.violation["v"].perpetrators:
        graph = compile_rules(regime, "v", p, direct)
        untimed = Query(regime, graph)
        timed = _Deadlines(regime, graph)
        base = oracle.coalition_of(regime, p, ())

        # Detection time with no colluders: the engine's own evaluation and z3's
        # time encoding (just before and at the oracle's time).
        t0 = oracle.detection_time(regime, "v", p, base, direct_only=direct)
        found = detection(regime, graph, Scenario(frozenset(base)))
        assert (None if found is None else found[0]) == t0, (seed, p)
        if t0 is not None:
            assert not timed.evades(t0, k=0), (seed, p)
            if t0 > 0:
                assert timed.evades(t0 - 1, k=0), (seed, p)
        else:
            assert untimed.evade(k=0).status == "evades", (seed, p)

        # Smallest evading coalition over the whole pool.
        want = oracle.min_evasion_size(regime, "v", p, direct_only=direct)
        got = untimed.smallest(None)
        assert (None if got.status == "detected" else len(got.chosen)) == want, (seed, p, got, want)
        if got.status == "evades":
            # The engine's coalition really evades, by the oracle's reckoning.
            coal = oracle.coalition_of(regime, p, got.chosen)
            assert oracle.detection_time(regime, "v", p, coal, direct_only=direct) is None, (seed, p)
        exact = exact_min_evasion(regime, graph)
        if exact is not None:
            assert (None if exact[0] == -1 else exact[0]) == want, (seed, p, exact, want)
        for k in range(0, 3):
            cert = certificate(regime, graph, k + 1)
            if cert is not None:
                assert want is None or want > k, (seed, p, k)
        # The greedy routes on the unfolded rules are the folded graph's,
        # rule for rule (non-circumventability skips the fold with them);
        # and "may fold pure" is never wrong when it says so.
        unfolded = compile_rules(regime, "v", p, direct, fold=False)
        # (Unless some target the fold drops needs several sources: then the
        # search declines, and non-circumventability folds.)
        want_routes = () if unfolded.conjunctive else disjoint_routes(regime, graph)
        assert disjoint_routes(regime, unfolded) == want_routes, (seed, p)
        assert not may_fold_pure(regime, unfolded) or is_pure(graph), (seed, p)
        comparisons += 2

        # Timeliness with one colluder: the worst case is the deadline that
        # just holds.
        worst = oracle.worst_detection_time(regime, "v", p, 1, direct_only=direct)
        if worst is not None:
            assert not timed.evades(worst, k=1), (seed, p)
            if worst > 0:
                assert timed.evades(worst - 1, k=1), (seed, p)

        # Fault tolerance: the smallest failure set.
        fs = oracle.smallest_failure_set(regime, "v", p, 2, direct_only=direct)
        got_f = Query(regime, graph, colluders=False, failures=True).smallest(2)
        assert (None if got_f.status == "detected" else len(got_f.failed)) == _size(fs), (seed, p, got_f, fs)

        # Monotonicity, on the engine's evaluation.
        cands = list(graph.candidates)
        rng.shuffle(cands)
        prev = t0
        coal = set(base)
        for c in cands[:3]:
            coal |= regime.closure(c)
            t = detection(regime, graph, Scenario(frozenset(coal)))
            t = None if t is None else t[0]
            assert t is None or (prev is not None and prev <= t), (seed, p, "monotone")
            prev = t
        comparisons += 8

    # The user-facing functions, all perpetrators at once.
    for k in (0, 1, 2):
        ours = non_circumventability(regime, "v", k, direct=direct)
        theirs = oracle.non_circumventability(regime, "v", k, direct_only=direct)
        assert (ours.verdict == Verdict.HOLDS) == theirs.holds, (seed, k)
        if ours.verdict == Verdict.FAILS:
            size = len(ours.witness.chosen)
            assert size == len(oracle.smallest_evasion(regime, "v", ours.perpetrator, k, direct_only=direct)), seed
    worst_all = [oracle.worst_detection_time(regime, "v", p, 1, direct_only=direct)
                 for p in regime.violation["v"].perpetrators]
    if all(w is not None for w in worst_all):
        T = max(worst_all)
        held = timeliness(regime, "v", T, 1, direct=direct)
        assert held.verdict == Verdict.HOLDS, seed
        assert held.figures.time == T, (seed, held.figures, T)
        if T > 0:
            assert timeliness(regime, "v", T - 1, 1, direct=direct).verdict == Verdict.FAILS, seed
    # The analyses: robustness margin (and without each element) and the
    # minimal evasion sets.
    margin = robustness_margin(regime, "v", direct=direct)
    assert margin.figures.kstar.plain() == oracle.robustness_margin(regime, "v", direct_only=direct).k_star, seed
    for element, kstar in margin.figures.without:
        want_e = oracle.robustness_margin(regime.without(element), "v", direct_only=direct).k_star
        assert kstar.plain() == want_e, (seed, element, kstar, want_e)
    # A set drawing members of a counted group stands for every set with as
    # many of them: spelt out, they are exactly the oracle's minimal sets.
    sets = minimal_evasion_sets(regime, "v", 2, direct=direct).figures
    theirs_sets = {(p, frozenset(s)) for p in regime.violation["v"].perpetrators
                   for s in oracle.minimal_evasion_sets(regime, "v", p, 2, direct_only=direct)}
    ours_sets = [(p, frozenset(s)) for p, s in sets.expanded()]
    assert set(ours_sets) == theirs_sets, seed
    assert len(ours_sets) == len(theirs_sets), seed  # each stood for once
    # A clock from a named event: a random mechanism or flow.
    start = rng.choice([m.id for m in regime.mechanisms] + [f.id for f in regime.flows])
    for k in (0, 1):
        for T in (0, 3, 10):
            ours = timeliness(regime, "v", T, k, direct=direct, start=start)
            theirs = oracle.timeliness(regime, "v", T, k, direct_only=direct, start=start)
            assert (ours.verdict == Verdict.HOLDS) == theirs.holds, (seed, start, k, T)
            if ours.verdict == Verdict.FAILS:
                want = oracle.smallest_evasion(regime, "v", ours.perpetrator, k, direct_only=direct,
                                               deadline=T, start=start)
                assert want is not None and len(ours.witness.chosen) == len(want), (seed, start, k, T)
                assert ours.witness.clock is not None and ours.witness.clock[0] == start
            comparisons += 1
    worst_from = [oracle.worst_detection_time(regime, "v", p, 1, direct_only=direct, start=start)
                  for p in regime.violation["v"].perpetrators]
    if all(w is not None for w in worst_from):
        T = max(worst_from)
        held = timeliness(regime, "v", T, 1, direct=direct, start=start)
        assert held.verdict == Verdict.HOLDS, (seed, start)
        assert held.figures.time == T, (seed, start, held.figures, T)
        if T > 0:
            assert timeliness(regime, "v", T - 1, 1, direct=direct, start=start).verdict == Verdict.FAILS, seed
        comparisons += 2
    ft = fault_tolerance(regime, "v", 1, direct=direct)
    assert (ft.verdict == Verdict.HOLDS) == oracle.fault_tolerance(regime, "v", 1, direct_only=direct).holds, seed
    return comparisons + 8 + len(margin.figures.without)


def _workers() -> int:
    """Processes to spread the regimes over: one per available core (at most
    four), or ``VERIFY_TEST_WORKERS`` (1: everything in this process)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, int(os.environ.get("VERIFY_TEST_WORKERS", min(cores, 4))))


def _checked(seed: int) -> tuple[int, int | None, str]:
    """In a worker: (seed, comparisons, "") or (seed, None, the traceback)."""
    try:
        return seed, _check(seed), ""
    except Exception:
        return seed, None, traceback.format_exc()


def _start_method() -> str | None:
    """How to start workers here, or None to run in this process.

    A process with one thread is forked (the workers inherit everything
    imported).  One with more (z3 starts timer threads once a solver has had
    a time-out) is not, since a lock a thread held would stay locked in the
    child: the workers then come from a fresh fork server, which must be able
    to import this module by its name.
    """
    tasks = "/proc/self/task"
    if os.path.isdir(tasks) and len(os.listdir(tasks)) == 1:
        return "fork"
    # Found on the path (not merely in sys.modules, as pytest's importlib
    # mode leaves it): a worker that cannot import it would die on its first
    # task, and the pool would start another, and another.
    spec = PathFinder.find_spec(__name__) if "." not in __name__ else None
    if spec is not None and spec.origin is not None and os.path.samefile(spec.origin, __file__):
        return "forkserver"
    return None


def _in_workers(seeds: list[int], workers: int) -> list[tuple[int, int | None, str]] | None:
    """:func:`_checked` of every seed, spread over ``workers`` processes; None
    if processes cannot be started here (then the caller runs them itself)."""
    method = _start_method()
    if method is None:
        return None
    try:
        ctx = multiprocessing.get_context(method)
        if method == "forkserver":
            ctx.set_forkserver_preload([__name__])
        with ctx.Pool(workers) as pool:
            results = pool.imap_unordered(_checked, seeds)
            # A worker that dies loses its regimes: fail then, never hang.
            return [results.next(timeout=WORKER_TIMEOUT) for _ in seeds]
    except (OSError, ValueError, ImportError, pickle.PicklingError):
        return None


#: Seconds to wait for the next regime's result from a worker (one regime
#: takes well under a second).
WORKER_TIMEOUT = 120


def _agree(seeds: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    """Run :func:`_check` on the regime of every seed and say how much was
    compared (in the test itself, so that it does not depend on test order).

    A failure found in a worker is checked again in this process, so that it
    is reported as any assertion is (and reproduced by ``_check(seed)``).
    """
    workers = min(_workers(), len(seeds))
    done = _in_workers(seeds, workers) if workers > 1 else None
    if done is None:
        workers = 1
        done = [(seed, _check(seed), "") for seed in seeds]
    failed = sorted((seed, trace) for seed, n, trace in done if n is None)
    if failed:
        seed, trace = failed[0]
        _check(seed)
        pytest.fail(f"seed {seed} failed in a worker but not here:\n{trace}")
    comparisons = sum(n for _, n, _ in done if n is not None)
    with capsys.disabled():
        print(f"\noracle agreement: {len(done)} random regimes, {comparisons} comparisons, all agreed"
              f" ({workers} process{'es' if workers > 1 else ''})")
    assert len(done) == len(seeds)


#: The regimes every run compares: the same ones each time.
SEEDS = range(300)


def test_engine_agrees_with_oracle(capsys):
    _agree(list(SEEDS), capsys)


@pytest.mark.slow
def test_engine_agrees_with_oracle_long(capsys):
    # Fresh regimes each run; a failure names its seed.
    _agree(random.SystemRandom().sample(range(2**31), 3000), capsys)
