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
fraction, not a float that is nearly right.  Handed over as written, it is
slow: z3's simplex is exact, and on a programme whose rows all share z and
the budget its tableau fills in with fractions of a hundred digits (at 200
sites and 20 mechanisms, from seconds to beyond a quarter of an hour).  So
it is decomposed, exactly, by what the sites share.  With z fixed, everything but the budget row is
separate per site: E(z) = sum_s E_s(z), E_s the least effort that detects
every target at site s with at least z, and the value is the largest z with
E(z) <= total.  Each E_s is convex and piecewise linear, and z3 solves a
small master programme in z and one effort per site, with lines below each
E_s: all of them at once for a site where one target is at stake (the
upper hull of its pairs), and for the others one at a time, from the dual
of that site's own small programme, as the master asks (Benders' cuts).
Then each site's plan at the value is found on its own.  What the solver
says is checked in fractions: each line is below its E_s (its prices are
feasible), and the plan keeps to the budget and guarantees the value.

Dominated pairs are left out first: a pair that another at the same site
matches in detection for no more effort, or (one target at stake) that a
mixture of others matches.  The function here takes plain data and knows
nothing of regimes: verify/analyses/game.py turns a regime into this data,
and the oracle (verify/oracle/game.py) and the benchmark feed it synthetic
instances.

Ties are broken so that the same input gives the same output, byte for byte:
among the plans that reach the value, the one using least effort, then the
least total coverage (what a zero-effort mechanism adds).  With z fixed both
are sums over sites, so each site's own least-effort, least-coverage plan
makes up the whole one; a site with one target at stake has exactly one
(a point on its hull), the others are z3's lexicographic optimum.  The
output is sorted.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

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
    for m, cost in effort.items():
        if Fraction(cost) < 0:
            raise ValueError(f"effort of {m} must be 0 or more, not {cost}")
    if timeout is not None and not (timeout > 0 and timeout != float("inf")):
        raise ValueError(f"timeout must be a positive, finite number of seconds, not {timeout}")
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
    e = {m: Fraction(effort[m]) for _, m in pairs}
    # c[pair][t]: what covering the pair adds to the target's detection.
    c: dict[tuple[str, str], dict[str, Fraction]] = {pair: {} for pair in pairs}
    for (m, t), p in a.items():
        c[(site[t], m)][t] = (1 - f[t]) * p
    deadline = None if timeout is None else time.monotonic() + timeout

    # A target detected whatever the plan bounds nothing; the others, by site.
    targets_at: dict[str, list[str]] = {}
    for t in site:
        if f[t] < 1:
            targets_at.setdefault(site[t], []).append(t)
    pairs_at: dict[str, list[tuple[str, str]]] = {s: [] for s in targets_at}
    for pair in _undominated(pairs, e, c):
        pairs_at[pair[0]].append(pair)
    sites: dict[str, _Site] = {}
    for s, ts in targets_at.items():
        covered = {t for pair in pairs_at[s] for t in c[pair]}
        sites[s] = (_Single if len(covered) <= 1 else _Several)(ts, pairs_at[s], e, c, f)
    level = _level(sites, total, deadline)
    if level is None:
        return None
    plan: list[tuple[str, str, Fraction]] = []
    for s in sorted(sites):
        part = sites[s].plan(level, deadline)
        if part is None:
            return None
        plan += part
    d = detection(a, site, f, plan)
    value = min(d.values())
    used = sum((e[m] * x for m, _, x in plan), Fraction(0))
    # Checked in fractions: the plan keeps to the budget, one observation a
    # site, and guarantees exactly the level the master programme found.
    assert value == level and used <= total, (value, level, used, total)
    assert all(0 < x for _, _, x in plan)
    for s in sites:
        assert sum((x for _, ps, x in plan if ps == s), Fraction(0)) <= 1
    return Solution(value=value, allocation=tuple(plan), detection=tuple(d.items()),
                    best=tuple(t for t, p in d.items() if p == value), effort=used)


