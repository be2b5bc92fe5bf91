"""Drawing regimes: DOT source, SVG/PNG output, the CLI.

The DOT text is read back through Graphviz itself (``dot -Tjson0``), so the
assertions are about what Graphviz understood, not about how our text happens
to be spelled.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verify.cli import main as cli
from verify.errors import RenderError, VerifyError
from verify.model import Actor, Asset, Body, Flow, Mechanism, Observation, Regime, Signature, Verifier
from verify.render import ACTOR_STYLES, AUTH_COLOUR, HIGHLIGHT_COLOUR, render, to_dot

DAY, HOUR = 86400, 3600
SVG = "{http://www.w3.org/2000/svg}"

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")


def regime(**overrides) -> Regime:
    """A small regime that uses every kind of element the drawing shows."""
    parts = dict(
        id="demo",
        title="Demo treaty",
        actors=(
            Actor(id="A", name="State A", kind="state"),
            Actor(id="B", kind="state"),
            Actor(id="labA", kind="lab", controlled_by=("A",)),
            Actor(id="insp", name="Inspectorate", kind="inspectorate"),
            Actor(id="press", kind="ngo", status="proposed"),
            Actor(id="old", kind="agency", status="suspended"),
        ),
        bodies=(
            Body(id="council", members=("A", "B", "insp", "labA", "press"), approve=3, latency=2 * DAY),
            Body(id="veto", members=("A", "B", "insp", "labA", "press"), block=2),
        ),
        assets=(Asset(id="dc1", host="A", owner="labA", kind="datacenter"),),
        signatures=(Signature(id="power"),),
        mechanisms=(
            Mechanism(id="meter", operator="insp", observes=(Observation(signature="power", threshold=5),),
                      at=("dc1",), period=30 * DAY, notice=0, latency=12 * HOUR, tamper_evident=True),
            Mechanism(id="challenge", operator="insp", observes=(Observation(signature="power"),),
                      triggered_by="council", notice=DAY, latency=0),
        ),
        flows=(
            Flow(id="f_auth", source="insp", target="council", latency=DAY, mandatory=True,
                 authenticated=True),
            Flow(id="f_plain", source="labA", target="insp", via=("A",), latency=365 * DAY,
                 period=90 * DAY),
            Flow(id="f_new", source="press", target="insp", status="proposed"),
        ),
        verifiers=(Verifier(id="council"),),
    )
    parts.update(overrides)
    return Regime(**parts)


def parse(source: str) -> dict:
    """What Graphviz made of the DOT source: nodes by name, edges as (tail, head, attrs)."""
    done = subprocess.run(["dot", "-Tjson0"], input=source.encode(), capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    g = json.loads(done.stdout)
    objects = g.get("objects", [])
    by_gvid = {o["_gvid"]: o for o in objects}
    nodes = {o["name"]: o for o in objects[g["_subgraph_cnt"]:]}
    edges = [(by_gvid[e["tail"]]["name"], by_gvid[e["head"]]["name"], e) for e in g.get("edges", [])]
    clusters = {o["name"]: o for o in objects[: g["_subgraph_cnt"]]}
    return {"graph": g, "nodes": nodes, "edges": edges, "clusters": clusters}


def edges_between(g: dict, tail: str, head: str, label: str = "") -> list[dict]:
    """Edges tail -> head whose label contains ``label``."""
    return [attrs for t, h, attrs in g["edges"]
            if (t, h) == (tail, head) and label in attrs.get("label", "")]


def styles(attrs: dict) -> set[str]:
    return set(filter(None, attrs.get("style", "").split(",")))


# --- DOT source ---------------------------------------------------------------


def test_dot_is_the_same_bytes_every_time():
    highlight_a = {"coalition": ["A", "labA", "B"], "blocked": {"f_plain", "meter"}}
    highlight_b = {"coalition": {"B", "A", "labA"}, "blocked": ["meter", "f_plain"]}
    assert to_dot(regime()) == to_dot(regime())
    # Equal highlights given in another order or container draw the same.
    assert to_dot(regime(), highlight_a) == to_dot(regime(), highlight_b)
    assert to_dot(regime()) != to_dot(regime(), highlight_a)
    assert to_dot(regime(), {"coalition": "labA"}) == to_dot(regime(), {"coalition": ["labA"]})


@needs_dot
def test_every_element_is_a_node():
    r = regime()
    g = parse(to_dot(r))
    for e in (*r.actors, *r.bodies, *r.assets, *r.mechanisms):
        assert e.id in g["nodes"], e.id


@needs_dot
def test_actor_kinds_have_distinct_shapes_and_unknown_kinds_fall_back():
    kinds = [k for k in ACTOR_STYLES if k != "laboratory"]  # an alias of "lab"
    actors = tuple(Actor(id=f"a_{k.replace('-', '_')}", kind=k) for k in kinds)
    r = Regime(id="kinds", actors=(*actors, Actor(id="alien", kind="martian")))
    g = parse(to_dot(r))["nodes"]
    looks = {a.kind: (g[a.id]["shape"], g[a.id]["style"], g[a.id]["fillcolor"]) for a in actors}
    assert len(set(looks.values())) == len(kinds), looks
    alien = g["alien"]
    assert (alien["shape"], alien["style"], alien["fillcolor"]) == looks["other"]
    # The legend shows the unlisted kind by name.
    assert "martian" in g["legend:other"]["label"]


@needs_dot
def test_bodies_assets_mechanisms_have_their_own_shapes():
    g = parse(to_dot(regime()))["nodes"]
    shapes = {g[i]["shape"] for i in ("council", "dc1", "meter")}
    actor_shapes = {g[a.id]["shape"] for a in regime().actors}
    assert len(shapes) == 3
    assert not shapes & actor_shapes


@needs_dot
def test_body_label_shows_the_voting_rule_and_latency():
    g = parse(to_dot(regime()))["nodes"]
    assert "approve 3 of 5" in g["council"]["label"]
    assert "decides in 2d" in g["council"]["label"]
    assert "block 2 of 5" in g["veto"]["label"]
    assert "decides in 0" in g["veto"]["label"]


@needs_dot
def test_flows_mandatory_bold_optional_dashed_authenticated_coloured():
    g = parse(to_dot(regime()))
    (auth,) = edges_between(g, "insp", "council", "f_auth")
    first, = edges_between(g, "labA", "A")
    assert "bold" in styles(auth) and "dashed" not in styles(auth)
    assert "dashed" in styles(first) and "bold" not in styles(first)
    assert auth["color"] == AUTH_COLOUR
    assert first["color"] != AUTH_COLOUR
    assert "f_auth" in auth["label"] and "latency 1d" in auth["label"]
    assert "every" not in auth["label"]  # period 0 is not shown


@needs_dot
def test_a_relayed_flow_goes_through_its_relay():
    g = parse(to_dot(regime()))
    first, = edges_between(g, "labA", "A")
    second, = edges_between(g, "A", "insp")
    assert not edges_between(g, "labA", "insp")
    assert "latency 1y" in first["label"] and "every 90d" in first["label"]
    assert "f_plain" in second["label"]


@needs_dot
def test_mechanisms_operator_trigger_and_tamper_evidence():
    g = parse(to_dot(regime()))
    nodes = g["nodes"]
    (op,) = edges_between(g, "meter", "insp")
    assert "every 30d" in op["label"] and "latency 12h" in op["label"]
    assert "notice" not in op["label"]
    (op2,) = edges_between(g, "challenge", "insp")
    assert "notice 1d" in op2["label"]
    (trigger,) = edges_between(g, "council", "challenge")
    assert "dotted" in styles(trigger)
    assert "dashed" in styles(nodes["challenge"])
    assert "dashed" not in styles(nodes["meter"])
    assert float(nodes["meter"].get("penwidth", 1)) > float(nodes["challenge"].get("penwidth", 1))
    assert "tamper-evident" in nodes["meter"]["label"]


@needs_dot
def test_assets_are_hosted_and_verifiers_double_bordered():
    g = parse(to_dot(regime()))
    (hosted,) = edges_between(g, "dc1", "A")
    assert hosted["label"] == "hosted by"
    assert g["nodes"]["council"].get("peripheries") == "2"
    assert g["nodes"]["veto"].get("peripheries", "1") == "1"
    assert g["nodes"]["insp"].get("peripheries", "1") == "1"


@needs_dot
def test_proposed_dashed_grey_and_suspended_faint():
    g = parse(to_dot(regime()))
    nodes = g["nodes"]
    assert "dashed" in styles(nodes["press"]) and "dashed" not in styles(nodes["A"])
    assert nodes["press"]["color"] != nodes["A"]["color"]
    assert "(proposed)" in nodes["press"]["label"]
    assert nodes["old"]["fillcolor"] != ACTOR_STYLES["agency"][1]
    assert "(suspended)" in nodes["old"]["label"]
    (new,) = edges_between(g, "press", "insp")
    assert "(proposed)" in new["label"] and new["color"] != edges_between(g, "labA", "A")[0]["color"]


@needs_dot
def test_legend_explains_shapes_lines_and_colours():
    g = parse(to_dot(regime()))
    legend = g["clusters"]["cluster_legend"]
    assert legend["label"] == "Legend"
    labels = " ".join(g["nodes"][n]["label"] for n in g["nodes"] if n.startswith("legend:")
                      and "label" in g["nodes"][n])
    for words in ("state", "lab", "decision body", "asset", "triggered mechanism", "verifier",
                  "mandatory flow", "authenticated flow", "(proposed)", "(suspended)"):
        assert words in labels, words
    # The kinds in the legend are those the regime has.
    assert "legend:state" in g["nodes"] and "legend:cloud" not in g["nodes"]
    # Legend entries for the overlay appear only with an overlay.
    assert "coalition" not in labels
    (auth,) = [a for t, h, a in g["edges"] if h == "legend:authenticated"]
    assert auth["color"] == AUTH_COLOUR


@needs_dot
def test_highlight_draws_coalition_red_and_blocked_red_dashed():
    g = parse(to_dot(regime(), {"coalition": {"A"}, "blocked": {"f_plain", "meter"}}))
    nodes = g["nodes"]
    assert nodes["A"]["color"] == HIGHLIGHT_COLOUR
    assert nodes["B"]["color"] != HIGHLIGHT_COLOUR
    for tail, head in (("labA", "A"), ("A", "insp")):
        (e,) = edges_between(g, tail, head)
        assert e["color"] == HIGHLIGHT_COLOUR and "dashed" in styles(e)
    (e,) = edges_between(g, "insp", "council", "f_auth")
    assert e["color"] != HIGHLIGHT_COLOUR
    assert nodes["meter"]["color"] == HIGHLIGHT_COLOUR and "dashed" in styles(nodes["meter"])
    assert nodes["challenge"]["color"] != HIGHLIGHT_COLOUR
    assert "legend:coalition" in nodes


@pytest.mark.parametrize("highlight", [
    {"coalition": {"nobody"}},
    {"blocked": {"A"}},          # an actor is not a flow or mechanism
    {"colition": {"A"}},         # a misspelt key
])
def test_highlight_naming_nothing_is_refused(highlight):
    with pytest.raises(ValueError):
        to_dot(regime(), highlight)


@needs_dot
def test_ids_and_labels_with_quotes_backslashes_and_unicode_survive():
    odd = ['q"uote', "back\\slash", "trail\\", 'both\\"', "ünï-çødé ✓", "x&lt;y", "n\\l"]
    actors = tuple(Actor(id=i, name=f"{i} & <b>", kind="state") for i in odd)
    r = Regime(id='re"gime\\', title='T "1" \\N & Co', actors=actors,
               flows=(Flow(id='f"1', source=odd[0], target=odd[-1]),))
    source = to_dot(r)
    g = parse(source)
    actor_nodes = [n for n in g["nodes"] if not n.startswith("legend:")]
    assert len(actor_nodes) == len(odd)  # distinct ids stay distinct nodes
    texts = svg_texts(source)
    for i in odd:
        assert f"{i} & <b>" in texts
    assert 'T "1" \\N & Co' in texts


def svg_texts(source: str) -> set[str]:
    done = subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True, check=True)
    return {t.text for t in ET.fromstring(done.stdout).iter(f"{SVG}text") if t.text}


# Control and format characters (Cc, Cf: ANSI escapes, bidirectional
# overrides) are drawn as visible escapes, not as written: see
# test_control_and_bidirectional_characters_are_shown_escaped.
label_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp"), blacklist_characters="\x85"),
    min_size=1, max_size=20,
).filter(lambda s: s.strip() == s and "  " not in s)


@needs_dot
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=label_text)
def test_any_name_is_drawn_exactly(name):
    r = Regime(id="r", actors=(Actor(id="a", name=name, kind="state"),))
    assert name in svg_texts(to_dot(r))


# --- render() ---------------------------------------------------------------


@needs_dot
def test_render_svg_is_xml_with_an_svg_root(tmp_path):
    out = tmp_path / "r.svg"
    render(regime(), out)
    root = ET.parse(out).getroot()
    assert root.tag == f"{SVG}svg"
    titles = {t.text for t in root.iter(f"{SVG}title")}
    assert {"A", "labA", "council", "meter"} <= titles
    assert sorted(os.listdir(tmp_path)) == ["r.svg"]  # no temporary file left


@needs_dot
def test_render_png_and_dot(tmp_path):
    render(regime(), tmp_path / "r.png")
    assert (tmp_path / "r.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    render(regime(), tmp_path / "r.DOT")  # the extension's case does not matter
    assert (tmp_path / "r.DOT").read_text(encoding="utf-8") == to_dot(regime())


def test_written_file_is_readable_by_others_not_private(tmp_path):
    out = tmp_path / "r.dot"
    render(regime(), out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    out.chmod(0o600)
    render(regime(), out)  # replacing keeps the mode the file had
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


@pytest.mark.parametrize("name", ["r.pdf", "r", "r.svg.txt"])
def test_unknown_extension_writes_nothing(tmp_path, name):
    with pytest.raises(RenderError, match="not a known output format"):
        render(regime(), tmp_path / name)
    assert os.listdir(tmp_path) == []


def test_missing_folder_is_a_render_error(tmp_path):
    with pytest.raises(RenderError, match="does not exist"):
        render(regime(), tmp_path / "nowhere" / "r.dot")


def test_missing_dot_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(RenderError, match="'dot' was not found") as info:
        render(regime(), tmp_path / "r.svg")
    assert isinstance(info.value, VerifyError)
    assert os.listdir(tmp_path) == []
    render(regime(), tmp_path / "r.dot")  # DOT source needs no Graphviz
    assert os.listdir(tmp_path) == ["r.dot"]


def test_failing_dot_leaves_the_old_file_untouched(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "dot"
    fake.write_text("#!/bin/sh\nprintf '<svg partial'\necho 'Error: syntax error' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "r.svg"
    out.write_text("previous drawing")
    with pytest.raises(RenderError, match="syntax error"):
        render(regime(), out)
    assert out.read_text() == "previous drawing"
    assert os.listdir(out_dir) == ["r.svg"]


# --- the CLI ----------------------------------------------------------------

TINY = """\
regime: tiny
title: A tiny regime
actors:
  - {id: A, kind: state}
  - {id: insp, kind: inspectorate}
  - {id: watch, kind: ngo, status: proposed}
