"""Validation: the JSON Schema, then everything a schema cannot say.

Every problem becomes a :class:`Diagnostic` with file, line, column, a stable
code, what was found and what was expected; all of a file's problems are
collected, not only the first.  The reference checks are written defensively
because they also run on documents the schema has rejected.
"""

from __future__ import annotations

import copy
import difflib
import math
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import Any

import fastjsonschema
import networkx as nx
from jsonschema import Draft202012Validator

from verify.catalogue import catalogue
from verify.diagnostics import Diagnostic
from verify.load.yamlsrc import Map, Seq
from verify.model import Location
from verify.schema import schema
from verify.vocabulary import ID_SECTIONS, RESERVED, SECTIONS, Ref, Section

__all__ = ["diagnose", "SECTION_KIND"]

#: section -> the kind of element its items are (those in the one namespace).
SECTION_KIND = {s.name: s.kind for s in ID_SECTIONS}

_TYPE_WORDS = {
    "string": "a string", "integer": "a whole number", "number": "a number",
    "boolean": "true or false", "array": "a list", "object": "a mapping", "null": "nothing",
}
_TITLED = {
    "duration": "a duration such as 30d, 12h, 1y (units s, min, h, d, w, y) or 0",
    "persistence": "a duration such as 30d, or forever",
    "concealment": "a duration such as 7d, or never",
    "probability": "a probability between 0 and 1",
    "amount": "a number of at least 0",
}


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


def diagnose(data: Map, file: str) -> list[Diagnostic]:
    """Every problem in a merged document, sorted by position."""
    out = list(_schema_diagnostics(data))
    flagged = {d.where for d in out}
    out.extend(d for d in _nan_diagnostics(data) if d.where not in flagged)
    out.extend(_reference_diagnostics(data))
    # One problem can be reported by two routes (e.g. a wrong type and a bad
    # reference); keep the first per place and code.
    unique = {(d.where, d.code, d.message): d for d in out}
    return sorted(unique.values(), key=lambda d: (d.where.file, d.where.line, d.where.column, d.code))


# ---------------------------------------------------------------- positions

def _locate(data: Map, path: Iterable[Any], key: bool = False) -> Location:
    """Where the value at ``path`` (or, with ``key``, its field name) was written."""
    node: Any = data
    where: Location = data.where
    path = list(path)
    for i, step in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, Map) and step in node:
            where = node.key_at[step] if (last and key) else node.value_at[step]
            node = node[step]
        elif isinstance(node, Seq) and isinstance(step, int) and step < len(node):
            where = node.item_at[step]
            node = node[step]
        else:
            break
    return where


def _describe(data: Map, path: Iterable[Any]) -> str:
    """A path a reader follows: ``mechanisms › chip-logging › period``."""
    words: list[str] = []
    node: Any = data
    for step in path:
        if isinstance(node, Seq) and isinstance(step, int) and step < len(node):
            item = node[step]
            name = item.get("id") if isinstance(item, Map) else None
            words.append(name if isinstance(name, str) else f"item {step + 1}")
            node = item
        else:
            words.append(str(step))
            node = node.get(step) if isinstance(node, Map) else None
    return " › ".join(words) or "the document"


def _show(value: object) -> str:
    if isinstance(value, Map):
        return "a mapping"
    if isinstance(value, Seq):
        return "a list"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing (null)"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _a(noun: str) -> str:
    """``an actor``, ``a body``; ``noun`` may be ``actor or body``."""
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def _did_you_mean(word: object, choices: Iterable[str]) -> str | None:
    if not isinstance(word, str):
        return None
    close = difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


# ---------------------------------------------------------------- schema

@lru_cache(maxsize=1)
def _fast_check() -> Callable[[Any], Any]:
    # fastjsonschema compiles the schema to Python: about ten times faster
    # than jsonschema on a valid 10,000-actor regime, but it stops at the
    # first error.  The schema uses nothing beyond draft-07, so it compiles
    # as draft-07; tests keep the two validators' answers equal.
    # A deep copy: fastjsonschema rewrites $refs in the schema it is given.
    draft7 = dict(copy.deepcopy(schema()), **{"$schema": "http://json-schema.org/draft-07/schema#"})
    check: Callable[[Any], Any] = fastjsonschema.compile(draft7)
    return check


