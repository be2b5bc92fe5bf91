"""Benchmark: the inspection game at the size issue 7 names (200 sites, 20
mechanisms, under 30 s), solved exactly by the engine, with harder variants
of the same size, and the oracle's enumeration on small instances for
comparison.

    python -m benchmarks.game            # from the repository's top folder
    python benchmarks/game.py [SITES MECHANISMS]

Every instance is synthetic and drawn from a fixed seed, so every run solves
the same programmes.  The main one: each mechanism covers a random tenth to
half of the sites, with a random effort (1 to 5) and detection probability
(1/10 to 9/10) at each; one violation per site; a budget of an eighth of
what covering every site with its cheapest mechanism would take, so that it
binds.  The variants: every mechanism at every site ("dense"); efforts 1 to
20 with detection rising with effort, so that no mechanism is dominated
("graded", the hardest shape for an exact simplex); two and three
violations per site, each seen differently.
"""

from __future__ import annotations

import os
import random
import sys
import time
from fractions import Fraction
from typing import Any

if __package__ in (None, ""):  # run as a script: make the checkout importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from verify.engine.game import solve_game  # noqa: E402
from verify.oracle.game import game_value, vertex_value  # noqa: E402

Instance = tuple[dict[tuple[str, str], Fraction], dict[str, Fraction], dict[str, str], Fraction]


def instance(sites: int, mechanisms: int, seed: int = 7, *, per_site: int = 1, dense: bool = False,
             graded: bool = False) -> Instance:
    """(coverage, effort, site, total) for :func:`verify.engine.game.solve_game`."""
    rng = random.Random(seed)
    names = [f"site-{i:03d}" for i in range(sites)]
    mechs = [f"m{j:02d}" for j in range(mechanisms)]
    if graded:
        effort = {m: Fraction(j + 1) for j, m in enumerate(mechs)}
    else:
        effort = {m: Fraction(rng.randint(1, 5)) for m in mechs}
    if dense or graded:
        cover = {m: list(names) for m in mechs}
    else:
        cover = {m: rng.sample(names, rng.randint(max(1, sites // 10), max(1, sites // 2))) for m in mechs}
        for s in names:  # every site covered by something, or the value is 0 at once
            if not any(s in c for c in cover.values()):
                cover[rng.choice(mechs)].append(s)
    site = {f"v{k}-{s}": s for s in names for k in range(per_site)}
    coverage: dict[tuple[str, str], Fraction] = {}
    for s in names:
        for k in range(per_site):
            here = [m for m in mechs if s in cover[m]]
            if graded:  # detection rising with effort: every mechanism on the hull
                chances = sorted(rng.sample(range(1, 100), len(here)))
                coverage.update({(m, f"v{k}-{s}"): Fraction(p, 100) for m, p in zip(here, chances)})
            else:
                coverage.update({(m, f"v{k}-{s}"): Fraction(rng.randint(1, 9), 10) for m in here})
    cheapest = sum(min(effort[m] for m in mechs if s in cover[m]) for s in names)
    return coverage, effort, site, cheapest / 8


def _timed(inst: Instance) -> tuple[float, str, int]:
    start = time.perf_counter()
    solution = solve_game(*inst)
    seconds = time.perf_counter() - start
    assert solution is not None, "no time-out was set"
    return seconds, str(solution.value), len(solution.allocation)


def bench_game(sites: int = 200, mechanisms: int = 20, seed: int = 7, variants: bool = True) -> dict[str, Any]:
    """Solve the synthetic game of that size (and its variants), and small
    ones with the oracle and with the engine; times in seconds."""
    coverage, effort, site, total = instance(sites, mechanisms, seed)
    seconds, value, observed = _timed((coverage, effort, site, total))
    out: dict[str, Any] = {
        "sites": sites,
        "mechanisms": mechanisms,
        "(mechanism, site) pairs": len({(m, site[t]) for m, t in coverage}),
        "value": value,
        "pairs observed": observed,
        "seconds": round(seconds, 3),
        "under 30 s": seconds < 30,
    }
    if variants:
        shapes: list[tuple[str, dict[str, Any]]] = [
            ("dense", {"dense": True}), ("graded", {"graded": True}),
            ("dense, 2 violations per site", {"dense": True, "per_site": 2}),
            ("dense, 3 violations per site", {"dense": True, "per_site": 3})]
        for name, kw in shapes:
            seconds, value, _ = _timed(instance(sites, mechanisms, seed, **kw))
            out[f"{name}: seconds"] = round(seconds, 3)
            out[f"{name}: value digits"] = len(value)
    small = instance(5, 4, seed, per_site=2)
    start = time.perf_counter()
    small_engine = solve_game(*small)
    out["small (5 sites, 4 mechanisms, 2 violations per site): engine seconds"] = round(
        time.perf_counter() - start, 4)
    start = time.perf_counter()
    small_value = game_value(*small)
    out["small: oracle (per-site vertices) seconds"] = round(time.perf_counter() - start, 4)
    tiny = instance(3, 2, seed)
    start = time.perf_counter()
    tiny_value = vertex_value(*tiny)
    out["tiny (3 sites, 2 mechanisms): oracle (whole-programme vertices) seconds"] = round(
        time.perf_counter() - start, 4)
    tiny_engine = solve_game(*tiny)
    assert small_engine is not None and small_engine.value == small_value
    assert tiny_engine is not None and tiny_engine.value == tiny_value
    out["small and tiny: engine and oracle agree"] = True
    return out


def main(argv: list[str]) -> None:
    sites, mechanisms = (int(argv[0]), int(argv[1])) if len(argv) >= 2 else (200, 20)
    for key, value in bench_game(sites, mechanisms).items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main(sys.argv[1:])
