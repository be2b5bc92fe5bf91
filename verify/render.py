"""Draw a regime with Graphviz: DOT source, and SVG or PNG through ``dot``.

The DOT text is built by hand rather than with the ``graphviz`` package's
builder so that every byte is under our control: the same regime always gives
the same file (diagrams are committed and diffed), and every id and label goes
through one escaping function.  Elements appear in declaration order; nothing
is iterated out of a set.

Element ids share one namespace (the schema says so), so they serve directly as
node names and the SVG's ``<title>`` of each node is the element's id.  Legend
nodes are named ``legend:...``, which no element id can be (ids have no colon).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

# The loader's spelling, so a label reads exactly as the regime file would say it.
from verify.durations import format_duration
from verify.errors import RenderError
from verify.files import write_atomically
from verify.model import HOST, PERPETRATOR, Actor, Body, Element, Flow, Mechanism, Probability, Regime
from verify.results import Result, Route
from verify.safety import visible
from verify.vocabulary import SECTIONS

__all__ = ["to_dot", "draw", "render", "Overlay", "overlay_of", "member_groups", "PAGE_SIZE"]

#: Output extension -> ``dot -T`` format (None: the DOT source itself).
FORMATS: Mapping[str, str | None] = {".dot": None, ".svg": "svg", ".png": "png"}

#: Seconds ``dot`` may take before we give up; a regime is small, so a run that
#: takes longer is stuck, and a stuck subprocess would hang the CLI forever.
DOT_TIMEOUT = 120

FONT = "Helvetica"

#: Actor kind -> (shape, fill colour, extra style).  No double-bordered shapes:
#: a double border means "verifier".
ACTOR_STYLES: Mapping[str, tuple[str, str, str]] = {
    "state": ("house", "#c6dbef", ""),
    "lab": ("box", "#fdd0a2", "rounded"),
    "laboratory": ("box", "#fdd0a2", "rounded"),
    "cloud": ("ellipse", "#dadaeb", ""),
    "chip-firm": ("component", "#e5d8bd", ""),
    "inspectorate": ("invhouse", "#c7e9c0", ""),
    "safety-institute": ("hexagon", "#a1d99b", ""),
    "agency": ("pentagon", "#9ecae1", ""),
    "ngo": ("septagon", "#fcbba1", ""),
    "individual": ("egg", "#fff5eb", ""),
    "other": ("box", "#f0f0f0", ""),
}
#: Kinds the schema does not list are drawn like "other".
FALLBACK_STYLE = ACTOR_STYLES["other"]

BODY_STYLE = ("octagon", "#ffffb3")
ASSET_STYLE = ("box3d", "#e8e8e8")
MECHANISM_STYLE = ("note", "#fffbea")

INK = "#303030"
AUTH_COLOUR = "#1f5fbf"
HOSTED_COLOUR = "#707070"
OPERATED_COLOUR = "#2e7d32"
TRIGGER_COLOUR = "#b8860b"
CONTROL_COLOUR = "#7b4f9d"
MEMBER_COLOUR = "#a0a0a0"
HIGHLIGHT_COLOUR = "#d62728"
PERPETRATOR_FILL = "#fde0dd"
POOL_COLOUR = "#e6550d"
NOTICED_COLOUR = "#e6a000"
SURVIVING_COLOUR = "#2ca02c"
FAILED_COLOUR = "#555555"
PROPOSED_COLOUR = "#8c8c8c"
SUSPENDED_COLOUR = "#d0d0d0"
SUSPENDED_FILL = "#f7f7f7"
SUSPENDED_TEXT = "#a8a8a8"

HIGHLIGHT_KEYS = ("coalition", "blocked")

# --- escaping ----------------------------------------------------------------


def _id(text: str) -> str:
    """A DOT quoted ID.

    Inside quotes DOT only treats backslash-quote and backslash-newline
    specially, but a trailing backslash would swallow the closing quote, so
    backslashes are doubled too.  Control characters become ``\\xNN`` text so
    that distinct ids stay distinct names.
    """
    out = []
    for ch in text:
        if ch in '\\"':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _text(text: str) -> str:
    """One line of user text, escaped for a quoted label (an escString).

    The one function every label, tooltip and title passes through.  First
    :func:`verify.safety.visible` (each line of the text on its own): a
    design from elsewhere must not put a control, format or bidirectional
    character (an ANSI escape, U+202E) into a drawing any more than onto a
    terminal; it is shown as a visible escape.  Then DOT's own syntax:
    labels, unlike ids, give backslash sequences meaning (``\\N`` is the node
    name, ``\\l`` a line break) and decode HTML entities, so a literal
    backslash is doubled and a literal ``&`` written as ``&amp;``.  Line
    breaks in the text are kept as label line breaks.  Graphviz writes
    ``<``, ``>`` and ``&`` as entities in SVG, so no label becomes markup.
    """
    text = "\n".join(visible(line) for line in text.split("\n"))
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "&":
            out.append("&amp;")
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 0x20 or ch == "\x7f":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


class _Quoted(str):
    """A value already in DOT quoted-string syntax, to be written as it is."""


def _label(lines: Iterable[str]) -> _Quoted:
    """Lines of text as one quoted, centred, multi-line label."""
    return _Quoted('"' + "\\n".join(_text(line) for line in lines) + '"')


def _attrs(attrs: Mapping[str, str]) -> str:
    """Attributes in the order given, empty values left out."""
    items = [f"{key}={value if isinstance(value, _Quoted) else _id(value)}"
             for key, value in attrs.items() if value]
    return " [" + ", ".join(items) + "]" if items else ""


# --- building ----------------------------------------------------------------


class _Dot:
    """Lines of a DOT file; the order they are added is the order written."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 1

    def comment(self, text: str) -> None:
        self.lines.append("")
        self.lines.append("  " * self.depth + f"// {text}")

    def node(self, name: str, **attrs: str) -> None:
        self.lines.append("  " * self.depth + _id(name) + _attrs(attrs) + ";")

    def edge(self, tail: str, head: str, **attrs: str) -> None:
        self.lines.append("  " * self.depth + f"{_id(tail)} -> {_id(head)}" + _attrs(attrs) + ";")

    def raw(self, line: str) -> None:
        self.lines.append("  " * self.depth + line)


