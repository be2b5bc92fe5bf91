"""Validation: the JSON Schema, then everything a schema cannot say.

Every problem becomes a :class:`Diagnostic` with file, line, column, a stable
code, what was found and what was expected; all of a file's problems are
collected, not only the first.  The reference checks are written defensively
because they also run on documents the schema has rejected.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Iterable, Iterator
from fractions import Fraction
from functools import cache, lru_cache
from typing import Any

import fastjsonschema

from verify.catalogue import catalogue
from verify.diagnostics import Diagnostic
from verify.load.select import Resolved, did_you_mean, intro, resolve
from verify.load.yamlsrc import Map, Seq
from verify.model import SECONDS, Location
from verify.schema import schema
from verify.vocabulary import ID_SECTIONS, RESERVED, SECTIONS, Ref, Section

__all__ = ["diagnose", "item_numbers_valid", "item_valid", "SECTION_KIND", "MAX_DURATION", "whole_pattern"]

#: The longest duration a regime may write, in seconds: 1000 years (1000y).
#: Longer is surely a mistake, and ``forever`` says "never fades".
MAX_DURATION = 1000 * SECONDS["y"]
#: Digits a duration may have after its decimal point (``1.5d``): the
#: checker counts whole seconds, so more says nothing.
MAX_DURATION_DECIMALS = 9

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
    "chance": "a probability between 0 and 1, or an interval [low, high] of them",
    "amount": "a number from 0 to 1e100",
}
_DURATION_TITLES = ("duration", "persistence", "concealment")
#: What a list of actors (titled so in the schema) or one of its items may be.
_ACTOR_TITLES = {
    "actors": "an actor id, a selector ({kind: K} or {group: G}, with an optional except), or a list of them",
    "actor": "an actor id, or a selector ({kind: K} or {group: G}, with an optional except)",
}
_DURATION_NUMBER = re.compile(r"([0-9]+)(?:\.([0-9]+))?(s|min|h|d|w|y)")


@cache
def whole_pattern(pattern: str) -> re.Pattern[str]:
    """A schema pattern as Python must read it to mean what it means in the
    schema (ECMA-262, which editors use): there ``$`` is the end of the text,
    whereas Python's ``$`` also matches before a final newline, so that
    ``"state-b\\n"`` would pass as an id."""
    return re.compile(re.sub(r"(?<!\\)\$", r"\\Z", pattern))


def _is_id(text: str) -> bool:
    return whole_pattern(schema()["$defs"]["id"]["pattern"]).search(text) is not None


def _whole_pattern(validator: Any, pattern: str, instance: Any, sch: Any) -> Iterator[Any]:
    from jsonschema import ValidationError

    if validator.is_type(instance, "string") and not whole_pattern(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@lru_cache(maxsize=1)
def _validator() -> Any:
    """Draft 2020-12 with patterns read as the schema means them
    (fastjsonschema, the fast path, already reads ``$`` as the end of the
    text).  Imported when a document fails the fast path: a valid one never
    needs jsonschema (issue 14: start-up)."""
    from jsonschema import Draft202012Validator
    from jsonschema.validators import extend

    return extend(Draft202012Validator, {"pattern": _whole_pattern})(schema())


def diagnose(data: Map, file: str) -> list[Diagnostic]:
    """Every problem in a merged document, sorted by position.

    The document is checked with its selectors resolved (see
    :mod:`verify.load.select`; a document already resolved is not resolved
    again): what resolving found wrong is reported with the rest, and the
    schema and the reference checks see the ids the selectors select, each
    placed at its selector.  A selector that could not be resolved stays as
    written, so that the schema reports a malformed one at its own place."""
    data = resolve(data)
    out = list(data.problems)
    out.extend(_schema_diagnostics(data))
    flagged = {d.where for d in out}
    out.extend(d for d in _nan_diagnostics(data) if d.where not in flagged)
    flagged = {d.where for d in out}
    out.extend(d for d in _number_diagnostics(data) if d.where not in flagged)
    out.extend(_reference_diagnostics(data))
    if not out:
        out.extend(_unresolved(data))
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
            if not isinstance(name, str):
                words.append(f"item {step + 1}")
            else:  # an id that is not one is quoted, escapes and all
                words.append(name if _is_id(name) else _show(name))
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


def _bound(value: object) -> str:
    """A bound as the format's documentation writes it: ``1e100``, ``1000000000``."""
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1e16:
        return f"{value:.0e}".replace("e+", "e")
    return str(value)


