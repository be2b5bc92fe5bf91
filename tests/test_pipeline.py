"""One pipeline: the public analyses see the regime in force whoever calls
them, and a suspended element never counts."""

from __future__ import annotations

from pathlib import Path

import verify
from verify.analyses.properties import detectability, non_circumventability, robustness_margin
from verify.results import KStar, Verdict

REGIME = """\
regime: suspended-only
actors:
  - {id: state, kind: state}
  - {id: agency, kind: agency}
assets:
  - {id: site, host: state}
signatures:
  - {id: heat}
violations:
  - {id: v, perpetrator: state, at: site, signatures: [{signature: heat, magnitude: 1}]}
mechanisms:
  - {id: satellite, operator: agency, observes: [{signature: heat, threshold: 0}], status: %s}
verifiers: [{id: agency}]
"""


def write(tmp_path: Path, status: str) -> Path:
    path = tmp_path / f"{status}.yaml"
    path.write_text(REGIME % status)
    return path


def test_a_suspended_mechanism_never_counts_whoever_calls(tmp_path):
    regime = verify.load(write(tmp_path, "suspended"))
    assert detectability(regime, "v").verdict == Verdict.FAILS
    assert non_circumventability(regime, "v", 0).verdict == Verdict.FAILS
    assert robustness_margin(regime, "v").figures.kstar == KStar.of(-1)
    assert [r.verdict for r in verify.check(regime, ["detectability"])] == [Verdict.FAILS]
    in_force = verify.load(write(tmp_path, "in-force"))
    assert detectability(in_force, "v").verdict == Verdict.HOLDS


def test_a_proposed_mechanism_counts_unless_as_is(tmp_path):
    regime = verify.load(write(tmp_path, "proposed"))
    assert detectability(regime, "v").verdict == Verdict.HOLDS
    assert detectability(regime, "v", as_is=True).verdict == Verdict.FAILS


ROOT = Path(__file__).resolve().parents[1]


def test_a_bound_beyond_the_pool_is_the_pool():
    """z3 reads a cardinality bound modulo 2**32: 4294967296 would be "at
    most 0", so a failing property read as holding."""
    from verify.analyses.properties import fault_tolerance, minimal_evasion_sets

    regime = verify.load(ROOT / "designs" / "flagship-no-whistleblower.yaml")
    v = "covert-training-run"
    pool = len(regime.pool())
    for huge in (2**32, 2**32 + 1, 10**26):
        assert non_circumventability(regime, v, huge).verdict == non_circumventability(regime, v, pool).verdict \
            == Verdict.FAILS
        assert minimal_evasion_sets(regime, v, huge).figures == minimal_evasion_sets(regime, v, pool).figures
        assert fault_tolerance(regime, v, huge).verdict == Verdict.FAILS
