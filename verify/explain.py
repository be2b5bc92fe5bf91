"""Results into plain language a diplomat can follow, step by step.

Only words are made here; what happened was decided by the analyses, and why
each step of a route is blocked was decided by the engine's own evaluation
(a :class:`~verify.results.Block`).  Every reason code has its sentence in
this module and nowhere else.

The words quote the design (ids, names, statements built from them), which
may come from anyone: every public function here is decorated with
:func:`_line` or :func:`_lines`, which pass what it returns through
:func:`verify.safety.visible`, so no control or bidirectional character it
quotes reaches a terminal or a report raw, and a line break inside a quoted
name cannot start a line of its own.  It is done where each line leaves this
module, not at each f-string, so a sentence added later cannot forget it;
tests/test_terminal_safety.py fails if a function in ``__all__`` is not
decorated.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import ParamSpec

from verify.durations import format_duration
from verify.model import Regime
from verify.numbers import fraction_text
from verify.results import (
    Block,
    CountedGroup,
    Deterrence,
    EvasionSets,
    Framing,
    Game,
    Grade,
    KStar,
    Leak,
    Likelihood,
    Margin,
    Notice,
    Reason,
    Result,
    Route,
    Step,
    StepKind,
    Threshold,
    Unseen,
    Verdict,
    Vote,
    WorstCase,
)
from verify.safety import visible

__all__ = ["title", "params_text", "route_text", "block_text", "vote_text", "notice_text", "unseen_text",
           "explain"]

_P = ParamSpec("_P")

#: The public functions whose words are made visible (see the module's doc).
VISIBLE: set[str] = set()


def _line(f: Callable[_P, str]) -> Callable[_P, str]:
    """``f``'s line, made :func:`~verify.safety.visible`."""
    @functools.wraps(f)
    def safe(*args: _P.args, **kwargs: _P.kwargs) -> str:
        return visible(f(*args, **kwargs))

    VISIBLE.add(f.__name__)
    return safe


def _lines(f: Callable[_P, list[str]]) -> Callable[_P, list[str]]:
    """``f``'s lines, each made :func:`~verify.safety.visible`."""
    @functools.wraps(f)
    def safe(*args: _P.args, **kwargs: _P.kwargs) -> list[str]:
        return [visible(line) for line in f(*args, **kwargs)]

    VISIBLE.add(f.__name__)
    return safe


_GRADE = {Grade.SEALED: "sealed", Grade.DIRECT: "direct", Grade.INDIRECT: "indirect"}
_NOTICED = {Reason.REFUSED_ACCESS: "a refused access to", Reason.WITHHELD_SEALED: "a missing report on",
            Reason.RELAY_DROPPED: "a dropped report on"}


@_line
def params_text(result: Result) -> str:
    parts = [result.violation]
    for k, v in result.params:
        if k in ("violation", "party", "label"):
            continue
        shown = format_duration(v) if k == "T" and isinstance(v, int) else \
            "{" + ", ".join(map(str, v)) + "}" if isinstance(v, tuple) else \
            fraction_text(v) if isinstance(v, Fraction) else v
        parts.append(f"{k}={shown}")
    return ", ".join(parts)


@_line
def title(result: Result) -> str:
    return f"{result.property}({params_text(result)}): {result.verdict.value.upper()}"


def _who(regime: Regime, actor: str) -> str:
    a = regime.actor.get(actor)
    return f"{actor} ({a.name})" if a is not None and a.name else actor


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


#: Longer lists of voters are shortened to their first and last: a council of
#: 41 is read by its count, not its roll call.
VOTERS_SHOWN = 6


def _voters(ids: Sequence[str]) -> str:
    return ", ".join(ids) if len(ids) <= VOTERS_SHOWN else f"{ids[0]}, {ids[1]} ... {ids[-1]}"