def _names(element: Element) -> list[str]:
    """The first lines of a node label: the name, and the id when they differ."""
    if element.name and element.name != element.id:
        return [element.name, f"({element.id})"]
    return [element.id]


def _tooltip(element: Element, *extra: str) -> str:
    lines = [f"{type(element).__name__.lower()} {element.id}", *extra]
    if element.description:
        lines.append(element.description)
    lines.extend(f"source: {s}" for s in element.sources)
    return _label(lines)


def _status_tag(element: Element) -> list[str]:
    return [f"({element.status})"] if element.status != "in-force" else []


def _node_style(
    element: Element, fill: str, styles: list[str], *, red: bool = False, red_dashed: bool = False
) -> dict[str, str]:
    """Colours and line style for a node: status first, then any highlight."""
    styles = ["filled", *styles]
    attrs = {"fillcolor": fill, "color": INK, "fontcolor": INK}
    if element.status == "proposed":
        styles.append("dashed")
        attrs.update(color=PROPOSED_COLOUR, fontcolor=PROPOSED_COLOUR)
    elif element.status == "suspended":
        attrs.update(color=SUSPENDED_COLOUR, fontcolor=SUSPENDED_TEXT, fillcolor=SUSPENDED_FILL)
    if red or red_dashed:
        attrs.update(color=HIGHLIGHT_COLOUR, fontcolor=HIGHLIGHT_COLOUR, penwidth="3")
    if red_dashed and "dashed" not in styles:
        styles.append("dashed")
    attrs["style"] = ",".join(dict.fromkeys(s for s in styles if s))
    return attrs


def _edge_colours(element: Element, colour: str) -> dict[str, str]:
    if element.status == "proposed":
        return {"color": PROPOSED_COLOUR, "fontcolor": PROPOSED_COLOUR}
    if element.status == "suspended":
        return {"color": SUSPENDED_COLOUR, "fontcolor": SUSPENDED_TEXT}
    return {"color": colour, "fontcolor": colour}


def _check_highlight(regime: Regime, highlight: Mapping[str, Collection[str]] | None
                     ) -> tuple[frozenset[str], frozenset[str]]:
    """The coalition and blocked sets, refusing keys or ids that mean nothing.

    A counterexample overlay that names an unknown id would silently draw
    nothing red, which is worse than an error.
    """
    if not highlight:
        return frozenset(), frozenset()
    unknown = sorted(set(highlight) - set(HIGHLIGHT_KEYS))
    if unknown:
        raise ValueError(f"unknown highlight key(s) {unknown}; expected {list(HIGHLIGHT_KEYS)}")
    # A bare string is one id, not a set of one-letter ids.
    coalition, blocked = (
        frozenset([ids] if isinstance(ids, str) else ids)
        for ids in (highlight.get("coalition", ()), highlight.get("blocked", ()))
    )
    stray = sorted(coalition - set(regime.actor))
    if stray:
        raise ValueError(f"highlight coalition names ids that are not actors: {stray}")
    stray = sorted(blocked - set(regime.flow) - set(regime.mechanism))
    if stray:
        raise ValueError(f"highlight blocked names ids that are not flows or mechanisms: {stray}")
    return coalition, blocked


# --- counterexamples on the diagram --------------------------------------------


@dataclass(frozen=True)
class Overlay:
    """A counterexample drawn on the diagram (:func:`overlay_of` makes one
    from a result).  Plain ids and short texts; every text is escaped like
    any other label when drawn."""

    #: The violation (drawn as a node at its asset) and the perpetrator.
    violation: str | None = None
    perpetrator: str | None = None
    #: The chosen colluders (what k counts) and the whole coalition.
    chosen: tuple[str, ...] = ()
    coalition: tuple[str, ...] = ()
    #: Failed elements (fault-tolerance).
    failed: tuple[str, ...] = ()
    #: The threat model's colluder pool when it names one (empty: every actor).
    pool: tuple[str, ...] = ()
    #: (element, how) for each mechanism or flow where a route stops.
    blocked: tuple[tuple[str, str], ...] = ()
    #: (element, how) for each breach that is itself noticed (the route goes on).
    noticed: tuple[tuple[str, str], ...] = ()
    #: Mechanisms and flows on routes that still reach a verifier (late, for a failed timeliness).
    surviving: tuple[str, ...] = ()
    #: Verifiers outside the coalition that never hear of the violation.
    deaf: tuple[str, ...] = ()
    #: Lines under the drawing's title: what is drawn.
    caption: tuple[str, ...] = ()