def schema_valid(data: Map) -> bool:
    try:
        _fast_check()(data)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def _schema_diagnostics(data: Map) -> Iterator[Diagnostic]:
    if schema_valid(data):
        return
    # Only a document with errors pays for jsonschema, which reports them all.
    for err in _validator().iter_errors(data):
        path = list(err.absolute_path)
        where = _locate(data, path)
        field = _describe(data, path)
        sch = err.schema if isinstance(err.schema, dict) else {}
        title = sch.get("title")
        kind = err.validator
        if kind == "additionalProperties":
            allowed = sorted(sch.get("properties", {}))
            for extra in sorted(set(err.instance) - set(allowed)):
                yield Diagnostic(
                    "E010", f"unknown field {extra!r} in {field}",
                    _locate(data, [*path, extra], key=True),
                    found=extra, expected="one of " + ", ".join(allowed),
                    hint=_did_you_mean(extra, allowed))
        elif kind == "required":
            for name in err.validator_value:
                if isinstance(err.instance, dict) and name not in err.instance:
                    yield Diagnostic("E012", f"missing required field {name!r} in {field}",
                                     getattr(err.instance, "where", where),
                                     expected=f"a field {name!r}")
        elif kind == "type":
            wanted: list[str] = (err.validator_value if isinstance(err.validator_value, list)
                                 else [err.validator_value])
            expected = _TITLED.get(title or "") or " or ".join(_TYPE_WORDS.get(t, t) for t in wanted)
            yield Diagnostic("E011", f"wrong type for {field}", where,
                             found=_show(err.instance), expected=expected)
        elif kind == "enum":
            choices = [str(c) for c in err.validator_value]
            yield Diagnostic("E015", f"{field} is not one of the allowed values", where,
                             found=_show(err.instance), expected="one of " + ", ".join(choices),
                             hint=_did_you_mean(err.instance, choices))
        elif kind == "pattern":
            if title in _TITLED:
                negative = isinstance(err.instance, str) and err.instance.startswith("-")
                yield Diagnostic("E013" if negative else "E014",
                                 f"{'negative' if negative else 'malformed'} {title} in {field}",
                                 where, found=_show(err.instance), expected=_TITLED[title])
            else:
                yield Diagnostic("E016", f"{field} is not a valid id", where,
                                 found=_show(err.instance),
                                 expected="a letter or _, then letters, digits, _ . -")
        elif kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            if title in ("duration", "persistence", "concealment"):
                if kind == "maximum":
                    yield Diagnostic("E014", f"{title} without a unit in {field}", where,
                                     found=_show(err.instance), expected=_TITLED[title],
                                     hint=f"write {err.instance}d for days, {err.instance}h for hours")
                else:
                    yield Diagnostic("E013", f"negative {title} in {field}", where,
                                     found=_show(err.instance), expected=_TITLED[title])
            elif title == "probability":
                yield Diagnostic("E013", f"probability outside [0, 1] in {field}", where,
                                 found=_show(err.instance), expected=_TITLED[title])
            else:
                bound = "at least" if "inimum" in kind else "at most"
                yield Diagnostic("E013", f"{field} is out of range", where,
                                 found=_show(err.instance),
                                 expected=f"{bound} {err.validator_value}")
        elif kind in ("minItems", "uniqueItems"):
            what = "is empty" if kind == "minItems" else "repeats an item"
            yield Diagnostic("E017", f"{field} {what}", where, found=_show(err.instance),
                             expected="at least one item" if kind == "minItems" else "each item once")
        else:
            yield Diagnostic("E016", f"{field}: {err.message}", where, found=_show(err.instance))


def _nan_diagnostics(data: Map) -> Iterator[Diagnostic]:
    """``.nan`` passes every bound of the schema, since each comparison with it is false."""
    if data.nan_count == 0:
        return  # the parser counted none: no need to walk the document
    stack: list[tuple[Map | Seq, list[Any]]] = [(data, [])]
    while stack:
        node, path = stack.pop()
        for k, v in (node.items() if isinstance(node, Map) else enumerate(node)):
            if isinstance(v, float) and math.isnan(v):
                yield Diagnostic("E013", f"{_describe(data, [*path, k])} is not a number", _locate(data, [*path, k]),
                                 found=".nan", expected="a number")
            elif isinstance(v, (Map, Seq)):
                stack.append((v, [*path, k]))


