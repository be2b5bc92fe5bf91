"""Framing a party that complies: who could make a verifier's finding rule
fire against it (docs/semantics.md, "Non-frameability").

Nothing here depends on timing, failures or chance, and every holder on the
way passes a false report on (an honest one believes it, a corrupt one wants
it passed), so where a fabricated report can go is a fixed graph question.
Only *who fabricates* depends on the coalition: a corrupt operator of a
mechanism that is not tamper-evident, a corrupt holder that claims a
mechanism's finding it could have received, or a corrupt relay that rewrites
an unauthenticated report.  :func:`framing_points` answers the graph
question once; :func:`smallest_framing` asks z3 for the smallest coalition
that covers a finding rule with such points.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Literal

import z3

from verify.model import PERPETRATOR, REQUESTER, Flow, Mechanism, Regime, Verifier
from verify.results import Fabrication

__all__ = [
    "Sources",
    "point",
    "side_of",
    "framing_candidates",
    "accusers",
    "framing_points",
    "Framed",
    "smallest_framing",
    "fabrications",
    "walk",
]


@dataclass(frozen=True)
class Sources:
    """Everyone who can put a false report of one mechanism before one
    verifier: its operator or a holder that could receive its evidence
    (``authors``), or a relay rewriting an unauthenticated flow
    (``relays``: relay -> the first such flow)."""

    authors: frozenset[str]
    relays: Mapping[str, str]

    def who(self) -> frozenset[str]:
        return self.authors | frozenset(self.relays)


def side_of(regime: Regime, party: str) -> frozenset[str]:
    """The party's own side: it, what it controls and what controls it.
    None of them frames it, and its members of a body vote against a false
    finding."""
    return regime.closure(party) | regime.controllers[party]


def framing_candidates(regime: Regime, party: str) -> tuple[str, ...]:
    """Who may be chosen to frame ``party``: the pool, less anyone whose
    closure reaches the party's side."""
    side = side_of(regime, party)
    return tuple(a for a in dict.fromkeys(regime.pool()) if not (regime.closure(a) & side))


def accusers(regime: Regime, party: str) -> dict[str, tuple[str, ...]]:
    """Mechanisms whose false report could accuse ``party``, with the
    violations it could claim: a mechanism that attributes, is not
    tamper-evident (nobody forges a seal), covers the violation's asset and
    observes one of its traces at or above its threshold."""
    out: dict[str, tuple[str, ...]] = {}
    mine = [v for v in regime.violations if party in v.perpetrators]
    for m in regime.mechanisms:
        if not m.attributes or m.tamper_evident:
            continue
        claims = tuple(v.id for v in mine if (m.at is None or v.at in m.at) and any(
            (th := m.threshold(t.signature)) is not None and t.magnitude >= th for t in v.traces))
        if claims:
            out[m.id] = claims
    return out


def _passes(regime: Regime, rule_id: str, requester: str | None, side: frozenset[str]) -> bool:
    """A vote on a false report: the party's side votes against it, every
    other member for it (the honest deceived, the corrupt willing)."""
    rule = regime.vote_rule[rule_id]
    recused: set[str] = set()
    for r in rule.recused:
        if r == PERPETRATOR:
            recused |= side
        elif r == REQUESTER:
            if requester is not None and requester in regime.actor:
                recused.add(requester)
        else:
            recused.add(r)
    voters = [x for x in regime.body[rule.body].members if x not in recused]
    if rule.approve is not None:
        return sum(1 for x in voters if x not in side) >= rule.approve
    assert rule.block is not None
    return sum(1 for x in voters if x in side) < rule.block


def _open(regime: Regime, f: Flow, side: frozenset[str]) -> bool:
    """Whether a false report gets through ``f``'s gates and, to a body,
    through the body's vote."""
    gates = [g for g in f.via if g in regime.vote_rule]
    if not all(_passes(regime, g, f.source, side) for g in gates):
        return False
    if f.target in regime.body:
        return _passes(regime, f.decision or f.target, f.source, side)
    return True


