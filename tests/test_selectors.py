"""Selectors (``{kind: K}``, ``{group: G}``, ``except:``), declared groups
(by members or by count) and named decisions, as the loader reads them:
what they resolve to, where their errors point, and how variants see them.
Verdicts under decisions are the engine's business (tests/test_properties.py
and the agreement tests); here only loading and validation."""

from __future__ import annotations

import copy
import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema
import pytest
import yaml

from verify.errors import InvalidRegimeError
from verify.limits import Limits
from verify.load import load
from verify.load.select import MAX_COUNT, Resolved, member_id, resolve
from verify.load.validate import diagnose, schema_valid
from verify.load.yamlsrc import Map, Seq, parse
from verify.model import Location, effective
from verify.schema import schema

ROOT = Path(__file__).resolve().parents[1]

HEAD = """\
regime: sel
actors:
  - {id: state-a, kind: state}
  - {id: state-b, kind: state}
  - {id: lab-a, kind: lab, controlled_by: state-a}
  - {id: ts, kind: inspectorate}
  - {id: state-c, kind: state}
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def diagnostics(path: Path) -> list:
    with pytest.raises(InvalidRegimeError) as e:
        load(path)
    return list(e.value.diagnostics)


def at(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """(line, column) of the ``nth`` occurrence of ``needle`` in ``text``, 1-based."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    line = text.count("\n", 0, start) + 1
    return line, start - (text.rfind("\n", 0, start) + 1) + 1


def where(d) -> tuple[int, int]:
    return d.where.line, d.where.column


# ---------------------------------------------------------------- what selectors select

def test_kind_selects_every_actor_of_that_kind_in_declaration_order(tmp_path):
    r = load(write(tmp_path / "r.yaml", HEAD + "threat_model: {colluders: {kind: state}}\n"))
    assert r.threat_model.colluders == ("state-a", "state-b", "state-c")


def test_except_leaves_actors_out(tmp_path):
    r = load(write(tmp_path / "r.yaml", HEAD + "threat_model: {colluders: {kind: state, except: [state-b]}}\n"))
    assert r.threat_model.colluders == ("state-a", "state-c")
    r = load(write(tmp_path / "r.yaml", HEAD + "threat_model: {colluders: {kind: state, except: state-b}}\n"))
    assert r.threat_model.colluders == ("state-a", "state-c")


def test_a_list_mixes_ids_and_selectors_and_names_each_actor_once(tmp_path):
    text = HEAD + "threat_model: {colluders: [ts, {kind: state}, state-b, {kind: lab}, {kind: state}]}\n"
    # state-b keeps its own place; the second {kind: state} adds nothing
    # new, but is written twice: E017.
    with pytest.raises(InvalidRegimeError) as e:
        load(write(tmp_path / "r.yaml", text))
    assert [d.code for d in e.value.diagnostics] == ["E017"]
    text = HEAD + "threat_model: {colluders: [ts, {kind: state}, state-b, {kind: lab}]}\n"
    r = load(write(tmp_path / "r.yaml", text))
    assert r.threat_model.colluders == ("ts", "state-a", "state-c", "state-b", "lab-a")


def test_a_group_selects_its_members_in_its_order(tmp_path):
    r = load(write(tmp_path / "r.yaml", HEAD + """\
groups:
  - {id: pair, members: [state-c, state-a]}
  - {id: bigger, members: [ts, {group: pair}]}
bodies:
  - {id: council, members: {group: bigger}, approve: 2, recused: [perpetrator, {group: pair, except: state-a}]}
"""))
    assert r.group["pair"].members == ("state-c", "state-a")
    assert r.group["bigger"].members == ("ts", "state-c", "state-a")
    assert r.body["council"].members == ("ts", "state-c", "state-a")
    assert r.body["council"].recused == ("perpetrator", "state-c")