def _level(sites: Mapping[str, _Site], total: Fraction, deadline: float | None) -> Fraction | None:
    """The value: the largest z with sum_s E_s(z) <= total, each E_s the
    least effort that detects every target at site s with at least z.

    The master programme (z3) has z and one effort variable c[s] per site:
    maximise z subject to sum_s c[s] <= total, z <= the best level each site
    can reach at all, and cuts c[s] >= slope * z + intercept that each lie
    below E_s.  A site with one target gives every cut of E_s at once (its
    hull, :class:`_Single`); a site with several gives one cut each time the
    master's z asks more of it than its cuts so far say (:class:`_Several`),
    until none does.  The master only relaxes the game, so its optimum is at
    least the value; once no site needs more than its c[s], the master's z
    is reachable within the budget, so it is the value.
    """
    if not sites:
        return Fraction(1)  # every target is detected whatever the plan
    ctx = z3.Context()  # never z3's global context: callers may run several solvers at once
    opt = z3.Optimize(ctx=ctx)
    z = z3.Real("z", ctx)
    cs = {s: z3.Real(f"c{i}", ctx) for i, s in enumerate(sorted(sites))}
    opt.add(z >= z3.RealVal(0, ctx))
    for s, x in cs.items():
        top = sites[s].top(deadline)
        if top is None:
            return None
        opt.add(x >= z3.RealVal(0, ctx), z <= _real(top, ctx))
        for slope, intercept in sites[s].cuts():
            opt.add(x >= _real(slope, ctx) * z + _real(intercept, ctx))
    opt.add(z3.Sum(list(cs.values())) <= _real(total, ctx))
    opt.maximize(z)
    while True:
        ms = _ms(deadline)
        if ms is not None:
            opt.set("timeout", ms)
        if opt.check() != z3.sat:  # unsat cannot happen (z = 0, c = 0 is feasible): a time-out
            return None
        model = opt.model()
        level = _value(model, z)
        more = False
        for s, x in cs.items():
            cut = sites[s].cut(level, _value(model, x), deadline)
            if cut is False:
                return None
            if cut is not None:
                opt.add(x >= _real(cut[0], ctx) * z + _real(cut[1], ctx))
                more = True
        if not more:
            return level


class _Site:
    """One site's part of the game: its least effort E_s(z) to detect every
    (live) target there with probability at least z, and the plan that does."""

    def top(self, deadline: float | None) -> Fraction | None:
        """The best level the site can reach with unlimited effort (None: a
        time-out)."""
        raise NotImplementedError

    def cuts(self) -> list[tuple[Fraction, Fraction]]:
        """Lines (slope, intercept) known to lie below E_s."""
        return []

    def cut(self, level: Fraction, effort: Fraction,
            deadline: float | None) -> tuple[Fraction, Fraction] | None | Literal[False]:
        """A line below E_s that is above ``effort`` at ``level``, if the
        master's effort there is less than E_s (None: it is not; False: a
        time-out)."""
        return None

    def plan(self, level: Fraction, deadline: float | None) -> list[tuple[str, str, Fraction]] | None:
        """The least-effort, then least-coverage, coverage of the site that
        detects every target there with at least ``level`` (at most its
        top): (mechanism, site, coverage), above 0, by mechanism; None on a
        time-out."""
        raise NotImplementedError


class _Single(_Site):
    """A site whose pairs all detect the same one target (other targets
    there, if any, are seen by nothing of the budget).  Its pairs are the
    vertices of the upper concave hull of (effort, detection) with the
    origin (:func:`_hull`), so E_s is the hull read the other way: zero up
    to the target's fixed detection, then linear along each edge."""

    def __init__(self, targets: list[str], pairs: list[tuple[str, str]], e: Mapping[str, Fraction],
                 c: Mapping[tuple[str, str], Mapping[str, Fraction]], f: Mapping[str, Fraction]):
        covered = sorted({t for pair in pairs for t in c[pair]})
        target = covered[0] if covered else None
        base = f[target] if target is not None else Fraction(0)
        #: (effort, level, pair) along the hull, from observing nothing.
        self.points: list[tuple[Fraction, Fraction, tuple[str, str] | None]] = [(Fraction(0), base, None)]
        for pair in sorted(pairs, key=lambda p: e[p[1]]):
            assert target is not None
            self.points.append((e[pair[1]], base + c[pair][target], pair))
        reach = [self.points[-1][1]] if target is not None else []
        self.best = min([f[t] for t in targets if t != target] + reach)

    def top(self, deadline: float | None) -> Fraction | None:
        return self.best

    def cuts(self) -> list[tuple[Fraction, Fraction]]:
        out = []
        for (e0, l0, _), (e1, l1, _) in zip(self.points, self.points[1:]):
            slope = (e1 - e0) / (l1 - l0)  # levels rise strictly along the hull
            out.append((slope, e0 - slope * l0))
        return out

    def plan(self, level: Fraction, deadline: float | None) -> list[tuple[str, str, Fraction]] | None:
        if len(self.points) == 1 or level <= self.points[0][1]:
            return []  # what is detected whatever the plan reaches the level
        for (_, l0, p0), (_, l1, p1) in zip(self.points, self.points[1:]):
            if l0 < level <= l1:
                share = (level - l0) / (l1 - l0)  # of the edge's far end; the rest on its near end
                assert p1 is not None
                part = [(p1[1], p1[0], share)]
                if p0 is not None and share < 1:
                    part.append((p0[1], p0[0], 1 - share))
                return sorted(part)
        raise AssertionError("a level above the site's top")