def _bfs(start: str, out_flows: Mapping[str, list[Flow]], m: Mechanism,
         usable: Mapping[str, bool] | None) -> dict[str, tuple[tuple[str, str], ...]]:
    """Every holder a report of ``m`` at ``start`` reaches, with its route.
    With ``usable`` (a false report), never through ``m``'s operator: an
    honest operator knows what its own mechanism found."""
    route: dict[str, tuple[tuple[str, str], ...]] = {start: ()}
    queue = deque([start])
    while queue:
        x = queue.popleft()
        if usable is not None and x == m.operator and x != start:
            continue
        for f in out_flows.get(x, ()):
            if f.target in route or not f.forwards_evidence_of(m) or (usable is not None and not usable[f.id]):
                continue
            route[f.target] = (*route[x], (f.id, f.target))
            queue.append(f.target)
    return route


def _reaching(h: str, in_flows: Mapping[str, list[Flow]], m: Mechanism, usable: Mapping[str, bool]) -> set[str]:
    """Every holder from which a false report of ``m`` gets through to
    ``h`` (never through ``m``'s operator, who would know it false)."""
    seen = {h}
    queue = deque([h])
    while queue:
        x = queue.popleft()
        if x == m.operator and x != h:
            continue  # the operator may start the report, never pass one on
        for f in in_flows.get(x, ()):
            if f.source not in seen and usable[f.id] and f.forwards_evidence_of(m):
                seen.add(f.source)
                queue.append(f.source)
    return seen


def framing_points(regime: Regime, party: str) -> dict[tuple[str, str], Sources]:
    """(verifier, mechanism) -> everyone who, alone, can put a false report
    of the mechanism before the verifier (routes are walked only for the
    few a framing uses: :func:`walk`)."""
    side = side_of(regime, party)
    out_flows: dict[str, list[Flow]] = {}
    in_flows: dict[str, list[Flow]] = {}
    for f in regime.flows:
        out_flows.setdefault(f.source, []).append(f)
        in_flows.setdefault(f.target, []).append(f)
    usable = {f.id: _open(regime, f, side) for f in regime.flows}
    verifiers = [v.id for v in regime.verifiers if v.id not in side]
    actors = frozenset(regime.actor)
    filtering = [f for f in regime.flows if f.filters]
    # Who reaches a verifier depends on the mechanism only through the flows
    # that do not forward it and its operator: few distinct searches.
    reaching: dict[tuple[str, frozenset[str], str], frozenset[str]] = {}
    points: dict[tuple[str, str], Sources] = {}
    for mid in accusers(regime, party):
        m = regime.mechanism[mid]
        # Who could genuinely hold m's finding: a claim to have it is
        # believable only there.
        genuine = frozenset(_bfs(m.operator, out_flows, m, None))
        holders = genuine & actors  # who may claim it: bodies author nothing
        blocked = frozenset(f.id for f in filtering if not f.forwards_evidence_of(m))
        rewritable = [f for f in regime.flows if f.via and not f.authenticated and f.source in genuine
                      and f.forwards_evidence_of(m) and usable[f.id]]
        for h in verifiers:
            if h == m.operator:
                continue  # an honest verifier knows what its own mechanism found
            key = (h, blocked, m.operator)
            if key not in reaching:
                reaching[key] = frozenset(_reaching(h, in_flows, m, usable))
            back = reaching[key]
            authors = (holders & back) - {h}
            relays: dict[str, str] = {}
            for f in rewritable:
                if f.target in back:
                    for relay in f.via:
                        if relay in actors and relay != h:
                            relays.setdefault(relay, f.id)
            if authors or relays:
                points[(h, mid)] = Sources(authors, relays)
    return points


def point(regime: Regime, mechanism: str, sources: Sources, author: str) -> Fabrication:
    """The way ``author`` frames through ``sources`` (its route not walked)."""
    if author in sources.authors:
        how: Literal["operator", "sender"] = "operator" if author == regime.mechanism[mechanism].operator \
            else "sender"
        return Fabrication(mechanism, author, how, None, ())
    return Fabrication(mechanism, author, "relay", sources.relays[author], ())


def walk(regime: Regime, party: str, verifier: str, point: Fabrication) -> Fabrication:
    """``point`` with its route: the flows its false report takes to
    ``verifier`` (for a relay, the flow it rewrites first)."""
    side = side_of(regime, party)
    out_flows: dict[str, list[Flow]] = {}
    for f in regime.flows:
        out_flows.setdefault(f.source, []).append(f)
    usable = {f.id: _open(regime, f, side) for f in regime.flows}
    m = regime.mechanism[point.mechanism]
    if point.how == "relay":
        assert point.flow is not None
        f = regime.flow[point.flow]
        rest = _bfs(f.target, out_flows, m, usable)[verifier]
        return replace(point, steps=((f.id, f.target), *rest))
    return replace(point, steps=_bfs(point.author, out_flows, m, usable)[verifier])


