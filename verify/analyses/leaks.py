"""confidentiality(label, k): nobody outside a label's cleared set receives
it, even when up to k cleared actors collude to pass it on
(docs/semantics.md, "Confidentiality").

Every way a label moves has one source (a holder passes it to a receiver),
so a leak is one path, and the fewest colluders a leak needs is a shortest
path in which a step costs 1 when a colluder has to act (pass the label on
a flow that does not carry it) and 0 otherwise: a 0-1 breadth-first search,
exact, with no solver.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from verify.errors import UsageError
from verify.model import Flow, Regime, effective
from verify.results import KStar, Leak, Result, Verdict

__all__ = ["confidentiality", "cheapest_leak", "exposure"]

_SOURCE = ""
#: (how, element, holder): one step of a leak.
Step = tuple[str, str, str]


def _edges(regime: Regime, label: str, cleared: frozenset[str], pool: frozenset[str],
           flows_of: dict[str, list[tuple[Flow, bool]]], x: str) -> Iterator[tuple[int, Step, bool]]:
    """(cost, step, the step's holder receives the label) out of holder ``x``."""
    if x == _SOURCE:
        for m in regime.mechanisms:
            if label in m.reveals and not m.barrier:
                yield 0, ("reveals", m.id, m.operator), True
        for f in regime.flows:
            if label in f.carries:
                yield 0, ("sends", f.id, f.source), False
                for y in _receivers(regime, f):
                    yield 0, ("carries", f.id, y), True
        return
    if x in regime.body:
        for member in regime.body[x].members:
            yield 0, ("member", x, member), True
        return
    if x not in cleared or x not in pool:
        return  # only a cleared colluder passes the label on
    for f, sends in flows_of.get(x, ()):
        if label in f.carries:
            continue  # it passes anyway
        if sends:
            for y in _receivers(regime, f):
                yield 1, ("passes", f.id, y), True
        else:
            yield 1, ("passes", f.id, f.target), True


def _receivers(regime: Regime, f: Flow) -> list[str]:
    """Who sees what a flow carries: its receiver, relays and gates."""
    out = [f.target]
    for v in f.via:
        out.append(regime.decision[v].body if v in regime.decision else v)
    return out


def cheapest_leak(regime: Regime, label: str) -> tuple[int, tuple[Step, ...]] | None:
    """The fewest colluders a leak of ``label`` needs, and its path; None
    if it never leaks."""
    lab = next(x for x in regime.labels if x.id == label)
    cleared = frozenset(lab.cleared)
    pool = frozenset(regime.pool())
    # The flows each actor sends (True) or relays (False).
    flows_of: dict[str, list[tuple[Flow, bool]]] = {}
    for f in regime.flows:
        flows_of.setdefault(f.source, []).append((f, True))
        for v in f.via:
            if v != f.source:
                flows_of.setdefault(v, []).append((f, False))
    dist: dict[str, int] = {_SOURCE: 0}
    back: dict[str, tuple[str, Step]] = {}
    queue: deque[str] = deque([_SOURCE])
    best: tuple[int, str, Step] | None = None
    done: set[str] = set()
    while queue:
        x = queue.popleft()
        if x in done:
            continue
        done.add(x)
        for cost, step, receives in _edges(regime, label, cleared, pool, flows_of, x):
            y = step[2]
            d = dist[x] + cost
            if receives and y in regime.actor and y not in cleared:
                if best is None or d < best[0]:
                    best = (d, x, step)
                continue  # an uncleared actor passes nothing on
            if d < dist.get(y, d + 1):
                dist[y] = d
                back[y] = (x, step)
                if cost == 0:
                    queue.appendleft(y)
                else:
                    queue.append(y)
    if best is None:
        return None
    d, x, last = best
    path = [last]
    while x != _SOURCE:
        x, step = back[x]
        path.append(step)
    return d, tuple(reversed(path))


def exposure(regime: Regime, mechanism: str) -> tuple[tuple[str, str, bool], ...]:
    """What a mechanism exposes: (label, to whom, whether that actor is
    cleared for it), for the report's trade-off table.  Behind a barrier it
    exposes nothing."""
    m = regime.mechanism[mechanism]
    if m.barrier:
        return ()
    labels = {lab.id: lab for lab in regime.labels}
    return tuple((lab, m.operator, m.operator in labels[lab].cleared) for lab in m.reveals if lab in labels)


def confidentiality(regime: Regime, label: str, k: int | None = None, *, timeout: float | None = None,
                    as_is: bool = False, explain: bool = True) -> Result:
    regime, _ = effective(regime, as_is=as_is)
    if not any(x.id == label for x in regime.labels):
        raise UsageError(f"confidentiality: no label {label!r}")
    k = regime.threat_model.max if k is None else k
    if k < 0:
        raise UsageError(f"k must be 0 or more, not {k}")
    params = (("label", label), ("k", k))
    lab = next(x for x in regime.labels if x.id == label)
    statement = (f"Nobody outside those cleared for {lab.label} receives it, even if up to {k} cleared actors "
                 "pass it on.")
    found = cheapest_leak(regime, label)
    if found is None:
        return Result("confidentiality", params, label, Verdict.HOLDS, statement,
                      figures=Leak(label, KStar.whole_pool()))
    cost, path = found
    margin = KStar.of(cost - 1)
    if cost > k:
        return Result("confidentiality", params, label, Verdict.HOLDS, statement, figures=Leak(label, margin))
    coalition = tuple(dict.fromkeys(_actor_of(regime, path, i) for i, s in enumerate(path) if s[0] == "passes"))
    return Result("confidentiality", params, label, Verdict.FAILS, statement,
                  figures=Leak(label, margin, coalition, path[-1][2], path))


def _actor_of(regime: Regime, path: tuple[Step, ...], i: int) -> str:
    """Who passes the label on at step ``i``: the holder of the step before."""
    return path[i - 1][2]