def test_a_group_declared_after_the_group_that_selects_it(tmp_path):
    r = load(write(tmp_path / "r.yaml", HEAD + """\
groups:
  - {id: outer, members: [{group: inner}, ts]}
  - {id: inner, members: {kind: state}}
"""))
    assert r.group["outer"].members == ("state-a", "state-b", "state-c", "ts")


def test_every_list_of_actors_takes_selectors(tmp_path):
    r = load(write(tmp_path / "r.yaml", HEAD + """\
groups:
  - {id: states, members: {kind: state}}
assets:
  - {id: site, host: state-a}
signatures: [{id: heat}]
violations:
  - {id: v, perpetrator: {group: states, except: [state-c]}, at: site, signatures: [{signature: heat}]}
mechanisms:
  - {id: m, operator: ts, observes: [heat], requires_access: [host, {kind: lab}]}
bodies:
  - {id: council, members: {group: states}, block: 2, recused: {kind: state, except: [state-a, state-b]}}
decisions:
  - {id: finding, body: council, approve: 2, recused: [requester, {group: states, except: [state-a, state-b]}]}
labels:
  - {id: layout, cleared: {kind: inspectorate}}
"""))
    assert r.violation["v"].perpetrators == ("state-a", "state-b")
    assert r.mechanism["m"].requires_access == ("host", "lab-a")
    assert r.body["council"].recused == ("state-c",)
    assert r.decision["finding"].recused == ("requester", "state-c")
    assert r.labels[0].cleared == ("ts",)


# ---------------------------------------------------------------- groups by count

def test_a_count_declares_interchangeable_actors_at_the_group(tmp_path):
    path = write(tmp_path / "r.yaml", HEAD + """\
groups:
  - {id: council-members, count: 5}
  - {id: labs, count: 2, kind: lab, status: proposed}
bodies:
  - {id: council, members: {group: council-members}, block: 4}
""")
    r = load(path)
    generated = [a for a in r.actors if a.id.startswith("council-members.")]
    assert [a.id for a in generated] == [member_id("council-members", i) for i in range(1, 6)]
    assert [a.id for a in generated] == [f"council-members.{i}" for i in range(1, 6)]
    assert {a.kind for a in generated} == {"state"}
    assert {a.where for a in generated} == {r.group["council-members"].where}
    assert r.group["council-members"].members == tuple(a.id for a in generated)
    assert r.group["council-members"].count == 5 and r.group["council-members"].kind == "state"
    assert r.body["council"].members == r.group["council-members"].members
    labs = [a for a in r.actors if a.id.startswith("labs.")]
    assert [(a.kind, a.status) for a in labs] == [("lab", "proposed")] * 2
    # After the actors written out, in group order.
    assert [a.id for a in r.actors][:5] == ["state-a", "state-b", "lab-a", "ts", "state-c"]
    # {kind: state} selects them too, after the actors written out.
    r = load(write(tmp_path / "r.yaml", HEAD + "groups: [{id: g, count: 2}]\n"
                                               "threat_model: {colluders: {kind: state}}\n"))
    assert r.threat_model.colluders == ("state-a", "state-b", "state-c", "g.1", "g.2")
    # A proposed group's members are absent as-is.
    as_is, _ = effective(load(path), as_is=True)
    assert not any(a.id.startswith("labs.") for a in as_is.actors)


def test_a_count_without_actors_written(tmp_path):
    r = load(write(tmp_path / "r.yaml", "regime: x\ngroups: [{id: g, count: 3}]\n"))
    assert [a.id for a in r.actors] == ["g.1", "g.2", "g.3"]


def test_a_member_declared_by_hand_and_by_count_is_a_duplicate_at_the_count(tmp_path):
    text = HEAD + "  - {id: g.2, kind: state}\ngroups:\n  - {id: g, count: 3}\n"
    found = diagnostics(write(tmp_path / "r.yaml", text))
    assert [(d.code, where(d)) for d in found] == [("E021", at(text, "3}"))]
    assert "duplicate id 'g.2'" in found[0].message


