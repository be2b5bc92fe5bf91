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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Literal

import z3

from verify.model import PERPETRATOR, REQUESTER, Flow, Mechanism, Regime, Verifier

__all__ = [
    "Point",
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
class Point:
    """A way to put a false report of ``mechanism`` before ``verifier``."""

    verifier: str
    mechanism: str
    author: str
    how: Literal["operator", "sender", "relay"]
    flow: str | None
    #: (flow, holder) from the report's first holder to the verifier.
    steps: tuple[tuple[str, str], ...]


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
    """Every holder a report of ``m`` at ``start`` reaches, with its route."""
    route: dict[str, tuple[tuple[str, str], ...]] = {start: ()}
    queue = deque([start])
    while queue:
        x = queue.popleft()
        for f in out_flows.get(x, ()):
            if f.target in route or not f.forwards_evidence_of(m) or (usable is not None and not usable[f.id]):
                continue
            route[f.target] = (*route[x], (f.id, f.target))
            queue.append(f.target)
    return route


def _reaching(h: str, in_flows: Mapping[str, list[Flow]], m: Mechanism, usable: Mapping[str, bool]) -> set[str]:
    """Every holder from which a report of ``m`` gets through to ``h``."""
    seen = {h}
    queue = deque([h])
    while queue:
        x = queue.popleft()
        for f in in_flows.get(x, ()):
            if f.source not in seen and usable[f.id] and f.forwards_evidence_of(m):
                seen.add(f.source)
                queue.append(f.source)
    return seen


def framing_points(regime: Regime, party: str) -> dict[tuple[str, str], list[Point]]:
    """(verifier, mechanism) -> every way a single corrupt actor can put a
    false report of the mechanism before the verifier (routes are left
    empty: :func:`fabrications` walks the few a framing uses)."""
    side = side_of(regime, party)
    out_flows: dict[str, list[Flow]] = {}
    in_flows: dict[str, list[Flow]] = {}
    for f in regime.flows:
        out_flows.setdefault(f.source, []).append(f)
        in_flows.setdefault(f.target, []).append(f)
    usable = {f.id: _open(regime, f, side) for f in regime.flows}
    verifiers = [v.id for v in regime.verifiers if v.id not in side]
    filtering = [f for f in regime.flows if f.filters]
    # Who reaches a verifier depends on the mechanism only through the flows
    # that do not forward it: usually none, so one search per verifier.
    reaching: dict[tuple[str, frozenset[str]], set[str]] = {}
    points: dict[tuple[str, str], list[Point]] = {}
    for mid in accusers(regime, party):
        m = regime.mechanism[mid]
        # Who could genuinely hold m's finding: a claim to have it is
        # believable only there.
        holders = _bfs(m.operator, out_flows, m, None)
        blocked = frozenset(f.id for f in filtering if not f.forwards_evidence_of(m))
        rewritable = [f for f in regime.flows if not f.authenticated and f.source in holders
                      and f.forwards_evidence_of(m) and usable[f.id]]
        for h in verifiers:
            key = (h, blocked)
            if key not in reaching:
                reaching[key] = _reaching(h, in_flows, m, usable)
            back = reaching[key]
            found = [Point(h, mid, x, "operator" if x == m.operator else "sender", None, ())
                     for x in holders if x in back and x != h and x in regime.actor]
            for f in rewritable:
                if f.target in back:
                    found += [Point(h, mid, relay, "relay", f.id, ())
                              for relay in f.via if relay in regime.actor and relay != h]
            if found:
                points[(h, mid)] = found
    return points


def walk(regime: Regime, party: str, point: Point) -> Point:
    """``point`` with its route: the flows its false report takes to the
    verifier (for a relay, the flow it rewrites first)."""
    side = side_of(regime, party)
    out_flows: dict[str, list[Flow]] = {}
    for f in regime.flows:
        out_flows.setdefault(f.source, []).append(f)
    usable = {f.id: _open(regime, f, side) for f in regime.flows}
    m = regime.mechanism[point.mechanism]
    if point.how == "relay":
        assert point.flow is not None
        f = regime.flow[point.flow]
        rest = _bfs(f.target, out_flows, m, usable)[point.verifier]
        return replace(point, steps=((f.id, f.target), *rest))
    return replace(point, steps=_bfs(point.author, out_flows, m, usable)[point.verifier])


@dataclass(frozen=True)
class Framed:
    """The solver's answer: ``status`` "frames" (with the chosen colluders),
    "safe" (no coalition within the bound frames) or "unknown"."""

    status: Literal["frames", "safe", "unknown"]
    chosen: tuple[str, ...] = ()
    reason: str = ""


def smallest_framing(regime: Regime, party: str, points: Mapping[tuple[str, str], list[Point]],
                     bound: int | None, timeout_ms: int | None = None) -> Framed:
    """The smallest set of at most ``bound`` (None: any number of)
    candidates whose coalition frames ``party``."""
    cands = framing_candidates(regime, party)
    # A context of its own: z3's answers then depend on this question only,
    # not on what was asked before in the process (reports are byte-stable).
    ctx = z3.Context()
    chosen = {c: z3.Bool(f"c{i}", ctx) for i, c in enumerate(cands)}
    by_member: dict[str, list[z3.BoolRef]] = {}
    for c in cands:
        for a in sorted(regime.closure(c)):  # sorted: the same constraints, so the same answer, every run
            by_member.setdefault(a, []).append(chosen[c])

    def inside(a: str) -> z3.BoolRef:
        return z3.Or(*by_member[a]) if a in by_member else z3.BoolVal(False, ctx)

    frames = []
    for ver in regime.verifiers:
        rule = _rule(regime, ver, points)
        if rule is not None:
            honest = z3.BoolVal(True, ctx) if ver.id in regime.body else z3.Not(inside(ver.id))
            frames.append(z3.And(honest, _covered(regime, ver, rule, inside, ctx)))
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


def _rule(regime: Regime, ver: Verifier,
          points: Mapping[tuple[str, str], list[Point]]) -> dict[str, list[Point]] | None:
    """The verifier's sources a coalition could fake, by operator: None when
    its rule accepts no fabricated report (sealed only) or none reaches it."""
    if ver.finding == "sealed":
        return None
    slots: dict[str, list[Point]] = {}
    for m in regime.mechanisms:
        if ver.counts(m) and (ver.id, m.id) in points:
            slots.setdefault(m.operator, []).extend(points[(ver.id, m.id)])
    return slots or None


def _covered(regime: Regime, ver: Verifier, slots: Mapping[str, list[Point]],
             inside: Callable[[str], z3.BoolRef], ctx: z3.Context) -> z3.BoolRef:
    """At least ``independent`` pairwise independent operators' slots each
    have a fabricator in the coalition."""
    faked = {op: z3.Or(*[inside(a) for a in dict.fromkeys(p.author for p in ps)]) for op, ps in slots.items()}
    if ver.independent <= 1:
        return z3.Or(*faked.values())
    ops = list(faked)
    pick = {op: z3.Bool(f"pick:{ver.id}:{op}", ctx) for op in ops}
    parts = [z3.Implies(pick[op], faked[op]) for op in ops]
    for i, a in enumerate(ops):
        for b in ops[i + 1:]:
            if not regime.independent(a, b):
                parts.append(z3.Not(z3.And(pick[a], pick[b])))
    parts.append(z3.PbGe([(pick[op], 1) for op in ops], ver.independent))
    return z3.And(*parts)


def fabrications(regime: Regime, party: str, points: Mapping[tuple[str, str], list[Point]],
                 coalition: Iterable[str]) -> tuple[str, tuple[Point, ...]] | None:
    """For a coalition that frames: the verifier, and one fabricated source
    per independent operator its rule needs (None if it does not frame)."""
    inside = frozenset(coalition)
    for ver in regime.verifiers:
        slots = _rule(regime, ver, points)
        if slots is None or ver.id in inside:
            continue
        usable = {op: next(p for p in ps if p.author in inside) for op, ps in slots.items()
                  if any(p.author in inside for p in ps)}
        ops = sorted(usable)
        picked = _independent(regime, ops, ver.independent)
        if picked is not None:
            return ver.id, tuple(walk(regime, party, usable[op]) for op in picked)
    return None


def _independent(regime: Regime, ops: list[str], n: int) -> tuple[str, ...] | None:
    def extend(chosen: tuple[str, ...], start: int) -> tuple[str, ...] | None:
        if len(chosen) == n:
            return chosen
        for i in range(start, len(ops)):
            if all(regime.independent(ops[i], c) for c in chosen):
                found = extend((*chosen, ops[i]), i + 1)
                if found is not None:
                    return found
        return None

    return extend((), 0)
