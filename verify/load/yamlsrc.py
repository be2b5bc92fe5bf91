"""Safe YAML with source positions.

PyYAML composes the node graph (libyaml when available); we build plain data
ourselves so that (1) no tag can construct a Python object, (2) aliases cannot
expand without bound, (3) every value keeps the line and column it came from,
and (4) plain scalars follow the YAML 1.2 core schema: ``1e26`` is a number and
``no`` is a string (YAML 1.1 would read Norway's code as false).
"""

from __future__ import annotations

import math
import re
from typing import Any

from verify.diagnostics import Diagnostic
from verify.errors import UnsafeYAMLError, YAMLSyntaxError
from verify.limits import DEFAULT, LimitExceededError, Limits, raise_hint
from verify.model import Location

__all__ = ["Map", "Seq", "parse", "ALIAS_BUDGET", "MAX_DEPTH", "MAX_DIGITS"]

# The defaults of three limits (verify.limits), under the names they had
# before the limits could be changed.
#: Bytes aliases may repeat before the document counts as a bomb.
ALIAS_BUDGET = DEFAULT.alias_bytes
#: How deep lists and mappings may nest (a regime needs about six levels).
MAX_DEPTH = DEFAULT.depth
#: How many digits a number may be written with.
MAX_DIGITS = DEFAULT.digits


_STD = "tag:yaml.org,2002:"
# "value" and "merge" are what YAML 1.1 resolvers tag a plain `=` and `<<` with;
# under YAML 1.2 they are plain strings.
_SCALAR_TAGS = {_STD + t for t in ("str", "int", "float", "bool", "null", "timestamp", "binary",
                                   "value", "merge")}
_SAFE_TAGS = _SCALAR_TAGS | {_STD + "map", _STD + "seq"}

_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)")
_NAN = re.compile(r"\.(nan|NaN|NAN)")


class Map(dict[str, Any]):
    """A mapping that remembers where it, its keys and its values were written."""

    __slots__ = ("where", "key_at", "value_at", "nan_count", "chain", "nodes", "elements")

    def __init__(self, where: Location):
        super().__init__()
        self.where = where
        self.key_at: dict[str, Location] = {}
        self.value_at: dict[str, Location] = {}
        #: On a document's root: how many .nan scalars it holds (None: unknown).
        self.nan_count: int | None = None
        #: On a document's root: the files it was read from, the farthest
        #: base first and the file itself last (see ``extends``).
        self.chain: tuple[str, ...] = ()
        #: On a document's root: the YAML nodes it was built from, aliases
        #: expanded (see ``Limits.nodes``), and the items of its sections
        #: (``Limits.elements``).
        self.nodes = 0
        self.elements = 0


class Seq(list[Any]):
    """A sequence that remembers where it and its items were written."""

    __slots__ = ("where", "item_at")

    def __init__(self, where: Location):
        super().__init__()
        self.where = where
        self.item_at: list[Location] = []


_WORDS = {"null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE"}


