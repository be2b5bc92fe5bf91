"""The vocabulary table (verify/vocabulary.py) against the schema, the model,
the loader and ``effective``.

The table says which fields name which kinds of element.  These tests check
that it is complete (every id-holding field of the schema and of the model is
in it, every section of the schema is in it and no other) and that it is
obeyed: for every reference it lists, a generated regime with a dangling or
wrong-kind id in that field is refused at that field's line and column, and
an absent element does to it what the table says.
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
import subprocess
import sys
import typing
from pathlib import Path

import pytest

import verify.model as model
from verify import vocabulary as vocab
from verify.errors import InvalidRegimeError
from verify.load import load
from verify.model import Regime, effective
from verify.schema import schema
from verify.vocabulary import KIND, SECTION, SECTIONS, Ref, Section

ROOT = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------- the base regime

#: One item per section, every reference field written, each naming its own
#: element where it can (so that making one absent touches one reference).
#: Every item is written on a line of its own, so a diagnostic's line tells
#: which item it is about.
BASE: dict[str, typing.Any] = {
    "actors": [
        {"id": "lab", "kind": "lab", "controlled_by": ["state"]},
        {"id": "state", "kind": "state"},
        {"id": "op", "kind": "inspectorate"},
        {"id": "insider", "kind": "individual"},
        {"id": "member", "kind": "state"},
        {"id": "relay", "kind": "ngo"},
        {"id": "holder", "kind": "lab"},
        {"id": "clerk", "kind": "individual"},
        {"id": "reader", "kind": "agency"},
        {"id": "pooled", "kind": "individual"},
        {"id": "gate-ee", "kind": "agency"},
        {"id": "ally", "kind": "state"},
        {"id": "abstainer", "kind": "individual"},
    ],
    "groups": [{"id": "bloc", "members": ["ally"]}],
    "assets": [{"id": "site", "host": "state", "owner": "holder"}],
    "signatures": [{"id": "heat"}, {"id": "logs"}],
    "violations": [{"id": "run", "perpetrator": ["lab", "insider"], "at": "site",
                    "signatures": [{"signature": "heat", "magnitude": 1}, {"signature": "logs"}]}],
    "mechanisms": [{"id": "watch", "operator": "op", "observes": [{"signature": "logs"}, {"signature": "heat"}],
                    "at": ["site"], "triggered_by": "council", "requires_access": ["gate-ee", "host"],
                    "reveals": ["layout"], "budget": "days"}],
    "flows": [{"id": "report", "from": "op", "to": "council", "via": ["relay"], "decision": "veto",
               "carries": ["layout"], "forwards": ["watch"]}],
    "bodies": [{"id": "council", "members": ["member", "state"], "approve": 1,
                "recused": ["clerk", "perpetrator"]}],
    "decisions": [{"id": "veto", "body": "council", "block": 1,
                   "recused": ["abstainer", "perpetrator", "requester"]}],
    "verifiers": [{"id": "council", "mechanisms": ["watch"]}],
    "threat_model": {"colluders": ["pooled", "insider"], "max": 1},
    "labels": [{"id": "layout", "cleared": ["reader"]}],
    "budgets": [{"id": "days", "total": 10, "period": "30d"}],
    "properties": [{"property": "timeliness", "violation": "run", "T": "30d", "from": "watch"}],
    "claims": [{"id": "claim-a", "text": "It is seen in time.", "property": "timeliness", "violation": "run",
                "T": "30d", "from": "report", "coalition": ["pooled"], "failed": ["relay"]}],
}

MARK = "@@MARK@@"


def to_yaml(doc: dict) -> tuple[str, dict[tuple[str, int], int]]:
    """The regime as YAML, one JSON flow mapping per item, and the line of
    each (section, index) (the mapping section's index is 0)."""
    lines = ["regime: vocabulary-test"]
    at: dict[tuple[str, int], int] = {}
    for sec in SECTIONS:
        if sec.name not in doc:
            continue
        value = doc[sec.name]
        if sec.shape == "mapping":
            lines.append(f"{sec.name}: {json.dumps(value)}")
            at[(sec.name, 0)] = len(lines)
            continue
        lines.append(f"{sec.name}:")
        for i, item in enumerate(value):
            lines.append(f"  - {json.dumps(item)}")
            at[(sec.name, i)] = len(lines)
    return "\n".join(lines) + "\n", at


def first_item(doc: dict, sec: Section):
    return doc[sec.name] if sec.shape == "mapping" else doc[sec.name][0]


def put(doc: dict, sec: Section, r: Ref, value, *, bare: bool = False) -> dict:
    """A copy of ``doc`` with ``value`` written in reference ``r`` of the
    section's first item (of its first sub-item, for a field within)."""
    doc = json.loads(json.dumps(doc))
    written = value if (bare or not r.many) else [value]
    if r.within is not None:
        sub_list = first_item(doc, sec)[r.within[0]]
        sub_list[0] = written if bare else {**sub_list[0], r.field: written}
    elif bare:
        doc[sec.name][0] = written
    else:
        first_item(doc, sec)[r.field] = written
    return doc


def position(doc: dict, sec: Section, r: Ref, *, bare: bool = False) -> tuple[int, int]:
    """Where the loader places the first id of reference ``r`` of the
    section's first item: the line, and the column of the opening quote."""
    text, at = to_yaml(put(doc, sec, r, MARK, bare=bare))
    line = at[(sec.name, 0)]
    return line, text.splitlines()[line - 1].index(f'"{MARK}"') + 1


def load_text(tmp_path: Path, text: str, name: str = "r.yaml") -> Regime:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load(path)


def diagnostics_of(tmp_path: Path, doc: dict) -> list:
    try:
        load_text(tmp_path, to_yaml(doc)[0])
    except InvalidRegimeError as e:
        return list(e.diagnostics)
    return []


def every_ref() -> list[tuple[Section, Ref, bool]]:
    """Every reference of the table, and once more written bare where it may be."""
    out = []
    for sec in SECTIONS:
        for r in sec.refs:
            out.append((sec, r, False))
            if r.bare:
                out.append((sec, r, True))
    return out


def ref_id(case) -> str:
    sec, r, bare = case
    return f"{sec.name}.{'' if r.within is None else r.within[0] + '[].'}{r.field}{' (bare)' if bare else ''}"


REFS = every_ref()


def test_the_base_regime_is_valid(tmp_path):
    regime = load_text(tmp_path, to_yaml(BASE)[0])
    assert {sec.name for sec in SECTIONS} <= set(BASE)
    # Every reference of the table is written in it (but a property's party
    # and label, which no one property takes together with violation and
    # from: test_a_party_or_label_gone_is_kept covers those).
    for sec in SECTIONS:
        for r in sec.refs:
            if (sec.name, r.field) in SUBJECT_REFS:
                continue
            item = first_item(BASE, sec)
            holder = item[r.within[0]][0] if r.within else item
            assert r.field in holder, (sec.name, r.field)
    assert regime.applied is None


# ---------------------------------------------------------------- references are checked

@pytest.mark.parametrize("case", REFS, ids=ref_id)
def test_a_dangling_reference_is_refused_at_its_place(tmp_path, case):
    sec, r, bare = case
    line, column = position(BASE, sec, r, bare=bare)
    found = diagnostics_of(tmp_path, put(BASE, sec, r, "nowhere", bare=bare))
    here = [d for d in found if (d.where.line, d.where.column) == (line, column)]
    assert [d.code for d in here] == ["E020"], [str(d) for d in found]
    label = r.bare_label if bare else r.said
    assert f"{label} refers to unknown {' or '.join(r.kinds)} 'nowhere'" in here[0].message


@pytest.mark.parametrize("case", REFS, ids=ref_id)
def test_a_reference_may_name_its_kinds_and_no_other(tmp_path, case):
    sec, r, bare = case
    line, column = position(BASE, sec, r, bare=bare)
    # One declared element of each kind in the namespace.
    example = {kind: first_item(BASE, s)["id"] for kind, s in KIND.items()}
    for kind, ident in example.items():
        found = diagnostics_of(tmp_path, put(BASE, sec, r, ident, bare=bare))
        here = [d.code for d in found if (d.where.line, d.where.column) == (line, column)
                and d.code in ("E020", "E024")]
        assert here == ([] if kind in r.kinds else ["E024"]), (kind, [str(d) for d in found])


@pytest.mark.parametrize("case", [c for c in REFS if not c[2]], ids=ref_id)
def test_reserved_words_only_where_the_table_allows_them(tmp_path, case):
    sec, r, _ = case
    line, column = position(BASE, sec, r)
    for word in sorted(vocab.RESERVED):
        found = diagnostics_of(tmp_path, put(BASE, sec, r, word))
        here = [d.code for d in found if (d.where.line, d.where.column) == (line, column)]
        assert here == ([] if word in r.words else ["E020"]), (word, [str(d) for d in found])


def test_a_reserved_word_cannot_be_an_id(tmp_path):
    for word in vocab.RESERVED:
        doc = json.loads(json.dumps(BASE))
        doc["actors"].append({"id": word, "kind": "other"})
        assert "E016" in {d.code for d in diagnostics_of(tmp_path, doc)}


# ---------------------------------------------------------------- selectors in every list of actors

SELECTABLE = [(sec, r) for sec in SECTIONS for r in sec.refs if r.selectable]


def _with_field(doc: dict, sec: Section, r: Ref, value) -> dict:
    doc = json.loads(json.dumps(doc))
    first_item(doc, sec)[r.field] = value
    return doc


def _selector_position(doc: dict, sec: Section, r: Ref, selector: dict, key: str) -> tuple[int, int]:
    """Where the value of ``key`` of ``selector``, written as the field's
    one item, is: the line and the column of its opening quote."""
    marked = _with_field(doc, sec, r, [{**selector, key: MARK}])
    text, at = to_yaml(marked)
    line = at[(sec.name, 0)]
    return line, text.splitlines()[line - 1].index(f'"{MARK}"') + 1


def test_every_list_of_actors_takes_selectors():
    """The table says which fields are lists of actors; every one takes selectors."""
    assert {(sec.name, r.field) for sec, r in SELECTABLE} == {
        ("actors", "controlled_by"), ("groups", "members"), ("violations", "perpetrator"),
        ("mechanisms", "requires_access"), ("bodies", "members"), ("bodies", "recused"),
        ("decisions", "recused"), ("threat_model", "colluders"), ("labels", "cleared"),
        ("claims", "coalition")}


@pytest.mark.parametrize("case", SELECTABLE, ids=lambda c: f"{c[0].name}.{c[1].field}")
@pytest.mark.parametrize("form", ["item", "whole"])
def test_a_selector_is_resolved_in_every_list_of_actors(tmp_path, case, form):
    sec, r = case
    selector = {"kind": "agency", "except": ["gate-ee"]}  # reader, gate-ee: only reader is left
    value = selector if form == "whole" else [selector, *[w for w in _raw(sec, r) if w in r.words]]
    regime = load_text(tmp_path, to_yaml(_with_field(BASE, sec, r, value))[0])
    named = _model_named(_model_item(regime, sec), r)
    words = [w for w in r.words if w in _raw(sec, r)] if form == "item" else []
    assert named == ["reader", *words], (sec.name, r.field, named)


@pytest.mark.parametrize("case", [c for c in SELECTABLE if c[0].name != "groups"],
                         ids=lambda c: f"{c[0].name}.{c[1].field}")
def test_a_group_selector_selects_the_groups_members(tmp_path, case):
    sec, r = case
    doc = json.loads(json.dumps(BASE))
    doc["groups"][0]["members"] = ["pooled", "ally"]
    regime = load_text(tmp_path, to_yaml(_with_field(doc, sec, r, [{"group": "bloc"}]))[0])
    assert _model_named(_model_item(regime, sec), r) == ["pooled", "ally"]


@pytest.mark.parametrize("case", SELECTABLE, ids=lambda c: f"{c[0].name}.{c[1].field}")
def test_an_unknown_group_in_a_selector_is_refused_at_its_place(tmp_path, case):
    sec, r = case
    line, column = _selector_position(BASE, sec, r, {}, "group")
    found = diagnostics_of(tmp_path, _with_field(BASE, sec, r, [{"group": "blok"}]))
    here = [d for d in found if (d.where.line, d.where.column) == (line, column)]
    assert [d.code for d in here] == ["E020"], [str(d) for d in found]
    assert f"{r.said} selector refers to unknown group 'blok'" in here[0].message
    assert here[0].hint == "did you mean 'bloc'?"


@pytest.mark.parametrize("case", SELECTABLE, ids=lambda c: f"{c[0].name}.{c[1].field}")
def test_a_bare_group_in_a_list_of_actors_says_how_to_select_it(tmp_path, case):
    sec, r = case
    line, column = position(BASE, sec, r)
    found = diagnostics_of(tmp_path, put(BASE, sec, r, "bloc"))
    here = [d for d in found if (d.where.line, d.where.column) == (line, column)]
    assert [(d.code, d.hint) for d in here] == [("E024", "to name its members, write {group: bloc}")], \
        [str(d) for d in found]


@pytest.mark.parametrize("case", SELECTABLE, ids=lambda c: f"{c[0].name}.{c[1].field}")
def test_an_exception_the_selector_does_not_select_is_refused_at_its_place(tmp_path, case):
    sec, r = case
    line, column = _selector_position(BASE, sec, r, {"kind": "agency"}, "except")
    found = diagnostics_of(tmp_path, _with_field(BASE, sec, r, [{"kind": "agency", "except": "clerk"}]))
    here = [d for d in found if (d.where.line, d.where.column) == (line, column)]
    assert [d.code for d in here] == ["E041"], [str(d) for d in found]


# ---------------------------------------------------------------- what an absent element does

SUBJECT_REFS = {(sec, field) for sec in ("properties", "claims") for field in ("party", "label")}


def _absent_cases() -> list[tuple[Section, Ref]]:
    return [(sec, r) for sec in SECTIONS for r in sec.refs if (sec.name, r.field) not in SUBJECT_REFS]


@pytest.mark.parametrize("section", ["properties", "claims"])
def test_a_party_or_label_gone_is_kept(tmp_path, section):
    doc = json.loads(json.dumps(BASE))
    extra = [{"property": "non-frameability", "party": "lab"}, {"property": "confidentiality", "label": "layout"}]
    if section == "claims":
        extra = [{**e, "id": f"c{i}", "text": "t", "expect": "holds"} for i, e in enumerate(extra)]
    doc[section] = [*doc[section], *extra]
    doc = _suspend(_suspend(doc, "lab"), "layout")
    regime, _ = effective(load_text(tmp_path, to_yaml(doc)[0]))
    specs = list(regime.properties) if section == "properties" else [c.spec for c in regime.claims]
    assert [s.param("party") for s in specs if s.property == "non-frameability"] == ["lab"]
    assert [s.param("label") for s in specs if s.property == "confidentiality"] == ["layout"]


def _named_in_base(sec: Section, r: Ref) -> list[str]:
    item = first_item(BASE, sec)
    if r.within is not None:
        values = [sub[r.field] for sub in item[r.within[0]]]
    else:
        value = item[r.field]
        values = value if isinstance(value, list) else [value]
    return [v for v in values if v not in r.words]


def _suspend(doc: dict, ident: str) -> dict:
    doc = json.loads(json.dumps(doc))
    for sec in vocab.ELEMENT_SECTIONS:
        for item in doc.get(sec.name, []):
            if item["id"] == ident:
                item["status"] = "suspended"
                return doc
    raise AssertionError(f"no element {ident!r}")


def _model_item(regime: Regime, sec: Section):
    value = getattr(regime, sec.name)
    if sec.shape == "mapping":
        return value
    ident = first_item(BASE, sec).get("id")
    if sec.status or sec.ids:
        return next((x for x in value if x.id == ident), None)
    return value[0] if value else None


def _model_named(item, r: Ref) -> list[str]:
    if r.within is not None:
        return [getattr(sub, r.attr) for sub in getattr(item, r.within[1])]
    if isinstance(item, model.Claim) and r.attr in {f.name for f in dataclasses.fields(model.Claim)}:
        value = getattr(item, r.attr)  # the scenario: the claim's own, not the property's
        return list(value) if isinstance(value, tuple) else [value]
    if isinstance(item, (model.PropertySpec, model.Claim)):  # a parameter, not an attribute
        spec = item.spec if isinstance(item, model.Claim) else item
        return [spec.param(r.attr)]
    value = getattr(item, r.attr)
    return list(value) if isinstance(value, tuple) else [value]


@pytest.mark.parametrize("case", _absent_cases(), ids=lambda c: f"{c[0].name}.{c[1].field}")
def test_an_absent_element_does_what_the_table_says(tmp_path, case):
    sec, r = case
    named = _named_in_base(sec, r)
    gone = named[0]
    regime, warnings = effective(load_text(tmp_path, to_yaml(_suspend(BASE, gone))[0]))
    item = _model_item(regime, sec)
    if r.absent == "needs" or (r.absent == "needs-one" and len(named) == 1):
        assert item is None, (sec.name, r.field)
        if sec.status:
            ident = first_item(BASE, sec)["id"]
            assert f"{sec.kind} {ident!r} is left out: it needs {gone!r}, which is absent" in warnings
    elif r.absent in ("shrinks", "needs-one"):
        assert item is not None, (sec.name, r.field)
        assert gone not in _model_named(item, r)
        assert [x for x in _model_named(item, r) if x is not None] == \
            [x for x in named if x != gone] + [w for w in r.words if w in _raw(sec, r)]
    else:
        assert r.absent == "kept"
        assert item is not None and _model_named(item, r) == [gone]


def _raw(sec: Section, r: Ref) -> list:
    item = first_item(BASE, sec)
    value = item[r.field] if r.within is None else [s[r.field] for s in item[r.within[0]]]
    return value if isinstance(value, list) else [value]


def test_a_violation_goes_when_every_perpetrator_is_absent(tmp_path):
    doc = _suspend(_suspend(BASE, "lab"), "insider")
    regime, warnings = effective(load_text(tmp_path, to_yaml(doc)[0]))
    assert "run" not in regime.violation
    assert "violation 'run' is left out: it needs 'lab', which is absent" in warnings


# ---------------------------------------------------------------- effective: one pass, marked

#: The rules of docs/format.md ("An absent element takes with it every element
#: that needs it"), written out by hand and iterated to a fixed point: the
#: reference the table-driven single pass is compared with.
def _fixed_point(regime: Regime, absent: set[str]) -> set[str]:
    gone = {e.id for e in regime.elements() if e.status in absent}
    while True:
        before = len(gone)
        for a in regime.assets:
            if a.host in gone:
                gone.add(a.id)
        for v in regime.violations:
            if v.at in gone or any(t.signature in gone for t in v.traces) or all(p in gone for p in v.perpetrators):
                gone.add(v.id)
        for m in regime.mechanisms:
            if {m.operator, m.triggered_by, *m.requires_access} & gone:
                gone.add(m.id)
        for f in regime.flows:
            if {f.source, f.target, *f.via, f.decision} & gone:
                gone.add(f.id)
        for d in regime.decisions:
            if d.body in gone:
                gone.add(d.id)
        if len(gone) == before:
            return gone


@pytest.mark.parametrize("design", ["base", *sorted((ROOT / "designs").glob("*.yaml"))],
                         ids=lambda p: getattr(p, "stem", p))
def test_one_pass_in_table_order_is_the_fixed_point_of_the_documented_rules(design, tmp_path):
    base = load_text(tmp_path, to_yaml(BASE)[0]) if design == "base" else load(design)
    rng = random.Random(str(getattr(design, "stem", design)))
    ids = [e.id for e in base.elements()]
    for trial in range(40):
        statuses = {i: rng.choice(["suspended", "proposed"]) for i in rng.sample(ids, rng.randint(1, 4))}
        regime = dataclasses.replace(base, **{
            sec.name: tuple(dataclasses.replace(e, status=statuses.get(e.id, e.status))
                            for e in getattr(base, sec.name))
            for sec in vocab.ELEMENT_SECTIONS})
        for as_is, absent in ((False, {"suspended"}), (True, {"suspended", "proposed"})):
            got, warnings = effective(regime, as_is=as_is)
            kept = {e.id for e in got.elements()}
            assert kept == set(ids) - _fixed_point(regime, absent), (trial, as_is)
            assert len(warnings) == len(set(ids) - kept)


def test_apply_order_puts_what_is_needed_first():
    seen: set[str] = set()
    for sec in vocab.APPLY_ORDER:
        for r in sec.refs:
            if r.absent in ("needs", "needs-one"):
                assert {k for k in r.kinds if SECTION[_section_of(k)].status} <= seen, (sec.name, r.field)
        seen.add(sec.kind)
    assert {s.name for s in vocab.APPLY_ORDER} == {s.name for s in vocab.ELEMENT_SECTIONS}


def _section_of(kind: str) -> str:
    return KIND[kind].name


def test_a_table_where_kinds_need_one_another_is_refused():
    a = Section("as", "a", "A", refs=(Ref("b", "b", ("b",), absent="needs"),))
    b = Section("bs", "b", "B", refs=(Ref("a", "a", ("a",), absent="needs"),))
    with pytest.raises(ValueError, match="needs itself"):
        vocab.apply_order((a, b))
    assert vocab.apply_order((b, Section("as", "a", "A"))) == (Section("as", "a", "A"), b)


def test_effective_is_idempotent_and_marked(tmp_path):
    doc = _suspend(BASE, "relay")
    doc["mechanisms"][0]["status"] = "proposed"
    loaded = load_text(tmp_path, to_yaml(doc)[0])
    assert loaded.applied is None
    design, warnings = effective(loaded)
    assert design.applied == "design" and warnings
    assert "watch" in design.mechanism and "report" not in design.flow
    again, more = effective(design)
    assert again is design and more == ()
    as_is, warnings = effective(design, as_is=True)
    assert as_is.applied == "as-is" and "watch" not in as_is.mechanism
    assert warnings == ("mechanism 'watch' is left out: status proposed",)
    # Nothing suspended is left in an as-is regime: the design changes nothing.
    assert effective(as_is) == (as_is, ()) and effective(as_is)[0] is as_is
    assert effective(as_is, as_is=True)[0] is as_is
    # Straight from the loader, as-is in one step: the same regime.
    direct, _ = effective(loaded, as_is=True)
    assert direct == as_is and direct.applied == "as-is"


def test_effective_without_anything_absent_still_marks(tmp_path):
    loaded = load_text(tmp_path, to_yaml(BASE)[0])
    regime, warnings = effective(loaded)
    assert warnings == () and regime == loaded and regime.applied == "design"


# ---------------------------------------------------------------- the table against the schema

def _resolve(node: dict) -> dict:
    while "$ref" in node:
        node = schema()["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _types(node: dict) -> set[str]:
    node = _resolve(node)
    t = node.get("type", [])
    return {t} if isinstance(t, str) else set(t)


def _item_schema(sec: Section) -> dict:
    top = schema()["properties"][sec.name]
    return _resolve(top if sec.shape == "mapping" else top["items"])


def _required(sec: Section, holder: dict) -> list[str]:
    """The fields an item must carry in a complete regime: its own
    ``required``, and for a section's items (not sub-items) also those the
    schema requires only in a file without ``extends`` (its ``else`` branch;
    a variant may leave them to its base)."""
    out = list(holder.get("required", []))
    if holder is _item_schema(sec):
        top = schema()["else"]["properties"].get(sec.name, {})
        out += (top if sec.shape == "mapping" else top.get("items", {})).get("required", [])
    return out


#: What the items of a list of ids refer to: ids, or (a list of actors) an
#: actor id or a selector.
ID_ITEMS = ("#/$defs/id", "#/$defs/actor_ref")


def _names_ids(node: dict) -> bool:
    """Whether a schema property holds an id or a list of ids."""
    if node.get("$ref") == "#/$defs/id":
        return True
    items = node.get("items")
    return isinstance(items, dict) and items.get("$ref") in ID_ITEMS


def _takes_selectors(node: dict) -> bool:
    """Whether a schema property (a list of actors) takes selectors, as its
    value and as items of the list."""
    whole = {"$ref": "#/$defs/selector"} in node.get("allOf", []) and "object" in _types(node)
    items = node.get("items", {}).get("$ref") == "#/$defs/actor_ref"
    assert whole == items, node
    return whole


OTHER_TOP_LEVEL = {"regime", "title", "description", "extends", "remove", "sources", "sanction", "false_alarm_cost"}


def test_every_section_of_the_schema_is_in_the_table_and_no_other():
    assert set(schema()["properties"]) - OTHER_TOP_LEVEL == set(SECTION)
    assert [s.name for s in SECTIONS] == [k for k in schema()["properties"] if k not in OTHER_TOP_LEVEL]


def test_shape_of_each_section_matches_the_schema():
    for sec in SECTIONS:
        top = schema()["properties"][sec.name]
        assert ("items" in top) == (sec.shape == "list"), sec.name
        props = _item_schema(sec)["properties"]
        assert ("id" in props and "id" in _required(sec, _item_schema(sec))) == (sec.ids or sec.name == "verifiers")
        assert ("status" in props) == sec.status, sec.name


def test_remove_lists_exactly_the_sections_merged_by_id():
    assert set(schema()["properties"]["remove"]["properties"]) == set(vocab.MERGED_BY_ID)


def test_every_reference_matches_its_schema_field():
    for sec in SECTIONS:
        for r in sec.refs:
            holder = _item_schema(sec)
            if r.within is not None:
                outer = holder["properties"][r.within[0]]
                assert "array" in _types(outer)
                holder = _resolve(outer["items"])
            node = holder["properties"][r.field]
            assert _names_ids(node), (sec.name, r.field)
            assert _takes_selectors(node) == r.selectable, (sec.name, r.field)
            assert ("array" in _types(node)) == r.many, (sec.name, r.field)
            assert (r.field in _required(sec, holder)) == r.required, (sec.name, r.field)
            bare_holder = holder if r.within is not None else _item_schema(sec)
            # An item written bare is its id: only the id's reference is bare.
            written_bare = "string" in _types(bare_holder) and "object" in _types(bare_holder)
            assert (written_bare and (r.within is not None or r.field == "id")) == r.bare, (sec.name, r.field)


def test_every_field_of_the_schema_that_holds_ids_is_in_the_table():
    for sec in SECTIONS:
        holders = [(None, _item_schema(sec))]
        for name, node in _item_schema(sec)["properties"].items():
            if "items" in node and "properties" in _resolve(node["items"]):
                holders.append((name, _resolve(node["items"])))
        for within, holder in holders:
            for name, node in holder["properties"].items():
                if not _names_ids(node) or (within is None and name == "id" and sec.ids):
                    continue
                assert any(r.field == name and (r.within or (None,))[0] == within for r in sec.refs), \
                    f"{sec.name}{'.' + within if within else ''}.{name} holds ids but is not in the vocabulary"


# ---------------------------------------------------------------- the table against the model

#: Fields of model classes that are strings but never name an element.
FREE_TEXT = {"id", "name", "description", "kind", "kinds", "forwards_kinds", "unit", "finding", "text", "property",
             "expect", "sources",
             "title", "path", "extends", "sha256", "file"}
ID_TYPES = {"str", "str | None", "tuple[str, ...]", "tuple[str, ...] | None"}


def _sub_class(cls: type, attr: str) -> type:
    """The class of the items of a tuple-of-items attribute."""
    annotation = {f.name: f.type for f in dataclasses.fields(cls)}[attr]
    name = re.fullmatch(r"tuple\[(\w+), \.\.\.\]", annotation).group(1)
    return getattr(model, name)


def _covered() -> dict[type, set[str]]:
    out: dict[type, set[str]] = {}
    for sec in SECTIONS:
        cls = getattr(model, sec.model)
        for r in sec.refs:
            if r.within is not None:
                out.setdefault(_sub_class(cls, r.within[1]), set()).add(r.attr)
            elif sec.model not in ("PropertySpec", "Claim") or \
                    r.attr in {f.name for f in dataclasses.fields(cls)}:  # else parameters, not attributes
                out.setdefault(cls, set()).add(r.attr)
    return out


def test_every_section_has_its_model_class_and_regime_attribute(tmp_path):
    fields = {f.name for f in dataclasses.fields(Regime)}
    for sec in SECTIONS:
        assert dataclasses.is_dataclass(getattr(model, sec.model)), sec.model
        assert sec.name in fields, sec.name
        assert issubclass(getattr(model, sec.model), model.Element) == sec.status, sec.name
    # The regime's tuples of elements are exactly the element sections, in order.
    element_classes = {c.__name__ for c in vars(model).values()
                       if isinstance(c, type) and issubclass(c, model.Element) and c is not model.Element}
    held = [f.name for f in dataclasses.fields(Regime)
            if (m := re.fullmatch(r"tuple\[(\w+), \.\.\.\]", str(f.type))) and m.group(1) in element_classes]
    assert held == [s.name for s in vocab.ELEMENT_SECTIONS]
    assert list(Regime(id="x").elements()) == []


def test_lookups_find_each_item_by_id(tmp_path):
    regime = load_text(tmp_path, to_yaml(BASE)[0])
    for sec in SECTIONS:
        if sec.lookup is not None:
            item = getattr(regime, sec.name)[0]
            assert getattr(regime, sec.lookup)[item.id] is item, sec.name
    assert [e.id for e in regime.elements()] == [i["id"] for s in vocab.ELEMENT_SECTIONS for i in BASE[s.name]]


def test_every_model_field_that_holds_ids_is_in_the_table():
    covered = _covered()
    classes = [getattr(model, n) for n in model.__all__
               if dataclasses.is_dataclass(getattr(model, n)) and n not in ("Regime",)]
    for cls in classes:
        for f in dataclasses.fields(cls):
            if f.type in ID_TYPES and f.name not in FREE_TEXT:
                assert f.name in covered.get(cls, set()), \
                    f"{cls.__name__}.{f.name} may hold ids but is not in the vocabulary"
    # ... and the other way round: every attribute the table names exists.
    for cls, attrs in covered.items():
        names = {f.name for f in dataclasses.fields(cls)}
        assert attrs <= names, (cls.__name__, attrs - names)


def test_defaults_and_required_fields_agree_with_the_model():
    for sec in SECTIONS:
        cls = getattr(model, sec.model)
        for r in sec.refs:
            if r.within is not None:
                cls_r = _sub_class(cls, r.within[1])
            elif sec.model in ("PropertySpec", "Claim"):
                continue
            else:
                cls_r = cls
            f = {f.name: f for f in dataclasses.fields(cls_r)}[r.attr]
            if r.required:
                assert f.default is dataclasses.MISSING, (sec.name, r.field)
            else:
                assert f.default == r.default, (sec.name, r.field, f.default, r.default)
            assert r.many == f.type.startswith("tuple["), (sec.name, r.field)


def test_the_vocabulary_imports_nothing():
    code = ("import sys; import verify.vocabulary; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('yaml', 'jsonschema', 'fastjsonschema', 'networkx', 'z3')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# ---------------------------------------------------------------- the table against docs/format.md

def _format_tables() -> dict[str, dict[str, str]]:
    """heading -> field -> its type cell, from every table of docs/format.md."""
    out: dict[str, dict[str, str]] = {}
    heading = ""
    for line in (ROOT / "docs" / "format.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        m = re.match(r"\| `([^`]+)` \| ([^|]+) \|", line)
        if m:
            out.setdefault(heading, {})[m.group(1)] = m.group(2).strip()
    return out


def test_the_format_page_says_what_each_reference_may_name():
    tables = _format_tables()
    for sec in SECTIONS:
        for r in sec.refs:
            if r.within is None:
                cell = tables.get(sec.name, {}).get(r.field)
            else:
                nested = next((t for h, t in tables.items() if f"`{sec.name}[].{r.within[0]}[]`" in h), {})
                cell = nested.get(r.field) or tables.get(sec.name, {}).get(f"{r.within[0]}[].{r.field}")
            if cell is None and sec.name == "claims":
                continue  # "as in properties"
            assert cell is not None, f"docs/format.md has no row for {sec.name} {r.field}"
            m = re.match(r"(?:non-empty )?(?:list of )?([a-z]+(?:(?:, | or )[a-z]+)*) ids?\b", cell)
            assert m, (sec.name, r.field, cell)
            assert tuple(re.split(", | or ", m.group(1))) == r.kinds, (sec.name, r.field, cell)
            assert ("[selector](#selectors)" in cell) == r.selectable, (sec.name, r.field, cell)
            assert ("list" in cell) == r.many, (sec.name, r.field, cell)
            for word in vocab.RESERVED:
                assert (f"`{word}`" in cell) == (word in r.words), (sec.name, r.field, cell)
