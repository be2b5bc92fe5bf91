"""The evidence rules of one scenario family, as data (no z3 here).

For a violation ``v`` and perpetrator ``p`` the semantics (docs/semantics.md
section 3) become a graph of *states* -- ``(holder, grade)`` with grade ``S``
(a sealed item is present, even at a coalition member), ``D`` (an honest
holder has authored direct evidence) or ``I`` (an honest holder has indirect
evidence) -- and *rules*: "if the source state holds, the guard is true of the
coalition and failures, and the source was reached by ``limit``, then the
target state holds ``delay`` later".  Every rule has at most one source state,
which is what makes both the fixed-point evaluation and the z3 encoding
linear in the size of the regime.

The guards mention coalition membership of actors, failures of elements, and
votes; what is already decided for this perpetrator (its closure is always in
the coalition) is folded in here, so the encoder sees only real choices.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum

from verify.gcpause import gc_paused
from verify.model import HOST, PERPETRATOR, REQUESTER, Flow, Regime, Trace, Verifier
from verify.results import Grade, Reason, Unseen

__all__ = [
    "State",
    "START",
    "Guard",
    "Rule",
    "RuleKind",
    "Target",
    "RuleGraph",
    "compile_rules",
    "without",
    "coalition_of",
    "recused",
    "counted_groups",
    "vote_key",
    "vote_rule_of",
    "accepted_grades",
    "independent_sets",
    "may_be_corrupt",
    "reached",
]

SEALED, DIRECT, INDIRECT = Grade.SEALED, Grade.DIRECT, Grade.INDIRECT

#: (holder id, Grade, origin): the origin is the mechanism the evidence comes
#: from when the regime tells evidence apart by it (:attr:`Regime.by_origin`,
#: or attribution), else "".  START's grade is "start".
State = tuple[str, str, str]
#: The pseudo-state every standing mechanism starts from, at time 0.
START: State = ("", "start", "")


@dataclass(frozen=True)
class Guard:
    """A conjunction over the scenario.

    ``honest``: actors that must be outside the coalition; ``corrupt``: actors
    that must be in it; ``any_corrupt``: at least one of these is in it;
    ``working``: elements that must not have failed; ``passes``: votes that
    must pass, each a :func:`vote_key` (a body's own rule or a named
    decision, and for a decision that recuses the requester, whose request).
    """

    honest: frozenset[str] = frozenset()
    corrupt: frozenset[str] = frozenset()
    any_corrupt: frozenset[str] | None = None
    working: frozenset[str] = frozenset()
    passes: frozenset[str] = frozenset()

    def __and__(self, other: Guard) -> Guard:
        if self.any_corrupt is not None and other.any_corrupt is not None:
            raise ValueError("a guard holds at most one disjunction")
        return Guard(
            self.honest | other.honest,
            self.corrupt | other.corrupt,
            self.any_corrupt if self.any_corrupt is not None else other.any_corrupt,
            self.working | other.working,
            self.passes | other.passes,
        )

    def actors(self) -> frozenset[str]:
        return self.honest | self.corrupt | (self.any_corrupt or frozenset())


TRUE = Guard()


class RuleKind(str, Enum):
    #: A mechanism sees the violation (sealed or direct evidence at its operator).
    OBSERVE = "observe"
    #: A mandatory mechanism is refused access: indirect evidence at its operator.
    REFUSE = "refuse"
    #: A flow carries what its sender holds.
    PASS = "pass"
    #: A coalition sender withholds a sealed item on a mandatory flow: noticed.
    WITHHOLD = "withhold"
    #: A coalition relay drops what it cannot alter on a mandatory flow: noticed.
    RELAY_DROP = "relay-drop"


@dataclass(frozen=True)
class Rule:
    src: State
    dst: State
    delay: int
    guard: Guard
    #: The source must hold by this time (a trace that stops persisting).
    limit: int | None
    kind: RuleKind
    #: The mechanism or flow it belongs to.
    element: str


def _rule(src: State, dst: State, delay: int, guard: Guard, limit: int | None, kind: RuleKind,
          element: str) -> Rule:
    """``Rule(...)`` without the frozen dataclass's ``__init__``, whose seven
    ``object.__setattr__`` calls were a third of compiling the rules
    (100,000 of them at 10,000 actors); the same object, field for field."""
    r = _new(Rule)
    d = r.__dict__
    d["src"] = src
    d["dst"] = dst
    d["delay"] = delay
    d["guard"] = guard
    d["limit"] = limit
    d["kind"] = kind
    d["element"] = element
    return r


def _guard(honest: frozenset[str], corrupt: frozenset[str], any_corrupt: frozenset[str] | None,
           working: frozenset[str], passes: frozenset[str]) -> Guard:
    """``Guard(...)`` the same way as :func:`_rule`, for the flows' guards."""
    g = _new(Guard)
    d = g.__dict__
    d["honest"] = honest
    d["corrupt"] = corrupt
    d["any_corrupt"] = any_corrupt
    d["working"] = working
    d["passes"] = passes
    return g