#: Short words for why a route stops, by reason code (the full sentence of
#: :func:`verify.explain.block_text` is the edge's tooltip).  A code added
#: later is shown by its code.
_SHORT = {
    "failed": "{who} failed",
    "faded": "traces faded",
    "concealed": "{who} conceals",
    "refused-access": "{who} refuses access",
    "operator-in-coalition": "operator {who} colludes",
    "trigger-in-coalition": "{who} never calls for it",
    "withheld-sealed": "{who} withholds",
    "relay-dropped": "{who} drops it",
    "relay-altered": "{who} alters it",
    "blocked-vote": "vote blocked in {who}",
    "receiver-in-coalition": "receiver {who} colludes",
    "verifier-in-coalition": "verifier {who} colludes",
    "indirect-not-accepted": "indirect only",
    "unreached": "nothing reaches {who}",
}


def _how(block: object) -> str:
    code = getattr(getattr(block, "reason", None), "value", "blocked")
    who = getattr(block, "who", None) or "?"
    return _SHORT.get(code, code + " ({who})").format(who=who)


def overlay_of(regime: Regime, result: Result) -> Overlay:
    """The counterexample of ``result`` as an overlay on ``regime``'s diagram.

    Raises ValueError when the result has no counterexample (it holds, or the
    answer is unknown): drawing nothing red would read as "nothing breaks"."""
    from verify.explain import params_text

    w = result.witness
    if w is None:
        raise ValueError(f"{result.property}({params_text(result)}) has no counterexample "
                         f"(its verdict is {result.verdict.value})")
    blocked: dict[str, str] = {}
    noticed: dict[str, str] = {}
    surviving: dict[str, None] = {}
    heard: set[str] = set()
    routes: tuple[Route, ...] = w.routes
    for route in routes:
        for step in route.steps:
            if step.block is None:
                continue
            if step.block.noticed:
                noticed.setdefault(step.element, "noticed: " + _how(step.block))
            else:
                blocked.setdefault(step.element, _how(step.block))
                break
        if route.end is not None and route.steps:
            blocked.setdefault(route.steps[-1].element, _how(route.end))
        if route.time is not None:
            heard.add(route.verifier)
            surviving.update(dict.fromkeys(s.element for s in route.steps))
    if w.detected_by is not None:
        heard.add(w.detected_by[0])
    coalition = set(w.coalition)
    deaf = tuple(v.id for v in regime.verifiers if v.id not in heard and v.id not in coalition)
    pool = regime.threat_model.colluders or ()
    # A counted group may give dozens of colluders: the title names a few.
    chosen = ("no accomplice" if not w.chosen else ", ".join(w.chosen) if len(w.chosen) <= 6
              else f"{len(w.chosen)} chosen colluders ({w.chosen[0]} … {w.chosen[-1]})")
    caption = [f"counterexample: {result.property}({params_text(result)}): {result.verdict.value.upper()}",
               f"perpetrator {w.perpetrator} with {chosen}"]
    if w.failed:
        caption.append("failed: " + ", ".join(w.failed))
    if deaf:
        caption.append("never hears of it: " + ", ".join(deaf))
    known = set(regime.flow) | set(regime.mechanism)
    return Overlay(
        violation=w.violation if w.violation in regime.violation else None,
        perpetrator=w.perpetrator if w.perpetrator in regime.actor else None,
        chosen=tuple(a for a in w.chosen if a in regime.actor),
        coalition=tuple(a for a in w.coalition if a in regime.actor),
        failed=tuple(w.failed),
        pool=tuple(pool),
        blocked=tuple((e, h) for e, h in blocked.items() if e in known),
        noticed=tuple((e, h) for e, h in noticed.items() if e in known and e not in blocked),
        surviving=tuple(e for e in surviving if e in known and e not in blocked),
        deaf=deaf,
        caption=tuple(caption),
    )


# --- interchangeable members ------------------------------------------------------


#: The fewest interchangeable members drawn as one node.
GROUP_MIN = 3


def _is_membership(section: str, attr: str) -> bool:
    """A reference that says an actor belongs somewhere (a body's or a
    declared group's members, the colluder pool), rather than that it plays
    a part of its own."""
    return attr == "members" or (section, attr) == ("threat_model", "colluders")


def _roles(regime: Regime) -> tuple[set[str], dict[str, list[tuple[str, str]]]]:
    """Actors named anywhere but in a membership (operators, hosts, owners,
    flow ends and relays, controllers and the controlled, perpetrators,
    verifiers, recusals, ...), and each actor's memberships (section, id),
    read from the vocabulary's table so that a reference added to the format
    counts too."""
    named: set[str] = set()
    belongs: dict[str, list[tuple[str, str]]] = {}
    for sec in SECTIONS:
        value = getattr(regime, sec.name, None)
        if value is None:
            continue
        items = (value,) if sec.shape == "mapping" else value
        for item in items:
            for r in sec.refs:
                if "actor" not in r.kinds or r.within is not None:
                    continue
                ids = getattr(item, r.attr, None)
                if ids is None:
                    continue
                ids = [x for x in ((ids,) if isinstance(ids, str) else ids) if isinstance(x, str)]
                if _is_membership(sec.name, r.attr):
                    where = (sec.name, str(getattr(item, "id", sec.name)))
                    for x in ids:
                        belongs.setdefault(x, []).append(where)
                else:
                    named.update(ids)
    named.update(a.id for a in regime.actors if a.controlled_by)
    return named, belongs