@_line
def vote_text(v: Vote) -> str:
    note = f" ({_voters(v.recused)} recused)" if v.recused else ""
    if v.rule == "approve":
        yes = f" ({_voters(v.counted)})" if v.counted else ""
        return f"{_ballot(v)} fails: {_plural(len(v.counted), 'yes vote')}{yes} of the {v.needed} needed{note}"
    by = _plural(len(v.counted), "member") + f" ({_voters(v.counted)})" if len(v.counted) > VOTERS_SHOWN \
        else ", ".join(v.counted)
    return f"{_ballot(v)} is blocked by {by} ({v.needed} no votes stop it){note}"


def _ballot(v: Vote) -> str:
    return f"{v.body}'s vote" if v.decision is None else f"{v.body}'s vote on {v.decision}"


def _unnoticed(b: Block | None, mandatory: str, element: str) -> str:
    """Why a breach goes unnoticed: nothing makes it mandatory, or the step
    that would notice it is itself blocked."""
    if b is None:
        return f"not noticed: {mandatory}"
    if b.reason == Reason.OPERATOR_IN_COALITION:
        return f"not noticed: the operator {b.who} is in the coalition too"
    if b.reason in (Reason.RECEIVER_IN_COALITION, Reason.VERIFIER_IN_COALITION):
        return f"not noticed: {b.who} is in the coalition"
    if b.reason == Reason.FADED:
        return "not noticed: what it could not hide has faded by then"
    return f"not noticed: {block_text(b, element)}"


@_line
def block_text(b: Block, element: str) -> str:
    """What a block means, in a sentence about the step's ``element``."""
    r, who = b.reason, b.who or ""
    if r == Reason.FAILED:
        return f"{who} has failed"
    if r == Reason.UNREACHED:
        return f"nothing reaches {who}"
    if r == Reason.FADED:
        return (f"{element} is called for only at {format_duration(b.at or 0)}, after every trace it could see "
                f"has faded (it had to be called for by {format_duration(b.limit or 0)})")
    if r == Reason.CONCEALED:
        return (f"{who} is warned {format_duration(b.notice or 0)} ahead and hides every trace {element} could see "
                f"(it needs at most {format_duration(b.conceal or 0)}), then grants access")
    if r == Reason.REFUSED_ACCESS:
        how = ("noticed: the refusal is itself evidence, which the operator reports" if b.noticed
               else _unnoticed(b.unnoticed, "access is not mandatory", element))
        return f"{who} refuses {element} access ({how})"
    if r == Reason.OPERATOR_IN_COALITION:
        return f"{who} operates {element} and reports nothing (its output is not sealed)"
    if r == Reason.TRIGGER_IN_COALITION:
        return f"{who} is in the coalition and never calls for {element}"
    if r in (Reason.WITHHELD_SEALED, Reason.RELAY_DROPPED):
        how = ("noticed: the report is mandatory" if b.noticed
               else _unnoticed(b.unnoticed, "the report is not mandatory", element))
        if r == Reason.WITHHELD_SEALED:
            return f"{who} withholds the sealed evidence on {element} ({how})"
        return f"{who} relays {element} and drops the report ({how})"
    if r == Reason.RELAY_ALTERED:
        return f"{who} relays {element} and replaces the report (it is not authenticated)"
    if r == Reason.BLOCKED_VOTE:
        assert b.vote is not None
        return vote_text(b.vote)
    if r == Reason.RECEIVER_IN_COALITION:
        return f"{who} receives {element} but is in the coalition"
    if r == Reason.VERIFIER_IN_COALITION:
        return f"{who} is in the coalition"
    if r == Reason.INDIRECT_NOT_ACCEPTED:
        return f"{who} holds only indirect evidence, and only direct evidence counts"
    if r == Reason.FINDING_RULE:
        return f"{who}'s finding rule does not count this evidence alone"
    raise ValueError(f"no words for a block of reason {r.value}")