_new = object.__new__
_NONE: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Target:
    """A verifier state that counts as detection, and when it counts.

    ``also``: for a finding rule that needs several independent sources,
    the other sources, each a set of states any one of which will do: the
    target counts only once ``state`` and one state of every set hold."""

    state: State
    guard: Guard
    also: tuple[frozenset[State], ...] = ()


@dataclass(frozen=True)
class RuleGraph:
    violation: str
    perpetrator: str
    #: Actors always in the coalition: the perpetrator and what it controls.
    base: frozenset[str]
    #: Actors that may be chosen as colluders.
    candidates: tuple[str, ...]
    rules: tuple[Rule, ...]
    targets: tuple[Target, ...]
    #: Every vote key the rules use, with its recused members for this
    #: perpetrator (and requester).
    recusals: dict[str, frozenset[str]] = field(hash=False, compare=False)
    #: Mechanisms that cannot see the violation, and why (for explanations).
    blind: dict[str, Unseen] = field(hash=False, compare=False)
    #: Mechanisms needing access whose every visible trace a warned host can
    #: hide within the notice, with the longest concealment it needs: no
    #: refusal is ever needed, so none is noticed.
    concealable: dict[str, int] = field(hash=False, compare=False)
    direct_only: bool = False
    #: Every rule kept (compile_rules(fold=False)): what explanations walk,
    #: so that a route the perpetrator's own side blocks can be shown.
    unfolded: bool = False
    #: Elements whose rules folding keeps even if they lead to no verifier,
    #: with what leads to them: the event a clock starts at.
    keep: frozenset[str] = frozenset()
    #: Only evidence from mechanisms that attribute counts (attribution).
    attributing: bool = False

    @property
    def conjunctive(self) -> bool:
        """Some target needs several sources at once: the analyses that
        cut one route at a time (certificates, chance) do not apply."""
        return any(t.also for t in self.targets)


def vote_key(regime: Regime, rule: str, requester: str | None) -> str:
    """The key of a vote under ``rule`` (a body's id for its own rule, or a
    decision's id) on a request from ``requester``: the rule alone, unless
    the rule recuses the requester, whose vote then differs by request.
    ``@`` is in no id, so a key is never an id it was not built from."""
    if requester is not None and requester in regime.actor and REQUESTER in regime.vote_rule[rule].recused:
        return f"{rule}@{requester}"
    return rule


def vote_rule_of(key: str) -> tuple[str, str | None]:
    """(rule id, requester or None) of a :func:`vote_key`."""
    rule, _, requester = key.partition("@")
    return rule, requester or None


def recused(regime: Regime, key: str, perpetrator: str) -> frozenset[str]:
    """Who may not vote in a vote, for this perpetrator."""
    rule, requester = vote_rule_of(key)
    out: set[str] = set()
    for r in regime.vote_rule[rule].recused:
        if r == PERPETRATOR:
            out |= regime.closure(perpetrator) | regime.controllers[perpetrator]
        elif r == REQUESTER:
            if requester is not None:
                out.add(requester)
        else:
            out.add(r)
    return frozenset(out)


def _honest(actors: Iterable[str]) -> Guard:
    a = frozenset(actors)
    return Guard(honest=a, working=a)


