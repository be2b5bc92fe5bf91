"""The z3-backed engine: the only package that imports z3 (in solve.py).

rules.py compiles a regime into evidence rules for one (violation,
perpetrator); evaluate.py runs them for a fixed scenario; solve.py asks z3
whether some coalition or failure set evades.  What graph algorithms answer
exactly, before the solver is asked, is in verify/analyses/bounds.py.
"""

from verify.engine.evaluate import Scenario, arrivals, block, detection, guard_holds, target_block, vote, votes_pass
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
from verify.engine.solve import Answer, Outcome, Query

__all__ = [
    "Scenario", "arrivals", "block", "detection", "guard_holds", "target_block", "vote", "votes_pass",
    "START", "Guard", "Rule", "RuleGraph", "RuleKind", "State", "Target", "coalition_of", "compile_rules",
    "counted_groups", "without",
    "Answer", "Outcome", "Query",
]
