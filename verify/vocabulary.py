"""The regime's vocabulary: its sections, the kind of item each holds, and
which fields name which kinds of element.

This is the one place that says so.  The loader checks references from it
(:mod:`verify.load.validate`) and merges variants by it
(:mod:`verify.load.extends`), the builder fills reference fields from it
(:mod:`verify.load.build`), the model decides what an absent element takes
with it (:func:`verify.model.effective`) and the oracle renames actors by it
(:mod:`verify.oracle.classes`).  Adding an element kind means a row here, its
part of the JSON Schema, its model class and the rules that give it meaning;
``tests/test_vocabulary.py`` checks that the table, the schema and the model
agree.

Plain data on purpose: importing it costs nothing and pulls in nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Ref",
    "Section",
    "SECTIONS",
    "SECTION",
    "KIND",
    "ELEMENT_SECTIONS",
    "ID_SECTIONS",
    "MERGED_BY_ID",
    "APPLY_ORDER",
    "apply_order",
    "RESERVED",
    "HOST",
    "PERPETRATOR",
    "REQUESTER",
    "section",
]

#: In ``requires_access``: the host of the asset where the violation happens.
HOST = "host"
#: In a body's ``recused``: the perpetrator, what it controls and what controls it.
PERPETRATOR = "perpetrator"
#: In a decision's ``recused``: the sender of the flow the vote is on (the
#: state that requested it).
REQUESTER = "requester"

#: What :func:`verify.model.effective` does with an item when an element a
#: reference names is absent (suspended, or proposed in an as-is check):
#:
#: ``needs``      the item goes too (an element goes with a warning; a
#:                verifier simply leaves the list);
#: ``needs-one``  the item goes when every element named is absent; otherwise
#:                the absent ones leave the list;
#: ``shrinks``    the absent ones leave the list (a single optional id is
#:                unset); the item stays;
#: ``kept``       the reference stays as written, and whoever reads it says
#:                what an absent element means (a property whose violation is
#:                absent is reported as not checked).
Absent = Literal["needs", "needs-one", "shrinks", "kept"]


@dataclass(frozen=True)
class Ref:
    """A field whose value names other elements."""

    #: The key in YAML.
    field: str
    #: The attribute in the model (``from`` is ``source``); for properties
    #: and claims, the name of the parameter in ``PropertySpec.params``.
    attr: str
    #: The kinds of element it may name, in the order messages list them.
    kinds: tuple[str, ...]
    #: A list.  In YAML most list references also accept a single id.
    many: bool = False
    #: Reserved words it may hold besides ids (``host``, ``perpetrator``).
    words: tuple[str, ...] = ()
    required: bool = False
    #: The model's value when the field is not written (lists: ``()``).
    #: ``None`` for a list means something else than empty: mechanisms[].at
    #: (everywhere) and threat_model.colluders (every actor).
    default: tuple[str, ...] | None = None
    absent: Absent = "shrinks"
    #: The field sits in each item of a list of sub-items: the YAML key and
    #: the model attribute of that list (violations' ``signatures`` are the
    #: model's ``traces``).
    within: tuple[str, str] | None = None
    #: The item (or sub-item) may be written as the bare id: ``verifiers:
    #: [agency]``, ``observes: [compute]``.
    bare: bool = False
    #: How diagnostics name the field; ``bare_label`` when written bare.
    label: str | None = None
    bare_label: str | None = None

    @property
    def said(self) -> str:
        return self.field if self.label is None else self.label

    @property
    def selectable(self) -> bool:
        """A list of actors: its value, or any item of it, may be a selector
        (``{kind: state}``, ``{group: g}``, with ``except:``), which the
        loader replaces by the ids it selects (:mod:`verify.load.select`)."""
        return self.many and self.kinds == ("actor",) and self.within is None


@dataclass(frozen=True)
class Section:
    """A top-level section of a regime file and the items it holds."""

    #: The YAML key, which is also the :class:`~verify.model.Regime` attribute.
    name: str
    #: One item, as messages and warnings say it: ``actor``.
    kind: str
    #: The class in :mod:`verify.model` that an item becomes.
    model: str
    #: ``list``: a list of items; ``mapping``: one mapping (threat_model).
    shape: Literal["list", "mapping"] = "list"
    #: Items carry an id in the regime's one namespace (E021).
    ids: bool = True
    #: Items carry a status and the common fields (name, description,
    #: sources): they are the regime's elements, which ``effective`` may drop.
    status: bool = True
    #: How ``extends`` merges a variant's section into its base's: item by
    #: item by id (and ``remove:`` may name its ids), or replaced whole.
    merge: Literal["by-id", "replace"] = "by-id"
    #: The Regime attribute that maps an id to its item, if there is one.
    lookup: str | None = None
    refs: tuple[Ref, ...] = ()
    #: How diagnostics introduce an item: formatted with ``kind`` and
    #: ``name`` (the first of ``named_by`` that is set, as ``a or b``).
    intro: str = "{kind} {name!r}:"
    named_by: tuple[str, ...] = ("id",)

    def ref(self, attr: str) -> Ref | None:
        """The reference stored in the model attribute ``attr``, if any."""
        for r in self.refs:
            if r.attr == attr and r.within is None:
                return r
        return None


_ACTOR = ("actor",)
_HOLDER = ("actor", "body")  # who can hold evidence: send, receive, relay, trigger, verify
_VOTE = ("body", "decision")  # what a flow can be gated by
_FAILABLE = ("actor", "mechanism", "flow", "body")  # what fault tolerance may fail
_EVENT = ("mechanism", "flow")  # what a clock can start from: when it first delivers

#: Every section, in the order of the schema and of docs/format.md.
SECTIONS: tuple[Section, ...] = (
    Section("actors", "actor", "Actor", lookup="actor", refs=(
        Ref("controlled_by", "controlled_by", _ACTOR, many=True, default=()),
    )),
    Section("groups", "group", "Group", lookup="group", refs=(
        Ref("members", "members", _ACTOR, many=True, default=()),
    )),
    Section("assets", "asset", "Asset", lookup="asset", refs=(
        Ref("host", "host", _ACTOR, required=True, absent="needs"),
        Ref("owner", "owner", _ACTOR),
    )),
    Section("signatures", "signature", "Signature", lookup="signature"),
    Section("violations", "violation", "Violation", lookup="violation", refs=(
        Ref("perpetrator", "perpetrators", _ACTOR, many=True, required=True, absent="needs-one"),
        Ref("at", "at", ("asset",), required=True, absent="needs"),
        Ref("signature", "signature", ("signature",), required=True, absent="needs",
            within=("signatures", "traces")),
    )),
    Section("mechanisms", "mechanism", "Mechanism", lookup="mechanism", refs=(
        Ref("operator", "operator", _ACTOR, required=True, absent="needs"),
        Ref("signature", "signature", ("signature",), required=True, within=("observes", "observes"),
            bare=True, label="observes signature", bare_label="observes"),
        Ref("at", "at", ("asset",), many=True, default=None),
        Ref("triggered_by", "triggered_by", (*_HOLDER, "decision"), absent="needs"),
        Ref("requires_access", "requires_access", _ACTOR, many=True, words=(HOST,), default=(),
            absent="needs"),
        Ref("reveals", "reveals", ("label",), many=True, default=()),
        Ref("budget", "budget", ("budget",)),
    )),
    Section("flows", "flow", "Flow", lookup="flow", refs=(
        Ref("from", "source", _HOLDER, required=True, absent="needs"),
        Ref("to", "target", _HOLDER, required=True, absent="needs"),
        Ref("via", "via", (*_HOLDER, "decision"), many=True, default=(), absent="needs"),
        Ref("decision", "decision", ("decision",), absent="needs"),
        Ref("carries", "carries", ("label",), many=True, default=()),
        Ref("forwards", "forwards", ("mechanism",), many=True, default=None),
    )),
    Section("bodies", "body", "Body", lookup="body", refs=(
        Ref("members", "members", _ACTOR, many=True, required=True),
        Ref("recused", "recused", _ACTOR, many=True, words=(PERPETRATOR,), default=()),
    )),
    Section("decisions", "decision", "Decision", lookup="decision", refs=(
        Ref("body", "body", ("body",), required=True, absent="needs"),
        Ref("recused", "recused", _ACTOR, many=True, words=(PERPETRATOR, REQUESTER), default=()),
    )),
    Section("verifiers", "verifier", "Verifier", ids=False, status=False, intro="verifier", refs=(
        Ref("id", "id", _HOLDER, required=True, absent="needs", bare=True, bare_label=""),
        Ref("mechanisms", "mechanisms", ("mechanism",), many=True, default=None),
    )),
    Section("threat_model", "threat_model", "ThreatModel", shape="mapping", ids=False, status=False,
            merge="replace", intro="threat_model:", refs=(
        Ref("colluders", "colluders", _ACTOR, many=True, default=None),
    )),
    Section("labels", "label", "Label", refs=(
        Ref("cleared", "cleared", _ACTOR, many=True, default=()),
    )),
    Section("budgets", "budget", "Budget", lookup="budget"),
    Section("properties", "property", "PropertySpec", ids=False, status=False, merge="replace",
            named_by=("id", "property"), refs=(
        Ref("violation", "violation", ("violation",), absent="kept"),
        Ref("from", "from", _EVENT, absent="kept"),
        Ref("party", "party", _ACTOR, absent="kept"),
        Ref("label", "label", ("label",), absent="kept"),
    )),
    Section("claims", "claim", "Claim", status=False, named_by=("id", "property"), refs=(
        Ref("violation", "violation", ("violation",), absent="kept"),
        Ref("from", "from", _EVENT, absent="kept"),
        Ref("party", "party", _ACTOR, absent="kept"),
        Ref("label", "label", ("label",), absent="kept"),
        Ref("coalition", "coalition", _ACTOR, many=True, default=None),
        Ref("failed", "failed", _FAILABLE, many=True, default=()),
    )),
)

#: name -> section.
SECTION: dict[str, Section] = {s.name: s for s in SECTIONS}
#: kind -> section, for the kinds whose ids share the namespace.
KIND: dict[str, Section] = {s.kind: s for s in SECTIONS if s.ids}
#: Sections of elements: items with a status and the common fields.
ELEMENT_SECTIONS: tuple[Section, ...] = tuple(s for s in SECTIONS if s.status)
#: Sections whose ids share the regime's one namespace.
ID_SECTIONS: tuple[Section, ...] = tuple(s for s in SECTIONS if s.ids)
#: Sections ``extends`` merges by id and ``remove:`` may name.
MERGED_BY_ID: tuple[str, ...] = tuple(s.name for s in SECTIONS if s.merge == "by-id")
#: Words a reference may hold that therefore cannot be ids (E016).
RESERVED: frozenset[str] = frozenset(w for s in SECTIONS for r in s.refs for w in r.words)


def section(name: str) -> Section:
    return SECTION[name]


def apply_order(sections: tuple[Section, ...]) -> tuple[Section, ...]:
    """Element sections ordered so that every kind an element may need comes
    before it: ``effective`` then decides each element once, in one pass,
    because whatever it needs has already been decided.  Otherwise table
    order (a kind is pulled forward only as far as something needs it), so
    that warnings come in the order of the file.  A kind that could need its
    own kind, directly or round a loop, would need a fixed point instead:
    that is a mistake in the table, refused here."""
    elements = tuple(s for s in sections if s.status)
    by_kind = {s.kind: s for s in elements}
    order: list[Section] = []
    state: dict[str, str] = {}  # kind -> "visiting" | "placed"

    def place(s: Section) -> None:  # recursion as deep as the number of kinds
        if state.get(s.kind) == "placed":
            return
        if state.get(s.kind) == "visiting":
            raise ValueError(f"vocabulary: {s.kind} needs itself, directly or not; "
                             "effective() could not decide it in one pass")
        state[s.kind] = "visiting"
        for r in s.refs:
            if r.absent in ("needs", "needs-one"):
                for k in r.kinds:
                    if k in by_kind:  # a kind without a status is never absent
                        place(by_kind[k])
        state[s.kind] = "placed"
        order.append(s)

    for s in elements:
        place(s)
    return tuple(order)


#: Element sections in dependency order (actors before the assets they host,
#: assets before the violations at them...).
APPLY_ORDER: tuple[Section, ...] = apply_order(SECTIONS)
