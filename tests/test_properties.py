"""Properties and analyses against their definitions and the brute-force
oracle: the catalogue, what a "holds" rests on, certificates, the robustness
margin, minimal evasion sets and timeliness."""

from __future__ import annotations

import dataclasses
import json
import sys
from itertools import pairwise
from pathlib import Path

import pytest
import yaml

from verify import oracle
from verify.analyses.properties import (
    ANALYSES,
    minimal_evasion_sets,
    non_circumventability,
    robustness_margin,
    run,
    timeliness,
)
from verify.catalogue import CATALOGUE_DIR, catalogue
from verify.load import load
from verify.model import HOST, PropertySpec, Regime, Violation, effective
from verify.results import Route, Verdict
from verify.schema import schema, schema_text

ROOT = Path(__file__).resolve().parent.parent
DESIGNS = ROOT / "designs"
ALL_DESIGNS = sorted(DESIGNS.glob("*.yaml"))
FLAGSHIP = DESIGNS / "flagship-ai-agreement.yaml"
VARIANT = DESIGNS / "flagship-no-whistleblower.yaml"
V = "covert-training-run"

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import synthetic, to_yaml  # noqa: E402


def regime_of(path: Path) -> Regime:
    return effective(load(str(path)))[0]


@pytest.fixture(scope="module")
def flagship() -> Regime:
    return regime_of(FLAGSHIP)


def keep_only(regime: Regime, elements) -> Regime:
    keep = set(elements)
    return dataclasses.replace(
        regime,
        mechanisms=tuple(m for m in regime.mechanisms if m.id in keep),
        flows=tuple(f for f in regime.flows if f.id in keep),
    )


def rank(kstar) -> float:
    return float("inf") if kstar == "all" else float(kstar)


# ---------------------------------------------------------------- catalogue


def test_catalogue_analyses_and_schema_name_the_same_properties():
    ids = set(catalogue())
    assert len(ids) >= 6
    assert set(ANALYSES) == ids
    enum = schema()["$defs"]["property"]["properties"]["property"]["enum"]
    assert len(enum) == len(set(enum))
    assert set(enum) == ids
    # The schema as shipped (not only the cached copy) says the same.
    shipped = json.loads(schema_text())["$defs"]["property"]["properties"]["property"]["enum"]
    assert set(shipped) == ids


def test_the_names_a_command_line_offers_are_the_catalogues_ids():
    from verify.catalogue import catalogue, names

    assert names() == sorted(catalogue()) and len(names()) >= 12