assets:
  - {id: dc, host: A}
signatures:
  - {id: heat}
mechanisms:
  - {id: sat, kind: imagery, operator: insp, observes: [heat], period: 30d, latency: 12h}
flows:
  - {id: report, from: A, to: insp, latency: 1d, mandatory: true, authenticated: true}
  - {id: tip, from: watch, to: insp, latency: 2d}
verifiers: [insp]
"""


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return cli(["render", *argv], out), out.getvalue()


@pytest.fixture
def tiny(tmp_path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


@needs_dot
def test_cli_writes_svg_and_prints_the_path(tiny, tmp_path):
    out = tmp_path / "tiny.svg"
    status, text = run(str(tiny), "-o", str(out))
    assert status == 0, text
    assert text.strip() == str(out)
    root = ET.parse(out).getroot()
    assert root.tag == f"{SVG}svg"
    assert "watch" in {t.text for t in root.iter(f"{SVG}title")}


def test_cli_as_is_leaves_out_proposed_elements(tiny, tmp_path):
    styled, as_is = tmp_path / "styled.dot", tmp_path / "as_is.dot"
    assert run(str(tiny), "-o", str(styled))[0] == 0
    status, text = run(str(tiny), "-o", str(as_is), "--as-is")
    assert status == 0
    assert '"watch"' in styled.read_text() and "(proposed)" in styled.read_text()
    assert '"watch"' not in as_is.read_text() and '"tip"' not in as_is.read_text()
    assert "warning: actor 'watch' is left out" in text


def test_cli_unknown_extension_exits_2_and_writes_nothing(tiny, tmp_path):
    status, text = run(str(tiny), "-o", str(tmp_path / "tiny.pdf"))
    assert status == 2
    assert "'.pdf' is not a known output format" in text
    assert sorted(os.listdir(tmp_path)) == ["tiny.yaml"]


def test_cli_invalid_regime_exits_2_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY.replace("kind: state", "kind: state, colour: red"))
    status, text = run(str(bad), "-o", str(tmp_path / "bad.svg"))
    assert status == 2
    assert "error: E010" in text
    assert sorted(os.listdir(tmp_path)) == ["bad.yaml"]


def test_cli_needs_an_output(tiny):
    status, text = run(str(tiny))
    assert status == 2
    assert "-o/--output" in text


# --- readable at real size (issue 9) ------------------------------------------------


def council(n: int, **overrides) -> Regime:
    """A body of n interchangeable states and a chair who also sends a report."""
    members = tuple(Actor(id=f"state-{i:02d}", kind="state") for i in range(1, n + 1))
    parts = dict(
        id="big",
        actors=(Actor(id="chair", kind="state"), Actor(id="agency", kind="agency"), *members),
        bodies=(Body(id="council", members=("chair", *(a.id for a in members)), approve=n // 2 + 1),),
        flows=(Flow(id="brief", source="chair", target="agency", mandatory=True),
               Flow(id="report", source="agency", target="council", mandatory=True)),
        verifiers=(Verifier(id="council"),),
    )
    parts.update(overrides)
    return Regime(**parts)


@needs_dot
def test_interchangeable_members_are_one_node_with_a_count():
    g = parse(to_dot(council(38)))
    (group,) = [n for n in g["nodes"] if n.startswith("group:")]
    assert g["nodes"][group]["label"].startswith("38 members (state-01 … state-38)")
    assert "state-05" not in g["nodes"]
    # The chair also sends a report: drawn on its own, with its own membership edge.
    assert "chair" in g["nodes"]
    membership = sorted(t for t, h, _ in g["edges"] if h == "council" and t != "agency")
    assert membership == ["chair", group]
    (edge,) = edges_between(g, group, "council")
    assert "each of" in edge["label"]


@needs_dot
def test_members_named_elsewhere_are_drawn_on_their_own():
    r = council(5, flows=(Flow(id="report", source="agency", target="council"),
                          Flow(id="tip", source="state-03", target="agency")),
                mechanisms=(Mechanism(id="m", operator="state-04", observes=(Observation(signature="s"),)),),
                signatures=(Signature(id="s"),))
    g = parse(to_dot(r))
    (group,) = [n for n in g["nodes"] if n.startswith("group:")]
    # The chair sends nothing here, so it is as interchangeable as the rest.
    assert g["nodes"][group]["label"].startswith("4 members (chair … state-05)")
    for own in ("state-03", "state-04"):
        assert own in g["nodes"]
    # Two interchangeable members are not worth a group.
    assert not [n for n in parse(to_dot(council(1)))["nodes"] if n.startswith("group:")]


@needs_dot
def test_a_coalition_member_is_never_hidden_in_a_group():
    g = parse(to_dot(council(10), {"coalition": {"state-07"}}))
    assert g["nodes"]["state-07"]["color"] == HIGHLIGHT_COLOUR
    (group,) = [n for n in g["nodes"] if n.startswith("group:")]
    assert g["nodes"][group]["label"].startswith("9 members (state-01 … state-10)")


@needs_dot
def test_legend_lists_only_what_the_design_uses():
    g = parse(to_dot(council(3)))
    legend = {n for n in g["nodes"] if n.startswith("legend:") and not n.endswith(":line")}
    assert {"legend:state", "legend:agency", "legend:body", "legend:verifier", "legend:mandatory",
            "legend:member", "legend:group"} <= legend
    for absent in ("legend:asset", "legend:triggered", "legend:tamper", "legend:proposed", "legend:suspended",
                   "legend:voluntary", "legend:authenticated", "legend:hosted", "legend:controls",
                   "legend:operated", "legend:coalition", "legend:lab"):
        assert absent not in legend, absent


def test_a_drawing_fits_a_page():
    from verify.render import PAGE_SIZE

    width, height = (float(x) for x in PAGE_SIZE.split(","))
    assert width <= 12 and height <= 17
    assert f'size="{PAGE_SIZE}"' in to_dot(council(100)).splitlines()[1]


@needs_dot
def test_a_large_body_is_drawn_smaller_than_a_page(tmp_path):
    out = tmp_path / "big.svg"
    render(council(193), out)
    root = ET.parse(out).getroot()
    width = float(root.get("width").removesuffix("pt"))
    height = float(root.get("height").removesuffix("pt"))
    assert width <= 11 * 72 + 1 and height <= 16 * 72 + 1


# --- labels escaped (issue 11) --------------------------------------------------------


@needs_dot
def test_control_and_bidirectional_characters_are_shown_escaped():
    hostile = "Lab \x1b[32mHOLDS\x1b[0m\r\x00\u202e end"
    r = Regime(id="r", title=hostile, description=hostile,
               actors=(Actor(id="a", name=hostile, kind="st\u202eate", description=hostile),))
    source = to_dot(r)
    assert "\u202e" not in source and "\x1b" not in source and "\x00" not in source
    texts = svg_texts(source)
    assert "Lab \\x1b[32mHOLDS\\x1b[0m\\r\\x00\\u202e end" in texts
    assert "other: st\\u202eate" in texts  # the legend names the unlisted kind


# --- counterexamples on the diagram (issue 12) -------------------------------------


ROOT = Path(__file__).resolve().parents[1]


def failing(path: Path, prop: str, **params):
    from verify.analyses.properties import run as check
    from verify.load import load
    from verify.model import PropertySpec

    regime = load(path)
    results = check(regime, PropertySpec(property=prop, params=tuple(params.items())))
    result = next(r for r in results if r.witness is not None and r.verdict.value == "fails")
    return regime, result


@needs_dot
def test_a_counterexample_is_drawn_on_the_diagram():
    from verify.explain import title
    from verify.render import SURVIVING_COLOUR, overlay_of

    regime, result = failing(ROOT / "designs/flagship-no-whistleblower.yaml", "non-circumventability", k=2)
    w = result.witness
    overlay = overlay_of(regime, result)
    g = parse(to_dot(regime, overlay=overlay))
    nodes = g["nodes"]
    # The violation, at its asset; the perpetrator; each chosen colluder.
    violation = regime.violation[w.violation]
    (edge,) = edges_between(g, f"violation:{violation.id}", violation.at)
    assert "PERPETRATOR" in nodes[w.perpetrator]["label"]
    for a in w.chosen:
        assert "chosen colluder" in nodes[a]["label"] and nodes[a]["color"] == HIGHLIGHT_COLOUR
    # Each route's block: drawn where it happens, with how.
    for route in w.routes:
        step = route.block
        if step is None:
            continue
        if step.element in regime.flow:
            f = regime.flow[step.element]
            (e, *_) = edges_between(g, f.source, (f.via or (f.target,))[0], f.id)
            assert e["color"] == HIGHLIGHT_COLOUR and "✗" in e["label"], f.id
        else:
            assert "✗" in nodes[step.element]["label"]
    # Verifiers outside the coalition that never hear.
    deaf = [v.id for v in regime.verifiers if v.id not in w.coalition]
    assert deaf and all("never hears of it" in nodes[v]["label"] for v in deaf)
    assert title(result) in g["graph"]["label"]
    # A route whose evidence counts is green (none does in this scenario).
    assert all(n.get("color") != SURVIVING_COLOUR for n in nodes.values())
    assert to_dot(regime, overlay=overlay) == to_dot(regime, overlay=overlay_of(regime, result))


@needs_dot
def test_the_colluder_pool_is_drawn():
    from verify.render import POOL_COLOUR, overlay_of

    # The IAEA design names its pool (the Board members and the DG); its
    # fault tolerance fails, with a counterexample that leaves the pool out.
    regime, result = failing(ROOT / "designs/iaea-safeguards.yaml", "fault-tolerance", f=1)
    overlay = overlay_of(regime, result)
    assert overlay.pool == regime.threat_model.colluders
    nodes = parse(to_dot(regime, overlay=overlay))["nodes"]
    outside = [a for a in overlay.pool if a not in result.witness.coalition]
    assert outside
    for a in outside:
        node = nodes.get(a)
        if node is None:  # drawn as part of a group of interchangeable members
            (node,) = [n for k, n in nodes.items() if k.startswith("group:") and a in n.get("tooltip", "")]
        assert node["color"] == POOL_COLOUR and "pool" in node["label"]
    assert "legend:pool" in nodes
    assert "failed: " + ", ".join(result.witness.failed) in parse(to_dot(regime, overlay=overlay))["graph"]["label"]


def test_a_result_that_holds_has_no_counterexample():
    from verify.analyses.properties import run as check
    from verify.load import load
    from verify.model import PropertySpec
    from verify.render import overlay_of

    regime = load(ROOT / "designs/flagship-ai-agreement.yaml")
    (result,) = check(regime, PropertySpec(property="detectability"))
    with pytest.raises(ValueError, match="no counterexample"):
        overlay_of(regime, result)


@needs_dot
def test_cli_counterexample(tmp_path):
    out = tmp_path / "cx.svg"
    status, text = run(str(ROOT / "designs/flagship-no-whistleblower.yaml"), "--counterexample",
                       "non-circumventability", "-k", "2", "-o", str(out))
    assert status == 0, text
    titles = {t.text for t in ET.parse(out).getroot().iter(f"{SVG}title")}
    assert "violation:covert-training-run" in titles
    held = tmp_path / "held.svg"
    status, text = run(str(ROOT / "designs/flagship-ai-agreement.yaml"), "--counterexample",
                       "detectability", "-o", str(held))
    assert status == 2 and "no counterexample to draw" in text and not held.exists()
    status, text = run(str(ROOT / "designs/flagship-ai-agreement.yaml"), "-k", "2", "-o", str(held))
    assert status == 2 and "only with --counterexample" in text and not held.exists()


def test_cli_counterexample_takes_every_parameter_check_takes():
    """render --counterexample reads its parameters with check's own options,
    so a parameter added to check (like --from) is accepted here too."""
    import argparse

    from verify.cli._common import Parser
    from verify.cli.check import add_property_options

    check = Parser(prog="check", stream=io.StringIO(), add_help=False)
    add_property_options(check)
    wanted = {s for a in check._actions if a.dest != "property" for s in a.option_strings}
    status, text = run("--help")
    assert status == 0
    for flag in wanted:
        assert f" {flag}" in text, flag
    assert isinstance(check.parse_args([]), argparse.Namespace)


@needs_dot
def test_a_declared_group_of_council_members_is_one_node_named_as_declared():
    """Members of a declared group (``groups:``) are still only members:
    the design's 39 council members outside the case are one node."""
    from verify.load import load
    from verify.render import member_groups

    path = ROOT / "designs/cwc-challenge-inspection.yaml"
    if not path.exists():
        pytest.skip("the CWC design is not in this checkout")
    regime = load(path)
    declared = [g for g in regime.groups if g.members and len(g.members) >= 3
                and all(m in regime.actor for m in g.members)]
    groups = member_groups(regime)
    matching = [(g, drawn) for g in declared for drawn in groups if set(drawn) == set(g.members)]
    assert matching, (declared, groups)
    g, drawn = matching[0]
    nodes = parse(to_dot(regime))["nodes"]
    node = nodes[f"group:{drawn[0]}"]
    assert node["label"].startswith(f"{len(drawn)} members ({drawn[0]} … {drawn[-1]})")
    assert (g.name or g.id) in node["label"]
    assert not any(m in nodes for m in drawn)


