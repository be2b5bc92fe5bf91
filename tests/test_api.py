"""The public API: verify.load and verify.check."""

import pytest

import verify
from verify.errors import RegimeError
from verify.model import PropertySpec
from verify.results import Verdict


def test_check_runs_the_regimes_own_list():
    regime = verify.load("designs/flagship-ai-agreement.yaml")
    results = verify.check(regime)
    assert len(results) == len(regime.properties) * len(regime.violations)
    assert [r.property for r in results] == [p.property for p in regime.properties]


def test_check_takes_properties_and_as_is():
    regime = verify.load("designs/mine-ban-transparency.yaml")
    spec = PropertySpec(property="non-circumventability", params=(("k", 1),))
    results = verify.check(regime, [spec])
    assert {r.violation for r in results} == {v.id for v in regime.violations}
    assert all(r.verdict == Verdict.FAILS for r in results)
    assert all("state-x" in r.witness.coalition for r in results)


def test_load_raises_with_every_diagnostic():
    with pytest.raises(RegimeError) as err:
        verify.load("tests/data/broken/duplicate_id.yaml")
    assert err.value.diagnostics and all(d.code.startswith("E") for d in err.value.diagnostics)