@_line
def unseen_text(u: Unseen) -> str:
    if u.reason == Reason.NOT_COVERED:
        return f"it does not cover {', '.join(u.about)}"
    if u.reason == Reason.ZERO_PROBABILITY:
        return "its detection probability is 0"
    if u.reason == Reason.BELOW_THRESHOLD:
        return f"the violation's {', '.join(u.about)} is below its threshold"
    if u.reason == Reason.NOT_OBSERVED:
        return f"it observes {', '.join(u.about)}, which the violation does not leave"
    if u.reason == Reason.FADED:
        return "every trace it could see has faded before it observes"
    raise ValueError(f"no words for a mechanism unseen for reason {u.reason.value}")


@_line
def notice_text(n: Notice) -> str:
    return f"{n.holder} notices {_NOTICED[n.reason]} {n.element} at {format_duration(n.time)}"


def _link(s: Step) -> str:
    if s.block is not None and s.block.noticed:
        what = "refused" if s.kind == StepKind.OBSERVE else "missing" if s.block.reason == Reason.WITHHELD_SEALED \
            else "dropped"
        return f"{s.element} ({what}) -> {s.holder} [{_GRADE[s.grade]}]"
    if s.kind == StepKind.OBSERVE:
        return f"{s.element} observes -> {s.holder} [{_GRADE[s.grade]}]"
    return f"{s.element} -> {s.holder}"


@_lines
def route_text(regime: Regime, route: Route) -> list[str]:
    """A route as a chain, each noticed breach on it, then where it stops."""
    lines = [" => ".join(_link(s) for s in route.steps)]
    for s in route.steps:
        if s.block is None:
            continue
        where = "at" if s.block.noticed else "blocked at"
        lines.append(f"{where} {s.element}: {block_text(s.block, s.element)}")
    if route.end is not None:
        lines.append(f"reaches {route.verifier}, which does not count it: {block_text(route.end, route.verifier)}")
    elif route.time is not None:
        lines.append(f"arrives at {route.verifier} after {format_duration(route.time)}")
    return lines


def _margin(m: Margin) -> list[str]:
    lines = [f"k* = {m.kstar.text}" + (" (detectability fails)" if m.kstar == KStar.of(-1) else
                                       " (even the whole pool cannot evade)" if m.kstar == KStar.whole_pool()
                                       else "")]
    if m.without:
        lines.append("without each mechanism or flow, k* would be:")
        for element, value in m.without:
            drop = "" if value == m.kstar or value == KStar.unknown() else f"  (drops from {m.kstar.text})"
            lines.append(f"  {element}: {value.text}{drop}")
    return lines


def colluders_text(chosen: Sequence[str], groups: Sequence[CountedGroup]) -> str:
    """Chosen colluders for a reader: named one by one; members of a counted
    group named and counted ("state-a, state-b: any 2 of the 3 members of
    council would do"), a long run of them shortened."""
    parts = []
    counted = {m for g in groups for m in g.members}
    for g in groups:
        picked = [m for m in chosen if m in set(g.members)]
        if not picked:
            continue
        names = _voters(picked) if len(picked) <= VOTERS_SHOWN else f"{picked[0]} ... {picked[-1]}"
        if len(picked) == len(g.members):
            parts.append(f"{names}: all {len(picked)} {g.label}")
        else:
            parts.append(f"{names}: any {len(picked)} of the {len(g.members)} {g.label} would do")
    named = [a for a in chosen if a not in counted]
    return "; ".join([", ".join(named)] * bool(named) + parts) if named or parts else "no accomplice"


def _evasion(e: EvasionSets) -> list[str]:
    lines = [] if e.sets else ["no coalition within the bound evades"]
    for p, s in e.sets:
        groups = [g for g in e.groups if g.perpetrator == p]
        lines.append(f"evades: {p} with {colluders_text(s, groups)}")
    crit = [f"{a} {n}" for a, n in e.criticality]
    crit += [f"any of the {len(g.members)} {g.label} {g.sets}" for g in e.groups]
    if crit:
        lines.append("criticality: " + ", ".join(crit))
    return lines