@pytest.mark.parametrize("group, code, message", [
    ("{id: g, count: 3, members: [state-a]}", "E016", "group 'g': needs members or a count, not both"),
    ("{id: g, name: G}", "E016", "group 'g': needs members or a count, not neither"),
    ("{id: g, kind: lab, members: [state-a]}", "E016", "kind is the kind of the actors a count declares"),
    ("{id: g, count: 0}", "E013", "out of range"),
    (f"{{id: g, count: {MAX_COUNT + 1}}}", "E013", "out of range"),
    ("{id: g, count: 2.0}", "E011", "wrong type"),
    ("{id: g, count: 2, kind: stat}", "E015", "not one of the allowed values"),
    ("{id: g, members: []}", "E017", "is empty"),
])
def test_malformed_groups(tmp_path, group, code, message):
    found = diagnostics(write(tmp_path / "r.yaml", HEAD + f"groups:\n  - {group}\n"))
    assert [d.code for d in found] == [code], [str(d) for d in found]
    assert message in found[0].message


def test_counts_beyond_the_limit_of_elements_are_refused_before_they_are_built(tmp_path):
    path = write(tmp_path / "r.yaml", "regime: x\ngroups:\n  - {id: a, count: 6}\n  - {id: b, count: 6}\n")
    with pytest.raises(InvalidRegimeError) as e:
        load(path, limits=Limits(elements=10))
    assert [(d.code, d.where.line) for d in e.value.diagnostics] == [("E007", 4)]
    assert "--limit elements" in e.value.diagnostics[0].hint
    assert len(load(path, limits=Limits(elements=12)).actors) == 12


def test_a_large_council_by_count_loads_quickly(tmp_path):
    import time
    started = time.monotonic()
    r = load(write(tmp_path / "r.yaml", "regime: x\ngroups: [{id: csp, count: 193}]\n"
                                        "bodies: [{id: conference, members: {group: csp}, approve: 129}]\n"))
    assert len(r.body["conference"].members) == 193
    assert time.monotonic() - started < 2


# ---------------------------------------------------------------- errors, at the selector

def test_an_unknown_group_is_e020_at_the_selector_with_a_suggestion(tmp_path):
    text = HEAD + "groups: [{id: states, members: {kind: state}}]\nthreat_model: {colluders: [ts, {group: stats}]}\n"
    found = diagnostics(write(tmp_path / "r.yaml", text))
    assert [(d.code, where(d)) for d in found] == [("E020", at(text, "stats}"))]
    assert found[0].message == "threat_model: colluders selector refers to unknown group 'stats'"
    assert found[0].hint == "did you mean 'states'?"


def test_a_group_selector_naming_an_actor_is_e024(tmp_path):
    text = HEAD + "threat_model: {colluders: {group: ts}}\n"
    found = diagnostics(write(tmp_path / "r.yaml", text))
    assert [(d.code, where(d)) for d in found] == [("E024", at(text, "ts}"))]
    assert "write ts instead of the selector" in found[0].hint


def test_a_bare_group_id_is_not_its_members(tmp_path):
    text = HEAD + "groups: [{id: states, members: {kind: state}}]\nthreat_model: {colluders: [ts, states]}\n"
    found = diagnostics(write(tmp_path / "r.yaml", text))
    assert [(d.code, where(d)) for d in found] == [("E024", at(text, "states]"))]
    assert found[0].hint == "to name its members, write {group: states}"


def test_a_kind_no_actor_has_is_e040(tmp_path):
    text = HEAD + "threat_model: {colluders: {kind: cloud}}\n"
    found = diagnostics(write(tmp_path / "r.yaml", text))
    assert [(d.code, where(d)) for d in found] == [("E040", at(text, "cloud"))]
    assert "kinds declared: inspectorate, lab, state" == found[0].hint