@pytest.mark.parametrize("path", sorted(CATALOGUE_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_catalogue_file_is_complete(path):
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    for field in ("id", "kind", "parameters", "statement", "formal", "counterexample"):
        assert field in raw, f"{path.name} lacks {field}"
        assert raw[field] not in (None, "", {}) or field == "parameters", f"{path.name}: empty {field}"
    assert raw["id"] == path.stem
    assert raw["kind"] in ("property", "analysis")
    assert isinstance(raw["parameters"], dict)
    # Every property is about a violation, except the game, which is about
    # every violation at once (one answer per budget), and non-frameability
    # and confidentiality, about a party and a label.
    subject = {"inspection-game": None, "non-frameability": "party", "confidentiality": "label"}
    assert "violation" in raw["parameters"] or (raw["id"] in subject and (
        subject[raw["id"]] is None or subject[raw["id"]] in raw["parameters"]))
    info = catalogue()[raw["id"]]
    # The catalogue is read without PyYAML (issue 14): as PyYAML reads it.
    assert (info.kind, info.parameters, info.statement, info.formal, info.counterexample) == (
        raw["kind"], raw["parameters"], raw["statement"], raw["formal"].strip(), raw["counterexample"].strip())
    assert type(info.parameters) is dict
    # The analysis function accepts every parameter the catalogue declares.
    import inspect

    accepted = set(inspect.signature(ANALYSES[raw["id"]]).parameters)
    # from is a Python keyword: run() passes it as start.
    declared = {"start" if p == "from" else p for p in raw["parameters"]}
    assert declared <= accepted


def test_loading_a_regime_leaves_the_cached_schema_as_shipped():
    load(str(FLAGSHIP))
    assert schema() == json.loads(schema_text())


# --------------------------------------------------------------- rests on


def test_flagship_non_circumventability_holds_on_what_it_rests_on(flagship):
    result = non_circumventability(flagship, V, 2)
    assert result.verdict == Verdict.HOLDS
    assert oracle.non_circumventability(flagship, V, 2).holds
    rests = set(result.rests_on)
    elements = {m.id for m in flagship.mechanisms} | {f.id for f in flagship.flows}
    assert rests and rests < elements

    reduced = keep_only(flagship, rests)
    assert {m.id for m in reduced.mechanisms} | {f.id for f in reduced.flows} == rests
    assert non_circumventability(reduced, V, 2).verdict == Verdict.HOLDS
    assert oracle.non_circumventability(reduced, V, 2).holds

    # Removing what it rests on matters: at least one removal breaks it (or
    # at least changes the proof).  Each engine answer agrees with the oracle.
    broke = []
    for e in sorted(rests):
        without = reduced.without(e)
        got = non_circumventability(without, V, 2)
        assert (got.verdict == Verdict.HOLDS) == oracle.non_circumventability(without, V, 2).holds, e
        if got.verdict != Verdict.HOLDS or got.certificate != result.certificate:
            broke.append(e)
    assert broke, "no element of rests_on was needed"
    assert any(non_circumventability(reduced.without(e), V, 2).verdict == Verdict.FAILS for e in broke)


def _holding_results():
    """Every holding property result (not analyses) the designs list or claim."""
    out = []
    for path in ALL_DESIGNS:
        regime = regime_of(path)
        specs = list(regime.properties) + [c.spec for c in regime.claims]
        for spec in specs:
            for r in run(regime, spec):
                # Analyses have no proof to rest on; a probability rests on
                # every mechanism its formula names, which its figures show.
                # Non-frameability and confidentiality rest on no mechanism or
                # flow: removing one only takes away a way to frame or leak.
                if r.verdict == Verdict.HOLDS and r.property not in ("robustness-margin", "minimal-evasion-sets",
                                                                     "detection-probability", "deterrence",
                                                                     "inspection-game", "non-frameability",
                                                                     "confidentiality"):
                    out.append((path.name, regime, spec, r))
    return out


def test_every_holding_result_of_the_designs_holds_on_its_rests_on_alone():
    """docs/json-output.md: every mechanism and flow not listed in rests_on
    could be removed and the property would still hold."""
    cases = _holding_results()
    assert len(cases) >= 10
    for name, regime, spec, r in cases:
        assert r.rests_on, (name, r.property)
        only = PropertySpec(property=spec.property,
                            params=tuple(p for p in spec.params if p[0] != "violation") + (("violation", r.violation),))
        [again] = run(keep_only(regime, r.rests_on), only)
        assert again.verdict == Verdict.HOLDS, (name, r.property, r.params, r.rests_on)


# ------------------------------------------------------------ certificates


def route_actors(regime: Regime, violation: str, route: Route) -> set[str]:
    host = regime.asset[regime.violation[violation].at].host
    actors: set[str] = set()
    for s in route.steps:
        actors.add(s.holder)
        if s.kind == "observe":
            m = regime.mechanism[s.element]
            actors.add(m.operator)
            actors |= {host if a == HOST else a for a in m.requires_access}
        else:
            f = regime.flow[s.element]
            actors.add(f.source)
            actors |= set(f.via)
    return actors


def merged(regime: Regime, actors: set[str]) -> set[str]:
    out: set[str] = set()
    for a in actors:
        out |= (regime.controllers[a] | {a}) if a in regime.actor else {a}
    return out


HAND = """\
regime: hand-certificates
actors:
  - {id: P, kind: lab}
  - {id: H, kind: state}
  - {id: g, kind: state}
  - {id: g2, kind: state}
  - {id: o1, kind: other}
  - {id: o2, kind: other, controlled_by: H}
  - {id: o3, kind: other, controlled_by: g2}
  - {id: r1, kind: other, controlled_by: g}
  - {id: v1, kind: inspectorate}
  - {id: v2, kind: inspectorate}
  - {id: v3, kind: inspectorate}
assets:
  - {id: site, host: H, owner: P}
signatures:
  - {id: sig}
violations:
  - id: v
    perpetrator: P
    at: site
    signatures: [{signature: sig, magnitude: 10}]
mechanisms:
  - {id: m1, operator: o1, observes: [sig], requires_access: host}
  - {id: m2, operator: o2, observes: [sig]}
  - {id: m3, operator: o3, observes: [sig]}
flows:
  - {id: f1, from: o1, to: v1, via: r1, authenticated: true}
  - {id: f2, from: o2, to: v2}
  - {id: f3, from: o3, to: v3}
verifiers: [v1, v2, v3]
threat_model: {max: 1}
"""


@pytest.fixture(scope="module")
def certificate_corpus(tmp_path_factory) -> list[tuple[str, Regime]]:
    """Designs, a hand-made regime where access and relays and control
    decide which routes may be combined, and synthetic regimes with several
    agencies (so certificates of several routes exist)."""
    folder = tmp_path_factory.mktemp("certificates")
    corpus = [(p.name, regime_of(p)) for p in ALL_DESIGNS]
    hand = folder / "hand.yaml"
    hand.write_text(HAND, encoding="utf-8")
    corpus.append(("hand", regime_of(hand)))
    for n, seed, pure in ((40, 1, True), (40, 2, False), (120, 3, True), (120, 4, False)):
        path = folder / f"syn-{n}-{seed}.yaml"
        path.write_text(to_yaml(synthetic(n, seed=seed, pure=pure, agencies=5)), encoding="utf-8")
        corpus.append((path.name, regime_of(path)))
    return corpus


def test_certificates_are_k_plus_one_merged_disjoint_routes(certificate_corpus):
    seen = 0
    largest = 0
    for name, regime in certificate_corpus:
        for v in regime.violations:
            for k in range(0, 6):
                r = non_circumventability(regime, v.id, k)
                if r.verdict != Verdict.HOLDS or not r.certificate:
                    continue
                seen += 1
                assert len(r.certificate) == k + 1, (name, v.id, k)
                largest = max(largest, len(r.certificate))
                blocks = [merged(regime, route_actors(regime, v.id, route)) for route in r.certificate]
                for i in range(len(blocks)):
                    for j in range(i):
                        assert not blocks[i] & blocks[j], (name, v.id, k, i, j, blocks[i] & blocks[j])
                for route in r.certificate:
                    # A route: a mechanism observing, then flows passing it on,
                    # ending at a verifier.
                    assert route.steps[0].kind == "observe"
                    assert all(s.kind == "pass" for s in route.steps[1:])
                    assert route.steps[-1].holder == route.verifier
                    assert route.verifier in {x.id for x in regime.verifiers}
                    for a, b in pairwise(route.steps):
                        assert regime.flow[b.element].source == a.holder
                    assert set(s.element for s in route.steps) <= set(r.rests_on)
    assert seen >= 10 and largest >= 4, (seen, largest)


def test_hand_regime_certificate_never_pairs_routes_sharing_the_host():
    """m1 needs the host H's access and o2 is H's: those two routes may not
    both be in a certificate.  The smallest evasion is {H, o3 or g2}."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "hand.yaml"
        path.write_text(HAND, encoding="utf-8")
        regime = regime_of(path)
    assert oracle.min_evasion_size(regime, "v", "P") == 2
    one = non_circumventability(regime, "v", 1)
    assert one.verdict == Verdict.HOLDS
    two = non_circumventability(regime, "v", 2)
    assert two.verdict == Verdict.FAILS and not two.certificate
    if one.certificate:
        used = {route.steps[0].element for route in one.certificate}
        assert used != {"m1", "m2"} and len(used) == 2


def test_a_certificate_proves_the_property_for_every_perpetrator(flagship):
    """A certificate is shown only where it is the whole proof: for a single
    perpetrator, and then its routes avoid that perpetrator's closure."""
    r = non_circumventability(flagship, V, 0)
    assert r.verdict == Verdict.HOLDS and r.perpetrator is None
    assert len(flagship.violation[V].perpetrators) > 1 and r.certificate == ()
    shown = 0
    for p in flagship.violation[V].perpetrators:
        alone = dataclasses.replace(flagship, violations=tuple(
            dataclasses.replace(v, perpetrators=(p,)) if v.id == V else v for v in flagship.violations))
        single = non_circumventability(alone, V, 0)
        assert single.verdict == Verdict.HOLDS
        for route in single.certificate:
            touched = merged(alone, route_actors(alone, V, route))
            assert not touched & alone.closure(p), (p, touched & alone.closure(p))
        shown += bool(single.certificate)
    assert shown >= 1


# ------------------------------------------------------- robustness margin


def oracle_kstar(reg: Regime, v: Violation) -> tuple[int | str, str | None]:
    """The oracle's k* for ``v`` and the perpetrator that sets it.

    Counted by classes of interchangeable actors (``shortcut``): exact for
    sizes, and the only way through a 41-member council, whose subsets
    would not fit in memory."""
    sizes = {p: oracle.min_evasion_size(reg, v.id, p, shortcut=True) for p in v.perpetrators}
    finite = {p: n for p, n in sizes.items() if n is not None}
    if not finite:
        return "all", None
    worst = min(finite, key=lambda p: (finite[p], v.perpetrators.index(p)))
    return finite[worst] - 1, worst


@pytest.mark.parametrize("path", ALL_DESIGNS, ids=lambda p: p.name)
def test_robustness_margin_is_the_oracles(path):
    regime = regime_of(path)
    for v in regime.violations:
        result = robustness_margin(regime, v.id)
        kstar, worst = oracle_kstar(regime, v)
        assert result.figures.kstar.plain() == kstar, (path.name, v.id)
        if worst is not None and kstar >= 0:
            assert result.perpetrator == worst
            # Its counterexample is an evading coalition of k*+1 colluders.
            assert result.witness is not None and len(result.witness.chosen) == kstar + 1
            assert result.witness.detection_time is None
        expected_verdict = Verdict.HOLDS if rank(kstar) >= regime.threat_model.max else Verdict.FAILS
        assert result.verdict == expected_verdict

        without = {e: k.plain() for e, k in result.figures.without}
        assert set(without) == {m.id for m in regime.mechanisms} | {f.id for f in regime.flows}
        for element, value in without.items():
            assert value == oracle_kstar(regime.without(element), v)[0], (path.name, v.id, element)
            assert rank(value) <= rank(kstar), element


def test_flagship_margin_figures(flagship):
    result = robustness_margin(flagship, V)
    sizes = {p: oracle.min_evasion_size(flagship, V, p) for p in flagship.violation[V].perpetrators}
    assert result.figures.kstar.plain() == min(sizes.values()) - 1
    assert result.perpetrator == min(sizes, key=sizes.get)
    without = {e: k.plain() for e, k in result.figures.without}
    # The whistle-blower channel is worth one accomplice; chip logging is
    # everything a sole accomplice would need.
    assert without["whistleblower"] == result.figures.kstar.plain() - 1
    assert without["chip-logging"] < without["whistleblower"]


# --------------------------------------------------- minimal evasion sets


@pytest.mark.parametrize("path, K", [(FLAGSHIP, 3), (VARIANT, 3)], ids=["flagship", "variant"])
def test_minimal_evasion_sets_are_the_oracles(path, K):
    regime = regime_of(path)
    result = minimal_evasion_sets(regime, V, K)
    got = {(p, tuple(sorted(s))) for p, s in result.figures.sets}
    want = {(p, s) for p in regime.violation[V].perpetrators
            for s in oracle.minimal_evasion_sets(regime, V, p, K)}
    assert want, "some coalition of up to K colluders evades"
    assert got == want
    assert len(result.figures.sets) == len(got)  # no duplicates
    crit = dict(result.figures.criticality)
    for actor, count in crit.items():
        assert count == sum(1 for _, s in want if actor in s)
    assert set(crit) == {a for _, s in want for a in s}
    small = any(len(s) <= regime.threat_model.max for _, s in want)
    assert result.verdict == (Verdict.FAILS if small else Verdict.HOLDS)


# -------------------------------------------------------------- timeliness


@pytest.mark.parametrize("k", [0, 1, 2])
def test_timeliness_threshold_is_the_oracles_worst_time(flagship, k):
    perpetrators = flagship.violation[V].perpetrators
    worst = [oracle.worst_detection_time(flagship, V, p, k) for p in perpetrators]
    assert None not in worst
    T = max(worst)
    assert T > 0
    at = timeliness(flagship, V, T, k)
    assert at.verdict == Verdict.HOLDS
    before = timeliness(flagship, V, T - 1, k)
    assert before.verdict == Verdict.FAILS
    # The counterexample is for a perpetrator whose worst case is T, and it
    # is detected at T (late by one second), not never.
    assert before.perpetrator in {p for p, t in zip(perpetrators, worst, strict=True) if t == T}
    assert before.witness is not None and before.witness.detection_time == T


def test_a_worst_case_not_searched_is_said(flagship, monkeypatch):
    """Above WORST_CASE_RULE_LIMIT rules the worst-case time of a timeliness
    that holds is not searched; the result says so instead of leaving the
    figure out in silence (issue 14)."""
    import verify.analyses.properties as props
    from verify.explain import explain

    searched = props.timeliness(flagship, V, T=90 * 86400, k=1)
    assert searched.verdict == Verdict.HOLDS and searched.figures is not None and searched.note == ""
    monkeypatch.setattr(props, "WORST_CASE_RULE_LIMIT", 3)
    cut = props.timeliness(flagship, V, T=90 * 86400, k=1)
    assert cut.verdict == Verdict.HOLDS and cut.figures is None
    assert "the worst-case time is not searched above 3 rules" in cut.note
    assert f"note: {cut.note}" in explain(flagship, cut)