def _threshold(t: Threshold) -> str:
    name = t.parameter
    if t.bound == "any":
        return f"{name}: any value will do"
    if t.bound == "none":
        return f"{name}: no value will do"
    shown = t.exact if t.duration else fraction_text(t.value) if t.value is not None else t.exact
    words = {"at-least": "at least", "above": "above", "at-most": "at most", "below": "below"}[t.bound]
    extra = f" (exactly {t.exact})" if not t.duration and t.value is not None and t.exact and \
        t.exact != str(t.value) else ""
    return f"{name}: {words} {shown}{extra}"


def _likelihood(f: Likelihood, need: Fraction | None) -> list[str]:
    who = f.coalition
    value = fraction_text(f.low) if f.low == f.high else \
        f"between {fraction_text(f.low)} and {fraction_text(f.high)} (the uncertain probabilities at their ends)"
    lines = [f"probability of detection: {value}" + (f"; required: at least {fraction_text(need)}"
                                                      if need is not None else "")]
    lines.append(f"worst coalition: {who[0]} " + (f"with {', '.join(who[1:])}" if who[1:] else "alone")
                 + f"; observations counted within {format_duration(f.window)}")
    if f.formula and f.formula not in ("0", "1"):
        lines.append(f"formula: P = {f.formula}")
    for m in f.mechanisms:
        n = _plural(m.trials, "observation")
        lines.append(f"  {m.mechanism}: p = {fraction_text(m.p)} per observation, {n}, sees at least once with "
                     f"{fraction_text(m.success)}; "
                     + ("its evidence reaches a verifier" if m.reaches else "the coalition cuts its evidence off"
                        " (or it counts only with others)"))
    if f.certain:
        lines.append("  sure to see whenever they observe: " + ", ".join(f.certain))
    for t in f.thresholds:
        lines.append(f"holds from: {_threshold(t)}")
    return lines


def _deterrence(f: Deterrence) -> list[str]:
    lines = _likelihood(f.detection, None)
    p = f.detection.low
    alarm = f.alarm_high
    lines.append(f"violating: gain {fraction_text(f.gain)} x (1 - {fraction_text(p)}) - sanction "
                 f"{fraction_text(f.sanction)} x {fraction_text(p)} = {fraction_text(f.violate[0])}")
    lines.append(f"complying: - false-alarm cost {fraction_text(f.false_alarm_cost)} x false-alarm chance "
                 f"{fraction_text(alarm)} = {fraction_text(f.comply[0])}")
    lines.append(f"deterred only if detection is above (gain + cost x false-alarm chance) / (gain + sanction) = "
                 f"{fraction_text(f.needed)}")
    for t in f.thresholds:
        lines.append(f"holds from: {_threshold(t)}")
    return lines


def _kstar_of(k: KStar, never: str, always: str) -> str:
    if k == KStar.whole_pool():
        return f"any number ({never})"
    if k == KStar.of(-1):
        return f"none ({always})"
    return k.text


_HOW = {"operator": "operates {m} and reports a finding that never happened",
        "sender": "claims to pass on a finding of {m} it never received",
        "relay": "rewrites the unauthenticated report on {flow} to carry a finding of {m}"}


