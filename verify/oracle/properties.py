"""The properties of semantics section 4 that the oracle decides, by brute force.

A violation with several perpetrators satisfies a property when it does for
each of them; a failing verdict names the first perpetrator (declaration
order) for which it fails, and its witness.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

from verify.model import Regime
from verify.oracle.evaluate import detection_time
from verify.oracle.search import (
    min_evasion_size,
    smallest_evasion,
    smallest_failure_set,
    worst_detection_time,
)

__all__ = [
    "Verdict",
    "Margin",
    "detectability",
    "non_circumventability",
    "timeliness",
    "fault_tolerance",
    "robustness_margin",
]


@dataclass(frozen=True)
class Verdict:
    property: str
    violation: str
    holds: bool
    params: tuple[tuple[str, object], ...] = ()
    #: The first perpetrator for which the property fails; None when it holds.
    perpetrator: str | None = None
    #: For that perpetrator: the chosen colluders (fault tolerance: the failed
    #: elements) that defeat detection; None when it holds.
    witness: tuple[str, ...] | None = None
    #: detectability: the latest detection time over perpetrators;
    #: timeliness: the worst-case detection time over every coalition of up
    #: to k (None if some coalition evades altogether).
    time: int | None = None
    #: Per perpetrator, in order: its detection time (detectability), its
    #: witness or None (non-circumventability, fault tolerance), its
    #: worst-case time (timeliness).
    per_perpetrator: tuple[tuple[str, object], ...] = ()


def _k(regime: Regime, k: int | None) -> int:
    return regime.threat_model.max if k is None else k


T = TypeVar("T")


def _first_failing(per: Sequence[tuple[str, T]], fails: Callable[[T], bool]) -> tuple[str | None, T | None]:
    for p, x in per:
        if fails(x):
            return p, x
    return None, None


def detectability(regime: Regime, violation_id: str, direct_only: bool = False) -> Verdict:
    """Detected with no colluders."""
    v = regime.violation[violation_id]
    per = [
        (p, detection_time(regime, violation_id, p, regime.closure(p), direct_only=direct_only))
        for p in v.perpetrators
    ]
    bad, _ = _first_failing(per, lambda t: t is None)
    # When none fails, every perpetrator has a time.
    times = [t for _, t in per if t is not None]
    return Verdict(
        property="detectability",
        violation=violation_id,
        holds=bad is None,
        params=(("direct_only", direct_only),),
        perpetrator=bad,
        witness=None if bad is None else (),
        time=None if bad is not None or not times else max(times),
        per_perpetrator=tuple(per),
    )


def non_circumventability(
    regime: Regime,
    violation_id: str,
    k: int | None = None,
    direct_only: bool = False,
    shortcut: bool = False,
) -> Verdict:
    """Detected whatever coalition of up to ``k`` colluders (default: the
    threat model's ``max``) joins each perpetrator."""
    k = _k(regime, k)
    v = regime.violation[violation_id]
    per = [
        (p, smallest_evasion(regime, violation_id, p, k, direct_only=direct_only, shortcut=shortcut))
        for p in v.perpetrators
    ]
    bad, witness = _first_failing(per, lambda w: w is not None)
    return Verdict(
        property="non-circumventability",
        violation=violation_id,
        holds=bad is None,
        params=(("k", k), ("direct_only", direct_only)),
        perpetrator=bad,
        witness=witness,
        per_perpetrator=tuple(per),
    )


def timeliness(
    regime: Regime,
    violation_id: str,
    deadline: int,
    k: int | None = None,
    direct_only: bool = False,
    shortcut: bool = False,
    start: str | None = None,
) -> Verdict:
    """Detected by ``deadline`` seconds (from the violation's start, or from
    when ``start`` first delivers) whatever coalition of up to ``k``
    colluders joins each perpetrator."""
    k = _k(regime, k)
    v = regime.violation[violation_id]
    per = []
    witnesses = []
    for p in v.perpetrators:
        witnesses.append(
            (p, smallest_evasion(regime, violation_id, p, k, direct_only=direct_only,
                                 deadline=deadline, shortcut=shortcut, start=start))
        )
        per.append((p, worst_detection_time(regime, violation_id, p, k, direct_only=direct_only,
                                            shortcut=shortcut, start=start)))
    bad, witness = _first_failing(witnesses, lambda w: w is not None)
    worst = [t for _, t in per if t is not None]
    return Verdict(
        property="timeliness",
        violation=violation_id,
        holds=bad is None,
        params=(("deadline", deadline), ("k", k), ("direct_only", direct_only)),
        perpetrator=bad,
        witness=witness,
        time=None if not worst or len(worst) < len(per) else max(worst),
        per_perpetrator=tuple(per),
    )


def fault_tolerance(
    regime: Regime, violation_id: str, f: int, direct_only: bool = False
) -> Verdict:
    """Detected, with no colluders, whatever ``f`` elements fail."""
    v = regime.violation[violation_id]
    per = [
        (p, smallest_failure_set(regime, violation_id, p, f, direct_only=direct_only))
        for p in v.perpetrators
    ]
    bad, witness = _first_failing(per, lambda w: w is not None)
    return Verdict(
        property="fault-tolerance",
        violation=violation_id,
        holds=bad is None,
        params=(("f", f), ("direct_only", direct_only)),
        perpetrator=bad,
        witness=witness,
        per_perpetrator=tuple(per),
    )


@dataclass(frozen=True)
class Margin:
    violation: str
    #: The largest k for which non-circumventability holds: -1 when
    #: detectability fails, "all" when even the whole pool cannot evade.
    k_star: int | Literal["all"]
    #: The perpetrator that sets it (None for "all").
    perpetrator: str | None
    #: Per perpetrator: its smallest evasion size, or None.
    per_perpetrator: tuple[tuple[str, int | None], ...]


def robustness_margin(
    regime: Regime, violation_id: str, direct_only: bool = False, shortcut: bool = False
) -> Margin:
    v = regime.violation[violation_id]
    per = [
        (p, min_evasion_size(regime, violation_id, p, direct_only=direct_only, shortcut=shortcut))
        for p in v.perpetrators
    ]
    sized = [(n, p) for p, n in per if n is not None]
    if not sized:
        return Margin(violation_id, "all", None, tuple(per))
    n, p = min(sized, key=lambda x: x[0])
    return Margin(violation_id, n - 1, p, tuple(per))
