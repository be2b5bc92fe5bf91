"""The reference designs in designs/: they load, carry their schema line and
their sources, their claims are upheld, and the verdicts their comments and
designs/README.md explain are the ones the checker computes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml

from verify import oracle
from verify.analyses.properties import robustness_margin
from verify.cli import main
from verify.load import load
from verify.model import effective

ROOT = Path(__file__).resolve().parent.parent
DESIGNS = ROOT / "designs"
ALL_DESIGNS = sorted(DESIGNS.glob("*.yaml"))
FLAGSHIP = DESIGNS / "flagship-ai-agreement.yaml"
VARIANT = DESIGNS / "flagship-no-whistleblower.yaml"
MINE_BAN = DESIGNS / "mine-ban-transparency.yaml"
IAEA = DESIGNS / "iaea-safeguards.yaml"
CWC = DESIGNS / "cwc-challenge-inspection.yaml"
CWC_SECRETARIAT = DESIGNS / "cwc-challenge-inspection-secretariat.yaml"
REAL_TREATIES = [IAEA, MINE_BAN, CWC]

SCHEMA_LINE = "# yaml-language-server: $schema="


def cli(*argv) -> tuple[int, str]:
    stream = io.StringIO()
    status = main([str(a) for a in argv], stream)
    return status, stream.getvalue()


def check_json(*argv) -> tuple[int, dict]:
    status, output = cli("check", *argv, "--format", "json")
    return status, json.loads(output)


def raw(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_there_are_designs():
    names = {p.name for p in ALL_DESIGNS}
    assert {FLAGSHIP.name, VARIANT.name, MINE_BAN.name, IAEA.name} <= names


# ----------------------------------------------------------- well-formedness


@pytest.mark.parametrize("path", ALL_DESIGNS, ids=lambda p: p.name)
def test_design_validates(path):
    status, output = cli("validate", path)
    assert status == 0, output
    assert f"{path}: ok" in output
    assert "error" not in output


@pytest.mark.parametrize("path", ALL_DESIGNS, ids=lambda p: p.name)
def test_design_starts_with_a_schema_line_that_resolves(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(SCHEMA_LINE), first
    target = first[len(SCHEMA_LINE):].strip()
    assert target
    resolved = (path.parent / target).resolve()
    assert resolved.is_file(), resolved
    # It is the schema the tool validates against and prints.
    status, printed = cli("schema")
    assert status == 0
    assert json.loads(resolved.read_text(encoding="utf-8")) == json.loads(printed)


def test_validate_all_designs_in_one_run():
    status, output = cli("validate", *ALL_DESIGNS)
    assert status == 0, output
    assert output.count(": ok (") == len(ALL_DESIGNS)


# ------------------------------------------------------------------ sources


@pytest.mark.parametrize("path", ALL_DESIGNS, ids=lambda p: p.name)
def test_design_carries_sources_at_top_level(path):
    """Every design names its sources; a variant may inherit them through
    ``extends`` (the loaded regime has them either way)."""
    doc = raw(path)
    if "extends" not in doc:
        assert doc.get("sources"), f"{path.name} has no top-level sources:"
    regime = load(str(path))
    assert regime.sources
    assert all(isinstance(s, str) and s.strip() for s in regime.sources)


@pytest.mark.parametrize("path", REAL_TREATIES, ids=lambda p: p.name)
def test_real_treaty_design_cites_sources_on_at_least_five_elements(path):
    regime = load(str(path))
    cited = [e.id for e in regime.elements() if e.sources]
    assert len(cited) >= 5, cited
    # The raw file agrees with the model (sources are not invented by loading).
    doc = raw(path)
    raw_cited = {e["id"] for section in ("actors", "groups", "assets", "signatures", "violations", "mechanisms",
                                         "flows", "bodies", "decisions", "labels")
                 for e in doc.get(section) or () if e.get("sources")}
    assert raw_cited == set(cited)


def test_cwc_council_is_counted_and_the_finding_is_its_weak_spot():
    # Two thirds of 41 is 28 yes votes; with the inspected state recused 40
    # vote, so 13 of the 39 members outside the case block a finding: k* =
    # 12, and the one minimal evasion set is "any 13 of the 39".
    from verify.analyses.properties import minimal_evasion_sets, robustness_margin

    regime = load(str(CWC))
    assert robustness_margin(regime, "cw-production").figures.kstar.plain() == 12
    sets = minimal_evasion_sets(regime, "cw-production", 40).figures
    assert [len(s) for _, s in sets.sets] == [13]
    assert [(g.label, len(g.members)) for g in sets.groups] == [("Council members outside the case", 39)]
    status, output = cli("check", CWC, "-p", "minimal-evasion-sets", "-K", "40")
    assert "any 13 of the 39 Council members outside the case would do" in output
    # Where the Secretariat's receipt of the request counts, only the red
    # light can stop it: three quarters of all 41 is 31, neither party voting.
    variant = load(str(CWC_SECRETARIAT))
    assert robustness_margin(variant, "cw-production").figures.kstar.plain() == 30
    sets = minimal_evasion_sets(variant, "cw-production", 40).figures
    assert [len(s) for _, s in sets.sets] == [31]


# ------------------------------------------------------------------- claims


@pytest.mark.parametrize("path", ALL_DESIGNS, ids=lambda p: p.name)
def test_every_claim_of_every_design_is_upheld(path):
    status, output = cli("claims", path)
    regime = load(str(path))
    assert regime.claims, f"{path.name} has no claims"
    n = len(regime.claims)
    assert status == 0, output
    assert f"{n} upheld, 0 refuted, 0 unknown" in output
    for claim in regime.claims:
        assert f"UPHELD: {claim.id}: " in output


def test_variant_claims_expect_failures_and_are_upheld():
    """The variant overrides claims to expect failure: they are upheld
    because the checker now says "fails", not because nothing was checked."""
    regime = load(str(VARIANT))
    expect = {c.id: c.expect for c in regime.claims}
    assert expect["two-accomplices"] == "fails" and expect["direct-evidence"] == "fails"
    status, output = cli("claims", VARIANT)
    assert status == 0, output
    # Two overridden here, and the base's own claim that two accomplices
    # bring detection below 90% (which fails, as expected, there too).
    assert output.count("the checker says it fails") == 3


# ------------------------------------------------------- the weak regime


def test_mine_ban_fails_non_circumventability_with_the_state_in_the_coalition():
    status, doc = check_json(MINE_BAN)
    assert status == 1
    [f] = doc["files"]
    nc = [r for r in f["results"] if r["property"] == "non-circumventability"]
    assert [r["violation"] for r in nc] == ["army-retained-stockpile"]
    [r] = nc
    assert r["verdict"] == "fails"
    assert r["perpetrator"] == "sx-army"
    w = r["witness"]
    # The army's controller, state-x, is the one accomplice that suppresses
    # everything (it authors the only report).
    assert "state-x" in w["coalition"]
    assert w["chosen"] == ["state-x"]
    assert w["detection_time"] is None and w["detected_by"] is None
    blockers = {s["blocker"] for route in w["routes"] for s in route["steps"] if s["blocked"]}
    assert blockers == {"state-x"}


def test_mine_ban_state_retained_stockpile_is_not_even_detectable():
    status, doc = check_json(MINE_BAN, "-p", "detectability")
    assert status == 1
    verdicts = {r["violation"]: r["verdict"] for r in doc["files"][0]["results"]}
    assert verdicts == {"army-retained-stockpile": "holds", "state-retained-stockpile": "fails"}


# -------------------------------------------------------------- the flagship


def test_flagship_holds_every_listed_property_and_runs_them_all():
    regime = load(str(FLAGSHIP))
    assert regime.properties
    expected = sum(1 if spec.param("violation") else len(regime.violations) for spec in regime.properties)
    assert expected == len(regime.properties) * len(regime.violations)
    status, doc = check_json(FLAGSHIP)
    assert status == 0
    [f] = doc["files"]
    results = f["results"]
    assert len(results) == expected
    assert {r["verdict"] for r in results} == {"holds"}
    assert [r["property"] for r in results] == [s.property for s in regime.properties
                                                for _ in regime.violations]
    # Nothing left out, and every number the design gives is read by a
    # property it lists (detection-probability and deterrence read the
    # probabilities, duration, gain, sanction and false alarms).
    assert f["warnings"] == []


# -------------------------------------------------------------- the variant


def _verdicts(path: Path) -> dict[tuple, str]:
    _, doc = check_json(path)
    return {(r["property"], r["violation"], json.dumps(r["params"], sort_keys=True)): r["verdict"]
            for r in doc["files"][0]["results"]}


def test_variant_extends_the_flagship_and_differs_in_verdict():
    assert raw(VARIANT)["extends"] == FLAGSHIP.name
    regime = load(str(VARIANT))
    assert [Path(p).resolve() for p in regime.extends] == [FLAGSHIP.resolve()]
    base, variant = _verdicts(FLAGSHIP), _verdicts(VARIANT)
    # It inherits the property list, so the same questions are asked of both.
    assert base.keys() == variant.keys()
    differ = {k for k in base if base[k] != variant[k]}
    assert differ, "the variant should change at least one verdict"
    assert any(k[0] == "non-circumventability" for k in differ)
    assert all(base[k] == "holds" and variant[k] == "fails" for k in differ)


# --------------------------------------------- figures the README tabulates


@pytest.mark.parametrize(
    "path, violation, kstar",
    [
        (FLAGSHIP, "covert-training-run", 2),
        (VARIANT, "covert-training-run", 1),
        (IAEA, "pu-diversion", "all"),
        (IAEA, "undeclared-enrichment", "all"),
        (MINE_BAN, "army-retained-stockpile", 0),
        (MINE_BAN, "state-retained-stockpile", -1),
    ],
    ids=lambda x: x.name if isinstance(x, Path) else str(x),
)
def test_robustness_margin_is_the_one_designs_readme_tabulates(path, violation, kstar):
    regime, _ = effective(load(str(path)))
    got = robustness_margin(regime, violation).figures.kstar.plain()
    assert got == oracle.robustness_margin(regime, violation).k_star
    assert got == kstar