def _plain(text: str, max_digits: int = MAX_DIGITS) -> Any:
    """Resolve a plain scalar by the YAML 1.2 core schema (``_TOO_LONG`` for
    a numeral of more than ``max_digits`` digits)."""
    # Most scalars in a regime are ids and words: settle them before any regex.
    if text[:1].isalpha() and text not in _WORDS:
        return text
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if _INT.fullmatch(text):
        if _digits(text) > max_digits:
            return _TOO_LONG
        return int(text, 0) if text[:2] in ("0o", "0x") else int(text)
    if _FLOAT.fullmatch(text):
        if _digits(text) > max_digits:
            return _TOO_LONG
        return float(text)
    if _INF.fullmatch(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.fullmatch(text):
        return math.nan
    return text


def parse(text: str, file: str, limits: Limits = DEFAULT, nodes_before: int = 0, elements_before: int = 0,
          quick: bool = True) -> Map:
    """The document's data (Map/Seq/scalars); raises on anything unsafe.

    A document in the plain subset of YAML that large designs are written
    in is read by :func:`verify.load.quickyaml.scan` (the same result, read
    three times faster); any other, and every document when ``quick`` is
    false, is read as follows.

    Built straight from libyaml's event stream with an explicit stack: no
    node graph, no Python-level resolver, no recursion (so no nesting can
    crash the interpreter), and an alias reuses the value already built while
    its expanded size is charged against the budget.

    ``limits`` bound what the document may make this do (docs/limits.md):
    its nodes and elements (``nodes_before`` and ``elements_before`` of them
    already read from the files it extends), nesting, scalar sizes, the bytes aliases repeat and the digits
    of a numeral, each checked as its event arrives, so that a document
    beyond a limit is refused before more of it is built.
    """
    if quick:
        from verify.load.quickyaml import scan  # it imports this module
        data = scan(text, file, limits, nodes_before, elements_before)
        if data is not None:
            return data
    # PyYAML is imported here, not with the module: a design the quick
    # reader takes (every generated one, most hand-written ones) never
    # needs it (its import was a twentieth of a re-check, issue 14).
    import yaml

    def at(mark: Any) -> Location:
        return new(Location, (file, mark.line + 1, mark.column + 1))

    errors: list[Diagnostic] = []
    anchors: dict[str, tuple[object, int, int]] = {}  # anchor -> (value, expanded nodes, expanded bytes)
    open_anchors: set[str] = set()
    # Each frame: [container, nodes, anchor, pending key, key mark, start mark, bytes, is a list]
    # (Locations are built with tuple.__new__: a named tuple's own __new__
    # is a Python function, a call per value more; issue 14.)
    new = tuple.__new__
    stack: list[list[Any]] = []
    root: list[Any] = []
    root_mark = None
    nodes = nodes_before  # nodes so far, aliases expanded (limit `nodes`)
    elements = elements_before  # items of the document's sections so far (limit `elements`)
    repeated = 0  # bytes repeated through aliases (limit `alias-bytes`)
    nans = 0
    documents = 0
    max_depth, max_scalar, max_digits = limits.depth, limits.scalar_size, limits.digits

    def bad_tag(tag: str, mark: Any) -> None:
        errors.append(Diagnostic(
            "E002", f"YAML tag {tag!r} is not allowed", at(mark), found=tag,
            expected="plain data: strings, numbers, booleans, lists, mappings"))

    def too_many(mark: Any) -> LimitExceededError:
        return LimitExceededError([Diagnostic(
            "E007", f"the design has more than {limits.nodes} YAML nodes", at(mark),
            expected=f"at most {limits.nodes} nodes (scalars, lists and mappings, aliases expanded) "
                     "in the design and the files it extends",
            hint=raise_hint("nodes", limits.nodes))])

    def attach(value: Any, size: int, nbytes: int, mark: Any) -> None:
        nonlocal root_mark, elements
        if not stack:
            root.append(value)
            root_mark = mark
            return
        frame = stack[-1]
        frame[1] += size
        frame[6] += nbytes
        container = frame[0]
        if isinstance(container, Seq):
            if len(stack) == 2:  # an item of a section: an element
                elements += 1
                if elements > limits.elements:
                    raise LimitExceededError([Diagnostic(
                        "E007", f"the design has more than {limits.elements} elements", at(mark),
                        expected=f"at most {limits.elements} items in its sections (actors, mechanisms, "
                                 "flows, ...) with the files it extends",
                        hint=raise_hint("elements", limits.elements))])
            container.append(value)
            container.item_at.append(at(mark))
        elif frame[3] is _NO_KEY:
            if not isinstance(value, str):
                errors.append(Diagnostic("E011", f"mapping key {_short(value)} is not a string", at(mark),
                                         found=_short(value), expected="a field name"))
                frame[3], frame[4] = _SKIP, None
            elif value in container:
                errors.append(Diagnostic("E004", f"duplicate key {_short(value)}", at(mark),
                                         hint=f"first written at line {container.key_at[value].line}"))
                frame[3], frame[4] = _SKIP, None
            else:
                frame[3], frame[4] = value, mark
        else:
            key = frame[3]
            if key is not _SKIP:
                container[key] = value
                container.key_at[key] = at(frame[4])
                container.value_at[key] = at(mark)
            frame[3] = _NO_KEY

    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
        while True:
            event = loader.get_event()
            kind = type(event)
            if kind is yaml.StreamEndEvent:
                break
            if kind is yaml.ScalarEvent:
                nodes += 1
                if nodes > limits.nodes:
                    raise too_many(event.start_mark)
                raw = event.value
                tag = event.tag
                if tag is None and not event.style and raw[:1].isalpha() and raw not in _WORDS:
                    value = raw  # an id or a word, as _plain would say, without the call
                elif tag is not None and tag not in _SCALAR_TAGS and tag != "!":
                    bad_tag(tag, event.start_mark)
                    value = None
                elif event.style or tag in (_STD + "str", "!"):
                    value = raw
                else:
                    value = _plain(raw, max_digits)
                    if value is _TOO_LONG:
                        errors.append(_too_long(raw, at(event.start_mark), max_digits))
                        value = None
                    elif value != value:  # only NaN is unequal to itself
                        nans += 1
                # After the numeral check: a numeral too long is E013 (the digit limit) whatever its length.
                if len(raw) > max_scalar and value is not None:
                    raise LimitExceededError([Diagnostic(
                        "E007", f"a scalar of {len(raw)} characters", at(event.start_mark),
                        found=repr(raw[:40]) + "...",
                        expected=f"at most {max_scalar} characters in one value",
                        hint=raise_hint("scalar-size", max_scalar))])
                if event.anchor is not None:
                    anchors[event.anchor] = (value, 1, len(raw) + 1)
                # attach(), inlined for the three cases that are nearly every
                # scalar of a regime: a key, its value, an item of an inner list.
                mark = event.start_mark
                if stack:
                    frame = stack[-1]
                    container = frame[0]
                    key = frame[3]
                    if frame[7]:
                        if len(stack) != 2:  # not an item of a section (those are counted)
                            frame[1] += 1
                            frame[6] += len(raw) + 1
                            container.append(value)
                            container.item_at.append(new(Location, (file, mark.line + 1, mark.column + 1)))
                            continue
                    elif key is _NO_KEY:
                        if type(value) is str and value not in container:
                            frame[1] += 1
                            frame[6] += len(raw) + 1
                            frame[3] = value
                            frame[4] = mark
                            continue
                    elif key is not _SKIP:
                        frame[1] += 1
                        frame[6] += len(raw) + 1
                        container[key] = value
                        km = frame[4]
                        container.key_at[key] = new(Location, (file, km.line + 1, km.column + 1))
                        container.value_at[key] = new(Location, (file, mark.line + 1, mark.column + 1))
                        frame[3] = _NO_KEY
                        continue
                attach(value, 1, len(raw) + 1, mark)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                nodes += 1
                if nodes > limits.nodes:
                    raise too_many(event.start_mark)
                if len(stack) >= max_depth:
                    raise YAMLSyntaxError([Diagnostic(
                        "E001", f"YAML nests deeper than {max_depth} levels", at(event.start_mark),
                        expected=f"lists and mappings nested at most {max_depth} deep",
                        hint=raise_hint("depth", max_depth))])
                if event.tag is not None and event.tag not in _SAFE_TAGS and event.tag != "!":
                    bad_tag(event.tag, event.start_mark)
                container = Map(at(event.start_mark)) if kind is yaml.MappingStartEvent else Seq(at(event.start_mark))
                if event.anchor is not None:
                    open_anchors.add(event.anchor)
                stack.append([container, 1, event.anchor, _NO_KEY, None, event.start_mark, 1,
                              kind is yaml.SequenceStartEvent])
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                container, size, anchor, _, _, mark, nbytes, _ = stack.pop()
                if anchor is not None:
                    open_anchors.discard(anchor)
                    anchors[anchor] = (container, size, nbytes)
                attach(container, size, nbytes, mark)
            elif kind is yaml.AliasEvent:
                if event.anchor in open_anchors:
                    raise UnsafeYAMLError([Diagnostic(
                        "E003", f"alias *{event.anchor} refers to a node that contains it",
                        at(event.start_mark), expected="an alias to a node that does not contain it",
                        hint="a regime rarely needs aliases; write the repeated part out")])
                if event.anchor not in anchors:
                    raise YAMLSyntaxError([Diagnostic("E001", f"YAML syntax: unknown alias *{event.anchor}",
                                                      at(event.start_mark), expected="an alias to an anchor above")])
                value, size, nbytes = anchors[event.anchor]
                repeated += nbytes
                if repeated > limits.alias_bytes:
                    raise UnsafeYAMLError([Diagnostic(
                        "E003", "aliases expand beyond the size budget; refusing this document",
                        at(event.start_mark),
                        expected=f"at most {limits.alias_bytes} bytes repeated through aliases",
                        hint="a regime rarely needs aliases; write the repeated part out; "
                             + raise_hint("alias-bytes", limits.alias_bytes))])
                nodes += size
                if nodes > limits.nodes:
                    raise too_many(event.start_mark)
                attach(value, size, nbytes, event.start_mark)
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise YAMLSyntaxError([Diagnostic("E001", "YAML syntax: more than one document",
                                                      at(event.start_mark), expected="a single document")])
    except yaml.MarkedYAMLError as e:
        if "maximum nesting depth" in (e.problem or ""):
            # libyaml (in recent PyYAML wheels) scans a flow collection's
            # brackets before it emits their events, and stops at its own
            # limit of 1,000; the limit that applies is ours, at the bracket
            # that passes it.
            opened = stack[-1][5] if stack else None
            deep = _deep_flow(text, opened.line if opened else 0, opened.column if opened else 0,
                              max_depth - len(stack) + 1)
            if deep is not None:
                raise YAMLSyntaxError([Diagnostic(
                    "E001", f"YAML nests deeper than {max_depth} levels", Location(file, deep[0] + 1, deep[1] + 1),
                    expected=f"lists and mappings nested at most {max_depth} deep",
                    hint=raise_hint("depth", max_depth))]) from None
        mark = e.problem_mark or e.context_mark
        where = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file, 1, 1)
        problem = _cut(e.problem or "malformed YAML")
        if e.context:
            problem = f"{problem} ({_cut(e.context)})"
        raise YAMLSyntaxError([Diagnostic("E001", f"YAML syntax: {problem}", where,
                                          expected="well-formed YAML")]) from None
    except yaml.YAMLError as e:  # e.g. a reader error on a control character
        where = Location(file, 1, 1)
        position = getattr(e, "position", None)
        if isinstance(e, yaml.reader.ReaderError) and isinstance(position, int):
            # libyaml counts bytes of the UTF-8 text; PyYAML's own reader
            # (encoding "unicode") counts characters.
            where = _position(text, position, file, in_bytes=e.encoding != "unicode")
        raise YAMLSyntaxError([Diagnostic("E001", f"YAML syntax: {_cut(str(e).splitlines()[0] if str(e) else '')}",
                                          where, expected="well-formed YAML")]) from None

    if errors:
        unsafe = [d for d in errors if d.code == "E002"]
        raise (UnsafeYAMLError if unsafe else YAMLSyntaxError)(errors)
    if not root or (root[0] is None and not isinstance(root[0], (Map, Seq))):
        raise YAMLSyntaxError([Diagnostic("E006", "the document is empty", Location(file, 1, 1),
                                          expected="a regime: a mapping with at least `regime: ID`")])
    data = root[0]
    if isinstance(data, Map):
        data.nan_count = nans
        data.chain = (file,)
        data.nodes = nodes - nodes_before
        data.elements = elements - elements_before
    if not isinstance(data, Map):
        raise YAMLSyntaxError([Diagnostic("E006", "the document is not a mapping", at(root_mark),
                                          found="a list" if isinstance(data, Seq) else _quoted_line(data),
                                          expected="a regime: a mapping with at least `regime: ID`")])
    return data