@needs_dot
def test_interchangeable_colluders_are_drawn_as_one_group():
    """In a council of interchangeable members, a counterexample's chosen
    colluders are one node ("N members ... chosen colluders"), the members
    outside the coalition another."""
    from verify.analyses.properties import run as check
    from verify.load import load
    from verify.model import PropertySpec
    from verify.render import overlay_of

    path = ROOT / "designs/cwc-challenge-inspection.yaml"
    if not path.exists():
        pytest.skip("the CWC design is not in this checkout")
    regime = load(path)
    margin = check(regime, PropertySpec(property="robustness-margin"))[0].figures
    k = margin.kstar.value
    assert k is not None and k >= 3
    # k* is the largest k that holds: k* + 1 fails.
    regime, result = failing(path, "non-circumventability", k=k + 1)
    chosen = result.witness.chosen
    nodes = parse(to_dot(regime, overlay=overlay_of(regime, result)))["nodes"]
    alone = [a for a in chosen if a in nodes]
    assert all("chosen colluder" in nodes[a]["label"] for a in alone)
    grouped = [n for name, n in nodes.items() if name.startswith("group:") and "chosen colluders" in n["label"]]
    counted = sum(int(n["label"].split(" ", 1)[0]) for n in grouped)
    assert counted + len(alone) == len(chosen)
    assert grouped and all(n["color"] == HIGHLIGHT_COLOUR for n in grouped)
    assert f"{len(chosen)} chosen colluders" in parse(to_dot(regime, overlay=overlay_of(regime, result)))[
        "graph"]["label"] or len(chosen) <= 6