# ---------------------------------------------------------------- references

def _as_list(value: object, where: Location) -> list[tuple[object, Location]]:
    """An id-or-list field as (id, location) pairs; malformed parts skipped."""
    if isinstance(value, str):
        return [(value, where)]
    if isinstance(value, Seq):
        return [(v, at) for v, at in zip(value, value.item_at) if isinstance(v, str)]
    return []


def _items(data: Map, section: str) -> Iterator[tuple[int, Map]]:
    seq = data.get(section)
    if isinstance(seq, Seq):
        for i, item in enumerate(seq):
            if isinstance(item, Map):
                yield i, item


def _reference_diagnostics(data: Map) -> Iterator[Diagnostic]:
    kinds: dict[str, str] = {}
    first_at: dict[str, Location] = {}
    for section, kind in SECTION_KIND.items():
        for _, item in _items(data, section):
            ident = item.get("id")
            if not isinstance(ident, str):
                continue
            at = item.value_at["id"]
            if ident in RESERVED:
                yield Diagnostic("E016", f"{ident!r} is a reserved word and cannot be an id", at,
                                 found=ident, expected="another id")
            elif ident in kinds:
                yield Diagnostic("E021", f"duplicate id {ident!r}", at,
                                 hint=f"{kinds[ident]} {ident!r} is already declared at "
                                      f"{first_at[ident]}; every element needs its own id")
            else:
                kinds[ident] = kind
                first_at[ident] = at

    def ref(value: object, at: Location, allowed: tuple[str, ...], what: str,
            extra: tuple[str, ...] = ()) -> Iterator[Diagnostic]:
        if not isinstance(value, str) or value in extra:
            return
        if value not in kinds:
            candidates = [i for i, k in kinds.items() if k in allowed] + list(extra)
            yield Diagnostic("E020", f"{what} refers to unknown {' or '.join(allowed)} {value!r}", at,
                             found=value, expected=f"the id of a declared {' or '.join(allowed)}",
                             hint=_did_you_mean(value, candidates))
        elif kinds[value] not in allowed:
            yield Diagnostic("E024",
                             f"{what} must name {_a(' or '.join(allowed))}, but {value!r} is {_a(kinds[value])}",
                             at, found=f"{kinds[value]} {value!r}", expected=" or ".join(allowed))

    # Every reference the vocabulary lists, in every item of every section.
    for sec in SECTIONS:
        for written, at in _section_items(data, sec):
            intro = _intro(sec, written)
            for r in sec.refs:
                for value, where, label in _references(written, at, r):
                    yield from ref(value, where, r.kinds, f"{intro} {label}" if label else intro, r.words)

    # The rules about references that are more than "it names a declared
    # element of the right kind".
    for _, v in _items(data, "violations"):
        if isinstance(v.get("perpetrator"), Seq) and not v["perpetrator"]:
            yield Diagnostic("E017", f"violation {v.get('id')!r}: perpetrator is an empty list",
                             v.value_at["perpetrator"],
                             found="an empty list", expected="an actor, or a list of at least one")
    for _, f in _items(data, "flows"):
        if isinstance(f.get("from"), str) and f.get("from") == f.get("to"):
            yield Diagnostic("E016", f"flow {f.get('id')!r}: a flow from {f['from']!r} to itself",
                             f.value_at["to"], expected="a receiver other than the sender")
    for _, b in _items(data, "bodies"):
        what = f"body {b.get('id')!r}:"
        has = [n for n in ("approve", "block") if n in b]
        if len(has) != 1:
            yield Diagnostic("E016", f"{what} needs exactly one voting rule", b.where,
                             found=", ".join(has) or "neither",
                             expected="either `approve: n` (yes votes needed) or `block: n` (no votes that stop it)")
        members = b.get("members")
        for n in has:
            if isinstance(members, Seq) and isinstance(b[n], int) and b[n] > len(members):
                yield Diagnostic("E023", f"{what} {n}: {b[n]} is more than its {len(members)} members",
                                 b.value_at[n], found=str(b[n]), expected=f"at most {len(members)}")
    for section in ("properties", "claims"):
        for _, p in _items(data, section):
            yield from _property_params(p, section)
    yield from _control_cycles(data)