def test_an_exception_that_leaves_nothing_is_e040(tmp_path):
    text = HEAD + "threat_model: {colluders: {kind: lab, except: lab-a}}\n"
    found = diagnostics(write(tmp_path / "r.yaml", text))
    assert [(d.code, where(d)) for d in found] == [("E040", at(text, "{kind: lab"))]


def test_an_exception_must_be_selected_and_declared(tmp_path):
    text = HEAD + "threat_model: {colluders: {kind: state, except: [lab-a, stat-b, state-a]}}\n"
    found = diagnostics(write(tmp_path / "r.yaml", text))
    assert [(d.code, where(d)) for d in found] == [("E041", at(text, "lab-a", 1)), ("E020", at(text, "stat-b"))]
    assert found[0].message == \
        "threat_model: colluders selector {kind: state} does not select 'lab-a', which except names"
    assert found[1].hint == "did you mean 'state-b'?"


@pytest.mark.parametrize("selector, code, point, message", [
    ("{kind: stat}", "E015", "stat}", "kind is not one of the allowed values"),
    ("{knd: state}", "E010", "knd", "unknown field 'knd'"),
    ("{kind: state, group: g}", "E016", "{kind: state, group", "a selector takes kind or group, not both"),
    ("{except: [ts]}", "E012", "{except", "missing field 'kind' or 'group' in the selector"),
    ("{kind: state, except: 3}", "E011", "3}", "wrong type"),
    ("{group: 'not an id'}", "E016", "'not an id'", "is not a valid id"),
    ("{kind: state, except: [state-a, state-a]}", "E017", "[state-a, state-a]", "repeats an item"),
])
def test_a_malformed_selector_is_reported_at_its_own_place(tmp_path, selector, code, point, message):
    text = HEAD + "groups: [{id: g, members: [ts]}]\nthreat_model:\n  colluders: [ts, " + selector + "]\n"
    found = diagnostics(write(tmp_path / "r.yaml", text))
    here = [d for d in found if d.code == code]
    assert here and where(here[0]) == at(text, point, text.count(point) - 1), [str(d) for d in found]
    assert message in here[0].message
    # It never reaches the builder, and the fast validator refuses it too.
    data = resolve(parse(text, "r.yaml"))
    assert not schema_valid(data)


def test_a_field_of_the_wrong_type_says_what_a_list_of_actors_may_be(tmp_path):
    text = HEAD + "threat_model: {colluders: 3}\n"
    found = diagnostics(write(tmp_path / "r.yaml", text))
    assert [(d.code, where(d)) for d in found] == [("E011", at(text, "3}"))]
    assert found[0].expected.startswith("an actor id, a selector ({kind: K} or {group: G}")


def test_groups_in_a_ring_are_e042_once(tmp_path):
    text = HEAD + """\
groups:
  - {id: a, members: [ts, {group: b}]}
  - {id: b, members: [{group: c}]}
  - {id: c, members: [{group: a}]}
  - {id: d, members: [{group: a}]}
  - {id: self, members: [{group: self}]}
threat_model: {colluders: {group: d}}
"""
    found = diagnostics(write(tmp_path / "r.yaml", text))
    assert [(d.code, d.message, where(d)) for d in found] == [
        ("E042", "groups form a cycle: a -> b -> c -> a", at(text, "b}")),
        ("E042", "groups form a cycle: self -> self", at(text, "self}]")),
    ]


def test_an_error_about_a_selected_id_points_at_the_selector(tmp_path):
    text = HEAD + "bodies:\n  - {id: council, members: [ts, {kind: state}], approve: 1}\n"
    data = resolve(parse(text, "r.yaml"))
    members = data["bodies"][0]["members"]
    assert list(members) == ["ts", "state-a", "state-b", "state-c"]
    line, column = at(text, "{kind: state}")
    assert members.item_at[1:] == [Location("r.yaml", line, column)] * 3
    assert members.item_at[0] == Location("r.yaml", *at(text, "ts,", text.count("ts,") - 1))
    # A threshold beyond the members counts the selected ones.
    found = diagnostics(write(tmp_path / "r.yaml", text.replace("approve: 1", "approve: 5")))
    assert [(d.code, d.message) for d in found] == [("E023", "body 'council': approve: 5 is more than its 4 members")]