class _Several(_Site):
    """A site where the budget's pairs detect several targets.  E_s is the
    optimum of a small programme in the site's coverages, and a line below
    it is its dual's solution at one level (weak duality: any feasible
    prices bound E_s at every level), found by z3 when the master asks."""

    def __init__(self, targets: list[str], pairs: list[tuple[str, str]], e: Mapping[str, Fraction],
                 c: Mapping[tuple[str, str], Mapping[str, Fraction]], f: Mapping[str, Fraction]):
        self.pairs, self.e, self.c, self.f = pairs, e, c, f
        self.covered = sorted({t for pair in pairs for t in c[pair]}, key=targets.index)
        self.others = [t for t in targets if t not in self.covered]
        # The dual, kept for every cut: prices lam[t] >= 0 on each target's
        # level and mu >= 0 on the site's one observation, with
        # sum_t c[pair][t] lam[t] - mu <= effort for every pair.
        self.ctx = z3.Context()
        self.opt = z3.Optimize(ctx=self.ctx)
        self.lam = {t: z3.Real(f"l{i}", self.ctx) for i, t in enumerate(self.covered)}
        self.mu = z3.Real("mu", self.ctx)
        zero = z3.RealVal(0, self.ctx)
        for v in (*self.lam.values(), self.mu):
            self.opt.add(v >= zero)
        for pair in pairs:
            gain = z3.Sum([_real(k, self.ctx) * self.lam[t] for t, k in c[pair].items()])
            self.opt.add(gain - self.mu <= _real(e[pair[1]], self.ctx))

    def _primal(self) -> tuple[z3.Context, z3.Optimize, dict[tuple[str, str], z3.ArithRef]]:
        ctx = z3.Context()
        opt = z3.Optimize(ctx=ctx)
        xs = {pair: z3.Real(f"x{i}", ctx) for i, pair in enumerate(self.pairs)}
        for x in xs.values():
            opt.add(x >= z3.RealVal(0, ctx))
        opt.add(z3.Sum(list(xs.values())) <= z3.RealVal(1, ctx))
        return ctx, opt, xs

    def _seen(self, t: str, ctx: z3.Context, xs: Mapping[tuple[str, str], z3.ArithRef]) -> z3.ArithRef:
        return _real(self.f[t], ctx) + z3.Sum([_real(self.c[p][t], ctx) * x for p, x in xs.items() if t in self.c[p]])

    def top(self, deadline: float | None) -> Fraction | None:
        ctx, opt, xs = self._primal()
        w = z3.Real("w", ctx)
        for t in self.covered:
            opt.add(w <= self._seen(t, ctx, xs))
        opt.maximize(w)
        if not _solved(opt, deadline):
            return None
        return min([_value(opt.model(), w)] + [self.f[t] for t in self.others])

    def cut(self, level: Fraction, effort: Fraction,
            deadline: float | None) -> tuple[Fraction, Fraction] | None | Literal[False]:
        opt = self.opt
        opt.push()
        opt.maximize(z3.Sum([_real(level - self.f[t], self.ctx) * v for t, v in self.lam.items()]) - self.mu)
        solved = _solved(opt, deadline)
        model = opt.model() if solved else None
        opt.pop()
        if model is None:
            return False
        lam = {t: _value(model, v) for t, v in self.lam.items()}
        mu = _value(model, self.mu)
        # The prices are feasible, so the line is below E_s (checked here,
        # in fractions, rather than taken on the solver's word).
        assert mu >= 0 and all(v >= 0 for v in lam.values())
        assert all(sum((k * lam[t] for t, k in self.c[p].items()), Fraction(0)) - mu <= self.e[p[1]]
                   for p in self.pairs)
        slope = sum(lam.values(), Fraction(0))
        intercept = -sum((self.f[t] * v for t, v in lam.items()), Fraction(0)) - mu
        return None if slope * level + intercept <= effort else (slope, intercept)

    def plan(self, level: Fraction, deadline: float | None) -> list[tuple[str, str, Fraction]] | None:
        ctx, opt, xs = self._primal()
        for t in self.covered:
            opt.add(self._seen(t, ctx, xs) >= _real(level, ctx))
        # Lexicographic (z3's default): least effort, then least coverage
        # (what a zero-effort mechanism adds), so ties are broken the same way.
        opt.minimize(z3.Sum([_real(self.e[p[1]], ctx) * x for p, x in xs.items()]))
        opt.minimize(z3.Sum(list(xs.values())))
        if not _solved(opt, deadline):
            return None
        model = opt.model()
        out = []
        for (s, m), x in xs.items():
            cover = _value(model, x)
            if cover > 0:
                out.append((m, s, cover))
        return out