def member_groups(regime: Regime, keep: Collection[str] = (),
                  roles: Mapping[str, str] | None = None) -> list[tuple[str, ...]]:
    """Body members that are interchangeable in the drawing: actors that
    appear in the regime only as members of exactly the same bodies (and
    declared groups, and maybe the colluder pool), of one kind and status,
    at least :data:`GROUP_MIN` of them.  Each group is drawn as one node
    with a count.  ``keep``: actors to draw on their own (a counterexample's
    perpetrator, failed actors); ``roles``: a counterexample's role of an
    actor (``chosen``, ``controlled``), so that only members of one role are
    drawn together ("13 members, chosen colluders").  Groups in declaration
    order of their first member."""
    named, belongs = _roles(regime)
    named |= set(keep)
    by_key: dict[tuple[object, ...], list[str]] = {}
    for a in regime.actors:
        where = belongs.get(a.id, [])
        if a.id in named or not any(section == "bodies" for section, _ in where):
            continue
        key = (tuple(where), a.kind, a.status, (roles or {}).get(a.id, ""))
        by_key.setdefault(key, []).append(a.id)
    return [tuple(ids) for ids in by_key.values() if len(ids) >= GROUP_MIN]


def _declared_name(regime: Regime, ids: tuple[str, ...]) -> str | None:
    """The name of a declared group with exactly these members, if any."""
    wanted = set(ids)
    for g in getattr(regime, "groups", None) or ():
        members = getattr(g, "members", None)
        if members is not None and set(members) == wanted:
            return str(getattr(g, "name", None) or getattr(g, "id", ""))
    return None


def _group_name(ids: tuple[str, ...]) -> str:
    # Element ids have no colon, so no group node can take an element's name.
    return f"group:{ids[0]}"


# --- the drawing ------------------------------------------------------------------

#: Graphviz's ``size`` (inches): a big design is scaled down to fit a page
#: (about A4 less margins, either way round); a small one is left as it is.
PAGE_SIZE = "11,16"


