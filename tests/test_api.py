"""The public API: verify.load and verify.check, and what importing costs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import verify
from verify.errors import RegimeError
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