@gc_paused
def compile_rules(regime: Regime, violation: str, perpetrator: str,
                  direct_only: bool = False, fold: bool = True, keep: Iterable[str] = (),
                  attributing: bool = False) -> RuleGraph:
    """All rules of the scenarios of (violation, perpetrator).

    With ``fold`` (what the solver wants) rules that can never fire or never
    matter are dropped; without it (what an explanation wants) every route is
    kept, so that one blocked by the perpetrator's own side can be shown.
    The rules of the elements in ``keep`` matter even when they lead to no
    verifier (a clock starts when one of them fires).  With ``attributing``
    only evidence from mechanisms that attribute counts at a verifier.
    """
    v = regime.violation[violation]
    tagged = regime.by_origin or attributing
    # Where each mechanism's evidence can go at all (flows that forward it),
    # whatever the scenario: a flow gets a rule per origin only where its
    # sender is among them, which keeps tagging linear in practice.
    reach = _reach(regime) if tagged else {}
    asset = regime.asset[v.at]
    body_ids = set(regime.body)
    decisions = regime.decision
    rules: list[Rule] = []
    # Every vote key a rule's guard names, gathered as the guards are made:
    # a pass over 100,000 rules' guards afterwards was 5 % of compiling.
    keys: set[str] = set()
    blind: dict[str, Unseen] = {}
    concealable: dict[str, int] = {}

    for m in regime.mechanisms:
        if m.at is not None and v.at not in m.at:
            blind[m.id] = Unseen(m.id, Reason.NOT_COVERED, (v.at,))
            continue
        if m.detection_probability.low <= 0:
            blind[m.id] = Unseen(m.id, Reason.ZERO_PROBABILITY)
            continue
        seen_at_all = []
        for t in v.traces:
            thr = m.threshold(t.signature)
            if thr is None or t.magnitude < thr:
                continue
            seen_at_all.append(t)
        if not seen_at_all:
            observed = [o.signature for o in m.observes]
            traces = {t.signature: t.magnitude for t in v.traces}
            common = [s for s in observed if s in traces]
            blind[m.id] = (Unseen(m.id, Reason.BELOW_THRESHOLD, tuple(common)) if common
                           else Unseen(m.id, Reason.NOT_OBSERVED, tuple(observed)))
            continue
        # A mechanism a decision triggers starts once the decision is taken.
        trigger_rule = decisions.get(m.triggered_by or "")
        base_time = m.notice + m.period + (0 if trigger_rule is None else trigger_rule.latency)
        # The latest trigger time at which each trace is still seen.
        lim: dict[int, int | None] = {
            id(t): None if t.persists is None else t.persists - base_time for t in seen_at_all}
        if m.triggered_by is None:
            seen = [t for t in seen_at_all if (x := lim[id(t)]) is None or x >= 0]
            if not seen:
                blind[m.id] = Unseen(m.id, Reason.FADED, tuple(t.signature for t in seen_at_all))
                continue
            sources = [(START, TRUE)]
        else:
            seen = seen_at_all
            trig = m.triggered_by
            if trig in decisions:
                # Once the body holds evidence and this decision passes.
                d = decisions[trig]
                g = Guard(working=frozenset({d.body}), passes=frozenset({vote_key(regime, trig, None)}))
                trig = d.body
            else:
                g = TRUE if trig in body_ids else _honest([trig])
            froms = [x for x, holders in reach.items() if trig in holders] if tagged else [""]
            sources = [((trig, grade, x), g) for x in froms for grade in (SEALED, DIRECT, INDIRECT)]

        def latest(traces: list[Trace], lim: dict[int, int | None] = lim,
                   standing: bool = m.triggered_by is None) -> int | None:
            limits = [lim[id(t)] for t in traces]
            if standing:
                return None
            finite = [x for x in limits if x is not None]
            return max(finite) if len(finite) == len(limits) else None

        access = frozenset(asset.host if a == HOST else a for a in m.requires_access)
        delay = base_time + m.latency
        o = m.id if tagged else ""
        op = m.operator
        run = Guard(working=frozenset({m.id, op}))
        # What a warned host cannot hide in time: only these make a refusal
        # necessary, and so noticeable.
        hidden = [t for t in seen if t.conceal is None or m.notice < t.conceal]
        if access and not hidden:
            concealable[m.id] = max(t.conceal or 0 for t in seen)
        for src, g in sources:
            keys |= g.passes
            observe = g & run & _honest(access)
            if m.tamper_evident:
                rules.append(Rule(src, (op, SEALED, o), delay, observe, latest(seen), RuleKind.OBSERVE, m.id))
            else:
                rules.append(Rule(src, (op, DIRECT, o), delay, observe & Guard(honest=frozenset({op})),
                                  latest(seen), RuleKind.OBSERVE, m.id))
            if m.mandatory and access and hidden:
                refuse = g & run & _honest([op]) & Guard(any_corrupt=access)
                rules.append(Rule(src, (op, INDIRECT, o), delay, refuse, latest(hidden), RuleKind.REFUSE, m.id))

    # The grades evidence can ever have: what the mechanisms bring, and
    # indirect evidence once a mandatory flow can notice a drop.  A flow's
    # rule from any other grade could never fire in any scenario (a third
    # of a pure graph's rules, where nothing is ever indirect): it is not
    # made, as folding would drop it, and no walk from the start meets it.
    carried = {r.dst[1] for r in rules}
    if any(f.mandatory for f in regime.flows):
        carried.add(INDIRECT)
    has_s, has_d, has_i = SEALED in carried, DIRECT in carried, INDIRECT in carried

    # Guards are built directly rather than with `&`: at 10,000 actors this
    # loop is the hot path of every check.
    rules_of_votes = regime.vote_rule
    passing = RuleKind.PASS  # an enum member looked up once, not three times a flow
    for f in regime.flows:
        s, r = f.source, f.target
        if f.via:
            # A gate is a body (its own rule) or a named decision of one.
            gate_rules = [x for x in f.via if x in rules_of_votes]
            relays = frozenset(x for x in f.via if x not in body_ids and x not in decisions)
            delay = f.period + f.latency + sum(rules_of_votes[x].latency for x in gate_rules)
            gate_bodies = {rules_of_votes[x].body for x in gate_rules}
            working = frozenset({f.id, r, *relays, *gate_bodies})
            gates = frozenset(vote_key(regime, x, s) for x in gate_rules)
        else:  # nearly every flow: none of the generators above
            relays, gates = _NONE, _NONE
            delay = f.period + f.latency
            working = frozenset((f.id, r))
        s_is_body, r_is_body = s in body_ids, r in body_ids
        if r_is_body:
            rule = f.decision or r
            delay += rules_of_votes[rule].latency
            passes = gates | {vote_key(regime, rule, s)}
            recv: frozenset[str] = frozenset()
        else:
            passes = gates
            recv = frozenset({r})
        send = frozenset() if s_is_body else frozenset({s})
        sealed = _guard(relays | send, _NONE, None, working, passes)
        authored = _guard(relays | recv, _NONE, None, working, passes)
        origins = ([x for x, holders in reach.items() if s in holders and f.forwards_evidence_of(regime.mechanism[x])]
                   if tagged else [""])
        if f.mandatory:  # what a noticed drop needs, built only when one can be noticed
            withheld = _guard(recv, send, None, working, passes)
            dropped = _guard(recv | send, _NONE, relays, working, passes)
            altered = _guard(recv, _NONE, relays, working, passes)
        if origins:
            keys |= passes
        for o in origins:
            if has_s:
                rules.append(_rule((s, SEALED, o), (r, SEALED, o), delay, sealed, None, passing, f.id))
            if has_d:
                rules.append(_rule((s, DIRECT, o), (r, DIRECT, o), delay, authored, None, passing, f.id))
            if has_i:
                rules.append(_rule((s, INDIRECT, o), (r, INDIRECT, o), delay, authored, None, passing, f.id))
            if not f.mandatory:
                continue
            if not s_is_body and has_s:
                rules.append(_rule((s, SEALED, o), (r, INDIRECT, o), delay, withheld, None, RuleKind.WITHHOLD, f.id))
            if relays:
                if has_s:
                    rules.append(_rule((s, SEALED, o), (r, INDIRECT, o), delay, dropped, None,
                                       RuleKind.RELAY_DROP, f.id))
                if f.authenticated:
                    for grade in (DIRECT, INDIRECT):
                        if grade in carried:
                            rules.append(_rule((s, grade, o), (r, INDIRECT, o), delay, altered, None,
                                               RuleKind.RELAY_DROP, f.id))

    targets: list[Target] = []
    for ver in regime.verifiers:
        h = ver.id
        g = TRUE if h in body_ids else _honest([h])
        grades = accepted_grades(ver, direct_only)
        if not tagged:
            targets.extend(Target((h, grade, ""), g) for grade in grades)
            continue
        counted = [m for m in regime.mechanisms if m.id in reach and h in reach[m.id] and ver.counts(m)
                   and (m.attributes or not attributing)]
        slots: dict[str, list[State]] = {}
        for m in counted:
            slots.setdefault(m.operator, []).extend((h, grade, m.id) for grade in grades)
        for combo in independent_sets(regime, list(slots), ver.independent):
            also = tuple(frozenset(slots[op]) for op in combo[1:])
            targets.extend(Target(state, g, also) for state in slots[combo[0]])

    base = regime.closure(perpetrator)
    candidates = tuple(a for a in regime.pool() if a not in base)
    graph = RuleGraph(violation, perpetrator, base, candidates, tuple(rules), tuple(targets),
                      {k: recused(regime, k, perpetrator) for k in sorted(keys)}, blind, concealable,
                      direct_only, keep=frozenset(keep), attributing=attributing)
    return _fold(regime, graph) if fold else replace(graph, unfolded=True)


