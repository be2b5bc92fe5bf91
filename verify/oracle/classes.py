"""One representative per class of interchangeable colluders.

Two candidate colluders ``a`` and ``b`` are interchangeable when swapping
their ids leaves everything the evaluation reads unchanged (same bodies, same
mechanisms, same flows, same controllers...).  Such a swap is a symmetry of
the scenario, so which of them is chosen cannot change a verdict or a
detection time: only how many of each class.  A council of 51 identical
members then costs 52 evaluations per size instead of C(51, k).

Swap-interchangeability is an equivalence (the composition of two swaps
that are symmetries is one), so each candidate is compared with one member
of each class found so far.
"""

from __future__ import annotations

from typing import Callable, Iterator, Sequence

from verify.model import Regime
from verify.oracle.evaluate import candidates

__all__ = ["interchangeable_classes", "class_choices"]


def _multiset(items) -> tuple:
    return tuple(sorted(items, key=repr))


def _shape(regime: Regime, violation_id: str, perpetrator: str, rename: Callable[[str], str]) -> tuple:
    """Everything :mod:`verify.oracle.evaluate` reads for this violation,
    with actor ids passed through ``rename`` and order that does not matter
    sorted away."""
    n = rename

    def ns(xs) -> tuple[str, ...]:
        return tuple(sorted(n(x) for x in xs))

    v = regime.violation[violation_id]
    actors = tuple(sorted((n(a.id), ns(a.controlled_by)) for a in regime.actors))
    # Mechanisms and flows are compared as multisets without their ids: only
    # failures name them, and the shortcut is not used for failures.  That
    # way a swap may carry A's mechanism onto B's.
    mechanisms = _multiset(
        (
            n(m.operator),
            tuple(sorted((o.signature, o.threshold) for o in m.observes)),
            m.at is None or v.at in m.at,
            ns(m.requires_access),
            m.mandatory,
            m.tamper_evident,
            None if m.triggered_by is None else n(m.triggered_by),
            m.period,
            m.notice,
            m.latency,
            m.detection_probability > 0,
        )
        for m in regime.mechanisms
    )
    flows = _multiset(
        (n(f.source), n(f.target), ns(f.via), f.latency, f.period, f.mandatory, f.authenticated)
        for f in regime.flows
    )
    bodies = tuple(
        (b.id, ns(b.members), b.approve, b.block, ns(b.recused), b.latency) for b in regime.bodies
    )
    return (
        n(perpetrator),
        n(regime.asset[v.at].host),
        actors,
        mechanisms,
        flows,
        bodies,
        ns(x.id for x in regime.verifiers),
        ns(regime.pool()),
    )


def interchangeable_classes(regime: Regime, violation_id: str, perpetrator: str) -> tuple[tuple[str, ...], ...]:
    """The candidate colluders (pool minus the perpetrator's closure)
    partitioned into interchangeable classes; classes and members in pool
    order."""
    base = _shape(regime, violation_id, perpetrator, lambda x: x)
    classes: list[list[str]] = []
    for c in candidates(regime, perpetrator):
        for cls in classes:
            a = cls[0]
            swap = {a: c, c: a}
            if _shape(regime, violation_id, perpetrator, lambda x: swap.get(x, x)) == base:
                cls.append(c)
                break
        else:
            classes.append([c])
    return tuple(tuple(cls) for cls in classes)


def class_choices(
    classes: Sequence[Sequence[str]], pool: Sequence[str], size: int
) -> Iterator[tuple[str, ...]]:
    """One representative chosen set of ``size`` per way of counting members
    from each class: the first members of each class, in pool order.

    Counts are visited largest-first for earlier classes, which for classes
    of one actor each is exactly the order of ``combinations(pool, size)``.
    """
    order = {c: i for i, c in enumerate(pool)}

    def counts(i: int, left: int) -> Iterator[tuple[int, ...]]:
        if i == len(classes):
            if left == 0:
                yield ()
            return
        for c in range(min(left, len(classes[i])), -1, -1):
            for rest in counts(i + 1, left - c):
                yield (c, *rest)

    for vec in counts(0, size):
        chosen = [m for cls, c in zip(classes, vec) for m in cls[:c]]
        yield tuple(sorted(chosen, key=order.__getitem__))
