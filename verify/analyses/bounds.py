"""Graph bounds: what max-flow answers before the solver is asked.

Each colluder corrupts what it controls, so one colluder blocks every route
that passes through any actor under it.  Routes that share no actor once each
actor is merged with everything that controls it ("merged-disjoint") can only
be blocked one per colluder: k+1 of them prove non-circumventability for k,
and a reader can check the certificate by hand.

On a *pure* rule graph -- no votes, no deadlines on triggers, no noticed drops
(every guard is "these actors are honest"), no relays, and no two route actors
under a common controller -- evading is exactly cutting every route, so the
minimum vertex cut is the minimum evasion and its cut is the coalition.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from verify.engine import START, Guard, Rule, RuleGraph, RuleKind, State
from verify.engine.rules import may_be_corrupt, vote_rule_of
from verify.gcpause import gc_paused
from verify.model import Regime
from verify.results import Grade, Route, Step, StepKind

__all__ = ["Cut", "certificate", "disjoint_routes", "exact_min_evasion", "is_pure", "may_fold_pure", "min_cut",
           "packing", "Packer"]

_PURE_KINDS = frozenset({RuleKind.OBSERVE, RuleKind.PASS})


def _pure(r: Rule) -> bool:
    g = r.guard
    return (r.kind in _PURE_KINDS and not g.passes and g.any_corrupt is None
            and not g.corrupt and r.limit is None)


def _pure_folded(r: Rule, base: frozenset[str]) -> bool:
    """Whether ``r`` is pure once folded: what folding takes from a guard
    (the perpetrator's side in the coalition, a disjunction that side
    settles) taken away.  On a folded rule, :func:`_pure`."""
    g = r.guard
    return (r.kind in _PURE_KINDS and not g.passes and r.limit is None and g.corrupt <= base
            and (g.any_corrupt is None or not base.isdisjoint(g.any_corrupt)))


def _fires(g: Guard, base: frozenset[str], may_corrupt: frozenset[str]) -> bool:
    """Whether a guard can hold at all (what folding keeps)."""
    return (base.isdisjoint(g.honest) and g.corrupt <= may_corrupt
            and (g.any_corrupt is None or not may_corrupt.isdisjoint(g.any_corrupt)))


def may_fold_pure(regime: Regime, graph: RuleGraph) -> bool:
    """Whether ``graph`` (folded or not) may be pure once folded: every rule
    that can fire is, and no target needs a vote.  True proves the folded
    graph pure; False only says that some rule that can fire is not pure
    (folding may still drop it, as one that leads nowhere).  Folding a
    10,000-actor graph costs more than this and the greedy search
    together: non-circumventability asks this first, to know whether
    max-flow's exact cut may apply."""
    if graph.conjunctive:
        return False
    base = graph.base
    # Who may be corrupt is asked only of a guard that names the coalition:
    # finding out costs a closure per candidate (most of this function at
    # 10,000 actors, where a pure graph has no such guard).
    may_corrupt: frozenset[str] | None = None

    def fires(g: Guard) -> bool:
        nonlocal may_corrupt
        if not base.isdisjoint(g.honest):
            return False
        if not g.corrupt and g.any_corrupt is None:
            return True
        if may_corrupt is None:
            may_corrupt = may_be_corrupt(regime, base, graph.candidates)
        return _fires(g, base, may_corrupt)

    # The targets first: a few of them, where a verifier that finds only
    # through a vote settles the answer before 100,000 rules are read.
    return (all(not t.guard.passes or not fires(t.guard) for t in graph.targets)
            and all(_pure_folded(r, base) or not fires(r.guard) for r in graph.rules))


def is_pure(graph: RuleGraph) -> bool:
    # A finding rule that needs several sources at once is no longer "any
    # one route reaches a verifier": routes bound nothing.
    if graph.conjunctive:
        return False
    return all(_pure(r) for r in graph.rules) and all(not t.guard.passes for t in graph.targets)


def _roots(regime: Regime, actor: str) -> frozenset[str]:
    ups = regime.controllers[actor] | {actor}
    return frozenset(a for a in ups if not regime.actor[a].controlled_by)


def _route(chain: list[Rule]) -> Route:
    steps = tuple(Step(r.element, StepKind.OBSERVE if r.kind == RuleKind.OBSERVE else StepKind.PASS,
                       r.dst[0], Grade(r.dst[1]), None) for r in chain)
    return Route(steps, chain[-1].dst[0])


def certificate(regime: Regime, graph: RuleGraph, n: int, greedy: bool = True) -> tuple[Route, ...] | None:
    """``n`` merged-disjoint pure routes, or None if these searches find
    fewer: the greedy one first (it stops at ``n``; not if ``greedy`` is
    False, the caller having tried it), then max-flow's."""
    found = disjoint_routes(regime, graph, n) if greedy else ()
    if len(found) < n:
        found = packing(regime, graph)
    return found[:n] if len(found) >= n else None