def test_a_control_cycle_through_a_selector(tmp_path):
    text = HEAD.replace("{id: ts, kind: inspectorate}", "{id: ts, kind: inspectorate, controlled_by: {kind: lab}}") \
        .replace("controlled_by: state-a}", "controlled_by: [state-a, ts]}")
    found = diagnostics(write(tmp_path / "r.yaml", text))
    assert [d.code for d in found] == ["E022"]


# ---------------------------------------------------------------- resolution itself

def test_resolving_changes_nothing_it_is_given_and_is_done_once():
    text = HEAD + "groups: [{id: g, count: 2}]\nthreat_model: {colluders: [ts, {kind: state}]}\n"
    data = parse(text, "r.yaml")
    before = copy.deepcopy(dict(data))
    out = resolve(data)
    assert isinstance(out, Resolved) and out is not data
    assert json.dumps(dict(data), default=list) == json.dumps(before, default=list)
    assert len(data["actors"]) == 5 and len(out["actors"]) == 7
    assert resolve(out) is out
    assert out.chain == data.chain and out.problems == () and out.unresolved == ()
    # diagnose and build take either.
    assert diagnose(data, "r.yaml") == diagnose(out, "r.yaml") == []


def test_a_design_on_stdin_resolves_its_selectors_too(tmp_path):
    text = HEAD + "groups: [{id: g, count: 2}]\nthreat_model: {colluders: {kind: state, except: [g.1]}}\n"
    done = subprocess.run([sys.executable, "-m", "verify", "validate", "-"], input=text, capture_output=True,
                          text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    done = subprocess.run([sys.executable, "-m", "verify", "validate", "-"],
                          input=text.replace("[g.1]", "[lab-a]"), capture_output=True, text=True, cwd=tmp_path,
                          timeout=120)
    assert done.returncode == 2 and "E041" in done.stdout + done.stderr


# ---------------------------------------------------------------- decisions

DECIDED = HEAD + """\
bodies:
  - {id: council, members: {kind: state}}
  - {id: board, members: [state-a, state-b], approve: 2}
decisions:
  - {id: red-light, body: council, block: 3, recused: [perpetrator, requester], latency: 12h}
  - {id: finding, body: council, approve: 2}
  - {id: board-veto, body: board, block: 1}
"""


def test_decisions_and_a_flows_decision_are_built(tmp_path):
    r = load(write(tmp_path / "r.yaml", DECIDED + """\
signatures: [{id: heat}]
mechanisms:
  - {id: m, operator: ts, observes: [heat], triggered_by: finding}
flows:
  - {id: request, from: state-a, to: council, decision: red-light, via: board-veto}
  - {id: plain, from: ts, to: board}
  - {id: gated, from: ts, to: lab-a, via: [board, finding]}
"""))
    assert r.decision["red-light"].block == 3 and r.decision["red-light"].latency == 12 * 3600
    assert r.decision["red-light"].recused == ("perpetrator", "requester")
    assert r.flow["request"].decision == "red-light" and r.flow["plain"].decision is None
    assert r.body["council"].approve is None and r.body["council"].block is None
    assert set(r.vote_rule) == {"board", "red-light", "finding", "board-veto"}
    assert r.mechanism["m"].triggered_by == "finding"


@pytest.mark.parametrize("flows, code, point, message", [
    ("  - {id: f, from: ts, to: council}", "E044", "council}",
     "flow 'f': 'council' has no voting rule of its own"),
    ("  - {id: f, from: ts, to: board, decision: finding}", "E043", "finding}",
     "decision 'finding' is a decision of 'council', not of 'board'"),
    ("  - {id: f, from: ts, to: lab-a, decision: finding}", "E043", "finding}",
     "decision 'finding' applies only to a flow to its body 'council'"),
    ("  - {id: f, from: ts, to: lab-a, via: [council]}", "E044", "council]",
     "flow 'f': via 'council', which has no voting rule of its own"),
    ("  - {id: f, from: ts, to: council, decision: board}", "E024", "board}",
     "decision must name a decision, but 'board' is a body"),
])
def test_flows_and_decisions(tmp_path, flows, code, point, message):
    text = DECIDED + "flows:\n" + flows + "\n"
    found = diagnostics(write(tmp_path / "r.yaml", text))
    assert [(d.code, where(d)) for d in found] == [(code, at(text, point, text.count(point) - 1))], \
        [str(d) for d in found]
    assert message in found[0].message


def test_a_trigger_naming_a_body_without_a_rule_is_e044(tmp_path):
    text = DECIDED + "signatures: [{id: heat}]\nmechanisms:\n  - {id: m, operator: ts, observes: [heat], " \
                     "triggered_by: council}\n"
    found = diagnostics(write(tmp_path / "r.yaml", text))
    assert [(d.code, where(d)) for d in found] == [("E044", at(text, "council}"))]
    assert "red-light, finding" in found[0].expected


@pytest.mark.parametrize("old, new, code, message", [
    ("block: 3, recused", "block: 4, recused", "E023", "decision 'red-light': block: 4 is more than the 3 members"),
    ("approve: 2}\n  - {id: board-veto", "approve: 2, block: 1}\n  - {id: board-veto", "E016",
     "decision 'finding': needs exactly one voting rule"),
    ("{id: board-veto, body: board, block: 1}", "{id: board-veto, body: board}", "E016",
     "decision 'board-veto': needs exactly one voting rule"),
    ("members: [state-a, state-b], approve: 2}", "members: [state-a, state-b]}", None, None),
    ("members: [state-a, state-b], approve: 2}", "members: [state-a, state-b], approve: 2, block: 1}", "E016",
     "body 'board': needs exactly one voting rule"),
    ("body: board, block: 1}", "body: bored, block: 1}", "E020", "body refers to unknown body 'bored'"),
    ("recused: [perpetrator, requester]", "recused: [perpetrator, requestor]", "E020",
     "recused refers to unknown actor 'requestor'"),
])
def test_the_rules_of_bodies_and_decisions(tmp_path, old, new, code, message):
    assert old in DECIDED
    text = DECIDED.replace(old, new)
    if code is None:
        load(write(tmp_path / "r.yaml", text))  # a body with decisions only needs no rule of its own
        return
    found = diagnostics(write(tmp_path / "r.yaml", text))
    assert [d.code for d in found] == [code], [str(d) for d in found]
    assert message in found[0].message


def test_a_body_without_a_rule_needs_a_decision_that_names_it(tmp_path):
    text = DECIDED.replace("  - {id: board-veto, body: board, block: 1}\n", "") \
        .replace("members: [state-a, state-b], approve: 2}", "members: [state-a, state-b]}")
    found = diagnostics(write(tmp_path / "r.yaml", text))
    assert [(d.code, d.message) for d in found] == [("E016", "body 'board': needs exactly one voting rule")]
    assert "a decision that names it" in found[0].expected


def test_requester_is_only_for_decisions(tmp_path):
    text = DECIDED.replace("{id: board, members: [state-a, state-b], approve: 2}",
                           "{id: board, members: [state-a, state-b], approve: 2, recused: requester}")
    found = diagnostics(write(tmp_path / "r.yaml", text))
    assert [(d.code, where(d)) for d in found] == [("E020", at(text, "requester}"))]
    assert found[0].hint == "'requester' is a reserved word, allowed only in decisions' recused"
    found = diagnostics(write(tmp_path / "r.yaml", HEAD + "  - {id: requester, kind: state}\n"))
    assert [d.code for d in found] == ["E016"]


def test_a_decision_goes_with_its_body_and_takes_its_flows(tmp_path):
    r = load(write(tmp_path / "r.yaml", DECIDED.replace("approve: 2}\n  - {id: board-veto",
                                                        "approve: 2}\n  - {id: board-veto")
                   .replace("{id: board, members", "{id: board, status: suspended, members") + """\
flows:
  - {id: f, from: ts, to: lab-a, via: board-veto}
"""))
    out, warnings = effective(r)
    assert "board-veto" not in out.decision and "f" not in out.flow
    assert "decision 'board-veto' is left out: it needs 'board', which is absent" in warnings


# ---------------------------------------------------------------- variants

def test_a_variant_sees_the_base_through_its_selectors_and_the_base_sees_the_variant(tmp_path):
    write(tmp_path / "base.yaml", HEAD + """\
groups:
  - {id: council-members, count: 4}
  - {id: unused, members: [ts]}
bodies:
  - {id: council, members: {group: council-members}, approve: 3}
threat_model: {colluders: {kind: state}}
""")
    variant = write(tmp_path / "variant.yaml", """\
regime: variant
extends: base.yaml
remove:
  groups: [unused]
actors:
  - {id: state-d, kind: state}
groups:
  - {id: council-members, count: 5}
decisions:
  - {id: finding, body: council, approve: 4}
flows:
  - {id: f, from: ts, to: council, decision: finding}
""")
    r = load(variant)
    assert "unused" not in r.group
    assert r.body["council"].members == tuple(f"council-members.{i}" for i in range(1, 6))
    assert r.threat_model.colluders == ("state-a", "state-b", "state-c", "state-d", *r.body["council"].members)
    assert r.flow["f"].decision == "finding" and r.decision["finding"].approve == 4


def test_an_error_in_a_base_selector_points_into_the_base(tmp_path):
    base = write(tmp_path / "base.yaml", HEAD + """\
groups:
  - {id: pair, members: [state-a, state-b]}
threat_model: {colluders: {group: pair, except: state-b}}
""")
    variant = write(tmp_path / "variant.yaml", "regime: v\nextends: base.yaml\nremove:\n  groups: [pair]\n")
    found = diagnostics(variant)
    assert [(d.code, d.where.file, where(d)) for d in found] == \
        [("E020", str(base), at(base.read_text(encoding="utf-8"), "pair,", 1))]


# ---------------------------------------------------------------- the schema as editors read it

def test_the_schema_alone_accepts_selectors_groups_and_decisions():
    text = DECIDED + "groups: [{id: g, count: 3, kind: lab}, {id: h, members: [ts, {group: g, except: g.1}]}]\n"
    validator = jsonschema.Draft202012Validator(schema())
    assert [e.message for e in validator.iter_errors(yaml.safe_load(text))] == []


def test_the_shipped_schema_and_the_loader_agree_on_the_largest_count():
    assert schema()["$defs"]["group"]["properties"]["count"]["maximum"] == MAX_COUNT


def test_resolved_documents_are_maps_with_positions():
    data = resolve(parse(HEAD + "threat_model: {colluders: {kind: state}}\n", "r.yaml"))
    colluders = data["threat_model"]["colluders"]
    assert isinstance(data, Map) and isinstance(colluders, Seq)
    assert data["threat_model"].value_at["colluders"] == colluders.where


def test_validate_prints_each_problem_with_its_place(tmp_path):
    from verify.cli import main

    path = write(tmp_path / "r.yaml", HEAD + "threat_model: {colluders: {kind: state, except: [stat-b]}}\n")
    stream = io.StringIO()
    assert main(["validate", str(path)], stream) == 2
    out = stream.getvalue()
    assert f"{path}:8:50: error: E020 threat_model: colluders selector except refers to unknown actor 'stat-b'" \
        in out