def _a(noun: str) -> str:
    """``an actor``, ``a body``; ``noun`` may be ``actor or body``."""
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


_did_you_mean = did_you_mean

#: Unknown references per file that get a did-you-mean.  Each compares the
#: word with every declared id, so a file of a thousand misspellings among
#: thousands of ids would otherwise take minutes; the first ones are the
#: ones a reader acts on.
SUGGESTIONS = 25


def _unresolved(data: Resolved) -> Iterator[Diagnostic]:
    """Never let a selector through to the builder: one left as written is
    malformed (the schema says how) or explained by a problem resolving
    found; if neither has been reported, say so here."""
    for where in data.unresolved:
        yield Diagnostic("E016", "a selector that could not be resolved", where,
                         expected="{kind: K} or {group: G}, with an optional except: [ids]")


# ---------------------------------------------------------------- schema

def _fast_check() -> Callable[[Any], Any]:
    check: Callable[[Any], Any] = _fast_namespace()["validate"]
    return check


def item_valid(section: str, item: Map) -> bool:
    """Whether one item of ``section`` (``mechanisms`` or ``flows``) passes
    the schema, by the compiled check the whole document's applies to each
    such item; False also for a section without one of its own."""
    check = _fast_namespace().get(f"validate____defs_{section[:-1]}")
    if check is None:
        return False
    try:
        check(item)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def item_numbers_valid(section: str, item: Map) -> bool:
    """Whether one item of ``section`` passes :func:`_number_diagnostics`
    (whole counts, durations within bounds), checked as in a document of
    that one item."""
    doc = Map(item.where)
    seq = Seq(item.where)
    seq.append(item)
    seq.item_at.append(item.where)
    doc[section] = seq
    doc.key_at[section] = doc.value_at[section] = item.where
    return not any(_number_diagnostics(doc))


@lru_cache(maxsize=1)
def _fast_namespace() -> dict[str, Any]:
    # fastjsonschema compiles the schema to Python: about ten times faster
    # than jsonschema on a valid 10,000-actor regime, but it stops at the
    # first error.  Tests keep the two validators' answers equal.  The code
    # is shipped, compiled in advance (verify/schema/_compiled.py, written
    # by scripts/compile_schema.py): generating and compiling it took 0.27 s
    # of every process (issue 14: start-up).  Shipped code made from
    # another schema is not used; the schema is compiled here instead.
    from verify.schema import _compiled

    if _compiled.SCHEMA_SHA256 == schema_digest():
        return vars(_compiled)
    namespace: dict[str, Any] = {}
    exec(compile(compiled_code(), "<regime schema>", "exec"), namespace)  # noqa: S102 - generated from our schema
    return namespace


def schema_digest() -> str:
    """What the shipped compiled schema must have been made from."""
    import hashlib
    import json

    return hashlib.sha256(json.dumps(schema(), sort_keys=True).encode()).hexdigest()


