"""The inspection game's value by enumeration, for checking the engine.

The engine solves the game's linear programme with z3 (verify/engine/game.py).
This module finds the same value without a solver, from the definition: the
optimum of a bounded linear programme is at a vertex of its polytope, and a
vertex is where as many independent constraints as there are variables are
tight.  Every square subsystem is solved exactly (Gaussian elimination on
fractions), the feasible solutions kept, and the best taken.

Enumerating the vertices of the whole programme costs C(rows, variables + 1)
eliminations, which is out of reach beyond a handful of variables.  The game
has a structure that keeps each enumeration small (docs/inspection-game.md,
"How it is checked"): everything but the budget row is separate per
site.  For a target level z, the least effort that detects every target with
probability at least z is a sum over sites, E(z) = sum_s E_s(z), each E_s the
optimum of a small programme in that site's coverages; the value is the
largest z with E(z) <= total.  Each E_s is convex and piecewise linear in z,
and its breakpoints are z-coordinates of vertices of the site's polytope in
(coverages, z) -- the lower boundary of a polygon, the image of that polytope
under (x, z) -> (z, effort), has its vertices among the images of the
polytope's vertices.  So E is linear between consecutive such z-coordinates,
and the value is found exactly by evaluating E at them and interpolating
once.  :func:`vertex_value` enumerates the whole programme instead, for
instances small enough, so that the reduction itself is checked too.

It imports nothing from ``verify.engine``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from fractions import Fraction

from verify.model import Regime, effective
from verify.oracle.evaluate import coalition_of, detection_time

__all__ = ["solve", "vertices", "game_value", "vertex_value", "inspection_game_values"]

#: A constraint ``coeffs . y <= rhs``.
Row = tuple[tuple[Fraction, ...], Fraction]


def solve(a: Sequence[Sequence[Fraction]], b: Sequence[Fraction]) -> list[Fraction] | None:
    """The solution of the square system ``a y = b``, exactly; None when
    ``a`` is singular."""
    n = len(b)
    m = [list(row) + [rhs] for row, rhs in zip(a, b)]
    for col in range(n):
        pivot = next((r for r in range(col, n) if m[r][col] != 0), None)
        if pivot is None:
            return None
        m[col], m[pivot] = m[pivot], m[col]
        p = m[col][col]
        for r in range(n):
            if r != col and m[r][col] != 0:
                k = m[r][col] / p
                m[r] = [x - k * y for x, y in zip(m[r], m[col])]
    return [m[i][n] / m[i][i] for i in range(n)]


def _feasible(rows: Sequence[Row], y: Sequence[Fraction]) -> bool:
    return all(sum((c * v for c, v in zip(coeffs, y)), Fraction(0)) <= rhs for coeffs, rhs in rows)


def vertices(rows: Sequence[Row], dim: int) -> list[tuple[Fraction, ...]]:
    """Every vertex of ``{y : coeffs . y <= rhs for each row}``: each
    feasible solution of ``dim`` independent rows taken as equations."""
    if dim == 0:
        return [()] if all(rhs >= 0 for _, rhs in rows) else []
    out = set()
    for pick in itertools.combinations(rows, dim):
        y = solve([c for c, _ in pick], [r for _, r in pick])
        if y is not None and _feasible(rows, y):
            out.add(tuple(y))
    return sorted(out)


class _Site:
    """One site's part of the programme: its coverages x_i (one per
    mechanism), the targets there and their rows."""

    def __init__(self, mechanisms: list[str], targets: list[tuple[Fraction, list[Fraction]]],
                 effort: list[Fraction]):
        self.n = len(mechanisms)
        self.effort = effort
        #: Per target: (fixed, coefficient of each x_i in its detection,
        #: (1 - fixed) * a[m_i, t]).
        self.targets = targets

    def rows(self) -> list[Row]:
        """The site's polytope in (x_1 .. x_n, z): z <= detection of each
        target, sum x <= 1, x >= 0, z >= 0."""
        zero, one = Fraction(0), Fraction(1)
        n = self.n
        out: list[Row] = [(tuple(-c for c in cs) + (one,), f) for f, cs in self.targets]
        out.append((tuple([one] * n) + (zero,), one))
        out += [(tuple(-one if j == i else zero for j in range(n + 1)), zero) for i in range(n + 1)]
        return out

    def least_effort(self, z: Fraction) -> Fraction | None:
        """E_s(z): the least effort that detects every target of the site
        with probability at least z (None: no coverage does)."""
        zero, one = Fraction(0), Fraction(1)
        n = self.n
        rows: list[Row] = [(tuple(-c for c in cs), f - z) for f, cs in self.targets]
        rows.append((tuple([one] * n), one))
        rows += [(tuple(-one if j == i else zero for j in range(n)), zero) for i in range(n)]
        points = vertices(rows, n)
        if not points:
            return None
        return min(sum((e * x for e, x in zip(self.effort, p)), Fraction(0)) for p in points)


def _sites(coverage: Mapping[tuple[str, str], Fraction], effort: Mapping[str, Fraction], site: Mapping[str, str],
           fixed: Mapping[str, Fraction]) -> list[_Site]:
    out = []
    for s in sorted(set(site.values())):
        here = [t for t in site if site[t] == s]
        ms = sorted({m for m, t in coverage if t in here and m in effort})
        ts = [(Fraction(fixed.get(t, 0)),
               [(1 - Fraction(fixed.get(t, 0))) * Fraction(coverage.get((m, t), 0)) for m in ms]) for t in here]
        out.append(_Site(ms, ts, [Fraction(effort[m]) for m in ms]))
    return out


def game_value(coverage: Mapping[tuple[str, str], Fraction], effort: Mapping[str, Fraction],
               site: Mapping[str, str], total: Fraction, fixed: Mapping[str, Fraction] | None = None) -> Fraction:
    """The value of the inspection game: the largest z such that some
    coverage within ``total`` detects every target with probability at
    least z per period.  The arguments are those of
    :func:`verify.engine.game.solve_game`."""
    fixed = fixed or {}
    sites = _sites(coverage, effort, site, fixed)
    top = Fraction(1)
    candidates = {Fraction(0)}
    for s in sites:
        zs = [p[-1] for p in vertices(s.rows(), s.n + 1)]
        top = min(top, max(zs))  # the best level this site alone allows
        candidates.update(zs)
    levels = sorted(z for z in candidates if z <= top) + ([top] if top not in candidates else [])

    def effort_at(z: Fraction) -> Fraction:
        needed = [s.least_effort(z) for s in sites]
        assert all(e is not None for e in needed), "a level up to the top is reachable at every site"
        return sum((e for e in needed if e is not None), Fraction(0))

    if effort_at(levels[-1]) <= total:
        return levels[-1]
    # E is non-decreasing: find the last level within budget by bisection.
    lo, hi = 0, len(levels) - 1  # effort_at(levels[lo]) <= total < effort_at(levels[hi])
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if effort_at(levels[mid]) <= total:
            lo = mid
        else:
            hi = mid
    z0, z1 = levels[lo], levels[hi]
    e0, e1 = effort_at(z0), effort_at(z1)
    return z0 + (total - e0) * (z1 - z0) / (e1 - e0)  # E is linear between the two


def vertex_value(coverage: Mapping[tuple[str, str], Fraction], effort: Mapping[str, Fraction],
                 site: Mapping[str, str], total: Fraction, fixed: Mapping[str, Fraction] | None = None) -> Fraction:
    """The same value by enumerating every vertex of the whole programme
    in (x, z): only for a few variables (it solves C(rows, variables + 1)
    systems)."""
    fixed = fixed or {}
    pairs = sorted({(m, site[t]) for m, t in coverage if m in effort})
    n = len(pairs)
    zero, one = Fraction(0), Fraction(1)

    def row(coeffs: Mapping[int, Fraction], z: Fraction, rhs: Fraction) -> Row:
        return tuple(coeffs.get(i, zero) for i in range(n)) + (z,), rhs

    rows = [row({}, one, one), row({}, -one, zero)]  # 0 <= z <= 1
    for t, s in site.items():
        f = Fraction(fixed.get(t, 0))
        rows.append(row({i: -(1 - f) * Fraction(coverage.get((m, t), 0)) for i, (m, ps) in enumerate(pairs)
                         if ps == s}, one, f))
    rows.append(row({i: Fraction(effort[m]) for i, (m, _) in enumerate(pairs)}, zero, Fraction(total)))
    for s in sorted(set(site.values())):
        rows.append(row({i: one for i, (_, ps) in enumerate(pairs) if ps == s}, zero, one))
    for i in range(n):  # x <= 1 follows from the site's row
        rows.append(row({i: -one}, zero, zero))
    return max(p[-1] for p in vertices(rows, n + 1))


def inspection_game_values(regime: Regime, as_is: bool = False) -> dict[str, Fraction]:
    """Each budget's game value for a regime, following
    docs/inspection-game.md with the oracle's own evaluation of evidence: a
    budgeted mechanism detects a violation (at its lower probability) when
    its evidence alone reaches a verifier with no accomplice and every other
    mechanism failed; the others detect it whatever the plan when they do
    with every budgeted mechanism failed.  The violator picks the violation
    and the perpetrator."""
    regime, _ = effective(regime, as_is=as_is)
    if not regime.violations:
        return {}
    every = frozenset(m.id for m in regime.mechanisms)
    budgeted = frozenset(m.id for m in regime.mechanisms if m.budget is not None)
    site: dict[str, str] = {}
    fixed: dict[str, Fraction] = {}
    chance: dict[tuple[str, str], Fraction] = {}
    for v in regime.violations:
        for p in v.perpetrators:
            t = f"{v.id}/{p}"
            site[t] = v.at
            c = coalition_of(regime, p, ())
            fixed[t] = Fraction(int(detection_time(regime, v.id, p, c, budgeted) is not None))
            for m in regime.mechanisms:
                if m.budget is None or (m.at is not None and v.at not in m.at):
                    continue
                if detection_time(regime, v.id, p, c, every - {m.id}) is not None:
                    chance[(m.id, t)] = m.detection_probability.low
    out = {}
    for b in regime.budgets:
        members = [m for m in regime.mechanisms if m.budget == b.id]
        effort = {m.id: m.effort for m in members}
        # The violations at assets this budget's mechanisms cover (all of
        # them when it covers none).
        mine = [t for t in site if any(m.at is None or site[t] in m.at for m in members)] or list(site)
        out[b.id] = game_value({k: a for k, a in chance.items() if k[0] in effort and k[1] in mine}, effort,
                               {t: site[t] for t in mine}, b.total, {t: fixed[t] for t in mine})
    return out