def accepted_grades(verifier: Verifier, direct_only: bool = False) -> tuple[Grade, ...]:
    """The grades a verifier's finding rule accepts, within a property's
    own demand for direct evidence."""
    if verifier.finding == "sealed":
        return (SEALED,)
    if direct_only or verifier.finding == "direct":
        return (SEALED, DIRECT)
    return (SEALED, DIRECT, INDIRECT)


def independent_sets(regime: Regime, operators: list[str], n: int) -> list[tuple[str, ...]]:
    """Every set of ``n`` pairwise independent operators (different, neither
    controlling the other), in the order given."""
    if n <= 1:
        return [(op,) for op in operators]
    out: list[tuple[str, ...]] = []

    def extend(chosen: tuple[str, ...], start: int) -> None:
        if len(chosen) == n:
            out.append(chosen)
            return
        for i in range(start, len(operators)):
            op = operators[i]
            if all(regime.independent(op, c) for c in chosen):
                extend((*chosen, op), i + 1)

    extend((), 0)
    return out


def _reach(regime: Regime) -> dict[str, frozenset[str]]:
    """For each mechanism, the holders its evidence can reach: its operator
    and whoever flows that forward it lead to, whatever the scenario."""
    out_flows: dict[str, list[Flow]] = {}
    for f in regime.flows:
        out_flows.setdefault(f.source, []).append(f)
    out: dict[str, frozenset[str]] = {}
    for m in regime.mechanisms:
        seen = {m.operator}
        stack = [m.operator]
        while stack:
            for f in out_flows.get(stack.pop(), ()):
                if f.target not in seen and f.forwards_evidence_of(m):
                    seen.add(f.target)
                    stack.append(f.target)
        out[m.id] = frozenset(seen)
    return out


