"""inspection-game: how to spend a shared inspection budget, and what it buys.

Mechanisms that draw on a budget (``mechanisms[].budget``) cannot all observe
everything every period: each observation takes ``effort`` of the budget's
``total``.  Against a violator who sees the plan but not its draws and picks
the violation (a way and a place) least likely to be caught, the inspectors'
best randomised plan is the solution of a linear programme; this module turns
the regime into that programme's data and the answer into a
:class:`~verify.results.Result`.  The model, its conditions and a worked
example are in docs/inspection-game.md.

What each mechanism contributes is decided by the rules every other property
uses, evaluated for one fixed scenario (no solver): a budgeted mechanism
counts for a violation when its evidence alone reaches a verifier with no
accomplice and every other mechanism failed; what the mechanisms outside any
budget detect, with every budgeted one failed, is detected whatever the plan.
Only the linear programme itself goes to z3 (verify/engine/game.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from verify.durations import format_duration
from verify.engine import Scenario, coalition_of, compile_rules, detection
from verify.engine.game import solve_game
from verify.errors import UsageError
from verify.model import Budget, Mechanism, Regime, effective
from verify.numbers import fraction_text
from verify.results import Game, Result, Verdict

__all__ = ["inspection_game", "Target", "targets", "over_duration"]

PROPERTY = "inspection-game"


@dataclass(frozen=True)
class Target:
    """One pure strategy of the violator: a violation, by one of its
    perpetrators (the violator picks the perpetrator too)."""

    violation: str
    perpetrator: str
    site: str
    #: 1 when the mechanisms outside every budget detect it, else 0.
    fixed: Fraction
    #: Budgeted mechanism -> the chance one of its observations of the site
    #: detects it (its lower detection probability, when its evidence alone
    #: reaches a verifier; mechanisms whose evidence does not are left out).
    alone: tuple[tuple[str, Fraction], ...]


def _covers(m: Mechanism, asset: str) -> bool:
    return m.at is None or asset in m.at


def targets(regime: Regime) -> list[Target]:
    """Every (violation, perpetrator) of an effective regime, with what the
    budgeted mechanisms and the others detect of it."""
    budgeted = [m for m in regime.mechanisms if m.budget is not None]
    every = frozenset(m.id for m in regime.mechanisms)
    out = []
    for v in regime.violations:
        for p in v.perpetrators:
            # Unfolded, as an explanation walks it: every rule kept, so that
            # nothing rests on what folding assumes about coalitions.
            graph = compile_rules(regime, v.id, p, fold=False)
            coalition = coalition_of(regime, graph, ())
            seen = detection(regime, graph, Scenario(coalition, frozenset(m.id for m in budgeted)))
            alone = []
            for m in budgeted:
                chance = m.detection_probability.low  # the conservative end of an interval
                if not _covers(m, v.at) or chance <= 0:
                    continue
                if detection(regime, graph, Scenario(coalition, every - {m.id})) is not None:
                    alone.append((m.id, chance))
            out.append(Target(v.id, p, v.at, Fraction(int(seen is not None)), tuple(alone)))
    return out


def over_duration(per_period: Fraction, duration: int | None, period: int) -> tuple[Fraction, int]:
    """The chance a violation is detected over its duration when the plan is
    drawn afresh, independently, each period, and the whole periods counted:
    ``1 - (1 - p)^n``, n = duration // period (one period when the duration
    is not given).  A violation shorter than a period spans no whole period
    wherever it starts, so the plan guarantees nothing against it (n = 0)."""
    n = 1 if duration is None or period <= 0 else duration // period
    return 1 - (1 - per_period) ** n, n


def _never(t: Target, effort: dict[str, Fraction], total: Fraction) -> bool:
    """Whether no plan of the budget detects the target at all: nothing
    outside the budgets does, and no mechanism of this one that sees it
    alone can be paid for.  The value is 0 exactly when some target is so:
    otherwise a small enough coverage of every pair detects each one."""
    return t.fixed == 0 and not any(m in effort and (total > 0 or effort[m] == 0) for m, _ in t.alone)


def _statement(b: Budget, value: Fraction | None) -> str:
    spend = f"With an effort of {fraction_text(b.total)} per {format_duration(b.period)} ({b.label})"
    if value is None:
        return (f"{spend}: the inspectors' best randomised plan, and the detection probability per period "
                "it guarantees against every violation.")
    return (f"{spend}, the inspectors' best randomised plan detects every violation with probability at "
            f"least {fraction_text(value)} per period.")


def inspection_game(regime: Regime, *, timeout: float | None = None, as_is: bool = False) -> list[Result]:
    """One result per budget of the regime in force (``as_is``: without
    proposed elements either): the value of its inspection game, an optimal
    plan and the violator's best responses.  Holds when the value is above
    0; fails when some violation is detected with probability 0 whatever the
    plan; unknown when z3 gives no answer within ``timeout`` seconds (each
    budget's programme gets that long).  No result when the regime has no
    violation."""
    if timeout is not None and not (timeout > 0 and timeout != float("inf")):
        raise UsageError(f"timeout must be a positive, finite number of seconds, not {timeout}")
    regime, _ = effective(regime, as_is=as_is)
    if not regime.violations or not regime.budgets:
        return []
    ts = targets(regime)
    key = {f"{i}": t for i, t in enumerate(ts)}
    site = {k: t.site for k, t in key.items()}
    fixed = {k: t.fixed for k, t in key.items()}
    out = []
    for b in regime.budgets:
        members = [m for m in regime.mechanisms if m.budget == b.id]
        effort = {m.id: m.effort for m in members}
        # The game of a budget is over the violations at assets its own
        # mechanisms cover: one that only another budget's inspectors could
        # find is that budget's game, not a value of 0 here.  (A budget that
        # covers no violation's asset plays against them all, and says so.)
        mine = {k: t for k, t in key.items() if any(_covers(m, t.site) for m in members)} or key
        coverage = {(m, k): a for k, t in mine.items() for m, a in t.alone if m in effort}
        params: tuple[tuple[str, object], ...] = (("budget", b.id),)
        solution = solve_game(coverage, effort, {k: site[k] for k in mine}, b.total,
                              {k: fixed[k] for k in mine}, timeout=timeout)
        if solution is None:
            out.append(Result(PROPERTY, params, regime.violations[0].id, Verdict.UNKNOWN, _statement(b, None),
                              note=f"z3 gave no answer within {timeout} s for budget {b.id}"))
            continue
        best: list[tuple[str, Fraction, Fraction, int]] = []
        for k in solution.best:
            t = key[k]
            if any(v == t.violation for v, *_ in best):
                continue  # another perpetrator of the same violation: listed once
            over, n = over_duration(solution.value, regime.violation[t.violation].duration, b.period)
            best.append((t.violation, solution.value, over, n))
        figures = Game(budget=b.id, value=solution.value, allocation=solution.allocation, best=tuple(best),
                       effort=solution.effort, total=b.total, period=b.period)
        first = key[solution.best[0]]
        note = ""
        verdict = Verdict.HOLDS
        if solution.value == 0:
            # The least-effort plan then observes nothing, and every violation
            # it leaves at 0 is a best response; the result names one that no
            # plan can detect, which is why the value is 0.
            verdict = Verdict.FAILS
            first = next(t for t in mine.values() if _never(t, effort, b.total))
            why = ("the budget has no effort to spend on it" if any(m in effort for m, _ in first.alone) else
                   f"no mechanism drawing on {b.id} sees it and gets its evidence to a verifier on its own, "
                   "and nothing outside the budgets detects it")
            note = f"{first.violation} (by {first.perpetrator}) is detected with probability 0 whatever the plan: {why}"
        if not members:
            note = (note + "; " if note else "") + f"no mechanism draws on {b.id}"
        out.append(Result(PROPERTY, params, first.violation, verdict, _statement(b, solution.value),
                          perpetrator=first.perpetrator if verdict == Verdict.FAILS else None,
                          figures=figures, note=note))
    return out