_NO_KEY = object()  # a mapping frame waiting for its next key
_TOO_LONG = object()  # what _plain makes of a numeral of more than MAX_DIGITS digits
_SKIP = object()    # a mapping frame discarding the value of a rejected key


def _deep_flow(text: str, line: int, column: int, nth: int) -> tuple[int, int] | None:
    """The line and column (from 0) of the ``nth`` flow bracket (``[`` or
    ``{``) still open, counted after ``line``:``column`` (the innermost
    container the events had opened, already counted, so its own bracket
    is not): where a document passes the depth limit in flow style.  Quoted
    text and comments are skipped; None if the count never gets there."""
    depth = 0
    lines = text.split("\n")
    if line < len(lines) and column < len(lines[line]) and lines[line][column] in "[{":
        column += 1
    quote = ""
    for i in range(line, len(lines)):
        row = lines[i]
        j = column if i == line else 0
        while j < len(row):
            c = row[j]
            if quote:
                if quote == '"' and c == "\\":
                    j += 1  # an escape: the next character is text
                elif c == quote and quote == "'" and row[j + 1:j + 2] == "'":
                    j += 1  # '' is a quote inside single quotes
                elif c == quote:
                    quote = ""
            elif c in "'\"" and (j == 0 or row[j - 1] in " \t[{,:"):
                quote = c  # a quoted scalar begins; an apostrophe inside plain text does not
            elif c == "#" and (j == 0 or row[j - 1] in " \t"):
                break
            elif c in "[{":
                depth += 1
                if depth >= nth:
                    return i, j
            elif c in "]}":
                depth -= 1
            j += 1
    return None