def _solved(opt: z3.Optimize, deadline: float | None) -> bool:
    """Whether z3 finds an optimum before the deadline (every programme here
    is feasible and bounded, so anything else is a time-out)."""
    ms = _ms(deadline)
    if ms is not None:
        opt.set("timeout", ms)
    return bool(opt.check() == z3.sat)


def _undominated(pairs: list[tuple[str, str]], e: Mapping[str, Fraction],
                 c: Mapping[tuple[str, str], Mapping[str, Fraction]]) -> list[tuple[str, str]]:
    """The pairs no other pair at the same site dominates (as cheap or
    cheaper, and detecting every target there at least as well), in order;
    of identical pairs, the first.  Moving a plan's coverage from a
    dominated pair to the one dominating it costs no more effort, detects
    no less and covers no more, so some least-effort optimal plan uses none
    of them: leaving them out changes neither the value nor the tie-break,
    and makes the programmes smaller."""
    by_site: dict[str, list[tuple[str, str]]] = {}
    for pair in pairs:
        by_site.setdefault(pair[0], []).append(pair)

    def dominates(q: tuple[str, str], p: tuple[str, str]) -> bool:
        return e[q[1]] <= e[p[1]] and all(c[q].get(t, Fraction(0)) >= x for t, x in c[p].items())

    out = []
    for group in by_site.values():
        kept = [p for i, p in enumerate(group)
                if not any(dominates(q, p) and (j < i or not dominates(p, q)) for j, q in enumerate(group) if j != i)]
        out += _hull(kept, e, c) if len({t for p in kept for t in c[p]}) == 1 else kept
    return sorted(out)


def _hull(group: list[tuple[str, str]], e: Mapping[str, Fraction],
          c: Mapping[tuple[str, str], Mapping[str, Fraction]]) -> list[tuple[str, str]]:
    """Of a site's undominated pairs that all detect the same one target,
    those on the upper concave hull of (effort, detection) with the origin
    (observing nothing).  A pair below it, or on one of its edges, is a
    mixture of its neighbours on the hull (or of one and observing nothing)
    in effort and coverage, and detects no more: some least-effort,
    least-coverage optimal plan does without it."""
    points = sorted(group, key=lambda p: (e[p[1]], next(iter(c[p].values()))))
    hull: list[tuple[Fraction, Fraction, tuple[str, str] | None]] = [(Fraction(0), Fraction(0), None)]
    for p in points:
        x, y = e[p[1]], next(iter(c[p].values()))
        while len(hull) >= 2:
            (ax, ay, _), (bx, by, _) = hull[-2], hull[-1]
            if (bx - ax) * (y - by) - (by - ay) * (x - bx) < 0:
                break  # a right turn at the last point: it stays on the hull
            hull.pop()
        hull.append((x, y, p))
    return [p for _, _, p in hull if p is not None]


def _ms(deadline: float | None) -> int | None:
    """Milliseconds left until ``deadline`` (at least 1), or None."""
    return None if deadline is None else max(1, int((deadline - time.monotonic()) * 1000))


def _value(model: z3.ModelRef, x: z3.ArithRef) -> Fraction:
    return Fraction(model.eval(x, model_completion=True).as_fraction())