def to_dot(regime: Regime, highlight: Mapping[str, Collection[str]] | None = None, *,
           overlay: Overlay | None = None) -> str:
    """The regime as DOT source, the same bytes for the same regime.

    ``highlight`` overlays a coalition and blocked elements: ``"coalition"``
    (actor ids) drawn red, ``"blocked"`` (flow and mechanism ids) drawn red
    and dashed.  ``overlay`` draws a whole counterexample (:func:`overlay_of`):
    the violation, the perpetrator, the chosen colluders, the colluder pool,
    each blocked step and how, the routes that survive and the verifiers
    that never hear.
    """
    coalition, blocked_ids = _check_highlight(regime, highlight)
    ov = overlay or Overlay()
    coalition = coalition | frozenset(ov.coalition)
    blocked_how = dict(ov.blocked)
    noticed_how = dict(ov.noticed)
    blocked_ids = blocked_ids | frozenset(blocked_how)
    surviving = frozenset(ov.surviving)
    chosen, pool, failed, deaf = (frozenset(x) for x in (ov.chosen, ov.pool, ov.failed, ov.deaf))
    verifiers = {v.id: v for v in regime.verifiers}
    roles = {a: "chosen" if a in chosen else "controlled" for a in coalition}
    keep = failed | ({ov.perpetrator} if ov.perpetrator else set())
    groups = member_groups(regime, keep=keep, roles=roles)
    grouped = {m: g for g in groups for m in g}
    used: set[str] = set()  # legend entries the drawing needs
    dot = _Dot()
    title = [regime.title, f"({regime.id})"] if regime.title else [regime.id]
    graph = {
        "label": _label([*title, *ov.caption]),
        "labelloc": "t",
        "fontname": FONT,
        "fontsize": "16",
        "rankdir": "LR",
        "charset": "UTF-8",
        "nodesep": "0.35",
        "ranksep": "0.6",
        "size": PAGE_SIZE,
    }
    dot.raw("graph" + _attrs(graph) + ";")
    dot.raw("node" + _attrs({"fontname": FONT, "fontsize": "10", "margin": "0.12,0.06"}) + ";")
    dot.raw("edge" + _attrs({"fontname": FONT, "fontsize": "9", "arrowsize": "0.7"}) + ";")

    def verifier_lines(element_id: str) -> tuple[list[str], dict[str, str]]:
        if element_id not in verifiers:
            return [], {}
        used.add("verifier")
        finding = verifiers[element_id].finding
        lines = ["verifier" + (f" ({finding})" if finding else "")]
        if element_id in deaf:
            lines.append("never hears of it")
        return lines, {"peripheries": "2"}

    def role_lines(a: Actor) -> list[str]:
        if not overlay:
            return []
        if a.id == ov.perpetrator:
            used.add("perpetrator")
            return ["PERPETRATOR"]
        if a.id in chosen:
            used.add("coalition")
            return ["chosen colluder"]
        if a.id in coalition:
            used.add("coalition")
            return ["controlled by the coalition"]
        if a.id in failed:
            return ["failed"]
        if a.id in pool:
            used.add("pool")
            return ["may collude (pool)"]
        return []

    if regime.actors:
        dot.comment("actors")
    for a in regime.actors:
        group = grouped.get(a.id)
        if group is not None and a.id != group[0]:
            continue
        shape, fill, extra = ACTOR_STYLES.get(a.kind, FALLBACK_STYLE)
        used.add("kind:" + a.kind)
        used.update(("proposed",) if a.status == "proposed" else ("suspended",) if a.status == "suspended" else ())
        if group is not None:
            used.add("group")
            style = _node_style(a, fill, [extra])
            # Members of a group share their role and place in the pool (member_groups).
            role = roles.get(group[0])
            in_pool = bool(overlay) and group[0] in pool and role is None
            role_line = []
            if role is not None:
                used.add("coalition")
                style.update(color=HIGHLIGHT_COLOUR, fontcolor=HIGHLIGHT_COLOUR, penwidth="3")
                role_line = ["chosen colluders" if role == "chosen" else "controlled by the coalition"]
            elif in_pool:
                used.add("pool")
                role_line = ["may collude (pool)"]
                style.update(color=POOL_COLOUR, penwidth="2", style=style["style"] + ",dashed")
            dot.node(
                _group_name(group),
                shape=shape,
                **style,
                label=_label([f"{len(group)} members ({group[0]} … {group[-1]})",
                              *([declared] if (declared := _declared_name(regime, group)) else []), a.kind,
                              *role_line, *_status_tag(a)]),
                tooltip=_label([f"{len(group)} interchangeable members of "
                                + ", ".join(b.id for b in regime.bodies if group[0] in b.members),
                                ", ".join(group)]),
            )
            continue
        vlines, vattrs = verifier_lines(a.id)
        attrs = {
            "shape": shape,
            **_node_style(a, fill, [extra], red=a.id in coalition),
            **vattrs,
            "label": _label([*_names(a), *role_lines(a), *vlines, *_status_tag(a)]),
            "tooltip": _tooltip(a, f"kind: {a.kind}"),
        }
        if overlay and a.id == ov.perpetrator:
            attrs["fillcolor"] = PERPETRATOR_FILL
        elif overlay and a.id in pool and a.id not in coalition:
            attrs.update(color=POOL_COLOUR, penwidth="2")
            attrs["style"] = attrs["style"] + ",dashed" if "dashed" not in attrs["style"] else attrs["style"]
        elif a.id in failed:
            attrs.update(color=FAILED_COLOUR, fontcolor=FAILED_COLOUR)
        dot.node(a.id, **attrs)

    if regime.bodies:
        dot.comment("decision bodies")
        used.add("body")
    for b in regime.bodies:
        vlines, vattrs = verifier_lines(b.id)
        used.update(("proposed",) if b.status == "proposed" else ("suspended",) if b.status == "suspended" else ())
        dot.node(
            b.id,
            shape=BODY_STYLE[0],
            **_node_style(b, BODY_STYLE[1], []),
            **vattrs,
            label=_label([*_names(b), *_body_lines(b), *vlines, *_status_tag(b)]),
            tooltip=_tooltip(b, "members: " + ", ".join(b.members)),
        )

    if regime.assets:
        dot.comment("assets")
        used.add("asset")
    for s in regime.assets:
        lines = [*_names(s)]
        if s.kind:
            lines.append(s.kind)
        if s.owner and s.owner != s.host:
            lines.append(f"owner: {s.owner}")
        used.update(("proposed",) if s.status == "proposed" else ("suspended",) if s.status == "suspended" else ())
        dot.node(
            s.id,
            shape=ASSET_STYLE[0],
            **_node_style(s, ASSET_STYLE[1], []),
            label=_label([*lines, *_status_tag(s)]),
            tooltip=_tooltip(s),
        )

    if regime.mechanisms:
        dot.comment("mechanisms")
    for m in regime.mechanisms:
        used.add("triggered" if m.triggered_by else "mechanism")
        used.update(("proposed",) if m.status == "proposed" else ("suspended",) if m.status == "suspended" else ())
        attrs = _node_style(
            m,
            MECHANISM_STYLE[1],
            ["dashed" if m.triggered_by else ""],
            red_dashed=m.id in blocked_ids,
        )
        if m.tamper_evident:
            used.add("tamper")
            if m.id not in blocked_ids:
                attrs["penwidth"] = "2.5"
        extra_lines: list[str] = []
        if m.id in blocked_how:
            used.add("blocked")
            extra_lines.append("✗ " + blocked_how[m.id])
        elif m.id in noticed_how:
            used.add("noticed")
            extra_lines.append("! " + noticed_how[m.id])
            attrs.update(color=NOTICED_COLOUR, penwidth="2.5")
        elif m.id in surviving:
            used.add("surviving")
            attrs.update(color=SURVIVING_COLOUR, penwidth="3")
        if m.id in failed:
            extra_lines.append("failed")
            attrs.update(color=FAILED_COLOUR)
        dot.node(
            m.id,
            shape=MECHANISM_STYLE[0],
            **attrs,
            label=_label([*_names(m), *_mechanism_lines(m), *extra_lines, *_status_tag(m)]),
            tooltip=_tooltip(m, f"kind: {m.kind}"),
        )

    if overlay and ov.violation is not None:
        v = regime.violation[ov.violation]
        dot.comment("the violation")
        used.add("violation")
        name = f"violation:{v.id}"
        dot.node(name, shape="doubleoctagon", style="filled", fillcolor=PERPETRATOR_FILL, color=HIGHLIGHT_COLOUR,
                 fontcolor=HIGHLIGHT_COLOUR, penwidth="2",
                 label=_label(["violation", *_names(v), *([f"by {ov.perpetrator}"] if ov.perpetrator else [])]),
                 tooltip=_tooltip(v))
        if v.at in regime.asset:
            dot.edge(name, v.at, color=HIGHLIGHT_COLOUR, fontcolor=HIGHLIGHT_COLOUR, label="at")

    if regime.flows:
        dot.comment("flows")
    for f in regime.flows:
        used.add("mandatory" if f.mandatory else "voluntary")
        if f.authenticated:
            used.add("authenticated")
        used.update(("proposed",) if f.status == "proposed" else ("suspended",) if f.status == "suspended" else ())
        how = blocked_how.get(f.id)
        mark = ("blocked", "✗ " + how) if how is not None else \
            ("noticed", "! " + noticed_how[f.id]) if f.id in noticed_how else \
            ("surviving", "") if f.id in surviving else None
        if mark is not None:
            used.add(mark[0])
        elif f.id in blocked_ids:
            used.add("blocked")
        _flow_edges(dot, f, red=f.id in blocked_ids, mark=mark)

    if any(a.controlled_by for a in regime.actors):
        dot.comment("control")
        used.add("controls")
    for a in regime.actors:
        for c in a.controlled_by:
            dot.edge(c, a.id, **_edge_colours(a, CONTROL_COLOUR), arrowhead="odiamond",
                     label="controls", style="solid")

    if regime.bodies:
        dot.comment("membership")
        used.add("member")
    drawn_groups: set[tuple[str, str]] = set()
    for b in regime.bodies:
        for member in b.members:
            group = grouped.get(member)
            if group is None:
                dot.edge(member, b.id, **_edge_colours(b, MEMBER_COLOUR), arrowhead="none",
                         penwidth="0.7")
            elif (group[0], b.id) not in drawn_groups:
                drawn_groups.add((group[0], b.id))
                dot.edge(_group_name(group), b.id, **_edge_colours(b, MEMBER_COLOUR), arrowhead="none",
                         penwidth="1.5", label=f"each of {len(group)}")

    if regime.assets:
        dot.comment("hosting")
    for s in regime.assets:
        dot.edge(s.id, s.host, **_edge_colours(s, HOSTED_COLOUR), arrowhead="empty",
                 label="hosted by")

    if regime.mechanisms:
        dot.comment("operation and triggers")
        used.add("operated")
    for m in regime.mechanisms:
        red = m.id in blocked_ids
        colours = _edge_colours(m, OPERATED_COLOUR)
        if red:
            colours = {"color": HIGHLIGHT_COLOUR, "fontcolor": HIGHLIGHT_COLOUR}
        dot.edge(m.id, m.operator, **colours, style="dashed" if red else "solid",
                 label=_label(_timing_lines(m)))
        if m.triggered_by:
            used.add("triggers")
            dot.edge(m.triggered_by, m.id, **_edge_colours(m, TRIGGER_COLOUR), style="dotted",
                     label="triggers")

    if coalition or blocked_ids:
        used.add("coalition")
        if blocked_ids:
            used.add("blocked")
    _legend(dot, regime, used)

    header = f"digraph {_id(regime.id)} {{"
    return "\n".join([header, *dot.lines, "}"]) + "\n"