def compiled_code() -> str:
    """The schema as Python, a module whose ``validate(data)`` raises
    ``fastjsonschema.JsonSchemaException`` on the first error."""
    # The schema uses nothing beyond draft-07, so it compiles as draft-07.
    # A deep copy: fastjsonschema rewrites $refs in the schema it is given.
    draft7 = dict(copy.deepcopy(schema()), **{"$schema": "http://json-schema.org/draft-07/schema#"})
    code = fastjsonschema.compile_to_code(draft7)
    # The generated code names each list item for its error message with
    # ``"...[{i}]".format(**locals())``, which copies every local of a
    # function of hundreds: a third of validating a 10,000-actor regime.
    # The same text as an f-string reads only the names it needs.  (Should
    # a later fastjsonschema write it otherwise, nothing matches and the
    # code runs as generated.)
    code = _FORMAT_LOCALS.sub(lambda m: 'f"' + m.group(1) + '"', code)
    root = re.search(r"^def (\w+)\(", code, re.MULTILINE)
    if root is None:
        raise RuntimeError("fastjsonschema generated no function")
    return code + f"\n\nvalidate = {root.group(1)}\n"


#: ``"text {name} text".format(**locals())`` in fastjsonschema's generated code.
_FORMAT_LOCALS = re.compile(r'"((?:[^"\\{}]|\{\{|\}\}|\{[A-Za-z_][A-Za-z0-9_]*\})*)"\.format\(\*\*locals\(\)\)')


def schema_valid(data: Map) -> bool:
    try:
        _fast_check()(data)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def _schema_diagnostics(data: Map) -> Iterator[Diagnostic]:
    try:
        _fast_check()(data)
        return
    except fastjsonschema.JsonSchemaException as e:
        fast = e
    # Only a document with errors pays for jsonschema, which reports them all.
    reported = False
    for d in _jsonschema_diagnostics(data):
        reported = True
        yield d
    if not reported:
        # The two validators disagree: never let a document the fast one
        # refused through unreported.
        path = _fast_path(data, fast)
        yield Diagnostic("E016", f"{_describe(data, path)}: {getattr(fast, 'message', fast)}",
                         _locate(data, path), found=_show(getattr(fast, "value", None)))


def _fast_path(data: Map, err: Exception) -> list[Any]:
    """fastjsonschema's ``['data', 'actors', '0', 'id']`` as a path into ``data``."""
    path: list[Any] = []
    node: Any = data
    for step in list(getattr(err, "path", []))[1:]:
        if isinstance(node, Seq) and isinstance(step, str) and step.isdigit():
            path.append(int(step))
            node = node[int(step)] if int(step) < len(node) else None
        else:
            path.append(step)
            node = node.get(step) if isinstance(node, Map) else None
    return path


def _jsonschema_diagnostics(data: Map) -> Iterator[Diagnostic]:
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
            expected = (_TITLED.get(title or "") or _ACTOR_TITLES.get(title or "")
                        or " or ".join(_TYPE_WORDS.get(t, t) for t in wanted))
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
            elif title in ("probability", "chance"):
                yield Diagnostic("E013", f"probability outside [0, 1] in {field}", where,
                                 found=_show(err.instance), expected=_TITLED[title])
            else:
                bound = "at least" if "inimum" in kind else "at most"
                yield Diagnostic("E013", f"{field} is out of range", where,
                                 found=_show(err.instance),
                                 expected=f"{bound} {_bound(err.validator_value)}")
        elif kind == "oneOf" and title == "selector" and isinstance(err.instance, dict):
            if "kind" in err.instance and "group" in err.instance:
                yield Diagnostic("E016", f"{field}: a selector takes kind or group, not both", where,
                                 found="kind and group",
                                 expected="{kind: K} or {group: G}, with an optional except: [ids]",
                                 hint="to combine them, declare a group with members [{kind: K}, ...]")
            else:
                yield Diagnostic("E012", f"missing field 'kind' or 'group' in the selector {field}",
                                 getattr(err.instance, "where", where),
                                 expected="{kind: K} (every actor of a kind) or {group: G} (a group's members)")
        elif kind in ("minItems", "maxItems") and title == "chance":
            yield Diagnostic("E017", f"{field}: an interval has two ends", where, found=_show(err.instance),
                             expected="[low, high]")
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


