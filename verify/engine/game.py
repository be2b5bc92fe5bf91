"""The inspection game as a linear programme, solved exactly by z3.

Inspectors share a budget of effort per period among the (mechanism, site)
pairs they can observe; a violator, seeing their plan but not its draws,
picks the violation (a way and a place) the plan is least likely to catch.
The inspectors' best randomised plan is the solution of a linear programme
(docs/inspection-game.md):

    maximise z  subject to
        z <= fixed[t] + (1 - fixed[t]) * sum_m a[m, t] * x[m, site(t)]   for every target t
        sum_{m,s} effort[m] * x[m, s] <= total
        sum_m x[m, s] <= 1                                             for every site s
        0 <= x[m, s] <= 1

z3's ``Optimize`` solves it over the rationals, so the value is an exact
fraction, not a float that is nearly right.  The function here takes plain
data and knows nothing of regimes: verify/analyses/game.py turns a regime
into this data, and the oracle (verify/oracle/game.py) and the benchmark feed
it synthetic instances.

Ties are broken so that the same input gives the same output, byte for byte:
among the plans that reach the value, the one using least effort, then the
least total coverage (what a zero-effort mechanism adds), as z3's
lexicographic optimisation finds it; the output is sorted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

import z3

__all__ = ["Solution", "solve_game", "detection"]

# The z3 module this one imports with turns off z3's own SIGINT handling
# (verify/engine/solve.py); importing verify.engine.game loads the package
# and so that module first.


@dataclass(frozen=True)
class Solution:
    """An optimal plan and what it guarantees."""

    #: The detection probability per period the plan guarantees against
    #: every target: max over plans of min over targets.
    value: Fraction
    #: The plan: (mechanism, site, coverage), coverage the chance the
    #: mechanism observes the site in a period; only coverages above 0,
    #: ordered by site then mechanism.
    allocation: tuple[tuple[str, str, Fraction], ...]
    #: Every target's detection probability per period under the plan, in
    #: the order the targets were given.
    detection: tuple[tuple[str, Fraction], ...]
    #: The violator's best responses: the targets whose detection
    #: probability under the plan is the value, in the order given.
    best: tuple[str, ...]
    #: The expected effort the plan uses per period.
    effort: Fraction


def _real(x: Fraction, ctx: z3.Context) -> z3.ArithRef:
    return z3.RealVal(f"{x.numerator}/{x.denominator}", ctx)


def _unit(name: str, x: Fraction) -> Fraction:
    x = Fraction(x)
    if not 0 <= x <= 1:
        raise ValueError(f"{name} must be a probability from 0 to 1, not {x}")
    return x


def detection(coverage: Mapping[tuple[str, str], Fraction], site: Mapping[str, str],
              fixed: Mapping[str, Fraction], allocation: Iterable[tuple[str, str, Fraction]],
              ) -> dict[str, Fraction]:
    """Each target's detection probability per period under a plan:
    ``fixed + (1 - fixed) * sum_m a[m, t] * x[m, site(t)]`` (exact)."""
    x: dict[tuple[str, str], Fraction] = {(m, s): c for m, s, c in allocation}
    by_target: dict[str, list[tuple[str, Fraction]]] = {}
    for (m, t), a in coverage.items():
        by_target.setdefault(t, []).append((m, a))
    out = {}
    for t, s in site.items():
        f = Fraction(fixed.get(t, 0))
        seen = sum((a * x.get((m, s), Fraction(0)) for m, a in by_target.get(t, ())), Fraction(0))
        out[t] = f + (1 - f) * seen
    return out


def solve_game(coverage: Mapping[tuple[str, str], Fraction], effort: Mapping[str, Fraction],
               site: Mapping[str, str], total: Fraction, fixed: Mapping[str, Fraction] | None = None,
               *, timeout: float | None = None) -> Solution | None:
    """The inspection game's value, one optimal plan and the violator's best
    responses; None when z3 gives no answer in ``timeout`` seconds.

    ``coverage``: (mechanism, target) -> a[m, t], the chance that one
    observation of the target's site by the mechanism detects the target
    (absent: 0, the mechanism does not cover the site or its evidence alone
    reaches no verifier).  ``effort``: mechanism -> effort per observation
    (every mechanism of the budget; those not named in ``coverage`` are
    never worth using).  ``site``: target -> the site it happens at, one
    entry per target (the violator's pure strategies, in the order results
    are given).  ``total``: effort per period.  ``fixed``: target -> the
    chance it is detected whatever the plan (absent: 0).
    """
    fixed = {} if fixed is None else fixed
    if not site:
        raise ValueError("the game needs at least one target (a violation to detect)")
    total = Fraction(total)
    if total < 0:
        raise ValueError(f"the budget's total must be 0 or more, not {total}")
    for m, e in effort.items():
        if Fraction(e) < 0:
            raise ValueError(f"effort of {m} must be 0 or more, not {e}")
    f = {t: _unit(f"fixed detection of {t}", fixed.get(t, Fraction(0))) for t in site}
    a: dict[tuple[str, str], Fraction] = {}
    for (m, t), p in coverage.items():
        if t not in site:
            raise ValueError(f"coverage names {t}, which is not a target")
        if m not in effort:
            raise ValueError(f"coverage names {m}, which has no effort")
        p = _unit(f"detection of {t} by {m}", p)
        if p > 0 and f[t] < 1:  # a pair that detects nothing more is never worth paying for
            a[(m, t)] = p
    pairs = sorted({(site[t], m) for m, t in a})  # (site, mechanism): the output order
    ms = {(m, s): i for i, (s, m) in enumerate(pairs)}

    ctx = z3.Context()  # never z3's global context: callers may run several solvers at once
    xs = [z3.Real(f"x{i}", ctx) for i in range(len(pairs))]
    z = z3.Real("z", ctx)
    opt = z3.Optimize(ctx=ctx)
    if timeout is not None:
        if not (timeout > 0 and timeout != float("inf")):
            raise ValueError(f"timeout must be a positive, finite number of seconds, not {timeout}")
        opt.set("timeout", max(1, int(timeout * 1000)))
    zero, one = z3.RealVal(0, ctx), z3.RealVal(1, ctx)
    for x in xs:
        opt.add(x >= zero, x <= one)
    used = z3.Sum([_real(Fraction(effort[m]), ctx) * xs[i] for i, (_, m) in enumerate(pairs)]) if xs else zero
    opt.add(used <= _real(total, ctx))
    at_site: dict[str, list[z3.ArithRef]] = {}
    for i, (s, _) in enumerate(pairs):
        at_site.setdefault(s, []).append(xs[i])
    for group in at_site.values():
        if len(group) > 1:  # one variable is already at most 1
            opt.add(z3.Sum(group) <= one)
    terms: dict[str, list[z3.ArithRef]] = {}
    for (m, t), p in a.items():
        terms.setdefault(t, []).append(_real((1 - f[t]) * p, ctx) * xs[ms[(m, site[t])]])
    for t in site:
        if f[t] == 1:
            continue  # detected whatever the plan: it bounds nothing
        seen = z3.Sum(terms[t]) if t in terms else zero
        opt.add(z <= _real(f[t], ctx) + seen)
    opt.add(z <= one)  # the value when every target is detected whatever the plan
    # Lexicographic (z3's default): the value first, then the least effort,
    # then the least coverage, so that ties are broken the same way each time.
    opt.maximize(z)
    opt.minimize(used)
    opt.minimize(z3.Sum(xs) if xs else zero)
    if opt.check() != z3.sat:  # unsat cannot happen (x = 0, z = 0 is feasible): a time-out
        return None
    model = opt.model()
    plan = []
    for i, (s, m) in enumerate(pairs):
        value = model.eval(xs[i], model_completion=True)
        c = Fraction(value.as_fraction())
        if c > 0:
            plan.append((m, s, c))
    # The value and best responses are recomputed exactly from the plan
    # rather than read off z: what is reported is what this plan guarantees.
    d = detection(a, site, f, plan)
    v = min(d.values())
    used_effort = sum((Fraction(effort[m]) * c for m, _, c in plan), Fraction(0))
    return Solution(value=v, allocation=tuple(plan), detection=tuple(d.items()),
                    best=tuple(t for t, p in d.items() if p == v), effort=used_effort)