def _body_lines(b: Body) -> list[str]:
    n = len(b.members)
    if b.approve is not None:
        lines = [f"approve {b.approve} of {n}"]
    elif b.block is not None:
        lines = [f"block {b.block} of {n}"]
    else:
        lines = [f"{n} members"]
    lines.append(f"decides in {format_duration(b.latency)}")
    if b.recused:
        lines.append("recused: " + ", ".join(
            "the perpetrator" if r == PERPETRATOR else r for r in b.recused))
    return lines


def _mechanism_lines(m: Mechanism) -> list[str]:
    lines = [m.kind]
    if m.observes:
        lines.append(
            "observes "
            + ", ".join(o.signature + (f" ≥ {o.threshold:g}" if o.threshold else "") for o in m.observes)
        )
    lines.append("everywhere" if m.at is None else "at " + ", ".join(m.at))
    if m.requires_access:
        lines.append("needs consent of " + ", ".join(
            "the host" if r == HOST else r for r in m.requires_access))
    if m.detection_probability != Probability.of(1):
        lines.append(f"p = {m.detection_probability}")
    if not m.attributes:
        lines.append("does not attribute")
    flags = [word for word, on in (("mandatory", m.mandatory), ("tamper-evident", m.tamper_evident)) if on]
    if flags:
        lines.append(", ".join(flags))
    if m.optional:
        lines.append("[candidate" + (f", cost {m.cost:g}]" if m.cost is not None else "]"))
    elif m.cost is not None:
        lines.append(f"cost {m.cost:g}")
    return lines


def _timing_lines(m: Mechanism) -> list[str]:
    lines = [f"{word} {format_duration(v)}"
             for word, v in (("every", m.period), ("notice", m.notice), ("latency", m.latency)) if v]
    return lines or ["latency 0"]