def _position(text: str, offset: int, file: str, in_bytes: bool) -> Location:
    """The line and column of a reader error's position: ``offset``
    characters into ``text``, or bytes into its UTF-8 encoding."""
    before = text.encode("utf-8")[:offset].decode("utf-8", errors="ignore") if in_bytes else text[:offset]
    line_start = before.rfind("\n") + 1
    return Location(file, before.count("\n") + 1, len(before) - line_start + 1)


def _digits(numeral: str) -> int:
    """How many digits a numeral is written with (sign, 0x, 0o, the decimal
    point and the exponent's e and sign left out)."""
    bare = numeral.lstrip("+-")
    if bare[:2] in ("0x", "0o"):
        return len(bare) - 2
    return sum(1 for c in bare if c.isdigit())


def _too_long(text: str, where: Location, max_digits: int = MAX_DIGITS) -> Diagnostic:
    digits = _digits(text)
    return Diagnostic("E013", f"number too long to read: {digits} digits", where,
                      found=f"{text[:20]}... ({digits} digits)",
                      expected=f"at most {max_digits} digits",
                      hint=raise_hint("digits", max_digits))


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


#: The most of a file's own text an error quotes: one line, cut to this length.
QUOTE_LIMIT = 200


def _cut(text: str) -> str:
    return text if len(text) <= QUOTE_LIMIT else text[:QUOTE_LIMIT] + "..."


def _quoted_line(value: object) -> str:
    """A value that is not a design, quoted no further than its first line,
    cut to QUOTE_LIMIT characters: a file that failed to parse as a design
    (``extends: /etc/passwd``) is never echoed whole."""
    text = repr(value)
    first = str(value).splitlines()[0] if isinstance(value, str) and value.splitlines() else None
    if first is not None and first != value:
        return _cut(repr(first)) + " (first line only)"
    return _cut(text)
