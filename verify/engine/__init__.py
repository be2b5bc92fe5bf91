"""The z3-backed engine: the only package that imports z3 (solve.py, and
frame.py, game.py and synthesis.py for their own questions).

z3 is imported when a solver is first asked for (:func:`query`, or
``Query`` read from this package), not with the engine: a check that graph
bounds settle, and every command that asks no solver, never pays for it
(a tenth of a re-check as a process, issue 14).

rules.py compiles a regime into evidence rules for one (violation,
perpetrator); evaluate.py runs them for a fixed scenario; solve.py asks z3
whether some coalition or failure set evades.  What graph algorithms answer
exactly, before the solver is asked, is in verify/analyses/bounds.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from verify.engine.evaluate import Scenario, arrivals, block, detection, guard_holds, target_block, vote, votes_pass
from verify.engine.outcome import Answer, Outcome
from verify.engine.rules import (
    START,
    Guard,
    Rule,
    RuleGraph,
    RuleKind,
    State,
    Target,
    coalition_of,
    compile_rules,
    counted_groups,
    without,
)
from verify.model import Regime

if TYPE_CHECKING:
    from verify.engine.solve import Query

__all__ = [
    "Scenario", "arrivals", "block", "detection", "guard_holds", "target_block", "vote", "votes_pass",
    "START", "Guard", "Rule", "RuleGraph", "RuleKind", "State", "Target", "coalition_of", "compile_rules",
    "counted_groups", "without",
    "Answer", "Outcome", "Query", "query",
]


def query(regime: Regime, graph: RuleGraph, **options: Any) -> Query:
    """``Query(regime, graph, **options)``, importing z3 on first use."""
    from verify.engine.solve import Query

    return Query(regime, graph, **options)


def __getattr__(name: str) -> Any:
    if name == "Query":
        from verify.engine.solve import Query

        return Query
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