@gc_paused
def folded(regime: Regime, graph: RuleGraph) -> RuleGraph:
    """``graph`` (from ``compile_rules(..., fold=False)``) folded: what
    ``compile_rules`` returns by default.  For a caller that wants both, an
    explanation walking the unfolded rules as well, for one compile."""
    if not graph.unfolded:
        raise ValueError("folded() takes compile_rules(..., fold=False)")
    return _fold(regime, graph)


def without(regime: Regime, graph: RuleGraph, elements: Iterable[str]) -> RuleGraph:
    """The rule graph with the rules of some mechanisms and flows removed,
    folded again (what only they reached no longer matters)."""
    gone = set(elements)
    return _fold(regime, replace(graph, rules=tuple(r for r in graph.rules if r.element not in gone)))


def coalition_of(regime: Regime, graph: RuleGraph, chosen: Iterable[str]) -> frozenset[str]:
    """The coalition: the perpetrator's closure and each chosen colluder's."""
    out = set(graph.base)
    for c in chosen:
        out |= regime.closure(c)
    return frozenset(out)


def counted_groups(regime: Regime, graph: RuleGraph,
                   candidates: Iterable[str] | None = None) -> tuple[tuple[str, ...], ...]:
    """Candidate colluders the rules cannot tell apart, which the solver may
    count rather than choose one by one.

    A candidate qualifies when it only ever votes: no guard names it, it
    controls nobody and nobody controls it.  Two such candidates are
    interchangeable when they vote (are members and not recused) in exactly
    the same bodies that some rule's vote consults: swapping them changes no
    rule, so which of them collude cannot matter, only how many.  That is
    what turns a 41-member council blocking at 31 from a pigeonhole search
    into linear arithmetic.  Groups of two or more, members in candidate
    order.
    """
    if not graph.recusals:
        # No rule consults a vote (every key a guard names is a key here):
        # nobody only votes, and no pass over the rules is needed.
        return ()
    named: set[str] = set()
    bodies: set[str] = set()
    for g in [r.guard for r in graph.rules] + [t.guard for t in graph.targets]:
        named |= g.actors()
        bodies |= g.passes
    votes_in: dict[str, list[str]] = {}
    for key in sorted(bodies):
        recused = graph.recusals[key]
        for m in regime.body[regime.vote_rule[vote_rule_of(key)[0]].body].members:
            if m not in recused:
                votes_in.setdefault(m, []).append(key)
    by_sig: dict[tuple[str, ...], list[str]] = {}
    for c in graph.candidates if candidates is None else candidates:
        if c in named or c not in votes_in or regime.actor[c].controlled_by or regime.controlled[c]:
            continue
        by_sig.setdefault(tuple(votes_in[c]), []).append(c)
    return tuple(tuple(g) for g in by_sig.values() if len(g) > 1)