def _flow_edges(dot: _Dot, f: Flow, red: bool, mark: tuple[str, str] | None = None) -> None:
    """A flow as a chain source -> relay -> ... -> target.

    Every segment carries the flow's id so a reader can follow it through a
    relay; only the first carries the timing, to keep the picture quiet.
    ``mark``: a counterexample's (kind, words) for this flow: blocked (red,
    dashed, how), noticed (orange, the breach) or surviving (green, bold).
    """
    label = [f.id]
    label.append(f"latency {format_duration(f.latency)}")
    if f.period:
        label.append(f"every {format_duration(f.period)}")
    if f.carries:
        label.append("carries " + ", ".join(f.carries))
    if f.optional:
        label.append("[candidate" + (f", cost {f.cost:g}]" if f.cost is not None else "]"))
    elif f.cost is not None:
        label.append(f"cost {f.cost:g}")
    label.extend(_status_tag(f))
    if mark is not None and mark[1]:
        label.append(mark[1])

    attrs = _edge_colours(f, AUTH_COLOUR if f.authenticated else INK)
    attrs["style"] = "bold" if f.mandatory else "dashed"
    if f.mandatory:
        attrs["penwidth"] = "2"
    kind = mark[0] if mark is not None else ("blocked" if red else None)
    if kind == "blocked":
        attrs.update(color=HIGHLIGHT_COLOUR, fontcolor=HIGHLIGHT_COLOUR, style="dashed", penwidth="2.5")
    elif kind == "noticed":
        attrs.update(color=NOTICED_COLOUR, fontcolor=NOTICED_COLOUR, penwidth="2.5")
    elif kind == "surviving":
        attrs.update(color=SURVIVING_COLOUR, fontcolor=SURVIVING_COLOUR, style="bold", penwidth="3")

    hops = [f.source, *f.via, f.target]
    for i, (tail, head) in enumerate(zip(hops, hops[1:])):
        text = label if i == 0 else [f"{f.id} (cont.)"]
        dot.edge(tail, head, **attrs, label=_label(text), tooltip=_label([f"flow {f.id}"]))


def _legend(dot: _Dot, regime: Regime, used: Collection[str]) -> None:
    """A cluster of sample nodes and edges, one per kind of thing the drawing
    uses (``used``: the keys below, and ``kind:KIND`` for actor kinds), and
    nothing else: a legend of things absent from the picture is noise."""
    dot.comment("legend")
    dot.raw(f"subgraph {_id('cluster_legend')} {{")
    dot.depth += 1
    dot.raw("graph" + _attrs({"label": "Legend", "style": "rounded", "color": "#b0b0b0",
                              "fontsize": "12", "fontname": FONT}) + ";")
    dot.raw("node" + _attrs({"fontsize": "9"}) + ";")

    kinds = list(dict.fromkeys(a.kind for a in regime.actors if "kind:" + a.kind in used))
    known = [k for k in ACTOR_STYLES if k in kinds]
    unlisted = sorted(k for k in kinds if k not in ACTOR_STYLES)
    samples: list[tuple[str, dict[str, str]]] = []
    for k in known:
        shape, fill, extra = ACTOR_STYLES[k]
        # Kinds are the design's words: escaped like every label.
        label = _text(k if k != "other" or not unlisted else "other: " + ", ".join(unlisted))
        samples.append((k, {"shape": shape, "style": ",".join(filter(None, ["filled", extra])),
                            "fillcolor": fill, "label": label}))
    if unlisted and "other" not in kinds:
        shape, fill, extra = FALLBACK_STYLE
        samples.append(("other", {"shape": shape, "style": "filled", "fillcolor": fill,
                                  "label": _text("other: " + ", ".join(unlisted))}))
    optional = [
        ("group", {"shape": "box", "style": "filled", "fillcolor": "white",
                   "label": "N members (first … last)\\ninterchangeable members"}),
        ("body", {"shape": BODY_STYLE[0], "style": "filled", "fillcolor": BODY_STYLE[1],
                  "label": "decision body\\nvoting rule, latency"}),
        ("asset", {"shape": ASSET_STYLE[0], "style": "filled", "fillcolor": ASSET_STYLE[1],
                   "label": "asset"}),
        ("mechanism", {"shape": MECHANISM_STYLE[0], "style": "filled",
                       "fillcolor": MECHANISM_STYLE[1], "label": "periodic mechanism"}),
        ("triggered", {"shape": MECHANISM_STYLE[0], "style": "filled,dashed",
                       "fillcolor": MECHANISM_STYLE[1], "label": "triggered mechanism"}),
        ("tamper", {"shape": MECHANISM_STYLE[0], "style": "filled", "penwidth": "2.5",
                    "fillcolor": MECHANISM_STYLE[1], "label": "tamper-evident\\n(bold border)"}),
        ("verifier", {"shape": "box", "style": "filled", "peripheries": "2", "fillcolor": "white",
                      "label": "verifier\\n(double border)"}),
        ("proposed", {"shape": "box", "style": "filled,dashed", "fillcolor": "white",
                      "color": PROPOSED_COLOUR, "fontcolor": PROPOSED_COLOUR,
                      "label": "(proposed)"}),
        ("suspended", {"shape": "box", "style": "filled", "fillcolor": SUSPENDED_FILL,
                       "color": SUSPENDED_COLOUR, "fontcolor": SUSPENDED_TEXT,
                       "label": "(suspended)"}),
        ("violation", {"shape": "doubleoctagon", "style": "filled", "fillcolor": PERPETRATOR_FILL,
                       "color": HIGHLIGHT_COLOUR, "fontcolor": HIGHLIGHT_COLOUR, "label": "violation"}),
        ("perpetrator", {"shape": "box", "style": "filled", "fillcolor": PERPETRATOR_FILL,
                         "color": HIGHLIGHT_COLOUR, "fontcolor": HIGHLIGHT_COLOUR, "penwidth": "3",
                         "label": "perpetrator"}),
        ("coalition", {"shape": "box", "style": "filled", "fillcolor": "white",
                       "color": HIGHLIGHT_COLOUR, "fontcolor": HIGHLIGHT_COLOUR,
                       "penwidth": "3", "label": "coalition"}),
        ("pool", {"shape": "box", "style": "filled,dashed", "fillcolor": "white",
                  "color": POOL_COLOUR, "penwidth": "2", "label": "colluder pool\\n(may collude)"}),
    ]
    samples += [(name, attrs) for name, attrs in optional if name in used]
    names = []
    for name, attrs in samples:
        label = attrs.pop("label")
        # Labels here are in DOT escape syntax already; quote, don't escape.
        dot.node(f"legend:{name}", **attrs, label=_Quoted(f'"{label}"'))
        names.append(f"legend:{name}")

    lines = [
        ("mandatory", {"style": "bold", "penwidth": "2", "color": INK}, "mandatory flow"),
        ("voluntary", {"style": "dashed", "color": INK}, "non-mandatory flow"),
        ("authenticated", {"style": "bold", "penwidth": "2", "color": AUTH_COLOUR},
         "authenticated flow (blue)"),
        ("hosted", {"color": HOSTED_COLOUR, "arrowhead": "empty"}, "hosted by"),
        ("operated", {"color": OPERATED_COLOUR},
         "mechanism to operator\\n(period, notice, latency)"),
        ("triggers", {"style": "dotted", "color": TRIGGER_COLOUR}, "triggers a mechanism"),
        ("controls", {"color": CONTROL_COLOUR, "arrowhead": "odiamond"}, "controls"),
        ("member", {"color": MEMBER_COLOUR, "arrowhead": "none", "penwidth": "0.7"},
         "member of body"),
        ("blocked", {"style": "dashed", "penwidth": "2.5", "color": HIGHLIGHT_COLOUR},
         "blocked (✗ how)"),
        ("noticed", {"penwidth": "2.5", "color": NOTICED_COLOUR}, "breach noticed (! what)"),
        ("surviving", {"style": "bold", "penwidth": "3", "color": SURVIVING_COLOUR},
         "route that reaches a verifier"),
    ]
    present = {"hosted"} if regime.assets else set()
    # Each sample line ends at the text that explains it: "--->  mandatory flow".
    pairs = []
    for name, attrs, label in lines:
        if name not in used and name not in present:
            continue
        tail, head = f"legend:{name}:line", f"legend:{name}"
        dot.node(tail, shape="point", width="0.04", color="#b0b0b0")
        dot.node(head, shape="plaintext", label=_Quoted(f'"{label}"'))
        dot.edge(tail, head, **attrs)
        pairs.append((tail, head))

    # With rankdir=LR, nodes that share a rank stack into one tall column.
    # Invisible edges chain samples into rows instead, keeping the legend
    # compact; in order, so it reads the same every time.
    for row in _chunks(names, 4):
        for left, right in zip(row, row[1:]):
            dot.edge(left, right, style="invis")
    for pair_row in _chunks(pairs, 2):
        for (_, left), (right, _) in zip(pair_row, pair_row[1:]):
            dot.edge(left, right, style="invis")

    dot.depth -= 1
    dot.raw("}")