def _deref(node: Any) -> dict[str, Any]:
    """A schema node with its ``$ref`` (``#/$defs/NAME``) followed."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        node = schema()["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node if isinstance(node, dict) else {}


def _types(node: dict[str, Any]) -> set[str]:
    t = node.get("type", [])
    return {t} if isinstance(t, str) else set(t)


def _whole_only(node: dict[str, Any]) -> bool:
    """The node takes whole numbers but not other numbers: a count, or a
    duration (whose only number is 0)."""
    types = _types(node)
    return "integer" in types and "number" not in types


class _Step:
    """What :func:`_number_diagnostics` does at one node of the schema."""

    __slots__ = ("whole_only", "title", "props", "items")

    def __init__(self, node: dict[str, Any]):
        self.whole_only = _whole_only(node)
        self.title: str | None = node.get("title")
        self.props: dict[str, _Step] = {}
        self.items: _Step | None = None


@lru_cache(maxsize=1)
def _plan() -> _Step:
    """The schema as :func:`_number_diagnostics` walks it: only the branches
    that hold a count or a duration (actors, assets... are skipped)."""
    def visit(node: dict[str, Any]) -> _Step | None:
        node = _deref(node)
        step = _Step(node)
        for key, sub in node.get("properties", {}).items():
            if (child := visit(sub)) is not None:
                step.props[key] = child
        if isinstance(node.get("items"), dict):
            step.items = visit(node["items"])
        wanted = step.whole_only or step.title in _DURATION_TITLES or step.props or step.items
        return step if wanted else None

    return visit(schema()) or _Step({})


def _number_diagnostics(data: Map) -> Iterator[Diagnostic]:
    """What JSON Schema cannot say about numbers.

    A count (``approve``, ``block``, ``threat_model.max``, ``k``, ``f``,
    ``K``) must be written as a whole number: JSON Schema counts ``4.0`` as
    an integer, so ``approve: 4.0`` would pass where ``approve: 4`` is
    refused as more than the body's members.  (A boolean is already not an
    integer there.)  And a duration must stay within :data:`MAX_DURATION`,
    with at most :data:`MAX_DURATION_DECIMALS` decimals.
    """
    stack: list[tuple[_Step, Any, list[Any]]] = [(_plan(), data, [])]
    # Durations found within bounds: a large design repeats a few texts
    # (``7d``) tens of thousands of times, and a text's bound does not
    # depend on where it is written.
    bounded: set[tuple[str, str]] = set()
    while stack:
        step, value, path = stack.pop()
        if isinstance(value, Map):
            for key, sub in value.items():
                if (child := step.props.get(key)) is not None:
                    stack.append((child, sub, [*path, key]))
        elif isinstance(value, Seq):
            if step.items is not None:
                child = step.items
                stack.extend((child, sub, [*path, i]) for i, sub in enumerate(value))
        elif isinstance(value, float):
            if step.whole_only and not math.isnan(value):
                title = step.title
                yield Diagnostic(
                    "E011", f"wrong type for {_describe(data, path)}", _locate(data, path),
                    found=_show(value),
                    expected=_TITLED.get(title or "") or "a whole number, written without a decimal point",
                    hint=(f"write {int(value)}, not {value}"
                          if math.isfinite(value) and title not in _DURATION_TITLES else None))
        elif isinstance(value, str) and step.title in _DURATION_TITLES and (value, step.title) not in bounded:
            found = list(_duration_bound(data, path, value, step.title))
            if found:
                yield from found
            else:
                bounded.add((value, step.title))


def _duration_bound(data: Map, path: list[Any], text: str, title: str) -> Iterator[Diagnostic]:
    m = _DURATION_NUMBER.fullmatch(text)
    if m is None:
        return  # `0`, `forever`, `never`, or malformed: the schema's business
    whole, decimals, unit = m.group(1).lstrip("0"), m.group(2), m.group(3)
    if decimals is not None and len(decimals) > MAX_DURATION_DECIMALS:
        yield Diagnostic("E014", f"malformed {title} in {_describe(data, path)}", _locate(data, path),
                         found=_show(text),
                         expected=f"at most {MAX_DURATION_DECIMALS} digits after the decimal point "
                                  "(the checker counts whole seconds)")
    elif len(whole) > 15 or int(whole or 0) * SECONDS[unit] > MAX_DURATION or (
            decimals and Fraction(f"{whole or 0}.{decimals}") * SECONDS[unit] > MAX_DURATION):
        longest = f"at most {MAX_DURATION // SECONDS['y']}y" + (", or forever" if title == "persistence" else "")
        yield Diagnostic("E013", f"{title} too long in {_describe(data, path)}", _locate(data, path),
                         found=_show(text), expected=longest)
    elif len(m.group(1)) > 15:  # within bounds, but padded with zeros
        yield Diagnostic("E014", f"malformed {title} in {_describe(data, path)}", _locate(data, path),
                         found=_show(text), expected="at most 15 digits before the decimal point")


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
    first_in: dict[str, str] = {}
    # Declarations in the order they count: a base's before its variant's
    # (the variant's duplicate is the one reported), then by section.
    rank = {f: i for i, f in enumerate(data.chain)}
    declared = sorted(
        ((section, kind, item) for section, kind in SECTION_KIND.items() for _, item in _items(data, section)
         if isinstance(item.get("id"), str)),
        key=lambda d: rank.get(d[2].value_at["id"].file, len(rank)))
    for section, kind, item in declared:
        ident = item["id"]
        at = item.value_at["id"]
        if ident in RESERVED:
            yield Diagnostic("E016", f"{ident!r} is a reserved word and cannot be an id", at,
                             found=ident, expected="another id")
        elif ident in kinds:
            hint = f"{kinds[ident]} {ident!r} is already declared at {first_at[ident]}; "
            if first_at[ident].file == at.file:
                hint += "every element needs its own id"
            elif first_in[ident] == section:
                hint += ("to change it, give only `id` and the fields that change; "
                         f"to replace it, also list it under `remove: {{{section}: [{ident}]}}`")
            else:
                hint += f"to give its id to a new {kind}, list it under `remove: {{{first_in[ident]}: [{ident}]}}`"
            yield Diagnostic("E021", f"duplicate id {ident!r}", at, hint=hint)
        else:
            kinds[ident] = kind
            first_at[ident] = at
            first_in[ident] = section

    suggested = 0

    def ref(value: object, at: Location, allowed: tuple[str, ...], what: str,
            extra: tuple[str, ...] = ()) -> Iterator[Diagnostic]:
        nonlocal suggested
        if not isinstance(value, str) or value in extra:
            return
        if value not in kinds:
            hint = None
            if suggested < SUGGESTIONS:
                suggested += 1
                hint = _did_you_mean(value, [i for i, k in kinds.items() if k in allowed] + list(extra))
            if value in RESERVED and hint is None:
                hint = f"{value!r} is a reserved word, allowed only in " + ", ".join(_WORD_PLACES[value])
            yield Diagnostic("E020", f"{what} refers to unknown {' or '.join(allowed)} {value!r}", at,
                             found=value, expected=f"the id of a declared {' or '.join(allowed)}", hint=hint)
        elif kinds[value] not in allowed:
            # A group is not its members: selecting them is written out.
            hint = (f"to name its members, write {{group: {value}}}"
                    if kinds[value] == "group" and "actor" in allowed else None)
            yield Diagnostic("E024",
                             f"{what} must name {_a(' or '.join(allowed))}, but {value!r} is {_a(kinds[value])}",
                             at, found=f"{kinds[value]} {value!r}", expected=" or ".join(allowed), hint=hint)

    def fine(value: object, r: Ref) -> bool:
        return not isinstance(value, str) or value in r.words or kinds.get(value) in r.kinds

    # Every reference the vocabulary lists, in every item of every section.
    for sec in SECTIONS:
        for written, at in _section_items(data, sec):
            intro: str | None = None
            for r in sec.refs:
                if r.within is None and isinstance(written, Map):
                    # Nearly every reference names what it should: settled
                    # here, without the generators below or the item's
                    # introduction (a third of validating 10,000 actors).
                    v = written.get(r.field)
                    if not isinstance(v, Seq) and fine(v, r):
                        continue
                    if isinstance(v, Seq) and all(fine(x, r) for x in v):
                        continue
                if intro is None:
                    intro = _intro(sec, written)
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
    for _, m in _items(data, "mechanisms"):
        for key in ("detection_probability", "false_alarm_probability"):
            value = m.get(key)
            if (isinstance(value, Seq) and len(value) == 2 and all(_is_number(x) for x in value)
                    and value[0] > value[1]):
                yield Diagnostic("E013", f"mechanism {m.get('id')!r}: {key}: the interval's low end is above "
                                         "its high end", m.value_at[key], found=_show(value),
                                 expected="[low, high] with low <= high")
    yield from _votes(data, kinds)
    for section in ("properties", "claims"):
        for _, p in _items(data, section):
            yield from _property_params(p, section)
            yield from _chance_needs(data, p, section)
            yield from _party_needs(data, p, section)
    yield from _control_cycles(data)


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _votes(data: Map, kinds: dict[str, str]) -> Iterator[Diagnostic]:
    """The rules of bodies and their named decisions: each rule is one
    threshold no larger than the body; a body without a rule of its own
    needs decisions, and every vote it takes names one."""
    bodies: dict[str, Map] = {}
    for _, b in _items(data, "bodies"):
        if isinstance(b.get("id"), str):
            bodies.setdefault(b["id"], b)
    decided: dict[str, list[str]] = {}  # body -> the decisions that name it
    body_of: dict[str, str] = {}  # decision -> its body
    for _, d in _items(data, "decisions"):
        if isinstance(d.get("id"), str) and isinstance(d.get("body"), str) and d["id"] not in body_of:
            decided.setdefault(d["body"], []).append(d["id"])
            body_of[d["id"]] = d["body"]

    def own_rule(body: str) -> bool:
        return any(n in bodies[body] for n in ("approve", "block"))

    def rule_less(ident: object) -> bool:
        """A body without a rule of its own whose decisions are declared
        (one without either is reported as a body without any rule)."""
        return isinstance(ident, str) and kinds.get(ident) == "body" and ident in bodies \
            and not own_rule(ident) and ident in decided

    def decisions_of(body: str) -> str:
        return ", ".join(decided.get(body, [])) or "none"

    for _, b in _items(data, "bodies"):
        what = f"body {b.get('id')!r}:"
        has = [n for n in ("approve", "block") if n in b]
        ident = b.get("id")
        # An id that is not a string (a list, say) is the schema's error;
        # here it is just not a body with decisions.
        if len(has) > 1 or (not has and not (isinstance(ident, str) and ident in decided)):
            yield Diagnostic("E016", f"{what} needs exactly one voting rule", b.where,
                             found=", ".join(has) or "neither",
                             expected="either `approve: n` (yes votes needed) or `block: n` (no votes that stop "
                                      "it); or, for a body that votes only under named decisions, neither and "
                                      "a decision that names it")
        yield from _threshold(what, b, has, b.get("members"), "its")
    for _, d in _items(data, "decisions"):
        what = f"decision {d.get('id')!r}:"
        has = [n for n in ("approve", "block") if n in d]
        if len(has) != 1:
            yield Diagnostic("E016", f"{what} needs exactly one voting rule", d.where,
                             found=", ".join(has) or "neither",
                             expected="either `approve: n` (yes votes needed) or `block: n` (no votes that stop it)")
        body = bodies.get(d["body"]) if isinstance(d.get("body"), str) else None
        if body is not None:
            yield from _threshold(what, d, has, body.get("members"), f"the body {d['body']!r}:")
    for _, f in _items(data, "flows"):
        what = f"flow {f.get('id')!r}:"
        to, decision = f.get("to"), f.get("decision")
        if isinstance(decision, str) and decision in body_of and kinds.get(decision) == "decision":
            if not (isinstance(to, str) and kinds.get(to) == "body"):
                yield Diagnostic("E043", f"{what} decision {decision!r} applies only to a flow to its body "
                                         f"{body_of[decision]!r}", f.value_at["decision"],
                                 found=f"a flow to {to!r}" if isinstance(to, str) else None,
                                 expected=f"a flow with `to: {body_of[decision]}`, or no decision")
            elif body_of[decision] != to:
                yield Diagnostic("E043", f"{what} decision {decision!r} is a decision of {body_of[decision]!r}, "
                                         f"not of {to!r}, which the flow goes to", f.value_at["decision"],
                                 found=decision, expected=_decision_choices(to, decided.get(to, []),
                                                                            to in bodies and own_rule(to)))
        elif "decision" not in f and rule_less(to):
            yield Diagnostic("E044", f"{what} {to!r} has no voting rule of its own: name the decision "
                                     "it receives under", f.value_at["to"], found=to,
                             expected=f"a field `decision:`, one of {decisions_of(str(to))}")
        via = f.get("via")
        for v, at in _as_list(via, f.value_at["via"]) if "via" in f else ():
            if rule_less(v):
                yield Diagnostic("E044", f"{what} via {v!r}, which has no voting rule of its own", at, found=str(v),
                                 expected=f"one of its decisions, which gates under that rule: {decisions_of(str(v))}")
    for _, m in _items(data, "mechanisms"):
        trigger = m.get("triggered_by")
        if rule_less(trigger):
            yield Diagnostic("E044", f"mechanism {m.get('id')!r}: triggered_by {trigger!r}, which has no voting "
                                     "rule of its own", m.value_at["triggered_by"], found=str(trigger),
                             expected=f"one of its decisions, which triggers when it passes: "
                                      f"{decisions_of(str(trigger))}")


def _decision_choices(body: str, decisions: list[str], own: bool) -> str:
    if not decisions:
        return f"no decision: {body!r} votes under its own rule"
    return f"one of {body!r}'s decisions: " + ", ".join(decisions) + (", or none (its own rule)" if own else "")


def _threshold(what: str, item: Map, has: list[str], members: object, whose: str) -> Iterator[Diagnostic]:
    """E023: a threshold beyond the members (after selectors are resolved;
    not while one is left unresolved, as the count is then unknown)."""
    if not isinstance(members, Seq) or not all(isinstance(m, str) for m in members):
        return
    for n in has:
        value = item[n]
        if isinstance(value, int) and not isinstance(value, bool) and value > len(members):
            said = f"its {len(members)} members" if whose == "its" else f"the {len(members)} members of {whose[:-1]}"
            yield Diagnostic("E023", f"{what} {n}: {value} is more than {said}",
                             item.value_at[n], found=str(value), expected=f"at most {len(members)}")


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


_intro = intro

#: word -> where it may be written: ``["decisions' recused"]``.
_WORD_PLACES: dict[str, list[str]] = {}
for _sec in SECTIONS:
    for _r in _sec.refs:
        for _w in _r.words:
            _WORD_PLACES.setdefault(_w, []).append(f"{_sec.name}' {_r.field}")


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
    own = {"property", "id", "text", "expect", "sources", "coalition", "failed"}
    scenario = [key for key in ("coalition", "failed") if key in p]
    # The properties a single scenario can answer (analyses.properties.WHAT_IF):
    # a probability or a game is about every coalition at once.
    if scenario and name not in ("detectability", "non-circumventability", "timeliness", "fault-tolerance"):
        yield Diagnostic("E026", f"{what} {scenario[0]!r} does not apply to {name}, which is about every "
                                 "coalition at once", p.key_at[scenario[0]], found=scenario[0],
                         expected="a property with a verdict for one scenario: detectability, "
                                  "non-circumventability, timeliness or fault-tolerance")
    elif scenario:
        for key in ("k", "f"):
            if key in p:
                yield Diagnostic("E026", f"{what} parameter {key!r} does not apply to a claim about a given "
                                         f"scenario ({scenario[0]}): the scenario is exactly the one named",
                                 p.key_at[key], found=key, expected="no k or f beside coalition and failed")
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


def _chance_needs(data: Map, p: Map, section: str) -> Iterator[Diagnostic]:
    """The numbers detection-probability and deterrence cannot do without:
    a window (T, or the violation's duration), and for deterrence the
    violation's gain and a sanction (its own or the regime's)."""
    name = p.get("property")
    if name not in ("detection-probability", "deterrence"):
        return
    what = f"{section[:-1] if section == 'claims' else 'property'} {p.get('id') or name!r}:"
    target = p.get("violation")
    for _, v in _items(data, "violations"):
        vid = v.get("id")
        if not isinstance(vid, str) or (isinstance(target, str) and vid != target):
            continue
        if "T" not in p and "duration" not in v:
            yield Diagnostic("E012", f"{what} {name} counts observations in a window, and violation {vid!r} "
                                     "gives no duration", p.where,
                             expected=f"a field 'T' here, or a 'duration' on violation {vid!r}")
        if name == "deterrence" and "gain" not in v:
            yield Diagnostic("E012", f"{what} deterrence needs violation {vid!r}'s gain", p.where,
                             expected=f"a field 'gain' on violation {vid!r}: what an undetected violation is "
                                      "worth to the violator")
        if name == "deterrence" and "sanction" not in v and "sanction" not in data:
            yield Diagnostic("E012", f"{what} deterrence needs a sanction for violation {vid!r}", p.where,
                             expected="a top-level 'sanction', or one on the violation: what a detected "
                                      "violator loses")


def _party_needs(data: Map, p: Map, section: str) -> Iterator[Diagnostic]:
    """A framing is a false accusation of a declared violation: the party
    non-frameability names must be some violation's perpetrator."""
    party = p.get("party")
    if p.get("property") != "non-frameability" or not isinstance(party, str):
        return
    for _, v in _items(data, "violations"):
        named = v.get("perpetrator")
        if party == named or (isinstance(named, list) and party in named):
            return
    what = f"{section[:-1] if section == 'claims' else 'property'} {p.get('id') or 'non-frameability'!r}:"
    yield Diagnostic("E012", f"{what} no violation names {party!r} as its perpetrator, so there is nothing a "
                             "false report could accuse it of", p.value_at["party"], found=party,
                     expected=f"a violation with perpetrator: {party}")


