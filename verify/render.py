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
from pathlib import Path
from typing import TypeVar

# The loader's spelling, so a label reads exactly as the regime file would say it.
from verify.durations import format_duration
from verify.errors import RenderError
from verify.files import write_atomically
from verify.model import HOST, PERPETRATOR, Body, Element, Flow, Mechanism, Regime

__all__ = ["to_dot", "draw", "render"]

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

    Labels, unlike ids, give backslash sequences meaning (``\\N`` is the node
    name, ``\\l`` a line break) and decode HTML entities, so a literal backslash
    is doubled and a literal ``&`` written as ``&amp;``.  Line breaks in the
    text are kept as label line breaks; other control characters are spaces.
    """
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


def to_dot(regime: Regime, highlight: Mapping[str, Collection[str]] | None = None) -> str:
    """The regime as DOT source, the same bytes for the same regime.

    ``highlight`` overlays a counterexample: ``"coalition"`` (actor ids) drawn
    red, ``"blocked"`` (flow and mechanism ids) drawn red and dashed.
    """
    coalition, blocked = _check_highlight(regime, highlight)
    verifiers = {v.id: v for v in regime.verifiers}
    dot = _Dot()
    title = [regime.title, f"({regime.id})"] if regime.title else [regime.id]
    graph = {
        "label": _label(title),
        "labelloc": "t",
        "fontname": FONT,
        "fontsize": "16",
        "rankdir": "LR",
        "charset": "UTF-8",
        "nodesep": "0.35",
        "ranksep": "0.6",
    }
    dot.raw("graph" + _attrs(graph) + ";")
    dot.raw("node" + _attrs({"fontname": FONT, "fontsize": "10", "margin": "0.12,0.06"}) + ";")
    dot.raw("edge" + _attrs({"fontname": FONT, "fontsize": "9", "arrowsize": "0.7"}) + ";")

    def verifier_lines(element_id: str) -> tuple[list[str], dict[str, str]]:
        if element_id not in verifiers:
            return [], {}
        finding = verifiers[element_id].finding
        return (["verifier" + (f" ({finding})" if finding else "")], {"peripheries": "2"})

    if regime.actors:
        dot.comment("actors")
    for a in regime.actors:
        shape, fill, extra = ACTOR_STYLES.get(a.kind, FALLBACK_STYLE)
        vlines, vattrs = verifier_lines(a.id)
        attrs = {
            "shape": shape,
            **_node_style(a, fill, [extra], red=a.id in coalition),
            **vattrs,
            "label": _label([*_names(a), *vlines, *_status_tag(a)]),
            "tooltip": _tooltip(a, f"kind: {a.kind}"),
        }
        dot.node(a.id, **attrs)

    if regime.bodies:
        dot.comment("decision bodies")
    for b in regime.bodies:
        vlines, vattrs = verifier_lines(b.id)
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
    for s in regime.assets:
        lines = [*_names(s)]
        if s.kind:
            lines.append(s.kind)
        if s.owner and s.owner != s.host:
            lines.append(f"owner: {s.owner}")
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
        attrs = _node_style(
            m,
            MECHANISM_STYLE[1],
            ["dashed" if m.triggered_by else ""],
            red_dashed=m.id in blocked,
        )
        if m.tamper_evident and m.id not in blocked:
            attrs["penwidth"] = "2.5"
        dot.node(
            m.id,
            shape=MECHANISM_STYLE[0],
            **attrs,
            label=_label([*_names(m), *_mechanism_lines(m), *_status_tag(m)]),
            tooltip=_tooltip(m, f"kind: {m.kind}"),
        )

    if regime.flows:
        dot.comment("flows")
    for f in regime.flows:
        _flow_edges(dot, f, red=f.id in blocked)

    if any(a.controlled_by for a in regime.actors):
        dot.comment("control")
    for a in regime.actors:
        for c in a.controlled_by:
            dot.edge(c, a.id, **_edge_colours(a, CONTROL_COLOUR), arrowhead="odiamond",
                     label="controls", style="solid")

    if regime.bodies:
        dot.comment("membership")
    for b in regime.bodies:
        for member in b.members:
            dot.edge(member, b.id, **_edge_colours(b, MEMBER_COLOUR), arrowhead="none",
                     penwidth="0.7")

    if regime.assets:
        dot.comment("hosting")
    for s in regime.assets:
        dot.edge(s.id, s.host, **_edge_colours(s, HOSTED_COLOUR), arrowhead="empty",
                 label="hosted by")

    if regime.mechanisms:
        dot.comment("operation and triggers")
    for m in regime.mechanisms:
        red = m.id in blocked
        colours = _edge_colours(m, OPERATED_COLOUR)
        if red:
            colours = {"color": HIGHLIGHT_COLOUR, "fontcolor": HIGHLIGHT_COLOUR}
        dot.edge(m.id, m.operator, **colours, style="dashed" if red else "solid",
                 label=_label(_timing_lines(m)))
        if m.triggered_by:
            dot.edge(m.triggered_by, m.id, **_edge_colours(m, TRIGGER_COLOUR), style="dotted",
                     label="triggers")

    _legend(dot, regime, bool(coalition or blocked))

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
    if m.detection_probability != 1.0:
        lines.append(f"p = {m.detection_probability:g}")
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


def _flow_edges(dot: _Dot, f: Flow, red: bool) -> None:
    """A flow as a chain source -> relay -> ... -> target.

    Every segment carries the flow's id so a reader can follow it through a
    relay; only the first carries the timing, to keep the picture quiet.
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

    attrs = _edge_colours(f, AUTH_COLOUR if f.authenticated else INK)
    attrs["style"] = "bold" if f.mandatory else "dashed"
    if f.mandatory:
        attrs["penwidth"] = "2"
    if red:
        attrs.update(color=HIGHLIGHT_COLOUR, fontcolor=HIGHLIGHT_COLOUR, style="dashed", penwidth="2.5")

    hops = [f.source, *f.via, f.target]
    for i, (tail, head) in enumerate(zip(hops, hops[1:])):
        text = label if i == 0 else [f"{f.id} (cont.)"]
        dot.edge(tail, head, **attrs, label=_label(text), tooltip=_label([f"flow {f.id}"]))