@needs_dot
def test_a_late_route_of_a_failed_timeliness_is_drawn_as_reaching():
    """A timeliness that fails because evidence arrives too late: the route
    that arrives is drawn green (it reaches a verifier), nothing of it red."""
    from verify.analyses.properties import run as check
    from verify.load import load
    from verify.render import SURVIVING_COLOUR, overlay_of

    found = None
    for name in ("mine-ban-transparency.yaml", "iaea-safeguards.yaml", "flagship-no-whistleblower.yaml"):
        regime = load(ROOT / "designs" / name)
        for spec in regime.properties:
            if spec.property != "timeliness":
                continue
            for r in check(regime, spec):
                if r.verdict.value == "fails" and r.witness and any(x.time is not None for x in r.witness.routes):
                    found = found or (regime, r)
    assert found, "a design has a timeliness that fails by arriving late"
    regime, result = found
    overlay = overlay_of(regime, result)
    arriving = {s.element for x in result.witness.routes if x.time is not None for s in x.steps}
    assert arriving and set(overlay.surviving) == arriving - set(dict(overlay.blocked))
    g = parse(to_dot(regime, overlay=overlay))
    for element in overlay.surviving:
        if element in regime.mechanism:
            assert g["nodes"][element]["color"] == SURVIVING_COLOUR
        else:
            f = regime.flow[element]
            (e, *_) = edges_between(g, f.source, (f.via or (f.target,))[0], f.id)
            assert e["color"] == SURVIVING_COLOUR
    assert "legend:surviving" in g["nodes"]


