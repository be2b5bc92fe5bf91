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

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from verify.model import Regime, Violation
from verify.oracle.evaluate import candidates
from verify.vocabulary import SECTION, Section

__all__ = ["interchangeable_classes", "class_choices"]

#: What :mod:`verify.oracle.evaluate` reads of each item, section by section.
#: Which of these fields name actors, and so are renamed by a swap, is the
#: vocabulary's to say: a new reference to actors is renamed without a
#: change here, and a field the evaluation does not read cannot make two
#: actors look different.
_READS: dict[str, tuple[str, ...]] = {
    "actors": ("id", "controlled_by"),
    "mechanisms": ("operator", "observes", "at", "requires_access", "mandatory", "tamper_evident",
                   "triggered_by", "period", "notice", "latency", "detection_probability",
                   "false_alarm_probability"),
    "flows": ("source", "target", "via", "latency", "period", "mandatory", "authenticated", "decision"),
    "bodies": ("id", "members", "approve", "block", "recused", "latency"),
    "decisions": ("id", "body", "approve", "block", "recused", "latency"),
    "verifiers": ("id",),
}

#: Fields of which the evaluation reads only a part, for one violation.
_PROJECTIONS: dict[tuple[str, str], Callable[[Any, Violation], Any]] = {
    ("mechanisms", "observes"): lambda obs, v: tuple(sorted((o.signature, o.threshold) for o in obs)),
    ("mechanisms", "at"): lambda at, v: at is None or v.at in at,
}


def _multiset(items: Iterable[tuple[Any, ...]]) -> tuple[tuple[Any, ...], ...]:
    return tuple(sorted(items, key=repr))


def _names_actors(sec: Section, attr: str) -> tuple[bool, bool]:
    """Whether the field may name actors, and whether it is a list."""
    r = sec.ref(attr)
    if r is not None:
        return "actor" in r.kinds, r.many
    return attr == "id" and sec.kind == "actor", False


#: section -> (field, projection, names actors, is a list) for each field
#: read; worked out once, since _shape runs once per candidate and class.
_PLAN = {
    section: tuple((attr, _PROJECTIONS.get((section, attr)), *_names_actors(SECTION[section], attr))
                   for attr in attrs)
    for section, attrs in _READS.items()
}


def _read(section: str, item: Any, v: Violation, rename: Callable[[str], str]) -> tuple[Any, ...]:
    """What the evaluation reads of ``item``, actors renamed, lists whose
    order does not matter sorted."""
    out: list[Any] = []
    for attr, project, actors, many in _PLAN[section]:
        value = getattr(item, attr)
        if project is not None:
            value = project(value, v)
        elif actors and many:
            value = tuple(sorted(rename(x) for x in value))
        elif actors and value is not None:
            value = rename(value)
        out.append(value)
    return tuple(out)


def _shape(regime: Regime, violation_id: str, perpetrator: str, rename: Callable[[str], str]) -> tuple[Any, ...]:
    """Everything :mod:`verify.oracle.evaluate` reads for this violation,
    with actor ids passed through ``rename`` and order that does not matter
    sorted away."""
    v = regime.violation[violation_id]

    def read(section: str) -> Iterator[tuple[Any, ...]]:
        return (_read(section, x, v, rename) for x in getattr(regime, section))

    # Mechanisms and flows are compared as multisets without their ids: only
    # failures name them, and the shortcut is not used for failures.  That
    # way a swap may carry A's mechanism onto B's.
    return (
        rename(perpetrator),
        rename(regime.asset[v.at].host),
        tuple(sorted(read("actors"))),
        _multiset(read("mechanisms")),
        _multiset(read("flows")),
        tuple(read("bodies")),
        tuple(read("decisions")),
        tuple(sorted(read("verifiers"))),
        tuple(sorted(rename(x) for x in regime.pool())),
    )


def _swap(a: str, b: str) -> Callable[[str], str]:
    """The renaming that exchanges two ids."""
    swap = {a: b, b: a}
    return lambda x: swap.get(x, x)


def interchangeable_classes(regime: Regime, violation_id: str, perpetrator: str) -> tuple[tuple[str, ...], ...]:
    """The candidate colluders (pool minus the perpetrator's closure)
    partitioned into interchangeable classes; classes and members in pool
    order."""
    base = _shape(regime, violation_id, perpetrator, lambda x: x)
    classes: list[list[str]] = []
    for c in candidates(regime, perpetrator):
        for cls in classes:
            a = cls[0]
            if _shape(regime, violation_id, perpetrator, _swap(a, c)) == base:
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