def _legend(dot: _Dot, regime: Regime, highlighted: bool) -> None:
    """A cluster of sample nodes and edges, one per kind of thing drawn.

    Actor kinds are listed only when the regime has them; everything else is
    always listed so that a reader learns the conventions once.
    """
    dot.comment("legend")
    dot.raw(f"subgraph {_id('cluster_legend')} {{")
    dot.depth += 1
    dot.raw("graph" + _attrs({"label": "Legend", "style": "rounded", "color": "#b0b0b0",
                              "fontsize": "12", "fontname": FONT}) + ";")
    dot.raw("node" + _attrs({"fontsize": "9"}) + ";")

    kinds = list(dict.fromkeys(a.kind for a in regime.actors))
    known = [k for k in ACTOR_STYLES if k in kinds]
    unlisted = sorted(k for k in kinds if k not in ACTOR_STYLES)
    samples: list[tuple[str, dict[str, str]]] = []
    for k in known:
        shape, fill, extra = ACTOR_STYLES[k]
        label = k if k != "other" or not unlisted else "other: " + ", ".join(unlisted)
        samples.append((k, {"shape": shape, "style": ",".join(filter(None, ["filled", extra])),
                            "fillcolor": fill, "label": label}))
    if unlisted and "other" not in kinds:
        shape, fill, extra = FALLBACK_STYLE
        samples.append(("other", {"shape": shape, "style": "filled", "fillcolor": fill,
                                  "label": "other: " + ", ".join(unlisted)}))
    samples += [
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
    ]
    if highlighted:
        samples.append(("coalition", {"shape": "box", "style": "filled", "fillcolor": "white",
                                      "color": HIGHLIGHT_COLOUR, "fontcolor": HIGHLIGHT_COLOUR,
                                      "penwidth": "3", "label": "coalition"}))
    names = []
    for name, attrs in samples:
        label = attrs.pop("label")
        # Labels here are ours, already in DOT escape syntax; quote, don't escape.
        dot.node(f"legend:{name}", **attrs, label=_Quoted(f'"{label}"'))
        names.append(f"legend:{name}")

    lines = [
        ("mandatory", {"style": "bold", "penwidth": "2", "color": INK}, "mandatory flow"),
        ("voluntary", {"style": "dashed", "color": INK}, "non-mandatory flow"),
        ("authenticated", {"style": "bold", "penwidth": "2", "color": AUTH_COLOUR},
         "authenticated flow (blue)"),
        ("hosted", {"color": HOSTED_COLOUR, "arrowhead": "empty"}, "hosted by"),
        ("operated", {"color": OPERATED_COLOUR},
         "mechanism to operator\n(period, notice, latency)"),
        ("triggers", {"style": "dotted", "color": TRIGGER_COLOUR}, "triggers a mechanism"),
        ("controls", {"color": CONTROL_COLOUR, "arrowhead": "odiamond"}, "controls"),
        ("member", {"color": MEMBER_COLOUR, "arrowhead": "none", "penwidth": "0.7"},
         "member of body"),
    ]
    if highlighted:
        lines.append(("blocked", {"style": "dashed", "penwidth": "2.5", "color": HIGHLIGHT_COLOUR},
                      "blocked"))
    # Each sample line ends at the text that explains it: "--->  mandatory flow".
    pairs = []
    for name, attrs, label in lines:
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
) -> None:
    """Write the drawing to ``out_path``: .dot (source), .svg or .png.

    The file appears whole or not at all: output goes to a temporary file in
    the same folder, renamed into place only once complete.
    """
    path = Path(out_path)
    fmt = output_format(path)
    data = to_dot(regime, highlight).encode("utf-8") if fmt is None else draw(regime, fmt, highlight)
    _write_atomically(path, data)


def draw(regime: Regime, fmt: str, highlight: Mapping[str, Collection[str]] | None = None) -> bytes:
    """The drawing as Graphviz renders it in ``fmt`` ("svg", "png")."""
    return _run_dot(to_dot(regime, highlight), fmt)


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
