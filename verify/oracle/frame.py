"""Non-frameability and confidentiality by plain enumeration: every
coalition, and for each a fixed point of who holds what.

The reference for :mod:`verify.engine.frame` and
:mod:`verify.analyses.leaks`; it imports nothing from ``verify.engine`` and
shares no code with them beyond the model.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from verify.model import PERPETRATOR, REQUESTER, Flow, Mechanism, Regime

__all__ = ["framing_pool", "frames", "min_framing", "leak_pool", "leaks", "min_leak", "attributing_only"]


def _side(regime: Regime, party: str) -> set[str]:
    return set(regime.closure(party)) | set(regime.controllers[party])


def framing_pool(regime: Regime, party: str) -> list[str]:
    side = _side(regime, party)
    return [a for a in dict.fromkeys(regime.pool()) if not (set(regime.closure(a)) & side)]


def _forwards(f: Flow, m: Mechanism) -> bool:
    if f.forwards is None and f.forwards_kinds is None:
        return True
    return m.id in (f.forwards or ()) or m.kind in (f.forwards_kinds or ())


def _vote(regime: Regime, rule_id: str, requester: str, side: set[str]) -> bool:
    d = regime.decision.get(rule_id)
    if d is not None:
        members, approve, block, recusal = regime.body[d.body].members, d.approve, d.block, d.recused
    else:
        b = regime.body[rule_id]
        members, approve, block, recusal = b.members, b.approve, b.block, b.recused
    out: set[str] = set()
    for r in recusal:
        if r == PERPETRATOR:
            out |= side
        elif r == REQUESTER:
            if requester in regime.actor:
                out.add(requester)
        else:
            out.add(r)
    voters = [x for x in members if x not in out]
    against = [x for x in voters if x in side]
    if approve is not None:
        return len(voters) - len(against) >= approve
    return block is not None and len(against) < block


def _gets_through(regime: Regime, f: Flow, side: set[str]) -> bool:
    for g in f.via:
        if (g in regime.body or g in regime.decision) and not _vote(regime, g, f.source, side):
            return False
    if f.target in regime.body and not _vote(regime, f.decision or f.target, f.source, side):
        return False
    return True


def _could_accuse(regime: Regime, m: Mechanism, party: str) -> bool:
    if m.tamper_evident or not m.attributes:
        return False
    for v in regime.violations:
        if party not in v.perpetrators or (m.at is not None and v.at not in m.at):
            continue
        for t in v.traces:
            for o in m.observes:
                if o.signature == t.signature and t.magnitude >= o.threshold:
                    return True
    return False


def frames(regime: Regime, party: str, coalition: Iterable[str]) -> bool:
    """Whether this (closed) coalition can make some verifier's finding rule
    fire against ``party`` while it complies."""
    C = set(coalition)
    side = _side(regime, party)
    items: set[tuple[str, str]] = set()  # (holder, mechanism) of false reports
    for m in regime.mechanisms:
        if not _could_accuse(regime, m, party):
            continue
        could = {m.operator}
        changed = True
        while changed:
            changed = False
            for f in regime.flows:
                if f.source in could and f.target not in could and _forwards(f, m):
                    could.add(f.target)
                    changed = True
        for x in could & C:
            if x in regime.actor:
                items.add((x, m.id))
        for f in regime.flows:
            if (not f.authenticated and f.source in could and _forwards(f, m) and _gets_through(regime, f, side)
                    and any(r in C for r in f.via if r in regime.actor)):
                items.add((f.target, m.id))
    # An honest operator knows what its own mechanism found: it neither
    # believes nor passes on a false report of it.
    items = {(h, mid) for h, mid in items if h != regime.mechanism[mid].operator or h in C}
    changed = True
    while changed:
        changed = False
        for f in regime.flows:
            for h, mid in list(items):
                op = regime.mechanism[mid].operator
                if h == f.source and (f.target, mid) not in items and _forwards(f, regime.mechanism[mid]) \
                        and _gets_through(regime, f, side) and (f.target != op or f.target in C):
                    items.add((f.target, mid))
                    changed = True
    for ver in regime.verifiers:
        if ver.id in side or (ver.id in regime.actor and ver.id in C) or ver.finding == "sealed":
            continue
        ops = set()
        for h, mid in items:
            m = regime.mechanism[mid]
            if h != ver.id:
                continue
            if (ver.mechanisms is not None or ver.kinds is not None) and \
                    m.id not in (ver.mechanisms or ()) and m.kind not in (ver.kinds or ()):
                continue
            ops.add(m.operator)
        for group in itertools.combinations(sorted(ops), max(1, ver.independent)):
            if all(not any(a in regime.closure(x) and b in regime.closure(x) for x in regime.actor)
                   for a, b in itertools.combinations(group, 2)):
                return True
    return False


def min_framing(regime: Regime, party: str, limit: int | None = None) -> int | None:
    """The fewest chosen colluders that frame ``party`` (None: no coalition
    of at most ``limit``, or of the whole pool, does)."""
    pool = framing_pool(regime, party)
    top = len(pool) if limit is None else min(limit, len(pool))
    for size in range(top + 1):
        for chosen in itertools.combinations(pool, size):
            C: set[str] = set()
            for c in chosen:
                C |= regime.closure(c)
            if frames(regime, party, C):
                return size
    return None


def leak_pool(regime: Regime, label: str) -> list[str]:
    cleared = set(next(lab for lab in regime.labels if lab.id == label).cleared)
    return [a for a in dict.fromkeys(regime.pool()) if a in cleared]


def leaks(regime: Regime, label: str, coalition: Iterable[str]) -> bool:
    """Whether someone outside ``label``'s cleared set receives it when the
    actors in ``coalition`` (cleared ones) pass it on wherever they can."""
    C = set(coalition)
    lab = next(x for x in regime.labels if x.id == label)
    cleared = set(lab.cleared)
    holds: set[str] = set()
    received: set[str] = set()

    def give(x: str) -> None:
        holds.add(x)
        received.add(x)
        if x in regime.body:
            for member in regime.body[x].members:
                holds.add(member)
                received.add(member)

    for m in regime.mechanisms:
        if label in m.reveals and not m.barrier:
            give(m.operator)
    for f in regime.flows:
        if label in f.carries:
            # The sender has what it sends; a body's members see what it has.
            if f.source in regime.body:
                give(f.source)
            else:
                holds.add(f.source)
    changed = True
    while changed:
        changed = False
        before = len(holds)
        for f in regime.flows:
            to = [f.target, *f.via]
            if label in f.carries or (f.source in holds and f.source in C):
                for x in to:
                    give(regime.decision[x].body if x in regime.decision else x)
            for r in f.via:
                if r in holds and r in C:
                    give(f.target)
        changed = len(holds) != before
    return any(x in regime.actor and x not in cleared for x in received)


def min_leak(regime: Regime, label: str, limit: int | None = None) -> int | None:
    pool = leak_pool(regime, label)
    top = len(pool) if limit is None else min(limit, len(pool))
    for size in range(top + 1):
        for chosen in itertools.combinations(pool, size):
            if leaks(regime, label, chosen):
                return size
    return None


def attributing_only(regime: Regime) -> Regime:
    """The regime whose verifiers count only what their rules counted from
    mechanisms that attribute: attribution(v, k) is non-circumventability
    of it (the oracle's own reading of attribution, independent of the
    engine's flag)."""
    from dataclasses import replace

    verifiers = []
    for ver in regime.verifiers:
        counted = tuple(m.id for m in regime.mechanisms if m.attributes and (
            (ver.mechanisms is None and ver.kinds is None)
            or m.id in (ver.mechanisms or ()) or m.kind in (ver.kinds or ())))
        verifiers.append(replace(ver, mechanisms=counted, kinds=None))
    return replace(regime, verifiers=tuple(verifiers))
