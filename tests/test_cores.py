""""Rests on" within a budget (issue 14): the core is minimised only as far as
a budget in z3's resource units allows, the result says whether it got to the
end, and the same design gives the same core every time."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from verify.analyses.properties import non_circumventability
from verify.engine.rules import compile_rules
from verify.engine.solve import Answer, Query
from verify.explain import explain
from verify.load import load

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = ROOT / "designs" / "flagship-ai-agreement.yaml"


def _query(effort: float, floor: int | None = None) -> tuple[Query, object]:
    regime = load(FLAGSHIP)
    graph = compile_rules(regime, "covert-training-run", "state-a", False)
    q = Query(regime, graph, core_effort=effort)
    if floor is not None:
        q.CORE_FLOOR = floor  # an instance attribute: the class keeps its own
    return q, regime


def test_a_core_minimised_to_the_end_has_no_spare_element() -> None:
    q, _ = _query(math.inf)
    out = q.evade(k=2, core=True)
    assert out.status == Answer.DETECTED and out.core_minimal and len(out.core) > 1
    for el in out.core:
        # Keep every element of the core but this one on, everything else
        # off: a minimal core means some coalition then evades.
        off = set(q.switch) - (set(out.core) - {el})
        assert q.evade(k=2, removed=off).status == Answer.EVADES, el


def test_a_core_cut_short_says_so() -> None:
    q, _ = _query(0.0)
    raw = q.evade(k=2, core=True)
    whole, _ = _query(math.inf)
    full = whole.evade(k=2, core=True)
    # z3's own core, unminimised, is sufficient but never claimed minimal.
    assert set(full.core) <= set(raw.core)
    assert len(raw.core) > 1 and not raw.core_minimal
    tiny, _ = _query(1e-9, floor=1)
    cut = tiny.evade(k=2, core=True)
    assert not cut.core_minimal
    assert set(full.core) <= set(cut.core)


def test_the_report_says_whether_rests_on_is_minimal(monkeypatch: pytest.MonkeyPatch) -> None:
    regime = load(FLAGSHIP)
    full = non_circumventability(regime, "covert-training-run", 2, minimal_core=True)
    assert full.rests_on_minimal and "may be spare" not in "\n".join(explain(regime, full))
    monkeypatch.setattr(Query, "CORE_EFFORT", 1e-9)
    monkeypatch.setattr(Query, "CORE_FLOOR", 1)
    cut = non_circumventability(regime, "covert-training-run", 2)
    assert not cut.rests_on_minimal
    assert "not minimised within its budget" in "\n".join(explain(regime, cut))
    assert set(full.rests_on) <= set(cut.rests_on)


def test_the_same_design_gives_the_same_core() -> None:
    regime = load(FLAGSHIP)
    first = non_circumventability(regime, "covert-training-run", 2)
    again = non_circumventability(load(FLAGSHIP), "covert-training-run", 2)
    assert (first.rests_on, first.rests_on_minimal) == (again.rests_on, again.rests_on_minimal)