@dataclass(frozen=True)
class Framed:
    """The solver's answer: ``status`` "frames" (with the chosen colluders),
    "safe" (no coalition within the bound frames) or "unknown"."""

    status: Literal["frames", "safe", "unknown"]
    chosen: tuple[str, ...] = ()
    reason: str = ""


def smallest_framing(regime: Regime, party: str, points: Mapping[tuple[str, str], Sources],
                     bound: int | None, timeout_ms: int | None = None) -> Framed:
    """The smallest set of at most ``bound`` (None: any number of)
    candidates whose coalition frames ``party``."""
    cands = framing_candidates(regime, party)
    # Nobody corrupt fabricates nothing: a framing needs at least one.
    if bound == 0 or not cands:
        return Framed("safe")
    # One corrupt hub (an agency that may claim whatever reaches it) often
    # frames alone: found by plain set arithmetic, in candidate order.
    single = _one_frames(regime, cands, points)
    if single is not None:
        return Framed("frames", (single,))
    # A context of its own: z3's answers then depend on this question only,
    # not on what was asked before in the process (reports are byte-stable).
    ctx = z3.Context()
    chosen = {c: z3.Bool(f"c{i}", ctx) for i, c in enumerate(cands)}
    order = {c: i for i, c in enumerate(cands)}
    # Which candidates bring each actor into the coalition (their closure
    # holds it).  Slots are sets of candidates computed here in Python; z3
    # gets one disjunction per distinct set, which at 1,000 actors is a few
    # hundred terms instead of a hundred thousand.
    by_member: dict[str, set[str]] = {}
    for c in cands:
        for a in regime.closure(c):
            by_member.setdefault(a, set()).add(c)
    terms: dict[frozenset[str], z3.BoolRef] = {}

    def any_of(who: frozenset[str]) -> z3.BoolRef:
        if who not in terms:
            terms[who] = z3.Or(*[chosen[c] for c in sorted(who, key=order.__getitem__)]) if who \
                else z3.BoolVal(False, ctx)
        return terms[who]

    brought: dict[frozenset[str], frozenset[str]] = {}

    def bringing(actors: frozenset[str]) -> frozenset[str]:
        if actors not in brought:
            out: set[str] = set()
            for a in actors:
                out |= by_member.get(a, set())
            brought[actors] = frozenset(out)
        return brought[actors]

    frames = []
    for ver in regime.verifiers:
        rule = _rule(regime, ver, points)
        if rule is not None:
            honest = z3.BoolVal(True, ctx) if ver.id in regime.body else z3.Not(any_of(bringing(frozenset([ver.id]))))
            faked = {op: any_of(bringing(frozenset().union(*(x.who() for _, x in xs)))) for op, xs in rule.items()}
            frames.append(z3.And(honest, _covered(regime, ver, faked, ctx)))
    opt = z3.Optimize(ctx=ctx)
    if timeout_ms is not None:
        opt.set("timeout", timeout_ms)
    opt.add(z3.Or(*frames) if frames else z3.BoolVal(False, ctx))
    size = z3.Sum([z3.If(b, 1, 0) for b in chosen.values()]) if chosen else z3.IntVal(0, ctx)
    if bound is not None:
        opt.add(size <= bound)
    opt.minimize(size)
    answer = opt.check()
    if answer == z3.unsat:
        return Framed("safe")
    if answer != z3.sat:
        return Framed("unknown", reason=opt.reason_unknown())
    model = opt.model()
    return Framed("frames", tuple(c for c in cands if z3.is_true(model.eval(chosen[c], model_completion=True))))