def framing_lines(regime: Regime, f: Framing) -> list[str]:
    """A framing, step by step: who fabricates what, and the route each
    false report takes to the verifier."""
    lines = ["margin: the largest coalition " + f.party + " is safe against is "
             + _kstar_of(f.margin, "no coalition can frame it", "it can be framed with nobody corrupt")]
    if not f.coalition:
        return lines
    lines.append("coalition: " + "; ".join(_who(regime, a) for a in f.coalition))
    lines.append(f"{f.verifier} finds against {f.party} on {len(f.fabrications)} fabricated "
                 f"source{'s' if len(f.fabrications) != 1 else ''}:")
    for i, fab in enumerate(f.fabrications, 1):
        lines.append(f"  source {i}: {fab.author} " + _HOW[fab.how].format(m=fab.mechanism, flow=fab.flow))
        start = fab.author
        for flow, holder in fab.steps:
            if fab.how == "relay" and flow == fab.flow and start == fab.author:
                lines.append(f"    {flow} (altered by {fab.author}) -> {holder}")
            else:
                lines.append(f"    {flow} -> {holder}")
            start = holder
    return lines


_LEAK_STEP = {"reveals": "{e} reveals it to its operator {h}",
              "sends": "{h} sends it on {e}",
              "carries": "{s} sends it on {e}, which carries it, to {h}",
              "member": "{h} sits on {e}, which holds it",
              "passes": "{e}: passed on to {h} by a colluder, though {e} does not carry it"}


def leak_lines(regime: Regime, leak: Leak) -> list[str]:
    """A leak path, step by step."""
    lines = ["margin: the most cleared colluders it stays safe against is "
             + _kstar_of(leak.margin, "it never leaks", "it leaks with nobody colluding")]
    if leak.receiver is None:
        return lines
    if leak.coalition:
        lines.append("colluders: " + ", ".join(_who(regime, a) for a in leak.coalition))
    lines.append(f"leak: {_who(regime, leak.receiver)} is not cleared for {leak.label} and receives it:")
    for i, (how, element, holder) in enumerate(leak.path, 1):
        sender = regime.flow[element].source if element in regime.flow else ""
        lines.append(f"  {i}. " + _LEAK_STEP[how].format(e=element, h=holder, s=sender))
    return lines


def game_lines(g: Game) -> list[str]:
    """The figures of an inspection game in plain language."""
    period = format_duration(g.period)
    lines = [f"value: {fraction_text(g.value)}: the least chance that a violation is detected in a period, "
             "under the best plan"]
    if g.allocation:
        lines.append(f"plan (the chance each mechanism observes each asset in a {period} period, drawn afresh "
                     "each period):")
        by_asset: dict[str, list[str]] = {}
        for m, s, c in g.allocation:
            by_asset.setdefault(s, []).append(f"{m} {fraction_text(c)}")
        lines += [f"  {s}: {', '.join(parts)}" for s, parts in by_asset.items()]
    else:
        lines.append("plan: no observation improves on the value, so none is made")
    lines.append(f"effort used: {fraction_text(g.effort)} of {fraction_text(g.total)} per {period} (expected)")
    for v, p, over, n in g.best:
        span = ("" if n == 1 else
                f"; over its duration ({n} whole periods, the plan drawn afresh each): {fraction_text(over)}" if n
                else "; it lasts less than a period, so over its duration the plan guarantees nothing")
        lines.append(f"violator's best response: {v}, detected with {fraction_text(p)} per period{span}")
    return lines


