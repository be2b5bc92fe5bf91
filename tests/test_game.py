"""inspection-game (issue 7, item 5): the inspectors' best randomised use of
a shared budget against a violator who picks the violation.

The engine solves the game's linear programme with z3 over the rationals
(verify/engine/game.py); the oracle finds the value by enumerating vertices
(verify/oracle/game.py).  They must agree exactly, as fractions, on random
instances and random regimes; a two-site game whose mixed equilibrium is
known in closed form must come out exactly; and the same design must give
the same words twice.
"""

from __future__ import annotations

import random
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest
import z3

from verify.analyses.game import inspection_game, over_duration
from verify.engine.game import Solution, solve_game
from verify.explain import game_lines
from verify.load import load
from verify.model import (
    HOST,
    Actor,
    Asset,
    Budget,
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
from verify.oracle.game import game_value, inspection_game_values, vertex_value
from verify.report.document import figures_brief
from verify.report.json import result_dict
from verify.results import Game, Verdict

F = Fraction
Instance = tuple[dict[tuple[str, str], Fraction], dict[str, Fraction], dict[str, str], Fraction, dict[str, Fraction]]


# ---------------------------------------------------------------- the known equilibrium


@pytest.mark.parametrize("p1, p2", [(F(1, 2), F(1, 3)), (F(1, 2), F(1, 4)), (F(3, 4), F(1, 5)), (F(1), F(1))])
def test_two_site_game_has_its_known_mixed_equilibrium(p1: Fraction, p2: Fraction) -> None:
    """One inspection per period, two sites, detection p1 at site 1 and p2
    at site 2: the inspectors make the violator indifferent, x1 p1 =
    (1 - x1) p2, so x1 = p2 / (p1 + p2) and the value is p1 p2 / (p1 + p2);
    the violator's best responses are both sites."""
    coverage = {("visit-1", "v1"): p1, ("visit-2", "v2"): p2}
    effort = {"visit-1": F(1), "visit-2": F(1)}
    site = {"v1": "site-1", "v2": "site-2"}
    s = solve_game(coverage, effort, site, F(1))
    assert s is not None
    assert s.value == p1 * p2 / (p1 + p2)
    assert s.allocation == (("visit-1", "site-1", p2 / (p1 + p2)), ("visit-2", "site-2", p1 / (p1 + p2)))
    assert s.best == ("v1", "v2")
    assert s.detection == (("v1", s.value), ("v2", s.value))
    assert s.effort == 1
    assert game_value(coverage, effort, site, F(1)) == vertex_value(coverage, effort, site, F(1)) == s.value


def test_one_mechanism_covering_both_sites_splits_evenly() -> None:
    p = F(3, 5)
    coverage = {("visit", "v1"): p, ("visit", "v2"): p}
    s = solve_game(coverage, {"visit": F(1)}, {"v1": "a", "v2": "b"}, F(1))
    assert s is not None
    assert s.value == p / 2
    assert s.allocation == (("visit", "a", F(1, 2)), ("visit", "b", F(1, 2)))


def test_a_large_budget_covers_every_site_and_spends_no_more_than_it_needs() -> None:
    coverage = {("visit", "v1"): F(1, 2), ("visit", "v2"): F(1, 4)}
    s = solve_game(coverage, {"visit": F(3)}, {"v1": "a", "v2": "b"}, F(100))
    assert s is not None
    # Each site is observed at most once a period: the value is the worse
    # site's chance, and the better one is covered only as far as needed.
    assert s.value == F(1, 4)
    assert s.allocation == (("visit", "a", F(1, 2)), ("visit", "b", F(1)))
    assert s.effort == F(9, 2)


def test_a_mechanism_below_the_hull_is_never_used() -> None:
    """One site, effort 2 to spend: a full observation by m2 (effort 2)
    detects with 3/5, but half of m1 (effort 1, 1/2) and half of m3
    (effort 3, 3/4) take the same effort and detect with 5/8."""
    coverage = {("m1", "v"): F(1, 2), ("m2", "v"): F(3, 5), ("m3", "v"): F(3, 4)}
    s = solve_game(coverage, {"m1": F(1), "m2": F(2), "m3": F(3)}, {"v": "site"}, F(2))
    assert s is not None
    assert s.value == F(5, 8) == game_value(coverage, {"m1": F(1), "m2": F(2), "m3": F(3)}, {"v": "site"}, F(2))
    assert s.allocation == (("m1", "site", F(1, 2)), ("m3", "site", F(1, 2)))
    assert s.effort == 2


def test_fixed_detection_and_unseen_targets() -> None:
    coverage = {("visit", "v1"): F(1, 2), ("visit", "v2"): F(1, 2)}
    site = {"v1": "a", "v2": "b", "v3": "c"}
    # v3 is seen by no budgeted mechanism but always by the others: it bounds nothing.
    s = solve_game(coverage, {"visit": F(1)}, site, F(1), {"v3": F(1)})
    assert s is not None and s.value == F(1, 4) and s.best == ("v1", "v2")
    # Without that, nothing detects v3: the value is 0 and v3 the best response.
    s = solve_game(coverage, {"visit": F(1)}, site, F(1))
    assert s is not None and s.value == 0 and "v3" in s.best


# ---------------------------------------------------------------- agreement with the oracle


def random_instance(rng: random.Random, small: bool = False) -> Instance:
    """2-5 sites (2-3 when small), 1-4 mechanisms (1-2), each covering some
    sites; one to three targets per site (one or two); random efforts,
    totals and chances as fractions, some targets detected whatever the plan
    (or with some chance), some pairs that detect nothing."""
    sites = [f"s{i}" for i in range(rng.randint(2, 3 if small else 5))]
    mechs = [f"m{j}" for j in range(rng.randint(1, 2 if small else 4))]
    effort = {m: rng.choice([F(0), F(1), F(1), F(2), F(1, 2), F(3), F(5, 3)]) for m in mechs}
    cover = {m: set(rng.sample(sites, rng.randint(1, 2 if small else len(sites)))) for m in mechs}
    for s in sites:  # most sites covered by something
        if not any(s in c for c in cover.values()) and rng.random() < 0.9:
            cover[rng.choice(mechs)].add(s)
    coverage: dict[tuple[str, str], Fraction] = {}
    site: dict[str, str] = {}
    fixed: dict[str, Fraction] = {}
    for s in sites:
        for k in range(rng.randint(1, 2 if small else 3)):
            t = f"v{s[1:]}{'abc'[k]}"
            site[t] = s
            if rng.random() < 0.15:
                fixed[t] = rng.choice([F(1), F(1), F(1, 2), F(1, 5)])
            for m in mechs:
                if s in cover[m] and rng.random() < 0.85:
                    coverage[(m, t)] = rng.choice([F(0), F(1), F(1, 2), F(1, 3), F(2, 5), F(3, 4), F(9, 10)])
    total = rng.choice([F(0), F(1), F(1, 2), F(2), F(3, 2), F(5), F(7, 3)])
    return coverage, effort, site, total, fixed


def check_solution(s: Solution | None, inst: Instance) -> Solution:
    """The plan respects every constraint and guarantees what it claims."""
    coverage, effort, site, total, fixed = inst
    assert s is not None
    assert all(0 < c <= 1 for _, _, c in s.allocation)
    assert s.effort == sum(effort[m] * c for m, _, c in s.allocation) <= total
    for x in set(site.values()):
        assert sum(c for _, ps, c in s.allocation if ps == x) <= 1
    x = {(m, ps): c for m, ps, c in s.allocation}
    d = {t: fixed.get(t, F(0)) + (1 - fixed.get(t, F(0))) * sum(
        (a * x.get((m, site[t]), F(0)) for (m, tt), a in coverage.items() if tt == t), F(0)) for t in site}
    assert dict(s.detection) == d
    assert s.value == min(d.values())
    assert s.best == tuple(t for t in site if d[t] == s.value)
    return s


def test_engine_agrees_with_oracle_on_random_games(capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(2024)
    n = 0
    values = set()
    for _ in range(100):
        inst = random_instance(rng)
        s = check_solution(solve_game(*inst), inst)
        assert s.value == game_value(*inst), inst
        values.add(s.value)
        n += 1
    assert len(values) > 15  # not a hundred zeros
    with capsys.disabled():
        print(f"\noracle agreement (inspection-game): {n} random games, exact values, all agreed")


def test_vertex_enumeration_of_the_whole_programme_agrees() -> None:
    """The oracle's per-site reduction against the definition itself (every
    vertex of the whole programme), on games small enough for it."""
    rng = random.Random(7)
    for _ in range(40):
        inst = random_instance(rng, small=True)
        s = check_solution(solve_game(*inst), inst)
        assert s.value == game_value(*inst) == vertex_value(*inst), inst


# ---------------------------------------------------------------- a regime


DESIGN = """\
regime: two-sites
actors:
  - {id: state-x, kind: state}
  - {id: lab, kind: lab, controlled_by: state-x}
  - {id: inspectorate, kind: inspectorate}
  - {id: space-agency, kind: agency}
assets:
  - {id: depot-a, host: state-x}
  - {id: depot-b, host: state-x}
signatures:
  - {id: heat}
  - {id: smoke}
violations:
  - {id: hide-a, perpetrator: lab, at: depot-a, signatures: [{signature: heat, magnitude: 1}]}
  - {id: hide-b, perpetrator: lab, at: depot-b, duration: 90d, signatures: [{signature: heat, magnitude: 1}]}
  - id: burn-b
    perpetrator: lab
    at: depot-b
    signatures: [{signature: heat, magnitude: 1}, {signature: smoke, magnitude: 1}]
mechanisms:
  - id: visit-a
    operator: inspectorate
    observes: [heat]
    at: [depot-a]
    budget: inspector-days
    effort: 2
    detection_probability: 0.5
  - id: visit-b
    operator: inspectorate
    observes: [heat]
    at: [depot-b]
    budget: inspector-days
    effort: 2
    detection_probability: [0.25, 0.5]
  - {id: satellite, operator: space-agency, observes: [smoke]}
flows:
  - {id: imagery, from: space-agency, to: inspectorate}
verifiers: [inspectorate]
budgets:
  - {id: inspector-days, total: 2, period: 30d}
"""


def design(tmp_path: Path, text: str = DESIGN) -> Regime:
    path = tmp_path / "two-sites.yaml"
    path.write_text(text, encoding="utf-8")
    return load(str(path))


def test_regime_game_by_hand(tmp_path: Path) -> None:
    """By hand (docs/inspection-game.md): each visit takes 2 of 2 days, so
    x_a + x_b <= 1; visit-b counts at the low end of its interval, 1/4.
    burn-b is seen by the satellite whatever the plan.  Against hide-a and
    hide-b: x_a / 2 = x_b / 4, so x_a = 1/3, x_b = 2/3, value 1/6.  hide-b
    lasts 90d, three whole 30d periods: 1 - (5/6)^3 = 91/216."""
    regime = design(tmp_path)
    [r] = inspection_game(regime)
    assert r.property == "inspection-game" and r.params == (("budget", "inspector-days"),)
    assert r.verdict == Verdict.HOLDS and r.violation == "hide-a" and r.note == ""
    g = r.figures
    assert isinstance(g, Game)
    assert g.value == F(1, 6)
    assert g.allocation == (("visit-a", "depot-a", F(1, 3)), ("visit-b", "depot-b", F(2, 3)))
    assert g.best == (("hide-a", F(1, 6), F(1, 6), 1), ("hide-b", F(1, 6), F(91, 216), 3))
    assert g.effort == 2 and g.total == 2 and g.period == 30 * 86400
    assert "1/6 (≈ 0.1667)" in r.statement
    assert inspection_game_values(regime) == {"inspector-days": F(1, 6)}
    assert figures_brief(r) == "P(detect) 1/6 (≈ 0.1667) per period, best plan"
    assert result_dict(r)["figures"]["value"] == "1/6"


def test_a_violation_the_budget_never_detects_fails(tmp_path: Path) -> None:
    text = DESIGN.replace("  - id: burn-b\n", "  - {id: leak-b, perpetrator: lab, at: depot-b, "
                          "signatures: [{signature: smoke, magnitude: 1}]}\n  - id: burn-b\n")
    text = text.replace("  - {id: satellite, operator: space-agency, observes: [smoke]}\n", "")
    [r] = inspection_game(design(tmp_path, text))
    assert r.verdict == Verdict.FAILS and r.violation == "leak-b" and r.perpetrator == "lab"
    assert isinstance(r.figures, Game) and r.figures.value == 0
    assert "leak-b" in r.note and "probability 0" in r.note


def test_evidence_that_reaches_no_verifier_counts_for_nothing(tmp_path: Path) -> None:
    """An inspectorate that is also the perpetrator's: visit-a's evidence
    stays with a coalition operator, so hide-a is never detected."""
    text = DESIGN.replace("  - {id: inspectorate, kind: inspectorate}",
                          "  - {id: inspectorate, kind: inspectorate, controlled_by: lab}")
    text = text.replace("verifiers: [inspectorate]", "verifiers: [space-agency]").replace(
        "{id: imagery, from: space-agency, to: inspectorate}", "{id: imagery, from: inspectorate, to: space-agency}")
    regime = design(tmp_path, text)
    [r] = inspection_game(regime)
    assert r.verdict == Verdict.FAILS and isinstance(r.figures, Game) and r.figures.value == 0
    assert inspection_game_values(regime) == {"inspector-days": F(0)}


def test_no_budget_no_result(tmp_path: Path) -> None:
    regime = design(tmp_path)
    assert inspection_game(replace(regime, budgets=())) == []


def test_unknown_is_never_a_value(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(z3.Optimize, "check", lambda self, *args: z3.unknown)
    assert solve_game({("m", "v"): F(1)}, {"m": F(1)}, {"v": "s"}, F(1), timeout=1) is None
    [r] = inspection_game(design(tmp_path), timeout=1)
    assert r.verdict == Verdict.UNKNOWN and r.figures is None and "no answer" in r.note
    assert figures_brief(r) == ""


def test_over_duration() -> None:
    day = 86400
    assert over_duration(F(1, 2), None, 30 * day) == (F(1, 2), 1)
    assert over_duration(F(1, 2), 95 * day, 30 * day) == (F(7, 8), 3)
    # Shorter than a period: no whole period, so no guarantee.
    assert over_duration(F(1, 2), 10 * day, 30 * day) == (F(0), 0)


# ---------------------------------------------------------------- determinism


def words(regime: Regime) -> str:
    return "\n".join([r.statement for r in inspection_game(regime)]
                     + [line for r in inspection_game(regime) if isinstance(r.figures, Game)
                        for line in game_lines(r.figures)])


def test_same_design_same_words(tmp_path: Path) -> None:
    """Loaded and solved twice, byte for byte the same words."""
    text = words(design(tmp_path))
    assert text.encode() == words(design(tmp_path)).encode()
    assert "value: 1/6 (≈ 0.1667)" in text
    assert "depot-a: visit-a 1/3 (≈ 0.3333)" in text
    assert "hide-b, detected with 1/6 (≈ 0.1667) per period; over its duration (3 whole periods" in text
    assert "91/216 (≈ 0.4213)" in text


def test_ties_are_broken_the_same_way_every_time() -> None:
    """Many optimal plans (identical sites and a slack budget): the same one
    each time, byte for byte."""
    rng = random.Random(11)
    inst = random_instance(rng)
    sites = [f"s{i}" for i in range(12)]
    coverage = {(m, f"v{s}"): F(1, 2) for m in ("m1", "m2", "m3") for s in sites}
    args = (coverage, {"m1": F(1), "m2": F(1), "m3": F(0)}, {f"v{s}": s for s in sites}, F(20))
    runs = [solve_game(*args) for _ in range(3)]
    assert runs[0] == runs[1] == runs[2]
    assert repr(runs[0]) == repr(runs[1])
    assert solve_game(*inst) == solve_game(*inst)


# ---------------------------------------------------------------- random regimes


def random_regime(rng: random.Random) -> Regime:
    """A few actors, two assets, violations at both, mechanisms of which
    some draw on one of two budgets, flows towards the verifiers."""
    ids = [f"a{i}" for i in range(rng.randint(3, 6))]
    actors = tuple(Actor(id=a, kind="state", controlled_by=tuple(c for c in ids[:i] if rng.random() < 0.15))
                   for i, a in enumerate(ids))
    assets = (Asset(id="north", host=rng.choice(ids)), Asset(id="south", host=rng.choice(ids)))
    sigs = ("heat", "logs")
    violations = []
    for j in range(rng.randint(1, 4)):
        traces = tuple(Trace(signature=s, magnitude=rng.choice([1.0, 5.0]), conceal=rng.choice([None, None, 2]))
                       for s in sigs if rng.random() < 0.7) or (Trace(signature="heat", magnitude=1.0),)
        violations.append(Violation(id=f"v{j}", perpetrators=tuple(rng.sample(ids, rng.choice([1, 1, 2]))),
                                    at=rng.choice(["north", "south"]), traces=traces,
                                    duration=rng.choice([None, 30, 100])))
    verifiers = tuple(rng.sample(ids, rng.randint(1, 2)))
    budgets = (Budget(id="b1", total=rng.choice([F(1), F(2), F(1, 2), F(3)]), period=rng.choice([10, 30])),
               Budget(id="b2", total=rng.choice([F(0), F(1), F(5, 2)]), period=30))
    mechanisms = []
    for j in range(rng.randint(2, 6)):
        mechanisms.append(Mechanism(
            id=f"m{j}", operator=rng.choice(ids),
            observes=tuple(Observation(signature=s, threshold=rng.choice([0.0, 0.0, 3.0]))
                           for s in sigs if rng.random() < 0.7) or (Observation(signature="heat"),),
            at=rng.choice([None, ("north",), ("south",), ("north", "south")]),
            requires_access=rng.choice([(), (), (HOST,)]), mandatory=rng.random() < 0.4,
            tamper_evident=rng.random() < 0.4, notice=rng.choice([0, 0, 5]),
            detection_probability=rng.choice([Probability.of(1), Probability.of(F(1, 2)), Probability.of(F(2, 3)),
                                              Probability(F(1, 4), F(3, 4)), Probability.of(0)]),
            budget=rng.choice([None, "b1", "b1", "b2"]), effort=rng.choice([F(1), F(2), F(1, 2), F(0)])))
    flows = []
    for j, m in enumerate(mechanisms):
        if m.operator not in verifiers and rng.random() < 0.85:
            via = tuple(a for a in rng.sample(ids, 1) if a not in (m.operator,) and rng.random() < 0.3)
            flows.append(Flow(id=f"f{j}", source=m.operator, target=rng.choice(verifiers), via=via,
                              mandatory=rng.random() < 0.5, authenticated=rng.random() < 0.5))
    return Regime(id="random-game", actors=actors, assets=assets, signatures=tuple(Signature(id=s) for s in sigs),
                  violations=tuple(violations), mechanisms=tuple(mechanisms), flows=tuple(flows),
                  verifiers=tuple(Verifier(id=v) for v in verifiers), threat_model=ThreatModel(max=1),
                  budgets=budgets)


def test_engine_agrees_with_oracle_on_random_regimes() -> None:
    """The whole analysis (what each mechanism detects alone, what the
    others detect, the game) against the oracle's own evaluation of
    evidence and its own solution of the game: exact rationals."""
    rng = random.Random(99)
    values = set()
    for _ in range(40):
        regime = random_regime(rng)
        got = {dict(r.params)["budget"]: r.figures.value for r in inspection_game(regime)
               if isinstance(r.figures, Game)}
        assert got == inspection_game_values(regime), regime
        values.update(got.values())
    assert len(values) > 4
