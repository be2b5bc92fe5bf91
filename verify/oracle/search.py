"""Enumerating coalitions and failure sets, plainly.

Every search here enumerates with :func:`itertools.combinations` by increasing
size, in declaration order, so the first hit is a smallest one and the answer
is deterministic.  The only shortcut is optional (``shortcut=True``): one
representative per class of interchangeable colluders (see
:mod:`verify.oracle.classes`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from itertools import combinations

from verify.model import Regime
from verify.oracle.classes import class_choices, interchangeable_classes
from verify.oracle.evaluate import Scenario, candidates, coalition_of, index_of

__all__ = [
    "candidates",
    "failure_candidates",
    "smallest_evasion",
    "min_evasion_size",
    "minimal_evasion_sets",
    "smallest_failure_set",
    "worst_detection_time",
]


def failure_candidates(regime: Regime, perpetrator: str) -> tuple[str, ...]:
    """What may fail with no colluders: every actor outside the perpetrator's
    closure, then every mechanism, flow and body, in declaration order."""
    inside = regime.closure(perpetrator)
    return (
        tuple(a.id for a in regime.actors if a.id not in inside)
        + tuple(m.id for m in regime.mechanisms)
        + tuple(f.id for f in regime.flows)
        + tuple(b.id for b in regime.bodies)
    )


class _Evaluator:
    """Detection times for one (violation, perpetrator), cached by coalition:
    chosen sets that close to the same coalition are evaluated once."""

    def __init__(self, regime: Regime, violation_id: str, perpetrator: str, direct_only: bool):
        self.regime = regime
        self.ix = index_of(regime, violation_id)
        self.perpetrator = perpetrator
        self.direct_only = direct_only
        self._cache: dict[tuple[frozenset[str], frozenset[str]], int | None] = {}
        self._carried: dict[frozenset[str], tuple[dict[str, int], int | None]] = {}

    def time(self, chosen: Sequence[str] = (), failed: frozenset[str] = frozenset()) -> int | None:
        C = coalition_of(self.regime, self.perpetrator, chosen)
        key = (C, failed)
        if key not in self._cache:
            self._cache[key] = Scenario(self.ix, self.perpetrator, C, failed).run(self.direct_only)[0]
        return self._cache[key]

    def evades(self, chosen: Sequence[str], deadline: int | None = None, start: str | None = None) -> bool:
        if start is None:
            return _late(self.time(chosen), deadline)
        assert deadline is not None
        began, found = self.clock(chosen, start)
        return began is not None and (found is None or found > began + deadline)

    def clock(self, chosen: Sequence[str], start: str) -> tuple[int | None, int | None]:
        """(event, detection) times for a clock from ``start``."""
        C = coalition_of(self.regime, self.perpetrator, chosen)
        if C not in self._carried:
            sc = Scenario(self.ix, self.perpetrator, C)
            found = sc.run(self.direct_only, stop_at_detection=False)[0]
            self._carried[C] = (dict(sc.carried), found)
        carried, found = self._carried[C]
        return carried.get(start), found


#: The evaluators of the (regime, violation, perpetrator) asked about last, so
#: that the searches of a series of questions about one regime (every k, every
#: deadline, every property) share their detection times.  Each entry holds
#: its regime, so the ``id`` in its key cannot be reused while it is kept.
_EVALUATORS: OrderedDict[tuple[int, str, str, bool], _Evaluator] = OrderedDict()
_EVALUATORS_KEPT = 8


def _evaluator(regime: Regime, violation_id: str, perpetrator: str, direct_only: bool) -> _Evaluator:
    key = (id(regime), violation_id, perpetrator, direct_only)
    ev = _EVALUATORS.get(key)
    if ev is not None and ev.regime is regime:
        _EVALUATORS.move_to_end(key)
        return ev
    ev = _EVALUATORS[key] = _Evaluator(regime, violation_id, perpetrator, direct_only)
    while len(_EVALUATORS) > _EVALUATORS_KEPT:
        _EVALUATORS.popitem(last=False)
    return ev


def _late(t: int | None, deadline: int | None) -> bool:
    return t is None or (deadline is not None and t > deadline)


def _chosen_sets(
    regime: Regime, violation_id: str, perpetrator: str, sizes: range, shortcut: bool
) -> Iterator[tuple[str, ...]]:
    pool = candidates(regime, perpetrator)
    if shortcut:
        classes = interchangeable_classes(regime, violation_id, perpetrator)
        for size in sizes:
            yield from class_choices(classes, pool, size)
    else:
        for size in sizes:
            yield from combinations(pool, size)


def smallest_evasion(
    regime: Regime,
    violation_id: str,
    perpetrator: str,
    k_max: int,
    direct_only: bool = False,
    deadline: int | None = None,
    shortcut: bool = False,
    start: str | None = None,
) -> tuple[str, ...] | None:
    """A smallest set of at most ``k_max`` chosen colluders under which the
    violation is not detected (with ``deadline``: not by then; with
    ``start`` too: the mechanism or flow ``start`` delivers something and
    detection is not within ``deadline`` of that); None if every such set is
    caught.  The colluders are in pool order."""
    ev = _evaluator(regime, violation_id, perpetrator, direct_only)
    k = min(k_max, len(candidates(regime, perpetrator)))
    for chosen in _chosen_sets(regime, violation_id, perpetrator, range(k + 1), shortcut):
        if ev.evades(chosen, deadline, start):
            return tuple(chosen)
    return None


def min_evasion_size(
    regime: Regime,
    violation_id: str,
    perpetrator: str,
    direct_only: bool = False,
    shortcut: bool = False,
) -> int | None:
    """The size of a smallest evading chosen set over the whole pool; None if
    even the whole pool is caught."""
    pool = candidates(regime, perpetrator)
    ev = _evaluator(regime, violation_id, perpetrator, direct_only)
    # By monotonicity, if the whole pool is caught every subset is: answer
    # that without enumerating 2^n sets.
    if not ev.evades(pool):
        return None
    for chosen in _chosen_sets(regime, violation_id, perpetrator, range(len(pool) + 1), shortcut):
        if ev.evades(chosen):
            return len(chosen)
    raise AssertionError("the whole pool evades, so some set of at most its size does")


def minimal_evasion_sets(
    regime: Regime,
    violation_id: str,
    perpetrator: str,
    k_max: int,
    direct_only: bool = False,
    shortcut: bool = False,
) -> list[tuple[str, ...]]:
    """Every inclusion-minimal evading chosen set of at most ``k_max``
    colluders, each sorted, the list sorted.

    With ``shortcut``, one set per way of counting members of the
    interchangeable classes (the first members of each): a set stands for
    every set with as many members of each class, and a count vector is
    minimal when no smaller one, class by class, evades.
    """
    pool = candidates(regime, perpetrator)
    ev = _evaluator(regime, violation_id, perpetrator, direct_only)
    if shortcut:
        classes = interchangeable_classes(regime, violation_id, perpetrator)
        where = {m: i for i, cls in enumerate(classes) for m in cls}
        vectors: list[tuple[int, ...]] = []
        out: list[tuple[str, ...]] = []
        for size in range(min(k_max, len(pool)) + 1):
            for chosen in class_choices(classes, pool, size):
                vec = [0] * len(classes)
                for m in chosen:
                    vec[where[m]] += 1
                if any(all(a >= b for a, b in zip(vec, f)) for f in vectors):
                    continue
                if ev.evades(chosen):
                    vectors.append(tuple(vec))
                    out.append(tuple(sorted(chosen)))
        return sorted(out)
    found: list[frozenset[str]] = []
    for size in range(min(k_max, len(pool)) + 1):
        for chosen in combinations(pool, size):
            s = frozenset(chosen)
            # Sets are visited by increasing size, so any evading proper
            # subset has been found already (a superset of a found one is not
            # minimal; by monotonicity it evades anyway, so it is not checked).
            if any(m <= s for m in found):
                continue
            if ev.evades(chosen):
                found.append(s)
    return sorted(tuple(sorted(s)) for s in found)


def smallest_failure_set(
    regime: Regime,
    violation_id: str,
    perpetrator: str,
    f_max: int,
    direct_only: bool = False,
) -> tuple[str, ...] | None:
    """With no colluders, a smallest set of at most ``f_max`` failed elements
    under which the violation is not detected; None if there is none.  The
    elements are in the order of :func:`failure_candidates`."""
    cands = failure_candidates(regime, perpetrator)
    ev = _evaluator(regime, violation_id, perpetrator, direct_only)
    for size in range(min(f_max, len(cands)) + 1):
        for failed in combinations(cands, size):
            if ev.time((), frozenset(failed)) is None:
                return tuple(failed)
    return None


def worst_detection_time(
    regime: Regime,
    violation_id: str,
    perpetrator: str,
    k_max: int,
    direct_only: bool = False,
    shortcut: bool = False,
    start: str | None = None,
) -> int | None:
    """The latest detection over every chosen set of at most ``k_max``
    colluders; None if some such set evades altogether.  With ``start``,
    the latest detection counted from when ``start`` first delivers (at
    least 0; a coalition under which it never delivers starts no clock).

    Every size is enumerated, not only the largest, so that the answer does
    not lean on monotonicity (which the tests check separately)."""
    ev = _evaluator(regime, violation_id, perpetrator, direct_only)
    k = min(k_max, len(candidates(regime, perpetrator)))
    worst = -1
    for chosen in _chosen_sets(regime, violation_id, perpetrator, range(k + 1), shortcut):
        if start is not None:
            began, found = ev.clock(chosen, start)
            if began is None:
                worst = max(worst, 0)
                continue
            if found is None:
                return None
            worst = max(worst, found - began, 0)
            continue
        t = ev.time(chosen)
        if t is None:
            return None
        worst = max(worst, t)
    return worst