def _one_frames(regime: Regime, cands: tuple[str, ...],
                points: Mapping[tuple[str, str], Sources]) -> str | None:
    """The first candidate that frames on its own (with what it controls),
    or None if none provably does (the solver then decides)."""
    index: dict[str, set[tuple[str, str]]] = {}
    rules = {}
    for ver in regime.verifiers:
        slots = _rule(regime, ver, points)
        if slots is None:
            continue
        rules[ver.id] = ver
        for op, xs in slots.items():
            for _, sources in xs:
                for a in sources.who():
                    index.setdefault(a, set()).add((ver.id, op))
    for c in cands:
        inside = regime.closure(c)
        covered: dict[str, list[str]] = {}
        for a in inside:
            for h, op in index.get(a, ()):
                covered.setdefault(h, []).append(op)
        for h, ops in covered.items():
            if h in inside:
                continue
            picked = _independent(regime, sorted(set(ops)), rules[h].independent, budget=10_000)
            if picked:
                return c
    return None


def _rule(regime: Regime, ver: Verifier,
          points: Mapping[tuple[str, str], Sources]) -> dict[str, list[tuple[str, Sources]]] | None:
    """The verifier's sources a coalition could fake, by operator, each as
    (mechanism, who can fake it): None when its rule accepts no fabricated
    report (sealed only) or none reaches it."""
    if ver.finding == "sealed":
        return None
    slots: dict[str, list[tuple[str, Sources]]] = {}
    for m in regime.mechanisms:
        if ver.counts(m) and (ver.id, m.id) in points:
            slots.setdefault(m.operator, []).append((m.id, points[(ver.id, m.id)]))
    return slots or None


def _covered(regime: Regime, ver: Verifier, faked: Mapping[str, z3.BoolRef], ctx: z3.Context) -> z3.BoolRef:
    """At least ``independent`` pairwise independent operators each have a
    fabricator in the coalition (``faked``: by operator)."""
    if ver.independent <= 1:
        return z3.Or(*faked.values())
    ops = list(faked)
    pick = {op: z3.Bool(f"pick:{ver.id}:{op}", ctx) for op in ops}
    parts = [z3.Implies(pick[op], faked[op]) for op in ops]
    # Two picks are independent when no actor controls both (each controls
    # itself): at most one pick among the operators any one actor controls.
    under: dict[str, list[str]] = {}
    for op in ops:
        for x in sorted(regime.controllers[op] | {op}):
            under.setdefault(x, []).append(op)
    for group in under.values():
        if len(group) > 1:
            parts.append(z3.AtMost(*[pick[op] for op in group], 1))
    parts.append(z3.PbGe([(pick[op], 1) for op in ops], ver.independent))
    return z3.And(*parts)


def fabrications(regime: Regime, party: str, points: Mapping[tuple[str, str], Sources],
                 coalition: Iterable[str]) -> tuple[str, tuple[Fabrication, ...]] | None:
    """For a coalition that frames: the verifier, and one fabricated source
    per independent operator its rule needs, walked (None if it does not
    frame)."""
    inside = frozenset(coalition)
    for ver in regime.verifiers:
        slots = _rule(regime, ver, points)
        if slots is None or ver.id in inside:
            continue
        usable: dict[str, Fabrication] = {}
        for op, xs in slots.items():
            for mid, sources in xs:
                # The operator first, then senders, then relays, each in
                # declaration order: the same answer every run.
                who = sorted(sources.who() & inside, key=lambda a: (
                    a != regime.mechanism[mid].operator, a in sources.relays, a))
                if who:
                    usable[op] = point(regime, mid, sources, who[0])
                    break
        picked = _independent(regime, sorted(usable), ver.independent)
        if picked is not None:
            return ver.id, tuple(walk(regime, party, ver.id, usable[op]) for op in picked)
    return None


def _independent(regime: Regime, ops: list[str], n: int, budget: int | None = None) -> tuple[str, ...] | None:
    """``n`` pairwise independent operators among ``ops``, the first in
    order; None if there are none, or if ``budget`` partial choices were
    tried without finding any (the caller then asks the solver)."""
    tried = 0

    def extend(chosen: tuple[str, ...], start: int) -> tuple[str, ...] | None:
        nonlocal tried
        if len(chosen) == n:
            return chosen
        for i in range(start, len(ops)):
            tried += 1
            if budget is not None and tried > budget:
                return None
            if all(regime.independent(ops[i], c) for c in chosen):
                found = extend((*chosen, ops[i]), i + 1)
                if found is not None:
                    return found
        return None

    return extend((), 0)