def disjoint_routes(regime: Regime, graph: RuleGraph, limit: int | None = None) -> tuple[Route, ...]:
    """Up to ``limit`` merged-disjoint pure routes (each colluder can block at
    most one, so their number is a lower bound on the smallest evasion).

    Greedy: take a shortest route, then retire every actor that shares a
    controller with it.  Sound, not always maximal; the solver decides when
    it comes up short.  An actor no colluder can corrupt (a trusted
    verifier, say) blocks nothing and is never retired: with one such
    verifier every route ends at it, and retiring it allowed one route.

    ``graph`` may be unfolded (``compile_rules(..., fold=False)``): the
    routes are the same as on the folded graph, rule for rule, since a
    breadth-first search from the start never enters what folding drops
    but dead ends, and those change no other state's discovery order.
    (Unless a target that folding drops needs several sources at once:
    then, as on any such graph, the search declines.)
    """
    # More routes than candidates already prove that nobody can evade.
    n = len(graph.candidates) + 1 if limit is None else limit
    if n <= 0 or graph.conjunctive:
        return ()
    base = graph.base
    corruptible = may_be_corrupt(regime, base, graph.candidates)
    target_guard = {t.state: t.guard for t in graph.targets
                    if not t.guard.passes and _fires(t.guard, base, corruptible)}
    out_rules: defaultdict[State, list[Rule]] = defaultdict(list)
    for r in graph.rules:
        if _pure_folded(r, base):
            out_rules[r.src].append(r)
    used: set[str] = set()
    # The corruptible actors with a root in ``used``: a colluder there would
    # block this route too.  Kept as a set (a root's closure is everything
    # with that root) so that a rule's test is one set operation.  The
    # perpetrator's side is in from the start: a rule needing it honest
    # never fires (what folding drops, so an unfolded graph gives the
    # folded one's routes).
    blocked: set[str] = set(base)
    found: list[Route] = []
    while len(found) < n:
        chain = _shortest(out_rules, target_guard, blocked)
        if chain is None:
            break
        found.append(_route(chain))
        new: set[str] = set()
        for a in target_guard[chain[-1].dst].honest.union(*(r.guard.honest for r in chain)) & corruptible:
            new |= _roots(regime, a)
        new -= used
        for root in new:
            blocked |= regime.closure(root) & corruptible
        used |= new
        if not new:
            # A route nobody can block: each further one would be it again.
            # Its rules go, so the search ends (and what it finds next
            # shares nothing with it that a colluder could cut).
            for r in chain:
                out_rules[r.src] = [x for x in out_rules[r.src] if x is not r]
    return tuple(found)


def _shortest(out_rules: dict[State, list[Rule]], target_guard: dict[State, Guard],
              blocked: set[str]) -> list[Rule] | None:
    free = blocked.isdisjoint
    prev: dict[State, Rule | None] = {START: None}
    queue = deque([START])
    while queue:
        s = queue.popleft()
        if s in target_guard and s != START and free(target_guard[s].honest):
            chain: list[Rule] = []
            while (step := prev[s]) is not None:
                chain.append(step)
                s = step.src
            return chain[::-1]
        for r in out_rules.get(s, ()):
            if r.dst not in prev and free(r.guard.honest):
                prev[r.dst] = r
                queue.append(r.dst)
    return None


@gc_paused
def packing(regime: Regime, graph: RuleGraph, without: frozenset[str] = frozenset()) -> tuple[Route, ...]:
    """Merged-disjoint pure routes, as many as max-flow finds, with the
    elements in ``without`` switched off: a lower bound on the smallest
    evasion on any graph, pure or not, usually larger than the greedy
    :func:`disjoint_routes` gives.  (:class:`Packer` asks again without
    one element at a time, cheaply.)"""
    return Packer(regime, graph).pack(without)


@dataclass(frozen=True)
class _End:
    """Where a route may end: a verifier's target (``last`` None), or a
    state from which ``last``, a mandatory flow's hop, reaches a verifier
    whether its sender passes the sealed item on or withholds it (then
    noticed).  ``need``: the roots that must stay honest for it; ``gate``:
    the vote the hop needs to pass, if any."""

    need: frozenset[str]
    gate: str | None = None
    last: Rule | None = None


@dataclass(frozen=True)
class _Laid:
    """A route as :class:`Packer` laid it out: the roots that can block it,
    the vote its last hop needs, and whether that hop is a noticed one."""

    blockers: frozenset[str]
    gate: str | None = None
    noticed: bool = False