def _fold(regime: Regime, graph: RuleGraph) -> RuleGraph:
    """Drop rules that can never fire or never matter.

    A rule whose guard needs an always-corrupt actor to be honest never fires;
    a rule whose source is unreachable from START, or whose target reaches no
    verifier, never matters.  Neither changes any verdict, and dropping them is
    what keeps large regimes cheap.
    """
    base = graph.base
    may_corrupt = may_be_corrupt(regime, base, graph.candidates)

    # (isdisjoint rather than `&`: no set is built for the answer, and this
    # runs for every rule of a 100,000-actor regime.)
    def possible(g: Guard) -> bool:
        if not base.isdisjoint(g.honest):
            return False
        if not g.corrupt <= may_corrupt:
            return False
        if g.any_corrupt is not None and may_corrupt.isdisjoint(g.any_corrupt):
            return False
        return True

    def simplify(g: Guard) -> Guard:
        # Literals already decided drop out; the decided part of a disjunction
        # either settles it (an always-corrupt actor) or can be ignored.
        if base.isdisjoint(g.corrupt) and base.isdisjoint(g.working) and (
                g.any_corrupt is None or (g.any_corrupt <= may_corrupt and base.isdisjoint(g.any_corrupt))):
            return g  # nothing to fold: keep the object
        any_c = g.any_corrupt
        if any_c is not None:
            any_c = None if any_c & base else any_c & may_corrupt
        # The coalition never fails (failures are honest), so `working` of a
        # base actor is true.
        return Guard(g.honest, g.corrupt - base, any_c, g.working - base, g.passes)

    rules = []
    for r in graph.rules:
        g = r.guard
        if not base.isdisjoint(g.honest):
            continue
        if g.corrupt or g.any_corrupt is not None:
            if not possible(g):
                continue
        elif base.isdisjoint(g.working):
            # Nearly every guard: possible, and nothing to fold (what
            # possible() and simplify() would say, without their calls).
            rules.append(r)
            continue
        s = simplify(g)
        rules.append(r if s is g else _rule(r.src, r.dst, r.delay, s, r.limit, r.kind, r.element))
    targets = [Target(t.state, simplify(t.guard), t.also) for t in graph.targets if possible(t.guard)]

    # defaultdict rather than setdefault: no empty list made per rule.
    forward: defaultdict[State, list[State]] = defaultdict(list)
    backward: defaultdict[State, list[State]] = defaultdict(list)
    for r in rules:
        forward[r.src].append(r.dst)
        backward[r.dst].append(r.src)
    reach = reached([START], forward)
    kept = []
    for t in targets:
        also = tuple(slot & reach for slot in t.also)
        if t.state in reach and all(also):
            kept.append(t if also == t.also else Target(t.state, t.guard, also))
    targets = kept
    keep = graph.keep
    useful = reached({t.state for t in targets} | {s for t in targets for slot in t.also for s in slot}
                     | ({r.src for r in rules if r.element in keep} if keep else set()), backward)
    rules = [r for r in rules if r.src in reach and (r.dst in useful or r.element in keep)]
    return RuleGraph(graph.violation, graph.perpetrator, base, graph.candidates, tuple(rules),
                     tuple(targets), graph.recusals, graph.blind, graph.concealable, graph.direct_only,
                     keep=graph.keep, attributing=graph.attributing)


def may_be_corrupt(regime: Regime, base: frozenset[str], candidates: tuple[str, ...]) -> frozenset[str]:
    """The base and every candidate's closure: whoever some coalition holds."""
    out = set(base)
    out.update(candidates)
    # Only a candidate that controls someone adds more than itself: asking
    # each of 10,000 for its closure was a tenth of a check (issue 14).
    controlling = regime.controlling
    for c in candidates:
        if c in controlling:
            out |= regime.controlled[c]
    return frozenset(out)


def reached(starts: Iterable[State], edges: Mapping[State, list[State]]) -> set[State]:
    """Every state reachable from ``starts`` along ``edges`` (a state's
    successors), the starts included."""
    seen = set(starts)
    stack = list(seen)
    while stack:
        for nxt in edges.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen
