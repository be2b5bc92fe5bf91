"""The public API: verify.load and verify.check, and what importing costs."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

import verify
from verify.errors import RegimeError, UsageError
from verify.model import PropertySpec
from verify.results import Verdict

ROOT = Path(__file__).resolve().parents[1]
DESIGNS = ROOT / "designs"

#: What ``import verify`` and ``import verify.model`` must not pull in: the
#: loader's and the engine's dependencies, imported on first use only.
HEAVY = ("jsonschema", "fastjsonschema", "networkx", "z3", "yaml")


def test_check_runs_the_regimes_own_list():
    regime = verify.load(DESIGNS / "flagship-ai-agreement.yaml")
    results = verify.check(regime)
    assert len(results) == len(regime.properties) * len(regime.violations)
    assert [r.property for r in results] == [p.property for p in regime.properties]


def test_check_takes_properties_and_as_is():
    regime = verify.load(DESIGNS / "mine-ban-transparency.yaml")
    spec = PropertySpec(property="non-circumventability", params=(("k", 1),))
    results = verify.check(regime, [spec])
    assert {r.violation for r in results} == {v.id for v in regime.violations}
    assert all(r.verdict == Verdict.FAILS for r in results)
    assert all(r.witness is not None and "state-x" in r.witness.coalition for r in results)


def test_check_takes_plain_property_names():
    regime = verify.load(DESIGNS / "mine-ban-transparency.yaml")
    by_name = verify.check(regime, ["robustness-margin", "detectability"])
    by_spec = verify.check(regime, [PropertySpec(property="robustness-margin"),
                                    PropertySpec(property="detectability")])
    assert [(r.property, r.violation, r.verdict) for r in by_name] == \
        [(r.property, r.violation, r.verdict) for r in by_spec]
    assert [r.property for r in by_name] == ["robustness-margin"] * len(regime.violations) + \
        ["detectability"] * len(regime.violations)


def test_load_raises_with_every_diagnostic():
    with pytest.raises(RegimeError) as err:
        verify.load(ROOT / "tests" / "data" / "broken" / "duplicate_id.yaml")
    assert err.value.diagnostics and all(d.code.startswith("E") for d in err.value.diagnostics)


def test_verify_load_stays_the_function_once_the_subpackage_is_imported():
    import verify.load.build  # noqa: F401  (binds the subpackage as the package's ``load``)
    from verify.load import load as function

    assert verify.load is function
    from verify import load

    assert load is function


def _imported_by(statement: str) -> set[str]:
    """Every module a fresh interpreter imports to run ``statement``."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", statement], capture_output=True,
                          text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    # Lines read "import time: self | cumulative | <indent>module".
    return {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines()
            if line.startswith("import time:") and line.count("|") == 2}


@pytest.mark.parametrize("statement", ["import verify", "import verify.model"])
def test_importing_the_package_or_the_model_is_cheap(statement):
    modules = _imported_by(statement)
    assert "verify.model" in modules or statement == "import verify", sorted(modules)
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY)
    assert heavy == [], f"{statement!r} imports {heavy}"
    assert not {m for m in modules if m.startswith(("verify.load", "verify.engine"))}


# --- check(regime, "name", k=2): names and keyword parameters -------------------


@pytest.fixture(scope="module")
def flagship():
    return verify.load(DESIGNS / "flagship-ai-agreement.yaml")


def _keys(results):
    return [(r.property, r.violation, r.params, r.verdict) for r in results]


def test_check_takes_one_name_with_parameters(flagship):
    results = verify.check(flagship, "non-circumventability", k=2)
    assert [(r.property, r.params) for r in results] == [
        ("non-circumventability", (("violation", "covert-training-run"), ("k", 2)))]
    assert _keys(results) == _keys(verify.check(flagship, [PropertySpec(property="non-circumventability",
                                                                        params=(("k", 2),))]))


def test_check_takes_a_single_spec(flagship):
    spec = PropertySpec(property="minimal-evasion-sets", params=(("K", 1),))
    assert _keys(verify.check(flagship, spec)) == _keys(verify.check(flagship, [spec]))


def test_parameters_apply_to_every_property_named(flagship):
    results = verify.check(flagship, ["non-circumventability", "detectability"], direct=True,
                           violation="covert-training-run")
    # (a result's params include the defaults: k is the threat model's max)
    assert [(r.property, dict(r.params)) for r in results] == [
        ("non-circumventability", {"violation": "covert-training-run", "k": flagship.threat_model.max,
                                   "direct": True}),
        ("detectability", {"violation": "covert-training-run", "direct": True})]


def test_a_parameter_a_named_property_does_not_take_raises(flagship):
    with pytest.raises(UsageError, match=r"robustness-margin takes no parameter 'k'.*violation, direct.*"
                                         r"taken by .*non-circumventability"):
        verify.check(flagship, "robustness-margin", k=2)
    with pytest.raises(UsageError, match="non-circumventability takes no parameter 'T'"):
        verify.check(flagship, ["non-circumventability", "timeliness"], k=1, T="30d")


def test_keyword_parameters_override_a_specs_own(flagship):
    spec = PropertySpec(property="non-circumventability", params=(("k", 2),))
    results = verify.check(flagship, [spec], k=0, direct=True)
    assert [dict(r.params) for r in results] == [{"violation": "covert-training-run", "k": 0, "direct": True}]


@pytest.mark.parametrize("T", ["30d", 30 * 86400, " 30d", "720h", timedelta(days=30)])
def test_T_is_seconds_or_a_duration(flagship, T):
    results = verify.check(flagship, "timeliness", T=T, k=1)
    assert [dict(r.params)["T"] for r in results] == [30 * 86400]
    assert results[0].verdict == verify.check(flagship, "timeliness", T="30d", k=1)[0].verdict


def test_a_fraction_of_a_second_is_rounded_up(flagship):
    results = verify.check(flagship, "timeliness", T=timedelta(seconds=1.5))
    assert dict(results[0].params)["T"] == 2


def test_violation_keyword_picks_one(flagship):
    results = verify.check(flagship, "detectability", violation="covert-training-run")
    assert [r.violation for r in results] == ["covert-training-run"]
    assert dict(results[0].params) == {"violation": "covert-training-run"}


@pytest.mark.parametrize("name", ["robustnes-margin", "Robustness-Margin", "robustness_margin", "margin", ""])
def test_an_unknown_property_name_raises_and_is_never_corrected(flagship, name):
    with pytest.raises(UsageError, match="unknown property") as err:
        verify.check(flagship, name)
    for known in ("detectability", "fault-tolerance", "minimal-evasion-sets", "non-circumventability",
                  "robustness-margin", "timeliness"):
        assert known in str(err.value)


def test_an_unknown_property_in_a_spec_raises(flagship):
    with pytest.raises(UsageError, match="unknown property 'nope'"):
        verify.check(flagship, [PropertySpec(property="nope")])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"T": "30x"}, "T must be seconds or a duration"),
    ({"T": -1}, "T must be seconds"),
    ({"T": 1.5}, "T must be seconds"),
    ({"T": "30d", "k": -1}, "k must be a whole number"),
    ({"T": "30d", "k": True}, "k must be a whole number"),
    ({"T": "30d", "k": 1.0}, "k must be a whole number"),
    ({"T": "30d", "violation": "nope"}, "has no violation 'nope'.*covert-training-run"),
    ({"T": "30d", "direct": "yes"}, "direct must be True or False"),
    ({}, "timeliness needs the parameter 'T'"),
])
def test_bad_parameters_raise(flagship, kwargs, message):
    with pytest.raises(UsageError, match=message):
        verify.check(flagship, "timeliness", **kwargs)


def test_parameters_without_properties_raise(flagship):
    with pytest.raises(UsageError, match="name them"):
        verify.check(flagship, k=1)


@pytest.mark.parametrize("bad", [3, [3], [None]])
def test_properties_of_the_wrong_type_raise_type_error(flagship, bad):
    with pytest.raises(TypeError):
        verify.check(flagship, bad)


def test_check_still_checks_the_timeout(flagship):
    with pytest.raises(UsageError, match="timeout"):
        verify.check(flagship, "detectability", timeout=-1)


def test_table_is_public_and_importing_verify_does_not_import_it():
    assert "table" in verify.__all__ and "check" in verify.__all__ and "load" in verify.__all__
    assert callable(verify.table)
    modules = _imported_by("import verify")
    assert "verify.notebook" not in modules and "verify.explain" not in modules


def test_explain_and_title_are_public():
    from verify import explain

    assert {"explain", "title"} <= set(explain.__all__)