@needs_dot
def test_cli_draws_a_given_scenario_whatever_its_verdict(tmp_path):
    """--counterexample with --coalition draws exactly that scenario (as
    check --coalition answers it): detected, its routes that reach are green."""
    from verify.render import SURVIVING_COLOUR

    flagship = str(ROOT / "designs/flagship-ai-agreement.yaml")
    out = tmp_path / "wi.dot"
    status, text = run(flagship, "--counterexample", "non-circumventability", "--coalition", "agency", "-o", str(out))
    assert status == 0, text
    g = parse(out.read_text())
    assert "chosen colluder" in g["nodes"]["agency"]["label"]
    assert any(n.get("color") == SURVIVING_COLOUR for n in g["nodes"].values() if not n["name"].startswith("legend"))
    status, text = run(flagship, "--counterexample", "detectability", "--failed", "agency", "-o", str(out))
    assert status == 2 and "--failed goes with --coalition" in text


@pytest.mark.parametrize("command", [["report"], ["diff", "x.yaml"]])
def test_report_and_diff_refuse_a_given_scenario(command):
    out = io.StringIO()
    flagship = str(ROOT / "designs/flagship-ai-agreement.yaml")
    status = cli([command[0], flagship, *command[1:], "--coalition", "agency"], out)
    assert status == 2 and "give one scenario" in out.getvalue()