@_lines
def explain(regime: Regime, result: Result) -> list[str]:
    """The lines under a result's title."""
    lines = [f"statement: {result.statement}"]
    if result.verdict == Verdict.UNKNOWN:
        lines.append(f"unknown: {result.note or 'the solver gave no answer'}; this is not a proof")
        return lines
    figures = result.figures
    if isinstance(figures, Margin):
        lines += _margin(figures)
    if isinstance(figures, Likelihood):
        need = dict(result.params).get("p")
        lines += _likelihood(figures, need if isinstance(need, Fraction) else None)
    if isinstance(figures, Deterrence):
        lines += _deterrence(figures)
    if isinstance(figures, Game):
        return lines + game_lines(figures) + ([f"note: {result.note}"] if result.note else [])
    if isinstance(figures, Framing):
        return lines + framing_lines(regime, figures) + ([f"note: {result.note}"] if result.note else [])
    if isinstance(figures, Leak):
        return lines + leak_lines(regime, figures) + ([f"note: {result.note}"] if result.note else [])
    if isinstance(figures, EvasionSets):
        return lines + _evasion(figures) + ([f"note: {result.note}"] if result.note else [])
    if result.verdict == Verdict.HOLDS:
        if isinstance(figures, WorstCase):
            who = figures.coalition
            start = dict(result.params).get("from")
            late = format_duration(figures.time)
            lines.append((f"worst case: first evidence {late} after {start} first delivers"
                          if isinstance(start, str) else f"worst case: first evidence after {late}")
                         + (f", when {who[0]} " + (f"colludes with {', '.join(who[1:])}" if who[1:] else "acts alone")
                            if who else ""))
        if result.rests_on:
            lines.append("rests on: " + ", ".join(result.rests_on)
                         + (" (removing any of these may break it)" if result.rests_on_minimal else
                            " (not minimised within its budget, so some may be spare; "
                            "--minimal-cores minimises it)"))
        if result.certificate:
            lines.append(f"certificate: {len(result.certificate)} evidence routes that share no actor, "
                         "even after merging each actor with what controls it:")
            for i, route in enumerate(result.certificate, 1):
                lines.append(f"  {i}. {route_text(regime, route)[0]}")
        if result.witness is None:
            return lines + ([f"note: {result.note}"] if result.note else [])
    w = result.witness
    if w is None:
        return lines
    if result.note:
        lines.append(f"note: {result.note}")
    chosen = set(w.chosen)
    counted = {m for g in w.groups for m in g.members}
    members = []
    for a in w.coalition:
        if a in counted:
            continue
        role = ("perpetrator" if a == w.perpetrator else "chosen colluder" if a in chosen
                else "controlled by the coalition")
        members.append(f"{_who(regime, a)} [{role}]")
    for g in w.groups:
        members.append(colluders_text(w.chosen, [g]) + " [chosen colluders]")
    lines.append(f"{'scenario' if result.verdict == Verdict.HOLDS else 'counterexample'} "
                 f"for perpetrator {w.perpetrator}:")
    lines.append("  coalition: " + "; ".join(members))
    if w.failed:
        lines.append("  failed: " + ", ".join(w.failed))
    if not w.routes:
        lines.append("  no evidence route reaches a verifier at all")
    for i, route in enumerate(w.routes, 1):
        text = route_text(regime, route)
        lines.append(f"  route {i}: {text[0]}")
        for extra in text[1:]:
            lines.append(f"           {extra}")
    for n in w.notices:
        lines.append(f"  noticed: {notice_text(n)}")
    for u in w.blind:
        lines.append(f"  {u.mechanism} cannot see {w.violation}: {unseen_text(u)}")
    if w.unrouted:
        lines.append(f"  on no route to a verifier for {w.violation}: {', '.join(w.unrouted)}")
    if w.clock is not None:
        element, began = w.clock
        lines.append(f"  clock: starts when {element} first delivers, at {format_duration(began)}"
                     if began is not None else f"  clock: {element} never delivers, so no clock starts")
    if w.detection_time is None or w.detected_by is None:
        ruled = result.property == "attribution" or any(v.finding or v.by_origin for v in regime.verifiers)
        lines.append("  outcome: no verifier outside the coalition ever holds evidence its finding rule counts"
                     if ruled else "  outcome: no verifier outside the coalition ever holds evidence")
    else:
        holder, grade = w.detected_by
        since = ""
        if w.clock is not None and w.clock[1] is not None:
            gap = w.detection_time - w.clock[1]
            since = f" ({format_duration(gap)} after the clock starts)" if gap >= 0 else \
                f" ({format_duration(-gap)} before the clock starts)"
        lines.append(f"  outcome: first evidence reaches {holder} ({_GRADE[grade]}) "
                     f"after {format_duration(w.detection_time)}{since}")
    return lines