class Packer:
    """Max-flow's merged-disjoint routes over one rule graph.

    Max-flow over holders (one unit through each actor a colluder could
    corrupt) proposes routes; each is laid out as rules through its own
    holders, and kept if it shares no root (an actor merged with whatever
    controls it) with a route kept before it.  Two holders under one root
    can carry one route each in the flow but not in the bound, so the
    holders of a route dropped for that reason leave the network and the
    flow is taken again, a few times at most.  What :meth:`pack` returns
    are real routes, no two through a common root: no colluder blocks two
    of them.  Only pure rules whose guards ask honesty of no actor but (the
    controllers of) the two holders they link are used; rules that ask more
    (votes, other actors' honesty, several sources at once) are left out,
    which can only lower the bound.

    With ``noticed`` (the robustness margin's lower bound, never shown as a
    certificate), a route may also end with a mandatory flow's hop that
    carries a sealed item to a verifier either way: passed on by an honest
    sender, or withheld by a corrupt one and so noticed.  Its sender blocks
    nothing there.  When that hop needs a body's vote (a report to a
    council), the routes ending through it are at most as many as the
    colluders needed to block the vote, and the voters' roots belong to no
    route: a coalition then pays for each such route either at the route
    or at the vote, never both with one colluder (docs/semantics.md,
    "Graph bounds").  This is what lets the bound reach k*+1 on designs
    whose evasion must silence a council (issue 14).
    """

    def __init__(self, regime: Regime, graph: RuleGraph, noticed: bool = False):
        self.regime = regime
        self.graph = graph
        self.corruptible = may_be_corrupt(regime, graph.base, graph.candidates)
        self.certain = {a for a in regime.actor if a in graph.base or regime.controllers[a] & graph.base}
        self._root_of: dict[str, frozenset[str]] = {}
        self._every_out: dict[State, list[tuple[Rule, frozenset[str]]]] | None = None
        self.usable: list[tuple[Rule, frozenset[str]]] = []
        self.targets: dict[State, frozenset[str]] = {}
        #: Where a route may end (the targets, and with ``noticed`` the
        #: noticed hops), and each vote a noticed hop needs: how many
        #: colluders block it (None: none can), and its voters' roots.
        self.ends: dict[State, list[_End]] = {}
        self.gates: dict[str, tuple[int | None, frozenset[str]]] = {}
        #: The blockers and vote of each route :meth:`pack` returned.
        self._laid: dict[Route, _Laid] = {}
        #: The usable rules into each noticed hop's sealed state.
        self._into: dict[State, list[tuple[Rule, frozenset[str]]]] = {}
        if graph.conjunctive:
            return
        for r in graph.rules:
            if not _pure(r):
                continue
            ends = [r.dst[0]] if r.src == START else [r.src[0], r.dst[0]]
            need = self._roots(r.guard.honest)
            mine = self._roots(ends)
            if need is not None and mine is not None and need <= mine:
                self.usable.append((r, need))
        found: dict[State, frozenset[str]] = {}
        for t in graph.targets:
            need = self._roots(t.guard.honest)
            if t.guard.passes or need is None:
                continue
            found[t.state] = need
            mine = self._roots([t.state[0]])
            if mine is not None and need <= mine:
                self.targets[t.state] = need
        self.ends = {st: [_End(need)] for st, need in self.targets.items()}
        if noticed:
            self._noticed(found)

    def _noticed(self, found: dict[State, frozenset[str]]) -> None:
        """The noticed hops: a mandatory flow's sealed hop and its withheld
        twin, both into targets (``found``: every target's roots), asking
        nothing else of the coalition but one vote at most."""
        sealed: dict[tuple[State, str, State], Rule] = {}
        for r in self.graph.rules:
            if r.kind == RuleKind.PASS and r.src != START and r.src[1] == Grade.SEALED:
                # Keyed by the state its withheld twin reaches instead.
                sealed[(r.src, r.element, (r.dst[0], Grade.INDIRECT, r.dst[2]))] = r
        for w in self.graph.rules:
            if w.kind != RuleKind.WITHHOLD:
                continue
            p = sealed.get((w.src, w.element, w.dst))
            if p is None or p.limit is not None or w.limit is not None:
                continue
            sender = w.src[0]
            pg, wg = p.guard, w.guard
            if (pg.corrupt or pg.any_corrupt is not None or wg.any_corrupt is not None
                    or wg.corrupt != frozenset({sender}) or pg.passes != wg.passes or len(pg.passes) > 1):
                continue
            at, instead = found.get(p.dst), found.get(w.dst)
            need = self._roots((pg.honest - {sender}) | wg.honest)
            if at is None or instead is None or need is None:
                continue
            gate = next(iter(pg.passes), None)
            if gate is not None and not self._gate(gate):
                continue
            self.ends.setdefault(w.src, []).append(_End(need | at | instead, gate, p))
        noticed = {st for st, es in self.ends.items() if any(e.last is not None for e in es)}
        for r, need in self.usable:
            if r.dst in noticed:
                self._into.setdefault(r.dst, []).append((r, need))

    def _gate(self, key: str) -> bool:
        """Whether vote ``key`` may pass (recorded in :attr:`gates`): the
        fewest colluders that block it, as a lower bound (None if nobody
        can), and its voters' roots."""
        if key not in self.gates:
            regime = self.regime
            rule_id, _ = vote_rule_of(key)
            rule = regime.vote_rule[rule_id]
            voters = [m for m in regime.body[rule.body].members if m not in self.graph.recusals[key]]
            # Blocked by this many voters in the coalition: approving needs
            # ``approve`` honest ones; a block rule, ``block`` in it.
            against = len(voters) - rule.approve + 1 if rule.approve is not None else rule.block or 0
            against -= sum(1 for v in voters if v in self.certain)
            open_ = [v for v in voters if v in self.corruptible and v not in self.certain]
            cover = Counter(root for v in open_ for root in _roots(regime, v))
            if against <= 0:
                self.gates[key] = (0, frozenset())  # blocked already: never passes
            else:
                # One colluder corrupts at most the voters under one of its
                # roots: the fewest roots whose voters add up to ``against``.
                total, fewest = 0, None
                for j, n in enumerate(sorted(cover.values(), reverse=True), 1):
                    total += n
                    if total >= against:
                        fewest = j
                        break
                self.gates[key] = (fewest, frozenset(cover) if fewest is not None else frozenset())
        return self.gates[key][0] != 0

    def _roots(self, actors: Iterable[str]) -> frozenset[str] | None:
        """The roots of these actors (None if one of them is certainly corrupt
        or no actor: nothing through it counts)."""
        out: set[str] = set()
        for a in actors:
            if a in self.certain or a not in self.regime.actor:
                return None
            if a in self.corruptible:
                if a not in self._root_of:
                    self._root_of[a] = _roots(self.regime, a)
                out |= self._root_of[a]
        return frozenset(out)

    def _out_rules(self, without: frozenset[str]) -> dict[State, list[tuple[Rule, frozenset[str]]]]:
        out: dict[State, list[tuple[Rule, frozenset[str]]]] = {}
        for r, need in self.usable:
            if r.element not in without:
                out.setdefault(r.src, []).append((r, need))
        return out

    def pack(self, without: frozenset[str] = frozenset()) -> tuple[Route, ...]:
        best = self._pack(without, gated=False)
        if any(e.gate is not None for es in self.ends.values() for e in es):
            # With the votes: their voters on no route, and the routes
            # through them sought first or last.
            for first in (True, False):
                other = self._pack(without, gated=True, noticed_first=first)
                if len(other[0]) > len(best[0]):
                    best = other
        # Kept for every route laid out, not only the last packing's: the
        # margin packs again without one element, then reroutes for the
        # next around its first routes.  (A route's steps come from one
        # chain of rules; laid out again, it is as real and as blocked.)
        self._laid.update(best[1])
        return best[0]

    def _pack(self, without: frozenset[str], gated: bool,
              noticed_first: bool = False) -> tuple[tuple[Route, ...], dict[Route, _Laid]]:
        """Routes to the verifiers by max-flow, and (with :attr:`ends` that
        are noticed hops) as many more by a second flow among what they left
        free, or the other way round (``noticed_first``).  ``gated``: the
        voters of every vote a noticed hop needs are kept off the routes to
        the verifiers, and the noticed ones may go through votes."""
        usable = [(r, need) for r, need in self.usable if r.element not in without]
        # Noticed hops through a vote, or those through none: a route through
        # no vote needs its receiver honest, and took the place of one
        # through the council that the vote's colluders would pay for.
        ends = {st: keep for st, es in self.ends.items()
                if (keep := [e for e in es if e.last is None or (e.last.element not in without
                                                                 and gated == (e.gate is not None))])}
        targets = {st: self.targets[st] for st in ends if st in self.targets}
        # Holders in the order the rules name them: the same routes on every run.
        holders: dict[str, int] = {}
        for r, _ in usable:
            for h in ([] if r.src == START else [r.src[0]]) + [r.dst[0]]:
                holders.setdefault(h, len(holders))
        names = list(holders)
        out_rules = self._out_rules(without)
        votes = sorted({e.gate for es in ends.values() for e in es if e.gate is not None})
        gone: set[str] = set()
        for g in votes:
            gone |= self._under(self.gates[g][1])
        plain = {st: [_End(need)] for st, need in targets.items()}
        noticing = any(e.last is not None for es in ends.values() for e in es)
        first: tuple[tuple[Route, ...], dict[Route, _Laid]] = ((), {})
        before: set[str] = set()
        if noticing and noticed_first:
            first = self._noticed_routes(usable, without, ends, votes, out_rules, before)
            gone |= self._under(frozenset(before))
        best: tuple[tuple[Route, ...], dict[Route, _Laid], set[str]] = ((), {}, set())
        for _ in range(_PACKING_ROUNDS):
            net = _Network(len(names), [h in self.corruptible for h in names])
            link = net.linker()
            for r, _ in usable:
                if r.dst[0] in gone or (r.src != START and r.src[0] in gone):
                    continue
                link(_S if r.src == START else 3 + 2 * holders[r.src[0]], 2 + 2 * holders[r.dst[0]])
            for st in sorted(targets):
                i = holders.get(st[0])
                if i is not None and st[0] not in gone:
                    link(3 + 2 * i, _T)
            net.max_flow()
            taken: set[str] = set(before)
            kept: list[Route] = []
            laid_out: dict[Route, _Laid] = {}
            clash: set[str] = set()
            for path in net.paths():
                laid = _lay_out_blocked(out_rules, plain, _through({names[i] for i in path}))
                if laid is None:
                    continue
                route, blockers, _ = laid
                if blockers & taken:
                    clash |= {names[i] for i in path if self._root_of.get(names[i], frozenset()) & taken}
                    continue
                taken |= blockers
                kept.append(route)
                laid_out[route] = _Laid(blockers)
            if len(kept) > len(best[0]):
                best = (tuple(kept), laid_out, taken)
            if not clash - gone:
                break
            gone |= clash
        kept_, laid_out_, taken_ = best
        if not noticing:
            return kept_, laid_out_
        if noticed_first:
            return first[0] + kept_, {**first[1], **laid_out_}
        more, more_laid = self._noticed_routes(usable, without, ends, votes, out_rules, set(taken_))
        return kept_ + more, {**laid_out_, **more_laid}

    def _noticed_routes(self, usable: list[tuple[Rule, frozenset[str]]], without: frozenset[str],
                        ends: dict[State, list[_End]],
                        votes: list[str], out_rules: dict[State, list[tuple[Rule, frozenset[str]]]],
                        taken: set[str]) -> tuple[tuple[Route, ...], dict[Route, _Laid]]:
        """Routes ending with a noticed hop, none needing a root in
        ``taken`` (the first routes') honest, by max-flow over sealed states
        only (a noticed hop's sender must hold a sealed item)."""
        free = [(r, need) for r, need in usable if not need & taken and r.dst[1] == Grade.SEALED
                and (r.src == START or r.src[1] == Grade.SEALED)]
        holders: dict[str, int] = {}
        for r, _ in free:
            for h in ([] if r.src == START else [r.src[0]]) + [r.dst[0]]:
                holders.setdefault(h, len(holders))
        names = list(holders)
        vote_node = {g: len(names) + i for i, g in enumerate(votes)}
        capacity = {vote_node[g]: cap for g in votes if (cap := self.gates[g][0]) is not None}
        net = _Network(len(names) + len(votes), [h in self.corruptible for h in names] + [False] * len(votes),
                       capacity)
        link = net.linker()
        for r, _ in free:
            link(_S if r.src == START else 3 + 2 * holders[r.src[0]], 2 + 2 * holders[r.dst[0]])
        usable_votes = {g for g in votes if not self.gates[g][1] & taken}
        for st in sorted(ends):
            for e in ends[st]:
                if e.last is None or e.need & taken or (e.gate is not None and e.gate not in usable_votes):
                    continue
                # The sender blocks nothing there: the way to the sink starts
                # from the holder that sent it the sealed item (itself, if
                # it sealed it), skipping it.
                sink = _T if e.gate is None else 2 + 2 * vote_node[e.gate]
                for q, need in self._into.get(st, ()):
                    src = st[0] if q.src == START else q.src[0]
                    if q.element in without or need & taken or src not in holders:
                        continue
                    link(3 + 2 * holders[src], sink)
        for g in votes:
            link(3 + 2 * vote_node[g], _T)
        net.max_flow()
        kept: list[Route] = []
        laid_out: dict[Route, _Laid] = {}
        through: Counter[str] = Counter()
        noticed = {st: [e for e in es if e.last is not None] for st, es in ends.items()}
        for path in net.paths():
            vote = next((votes[i - len(names)] for i in path if i >= len(names)), None)
            laid = _lay_out_blocked(out_rules, noticed, self._admits({names[i] for i in path if i < len(names)}),
                                    _by_vote(vote), frozenset(taken))
            if laid is None:
                continue
            route, blockers, end = laid
            if blockers & taken:
                continue
            if end.gate is not None:
                voters = self._through_vote(end.gate, through, taken | blockers)
                if voters is None:
                    continue
                taken |= voters
            taken |= blockers
            kept.append(route)
            laid_out[route] = _Laid(blockers, end.gate, True)
        return tuple(kept), laid_out

    def _admits(self, on: set[str]) -> Callable[[Rule], bool]:
        """Admits a rule into a holder of ``on``, or from one of them (or the
        start) into a noticed hop's sender, who is not on the path."""
        into = self._into
        return lambda r: r.dst[0] in on or (r.dst in into and (r.src == START or r.src[0] in on))

    def _through_vote(self, gate: str, through: Counter[str], taken: set[str]) -> frozenset[str] | None:
        """Whether one more route may end through vote ``gate`` (``through``:
        how many do already; ``taken``: every root the routes kept, and this
        one, need honest), counting it if so: no more than the colluders
        who block the vote, and none of its voters' roots on any route.
        None if not; else the voters' roots the routes may no longer use."""
        fewest, voters = self.gates[gate]
        if fewest is not None:
            if through[gate] >= fewest:
                return None
            if through[gate] == 0 and voters & taken:
                return None
        through[gate] += 1
        return voters if fewest is not None else frozenset()

    def _under(self, roots: frozenset[str]) -> set[str]:
        """The corruptible actors with a root in ``roots``."""
        return {a for a in self.corruptible if self._root(a) & roots} if roots else set()

    def reroute(self, routes: tuple[Route, ...], element: str) -> bool:
        """Whether, without ``element``, the routes that do not use it and one
        route more still share no root: a shortest route whose blockers are
        none of the others'.  Cheaper than :meth:`pack` again (one search, no
        flow), and sound the same way; False says only that this search
        found none."""
        others = [r for r in routes if all(s.element != element for s in r.steps)]
        if len(others) == len(routes):
            return True  # no route uses it
        if len(others) < len(routes) - 1:
            # Routes share an element between holders nobody can corrupt (a
            # trusted hub's flow to a trusted verifier, found by
            # tests/test_packing.py): one search replaces one route only.
            return False
        used: set[str] = set()
        through: Counter[str] = Counter()
        for route in others:
            got = self._laid.get(route)
            if got is None:  # not laid out by this packer: every holder's roots
                used |= {root for step in route.steps for root in self._root(step.holder)}
                continue
            used |= got.blockers
            if got.gate is not None:
                through[got.gate] += 1
        for g in through:
            used |= self.gates[g][1]
        if self._every_out is None:
            self._every_out = self._out_rules(frozenset())

        def fits(e: _End) -> bool:
            if e.last is not None and e.last.element == element:
                return False
            if e.gate is None:
                return True
            fewest, voters = self.gates[e.gate]
            return fewest is None or (through[e.gate] < fewest and (e.gate in through or not voters & used))

        laid = _lay_out_blocked(self._every_out, self.ends, lambda r: r.element != element, fits, frozenset(used))
        if laid is None:
            return False
        _, blockers, end = laid
        # A vote newly taken: its voters on no route, this one's included.
        return end.gate is None or end.gate in through or not self.gates[end.gate][1] & blockers

    def _root(self, holder: str) -> frozenset[str]:
        """The roots of a holder a colluder could corrupt; none for another."""
        if holder not in self.corruptible:
            return frozenset()
        if holder not in self._root_of:
            self._root_of[holder] = _roots(self.regime, holder)
        return self._root_of[holder]