T = TypeVar("T")


def _chunks(items: list[T], size: int) -> list[list[T]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


# --- writing -----------------------------------------------------------------


def output_format(out_path: str | os.PathLike[str]) -> str | None:
    """The ``dot -T`` format for a path's extension; None for DOT source."""
    suffix = Path(out_path).suffix.lower()
    if suffix not in FORMATS:
        allowed = ", ".join(FORMATS)
        shown = f"{suffix!r}" if suffix else "no extension"
        raise RenderError(f"cannot write {os.fspath(out_path)!r}: {shown} is not a known "
                          f"output format; use one of {allowed}")
    return FORMATS[suffix]


def render(
    regime: Regime,
    out_path: str | os.PathLike[str],
    highlight: Mapping[str, Collection[str]] | None = None,
    overlay: Overlay | None = None,
) -> None:
    """Write the drawing to ``out_path``: .dot (source), .svg or .png.

    The file appears whole or not at all: output goes to a temporary file in
    the same folder, renamed into place only once complete.
    """
    path = Path(out_path)
    fmt = output_format(path)
    source = to_dot(regime, highlight, overlay=overlay)
    data = source.encode("utf-8") if fmt is None else _run_dot(source, fmt)
    _write_atomically(path, data)


def draw(regime: Regime, fmt: str, highlight: Mapping[str, Collection[str]] | None = None,
         overlay: Overlay | None = None) -> bytes:
    """The drawing as Graphviz renders it in ``fmt`` ("svg", "png")."""
    return _run_dot(to_dot(regime, highlight, overlay=overlay), fmt)


def _run_dot(source: str, fmt: str) -> bytes:
    exe = shutil.which("dot")
    if exe is None:
        raise RenderError(
            "the Graphviz program 'dot' was not found on PATH; install Graphviz "
            "(e.g. 'apt-get install graphviz') or write a .dot file instead"
        )
    try:
        done = subprocess.run(
            [exe, f"-T{fmt}"],
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=DOT_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RenderError(f"'dot' did not finish within {DOT_TIMEOUT} seconds") from None
    except OSError as err:
        raise RenderError(f"cannot run 'dot' ({exe}): {err.strerror or err}") from err
    if done.returncode != 0 or not done.stdout:
        message = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
        raise RenderError(f"'dot -T{fmt}' failed: {message}")
    return done.stdout


def _write_atomically(path: Path, data: bytes) -> None:
    if not path.parent.is_dir():
        raise RenderError(f"cannot write {str(path)!r}: folder {str(path.parent)!r} does not exist")
    try:
        write_atomically(path, data)
    except OSError as err:
        raise RenderError(f"cannot write {str(path)!r}: {err.strerror or err}") from err