def _section_items(data: Map, sec: Section) -> Iterator[tuple[object, Location]]:
    """The items of a section as written, with where each is: the mapping
    itself for a one-mapping section; bare ids too where the section allows
    them (``verifiers: [agency]``)."""
    value = data.get(sec.name)
    if sec.shape == "mapping":
        if isinstance(value, Map):
            yield value, data.value_at[sec.name]
        return
    if not isinstance(value, Seq):
        return
    bare = any(r.bare and r.within is None for r in sec.refs)
    for item, at in zip(value, value.item_at):
        if isinstance(item, Map) or bare:
            yield item, at


def _intro(sec: Section, item: object) -> str:
    """How a diagnostic introduces an item: ``mechanism 'm':``, ``verifier``."""
    name = None
    if isinstance(item, Map):
        name = item.get(sec.named_by[0])
        for key in sec.named_by[1:]:
            name = name or item.get(key)
    return sec.intro.format(kind=sec.kind, name=name)


def _references(item: object, at: Location, r: Ref) -> Iterator[tuple[object, Location, str]]:
    """(id, where, how the message names the field) for each id a reference
    of ``item`` holds; malformed parts are skipped (the schema reports them)."""
    if r.within is not None:
        subs = item.get(r.within[0]) if isinstance(item, Map) else None
        if not isinstance(subs, Seq):
            return
        for sub, sub_at in zip(subs, subs.item_at):
            if isinstance(sub, Map):
                yield from _field(sub, r.field, r.said)
            elif r.bare:
                yield sub, sub_at, r.bare_label or ""
    elif isinstance(item, Map):
        yield from _field(item, r.field, r.said)
    elif r.bare:
        yield item, at, r.bare_label or ""


def _field(item: Map, name: str, label: str) -> Iterator[tuple[object, Location, str]]:
    if name in item:
        for v, at in _as_list(item[name], item.value_at[name]):
            yield v, at, label


def _property_params(p: Map, section: str) -> Iterator[Diagnostic]:
    name = p.get("property")
    info = catalogue().get(name) if isinstance(name, str) else None
    what = f"{section[:-1] if section == 'claims' else 'property'} {p.get('id') or name!r}:"
    if info is None:
        return  # the schema's enum already reports an unknown property
    own = {"property", "id", "text", "expect", "sources"}
    # A key no property knows is the schema's E010 (with a did-you-mean).
    known = {k for i in catalogue().values() for k in i.parameters}
    for key in p:
        if key not in own and key in known and key not in info.parameters:
            yield Diagnostic("E026", f"{what} parameter {key!r} does not apply to {name}",
                             p.key_at[key], found=key,
                             expected="one of " + ", ".join(info.parameters) if info.parameters else "no parameters")
    for key in info.required():
        if key not in p:
            yield Diagnostic("E012", f"{what} {name} needs the parameter {key!r}", p.where,
                             expected=f"a field {key!r}: {info.parameters[key].get('description', '')}")


def _control_cycles(data: Map) -> Iterator[Diagnostic]:
    g = nx.DiGraph()
    where: dict[str, Location] = {}
    for _, a in _items(data, "actors"):
        ident = a.get("id")
        if not isinstance(ident, str) or "controlled_by" not in a:
            continue
        where.setdefault(ident, a.value_at["controlled_by"])
        for c, _ in _as_list(a["controlled_by"], a.value_at["controlled_by"]):
            g.add_edge(ident, c)
    for comp in nx.strongly_connected_components(g):
        if len(comp) == 1 and not any(g.has_edge(n, n) for n in comp):
            continue
        first = min(comp, key=lambda n: (where.get(n, Location("", 0, 0)), n))
        cycle = [first]
        for n in nx.find_cycle(g.subgraph(comp), source=first):
            cycle.append(n[1])
        yield Diagnostic("E022", "controlled_by forms a cycle: " + " -> ".join(cycle),
                         where.get(first, Location("", 1, 1)),
                         expected="control that runs one way (a state controls its labs, not the reverse)")