def _cyclic(edges: list[tuple[str, Any]]) -> bool:
    """Whether these edges close a cycle (Kahn: a cycle is what never
    loses its last incoming edge)."""
    into: dict[Any, int] = {}
    out: dict[Any, list[Any]] = {}
    for u, v in edges:
        into[v] = into.get(v, 0) + 1
        into.setdefault(u, 0)
        out.setdefault(u, []).append(v)
    ready = [n for n, d in into.items() if d == 0]
    left = len(into)
    while ready:
        n = ready.pop()
        left -= 1
        for m in out.get(n, ()):
            into[m] -= 1
            if into[m] == 0:
                ready.append(m)
    return left > 0


def _control_cycles(data: Map) -> Iterator[Diagnostic]:
    edges: list[tuple[str, Any]] = []
    where: dict[str, Location] = {}
    for _, a in _items(data, "actors"):
        ident = a.get("id")
        if not isinstance(ident, str) or "controlled_by" not in a:
            continue
        where.setdefault(ident, a.value_at["controlled_by"])
        edges += [(ident, c) for c, _ in _as_list(a["controlled_by"], a.value_at["controlled_by"])]
    if not _cyclic(edges):
        return  # the usual case, settled without importing networkx (issue 14: start-up)
    import networkx as nx

    g = nx.DiGraph()
    g.add_edges_from(edges)
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