#: How many times :func:`packing` takes the flow again without the holders
#: whose routes shared a root with another's.
_PACKING_ROUNDS = 4


def _through(holders: set[str]) -> Callable[[Rule], bool]:
    """Admits a rule into one of ``holders``."""
    return lambda r: r.dst[0] in holders


def _by_vote(vote: str | None) -> Callable[[_End], bool]:
    """Fits an end through ``vote`` (None: through no vote)."""
    return lambda e: e.gate == vote


def _lay_out_blocked(out_rules: dict[State, list[tuple[Rule, frozenset[str]]]],
                     ends: dict[State, list[_End]], admits: Callable[[Rule], bool],
                     fits: Callable[[_End], bool] | None = None,
                     avoid: frozenset[str] = frozenset()) -> tuple[Route, frozenset[str], _End] | None:
    """A shortest route by rules that ``admits`` to an end that ``fits``,
    needing none of the roots in ``avoid`` honest: the route, the roots
    that can block it, and its end."""
    prev: dict[State, tuple[Rule, frozenset[str]] | None] = {START: None}
    queue = deque([START])
    while queue:
        s = queue.popleft()
        if s != START:
            for end in ends.get(s, ()):
                if (fits is None or fits(end)) and not end.need & avoid:
                    blockers = set(end.need)
                    chain: list[Rule] = []
                    while (step := prev[s]) is not None:
                        chain.append(step[0])
                        blockers |= step[1]
                        s = step[0].src
                    chain.reverse()
                    if end.last is not None:
                        chain.append(end.last)
                    return _route(chain), frozenset(blockers), end
        for r, need in out_rules.get(s, ()):
            if r.dst not in prev and admits(r) and not need & avoid:
                prev[r.dst] = (r, need)
                queue.append(r.dst)
    return None


def _one_state_per_holder(graph: RuleGraph) -> bool:
    """Whether merging each holder's states into one node adds no route.

    The cut below is taken over holders, not states.  A holder may hold
    evidence in several states (grades, origins).  Merged, its states
    share their ways on, so a route could enter in one state and leave by a
    way only another state has: direct evidence walking on to a verifier
    that finds on sealed evidence only, or counted as found at a verifier
    where only its sealed evidence counts (found by the random agreement
    test, tests/test_agreement_exact.py).  The merge is faithful when every
    state of a holder leads to the same holders and is a verifier's target
    alike: then each step of a merged route can be taken from whichever
    state the route arrived in.
    """
    targets = {t.state for t in graph.targets}
    ways: defaultdict[State, set[str]] = defaultdict(set)
    for r in graph.rules:
        ways[r.src].add(r.dst[0])
    # Every state, the ones that lead nowhere included (no set made for
    # each rule's target: a tenth of a 1,000-actor cut).
    none: frozenset[str] = frozenset()
    seen: dict[str, tuple[frozenset[str], bool]] = {}
    for state in ways.keys() | {r.dst for r in graph.rules}:
        if state == START:
            continue
        onward = ways.get(state)
        mark = (none if onward is None else frozenset(onward), state in targets)
        if seen.setdefault(state[0], mark) != mark:
            return False
    return True


@dataclass(frozen=True)
class Cut:
    """The smallest evasion of a pure graph, as max-flow answers it.

    ``size``: how many colluders (``-1``: no finite cut, nobody can evade);
    ``chosen``: the cheapest colluders that make the cut; ``routes``: as
    many merged-disjoint routes as the cut is large (Menger's theorem), so
    a reader can check by hand that no fewer colluders would do -- empty if
    they could not be laid out as rules.
    """

    size: int
    chosen: tuple[str, ...]
    routes: tuple[Route, ...] = ()


def exact_min_evasion(regime: Regime, graph: RuleGraph) -> tuple[int, tuple[str, ...]] | None:
    """The minimum evasion (size, chosen colluders) when max-flow answers it
    exactly, else None.  Size ``-1`` means no finite cut: nobody can evade."""
    cut = min_cut(regime, graph, routes=False)
    return None if cut is None else (cut.size, cut.chosen)


@gc_paused
def min_cut(regime: Regime, graph: RuleGraph, routes: bool = True, routes_above: int = -1) -> Cut | None:
    """The minimum evasion with its disjoint routes (unless ``routes`` is
    False, or the cut is no larger than ``routes_above``: a caller that
    wants them only as a proof that more than k colluders are needed) when
    max-flow answers it exactly, else None.

    Exact only when every rule asks honesty of nobody but the holders it
    links (no access holders, no relays: a path through those could leave a
    node that never held the evidence), no two holders share a controller,
    and each holder's states may be merged (``_one_state_per_holder``).
    Then routes are paths through holders, each colluder removes one
    holder, and Menger's theorem makes the minimum vertex cut the answer.
    """
    if not is_pure(graph) or not _one_state_per_holder(graph):
        return None
    # Holders in the order the rules name them, so that which of several
    # minimum cuts is found does not depend on hash order; and the links
    # between them, each once, in the same pass (two passes and a set per
    # rule were most of a 1,000-actor cut).
    holders: dict[str, int] = {}
    links: dict[tuple[int, int], None] = {}
    for r in graph.rules:
        d = r.dst[0]
        if r.src != START:
            s = r.src[0]
            for h in r.guard.honest:
                if h != s and h != d:
                    return None
            i = holders.get(s)
            if i is None:
                i = holders[s] = len(holders)
            u = 3 + 2 * i
        else:
            for h in r.guard.honest:
                if h != d:
                    return None
            u = _S
        j = holders.get(d)
        if j is None:
            j = holders[d] = len(holders)
        links[(u, 2 + 2 * j)] = None
    for t in graph.targets:
        if not t.guard.honest <= {t.state[0]}:
            return None
    if any(h not in regime.actor for h in holders):
        return None  # a body passes evidence on only when its vote passes
    owner: dict[str, str] = {}
    for a in holders:
        for root in _roots(regime, a):
            if owner.setdefault(root, a) != a:
                return None  # two holders under one controller
    pool = set(graph.candidates)
    cheapest = {a: next((u for u in (a, *sorted(regime.controllers[a])) if u in pool), None)
                for a in holders}

    net = _Network(len(holders), [cheapest[a] is not None for a in holders])
    for t in graph.targets:
        i = holders.get(t.state[0])
        if i is not None:
            links[(3 + 2 * i, _T)] = None
    for edge in links:
        net.link(*edge)
    value = net.max_flow()
    if value > len(holders):  # a route of uncuttable holders only
        return Cut(-1, ())
    reach = net.reachable()
    names = list(holders)
    order = {a.id: i for i, a in enumerate(regime.actors)}
    cut = [a for a, i in holders.items() if reach[2 + 2 * i] and not reach[3 + 2 * i]]
    # Every cut holder has a cheapest colluder: uncuttable ones carry infinite capacity.
    chosen = tuple(sorted((c for a in cut if (c := cheapest[a]) is not None), key=order.__getitem__))
    if not routes or value <= routes_above:
        return Cut(value, chosen)
    out_rules: dict[State, list[Rule]] = {}
    for r in graph.rules:
        out_rules.setdefault(r.src, []).append(r)
    targets = {t.state for t in graph.targets}
    laid = [_lay_out(out_rules, targets, {names[i] for i in path}) for path in net.paths()]
    menger = tuple(r for r in laid if r is not None)
    return Cut(value, chosen, menger if len(menger) == value else ())


_S, _T = 0, 1


class _Network:
    """A flow network for unit vertex capacities: node 0 the source, 1 the
    sink, holder ``i`` split into ``2 + 2i`` (in) and ``3 + 2i`` (out).

    Dinic's algorithm on integer arrays: a handful of breadth-first phases
    on these graphs, where networkx's general residual network cost more
    than the rest of a 10,000-actor check.  An uncuttable holder and every
    link carry ``big`` (more than all unit capacities together), so a flow
    above the number of holders means no finite cut.
    """

    def __init__(self, n: int, cuttable: list[bool], capacity: dict[int, int] | None = None):
        self.n = 2 + 2 * n
        self.big = n + 1 + sum((capacity or {}).values())
        self.to: list[int] = []
        self.cap: list[int] = []
        self.out: list[list[int]] = [[] for _ in range(self.n)]
        for i, c in enumerate(cuttable):
            cap = (capacity or {}).get(i)
            self._edge(2 + 2 * i, 3 + 2 * i, cap if cap is not None else 1 if c else self.big)

    def _edge(self, u: int, v: int, c: int) -> None:
        # Edge e and its residual twin e ^ 1.
        self.out[u].append(len(self.to))
        self.to.append(v)
        self.cap.append(c)
        self.out[v].append(len(self.to))
        self.to.append(u)
        self.cap.append(0)

    def link(self, u: int, v: int) -> None:
        self._edge(u, v, self.big)

    def linker(self) -> Callable[[int, int], None]:
        """:meth:`link`, each edge once."""
        seen: set[tuple[int, int]] = set()

        def link(u: int, v: int) -> None:
            if (u, v) not in seen:
                seen.add((u, v))
                self._edge(u, v, self.big)
        return link

    def _levels(self) -> list[int]:
        level = [-1] * self.n
        level[_S] = 0
        queue = deque([_S])
        to, cap, out = self.to, self.cap, self.out
        while queue:
            u = queue.popleft()
            for e in out[u]:
                if cap[e] > 0 and level[to[e]] < 0:
                    level[to[e]] = level[u] + 1
                    queue.append(to[e])
        return level

    def max_flow(self) -> int:
        to, cap, out = self.to, self.cap, self.out
        flow = 0
        while flow <= self.big - 1:
            level = self._levels()
            if level[_T] < 0:
                break
            nxt = [0] * self.n
            while flow <= self.big - 1:
                # One augmenting path in the level graph, depth first.
                path: list[int] = []
                u = _S
                while u != _T:
                    edges = out[u]
                    while nxt[u] < len(edges):
                        e = edges[nxt[u]]
                        if cap[e] > 0 and level[to[e]] == level[u] + 1:
                            break
                        nxt[u] += 1
                    else:
                        if not path:
                            break
                        level[u] = -1  # a dead end for the rest of this phase
                        e = path.pop()
                        u = to[e ^ 1]
                        nxt[u] += 1
                        continue
                    path.append(e)
                    u = to[e]
                if u != _T:
                    break
                push = min(cap[e] for e in path)
                for e in path:
                    cap[e] -= push
                    cap[e ^ 1] += push
                flow += push
        return flow

    def reachable(self) -> list[bool]:
        return [x >= 0 for x in self._levels()]

    def paths(self) -> list[list[int]]:
        """The flow as source-to-sink paths of holder indices (one unit
        each; cycles the flow may hold are skipped)."""
        to, cap, out = self.to, self.cap, self.out
        # Flow on a forward edge e is its twin's residual capacity.
        left = {e: cap[e ^ 1] for u in range(self.n) for e in out[u] if e % 2 == 0 and cap[e ^ 1] > 0}
        found: list[list[int]] = []
        while True:
            trail = [_S]
            where = {_S: 0}
            used: list[int] = []
            u = _S
            while u != _T:
                e = next((e for e in out[u] if left.get(e, 0) > 0), None)
                if e is None:
                    return found
                v = to[e]
                if v in where:  # a cycle: take its unit off and drop it from the trail
                    k = where[v]
                    for f in (*used[k:], e):
                        left[f] -= 1
                    for x in trail[k + 1:]:
                        del where[x]
                    del trail[k + 1:]
                    del used[k:]
                    u = v
                    continue
                used.append(e)
                trail.append(v)
                where[v] = len(trail) - 1
                u = v
            for e in used:
                left[e] -= 1
            found.append([(x - 2) // 2 for x in trail if x >= 2 and x % 2 == 0])


def _lay_out(out_rules: dict[State, list[Rule]], targets: set[State], holders: set[str]) -> Route | None:
    """A route through ``holders`` only, as rules (``out_rules``: the rules
    leaving each state)."""
    prev: dict[State, Rule | None] = {START: None}
    queue = deque([START])
    while queue:
        s = queue.popleft()
        if s in targets and s != START:
            chain: list[Rule] = []
            while (step := prev[s]) is not None:
                chain.append(step)
                s = step.src
            return _route(chain[::-1])
        for r in out_rules.get(s, ()):
            if r.dst not in prev and r.dst[0] in holders:
                prev[r.dst] = r
                queue.append(r.dst)
    return None
