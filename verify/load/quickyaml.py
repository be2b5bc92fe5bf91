"""A fast reader for the plain YAML that large designs are written in.

:func:`verify.load.yamlsrc.parse` asks :func:`scan` first.  ``scan`` reads
a strict subset of YAML line by line: block mappings and sequences, flow
``[...]`` and ``{...}`` of plain or simply quoted scalars, comments.  For a
document inside that subset it returns exactly what the libyaml path
returns (the same Map/Seq tree, the same Location for every key, value and
item, the same node, element and NaN counts); for anything else (an
anchor, a tag, a block scalar with indicators or uneven lines, a
multi-line plain scalar, an empty value, a tab, a duplicate key, a limit
reached, anything it is not sure of) it returns None and parse reads the
text through libyaml.  So it never reports an error itself: every
diagnostic is the libyaml path's, word for word.  tests/test_quickyaml.py
holds the two readers to the same trees on every committed design, the
property catalogue and mutated texts.

Why: libyaml's events cost about 1.6 us each to build as Python objects
before a value is made of them; a 10,000-actor design has half a million.
Reading lines with str methods does the same work in a third of the time
(issue 14; docs/benchmarks.md).
"""

from __future__ import annotations

import re
from typing import Any

from verify.limits import DEFAULT, Limits
from verify.load.yamlsrc import _TOO_LONG, _WORDS, Map, Seq, _plain
from verify.model import Location

__all__ = ["flat_item", "scan"]


class _Outside(Exception):
    """The text is outside the subset: the caller reads it through libyaml."""


# Characters that may not appear in the subset at all (tabs, carriage
# returns, YAML 1.1's extra line breaks, the byte-order mark, control and
# non-characters), and lines libyaml treats specially (document markers,
# directives).
_REFUSED = re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
                      r"|^(?:---|\.\.\.|%)", re.M)
# A block key: a plain scalar without the characters that would make it
# anything else, then ':' and a space or the end of the line.
_KEY = re.compile(r"([^\s#'\"\[\]{},&*!|>%@`?:\-][^#:\[\]{},'\"]*|-[^\s#:\[\]{},'\"][^#:\[\]{},'\"]*):(?: +|$)")
# A plain scalar inside [...] or {...}: no flow indicator, ':' or '#' at all.
_FLOW_PLAIN = re.compile(r"(?:[^\s,\[\]{}#:'\"&*!|>%@`?\-]|-[^\s,\[\]{}#:'\"])[^,\[\]{}:#'\"]*")
_SINGLE = re.compile(r"'((?:[^']|'')*)'")
_DOUBLE = re.compile(r"\"([^\"\\]*)\"")
# The common line: {key: value, ...} with one space after each colon and
# comma; every key and value a plain scalar without ':', ',', quotes,
# brackets or '#' that starts with no indicator and ends with no space.
_FLAT_WORD = r"(?:[^\s:,\[\]{}#'\"&*!|>%@`?\-]|-[^\s:,\[\]{}#'\"])(?:[^:,\[\]{}#'\"]*[^\s:,\[\]{}#'\"])?"
_FLAT = re.compile(_FLAT_WORD + ": " + _FLAT_WORD + "(?:, " + _FLAT_WORD + ": " + _FLAT_WORD + ")*")
_COMMENT = re.compile(r" +#")
_CONSTANTS = {"null": None, "Null": None, "NULL": None, "true": True, "True": True, "TRUE": True,
              "false": False, "False": False, "FALSE": False}
# First characters a plain scalar cannot have (or that mean something else).
_INDICATORS = frozenset(",[]{}#&*!|>'\"%@`")


def scan(text: str, file: str, limits: Limits = DEFAULT, nodes_before: int = 0,
         elements_before: int = 0) -> Map | None:
    """The document's data, or None if it is outside the subset."""
    if _REFUSED.search(text):
        return None
    try:
        return _Scanner(text, file, limits, nodes_before, elements_before).document()
    except _Outside:
        return None


def flat_item(line: str, index: int, file: str, limits: Limits = DEFAULT) -> Map | None:
    """One item of a section's list written ``- {key: value, ...}`` on one
    line (``index``: the line's, from 0), as :func:`scan` reads it inside a
    document: the same Map and Locations.  None for any other shape, a
    value that is NaN, or a limit reached (``verify.load.patch``)."""
    column = line.find("{")
    if column < 0 or line[:column].strip(" ") != "-":
        return None
    reader = _Scanner(line, file, limits, 0, 0)
    # Depth 2: the document's mapping, the section's list, then the item.
    got = reader._flat_map(line, index, column, 2)
    return None if got is None or reader.nans else got


class _Scanner:
    """One pass over the lines.  A frame of the block stack is
    ``[indent, container, is a list, pending key, its Location, depth]``;
    a container is attached to its parent when it is opened (libyaml's path
    attaches it when it closes: the same tree, keys in the same order)."""

    def __init__(self, text: str, file: str, limits: Limits, nodes_before: int, elements_before: int):
        self.lines = text.split("\n")
        self.file = file
        self.limits = limits
        # Counted from what the files it extends hold (the limits are on the
        # whole chain); the document records its own.
        self.nodes_before, self.elements_before = nodes_before, elements_before
        self.nodes = nodes_before
        self.elements = elements_before
        self.nans = 0

    def at(self, line: int, column: int) -> Location:
        return tuple.__new__(Location, (self.file, line + 1, column + 1))

    def document(self) -> Map:
        lines, file, new = self.lines, self.file, tuple.__new__
        frames: list[list[Any]] = []
        root: Map | None = None
        max_depth = self.limits.depth
        i, count = 0, len(lines)
        while i < count:
            line = lines[i]
            stripped = line.lstrip(" ")
            if not stripped or stripped[0] == "#":
                i += 1
                continue
            indent = len(line) - len(stripped)
            if root is None:
                if indent or stripped[0] == "-":
                    raise _Outside
                root = Map(new(Location, (file, i + 1, 1)))
                self.nodes += 1
                frames.append([0, root, False, None, None, 0])
            if stripped[0] == "-" and (len(stripped) == 1 or stripped[1] == " "):
                while frames[-1][0] > indent:
                    if frames.pop()[3] is not None:
                        raise _Outside  # a key left without a value
                    if not frames:
                        raise _Outside
                top = frames[-1]
                if top[2] and top[0] == indent:
                    seq = top[1]
                    depth = top[5]
                elif not top[2] and top[3] is not None and indent >= top[0]:
                    # The pending key's value: a block list (at the key's
                    # own indent, YAML's "indentless" list, or deeper).
                    top = self._open(top, Seq, i, indent)
                    frames.append(top)
                    seq, depth = top[1], top[5]
                else:
                    raise _Outside
                rest = stripped[1:].lstrip(" ")
                if not rest or rest[0] == "#":
                    raise _Outside  # an empty item, or one written on the lines below
                column = len(line) - len(rest)
                if rest[0] == "{":  # nearly every line of a large design: take the short way
                    flat = self._flat_map(line, i, column, depth + 1)
                    if flat is not None:
                        self._item(seq, depth, flat, i, column)
                        i += 1
                        continue
                m = _KEY.match(rest)
                if m is not None:
                    # An item that is a mapping, its first key on the dash's line.
                    if depth + 1 >= max_depth:
                        raise _Outside
                    item = Map(new(Location, (file, i + 1, column + 1)))
                    self._count()
                    self._item(seq, depth, item, i, column)
                    frame = [column, item, False, None, None, depth + 1]
                    frames.append(frame)
                    i = self._entry(frame, m, rest, i, column)
                else:
                    value, last = self._value(rest, i, column, depth, indent)
                    self._item(seq, depth, value, i, column)
                    i = last
                i += 1
                continue
            m = _KEY.match(stripped)
            if m is None:
                raise _Outside
            while frames[-1][0] > indent or (frames[-1][2] and frames[-1][0] == indent):
                if frames.pop()[3] is not None:
                    raise _Outside
                if not frames:
                    raise _Outside
            top = frames[-1]
            if top[2]:
                raise _Outside
            if top[0] == indent:
                if top[3] is not None:
                    raise _Outside  # the key before this one has no value
                frame = top
            elif top[3] is not None and indent > top[0]:
                # The pending key's value: a block mapping.
                frame = self._open(top, Map, i, indent)
                frames.append(frame)
            else:
                raise _Outside
            i = self._entry(frame, m, stripped, i, indent) + 1
        if root is None:
            raise _Outside
        for frame in frames:
            if frame[3] is not None:
                raise _Outside
        root.nan_count = self.nans
        root.chain = (file,)
        root.nodes = self.nodes - self.nodes_before
        root.elements = self.elements - self.elements_before
        return root

    def _count(self) -> None:
        self.nodes += 1
        if self.nodes > self.limits.nodes:
            raise _Outside

    def _open(self, top: list[Any], kind: type[Map] | type[Seq], i: int, indent: int) -> list[Any]:
        """The frame of a block mapping or list opened at ``indent`` of line
        ``i`` as the value of the key ``top`` is waiting on."""
        depth = top[5] + 1
        if depth >= self.limits.depth:
            raise _Outside
        container = kind(self.at(i, indent))
        self._count()
        self._set(top, container)
        return [indent, container, kind is Seq, None, None, depth]

    def _set(self, frame: list[Any], value: Any) -> None:
        """``value`` is the value of the key ``frame`` is waiting on."""
        container: Map = frame[1]
        key = frame[3]
        container[key] = value
        container.key_at[key] = frame[4]
        container.value_at[key] = value.where
        frame[3] = None

    def _item(self, seq: Seq, depth: int, value: Any, line: int, column: int) -> None:
        if depth == 1:  # an item of a section: an element
            self.elements += 1
            if self.elements > self.limits.elements:
                raise _Outside
        seq.append(value)
        seq.item_at.append(value.where if isinstance(value, (Map, Seq)) else self.at(line, column))

    def _key(self, raw: str) -> str:
        if raw[-1] == " " or len(raw) > min(1000, self.limits.scalar_size):
            raise _Outside  # a space before the colon; a key libyaml finds too long
        key = _plain(raw, self.limits.digits)
        if type(key) is not str:
            raise _Outside  # a key that is a number, a boolean or null
        self._count()
        return key

    def _entry(self, frame: list[Any], m: re.Match[str], text: str, i: int, column: int) -> int:
        """The entry ``m`` (a key matched at the start of ``text``, written
        at ``column`` of line ``i``) of the mapping ``frame``; the index of
        the last line it took."""
        container: Map = frame[1]
        key = self._key(m.group(1))
        if key in container:
            raise _Outside
        key_at = self.at(i, column)
        rest = text[m.end():]
        if not rest or rest[0] == "#":
            frame[3], frame[4] = key, key_at  # the value is on the lines below
            return i
        start = column + m.end()
        value, last = self._value(rest, i, start, frame[5], frame[0])
        container[key] = value
        container.key_at[key] = key_at
        container.value_at[key] = value.where if isinstance(value, (Map, Seq)) else self.at(i, start)
        return last

    def _value(self, text: str, i: int, column: int, depth: int, indent: int) -> tuple[Any, int]:
        """The value written at the start of ``text`` (``column`` of line
        ``i``), in a block container at ``depth`` whose lines are indented
        by ``indent``; with the index of the last line it took."""
        first = text[0]
        if first == "{" or first == "[":
            return self._flow(i, column, depth + 1, indent)
        if first == "'" or first == '"':
            m = (_SINGLE if first == "'" else _DOUBLE).match(text)
            if m is None:
                raise _Outside  # spans lines, or has escapes
            self._trailing(text[m.end():])
            raw = m.group(1)
            return self._scalar(raw.replace("''", "'") if first == "'" else raw, quoted=True), i
        if first == ">" or first == "|":
            return self._block(text, i, indent)
        if first in _INDICATORS or (first in "-?:" and (len(text) == 1 or text[1] == " ")):
            raise _Outside
        cut = text.find(" #")
        raw = (text if cut < 0 else text[:cut]).rstrip(" ")
        if ": " in raw or raw[-1] == ":":
            raise _Outside
        self._continues(i, indent)
        return self._scalar(raw, quoted=False), i

    def _block(self, text: str, i: int, indent: int) -> tuple[Any, int]:
        """A block scalar, ``>`` (folded) or ``|`` (literal), alone after
        its key, whose content lines below are all indented alike, deeper
        than ``indent``: the shape of the hand-written designs' and the
        property catalogue's prose.  Anything else -- an indicator after
        it, an empty or more indented line inside, a line of spaces after
        it, a line ending in a space, a line starting with ``#``, content up
        to the end of a text without a final line break -- is left to
        libyaml."""
        if len(text) != 1:
            raise _Outside
        lines = self.lines
        body: list[str] = []
        width = 0
        j = i + 1
        while j < len(lines):
            line = lines[j]
            stripped = line.lstrip(" ")
            if not stripped:
                # Empty lines end the block only if no content follows them;
                # a line of spaces may be content (deeper than the block).
                k = j
                while k < len(lines) and not lines[k].strip(" "):
                    if lines[k]:
                        raise _Outside
                    k += 1
                if k < len(lines) and len(lines[k]) - len(lines[k].lstrip(" ")) > indent:
                    raise _Outside
                break
            at = len(line) - len(stripped)
            if at <= indent:
                break
            if width == 0:
                width = at
            if at != width or stripped[0] == "#" or line[-1] == " ":
                raise _Outside
            body.append(stripped)
            j += 1
        if not body or j == len(lines):
            raise _Outside  # empty, or no line break after its last line
        raw = (" " if text == ">" else "\n").join(body) + "\n"
        if len(raw) > self.limits.scalar_size:
            raise _Outside
        self._count()
        return raw, j - 1

    def _continues(self, i: int, indent: int) -> None:
        """A plain scalar ends with its line only if the next line with
        content is not indented deeper than its container (else the
        scalar goes on there, which this reader leaves to libyaml)."""
        lines = self.lines
        for j in range(i + 1, len(lines)):
            stripped = lines[j].lstrip(" ")
            if stripped and stripped[0] != "#":
                if len(lines[j]) - len(stripped) > indent:
                    raise _Outside
                return

    def _trailing(self, text: str) -> None:
        """What follows a complete value on its line: spaces, a comment."""
        rest = text.lstrip(" ")
        if rest and (rest[0] != "#" or rest == text):
            raise _Outside

    def _scalar(self, raw: str, quoted: bool) -> Any:
        self._count()
        if len(raw) > self.limits.scalar_size:
            raise _Outside
        if quoted:
            return raw
        value = _plain(raw, self.limits.digits)
        if value is _TOO_LONG:
            raise _Outside
        if value != value:  # only NaN is unequal to itself
            self.nans += 1
        return value

    def _flow(self, i: int, column: int, depth: int, indent: int) -> tuple[Any, int]:
        """The flow collection opened at ``column`` of line ``i``, at
        ``depth``; its lines after the first must be indented deeper than
        ``indent``.  Returns it with the index of the line it closes on."""
        lines = self.lines
        line = lines[i]
        if line[column] == "{":
            flat = self._flat_map(line, i, column, depth)
            if flat is not None:
                return flat, i
        # The general case: a stack of open collections, token by token.
        max_depth = self.limits.depth
        stack: list[list[Any]] = []  # [container, is a list, pending key, its Location, depth]
        pos = column
        result: Any = None
        expect_item = True  # at the start of a collection or after a comma
        while True:
            # Skip spaces, comments and line ends between tokens.
            while True:
                while pos < len(line) and line[pos] == " ":
                    pos += 1
                if pos < len(line) and not (line[pos] == "#" and line[pos - 1] == " "):
                    break
                if pos < len(line) and not expect_item:
                    raise _Outside  # a comment after a scalar: the rest may be on the next line
                i += 1
                if i >= len(lines) or not stack:
                    raise _Outside
                line = lines[i]
                stripped = line.lstrip(" ")
                pos = len(line) - len(stripped)
                if stripped and stripped[0] != "#" and pos <= indent:
                    raise _Outside
                if not expect_item and stripped and stripped[0] != "#":
                    raise _Outside  # a separator on a later line than its scalar
                if stripped[:1] == "#":
                    pos = len(line)
            c = line[pos]
            if c == "[" or c == "{":
                here = depth + len(stack)
                if here >= max_depth or not expect_item:
                    raise _Outside
                container: Any = Seq(self.at(i, pos)) if c == "[" else Map(self.at(i, pos))
                self._count()
                if stack:
                    self._flow_attach(stack[-1], container, here - 1)
                stack.append([container, c == "[", None, None, here])
                pos += 1
                continue
            if c == "]" or c == "}":
                if not stack or stack[-1][1] != (c == "]") or stack[-1][2] is not None:
                    raise _Outside
                top = stack.pop()
                if expect_item and len(top[0]):
                    raise _Outside  # a comma before the bracket
                pos += 1
                if not stack:
                    result = top[0]
                    self._trailing(line[pos:])
                    return result, i
                expect_item = False
                continue
            if c == ",":
                if expect_item or not stack:
                    raise _Outside
                expect_item = True
                pos += 1
                continue
            if not expect_item or not stack:
                raise _Outside
            top = stack[-1]
            start = pos
            if c == "'" or c == '"':
                m = (_SINGLE if c == "'" else _DOUBLE).match(line, pos)
                if m is None:
                    raise _Outside
                raw = m.group(1)
                value = self._scalar(raw.replace("''", "'") if c == "'" else raw, quoted=True)
                pos = m.end()
            else:
                m = _FLOW_PLAIN.match(line, pos)
                if m is None:
                    raise _Outside
                raw = m.group(0).rstrip(" ")
                pos = m.start() + len(raw)
                value = self._scalar(raw, quoted=False)
            if top[1]:
                if line[pos:pos + 1] == ":":
                    raise _Outside  # a one-pair mapping inside a list
                self._flow_attach(top, value, top[4], self.at(i, start))
                expect_item = False
            elif top[2] is None:
                # A key: ':' and a space must follow on the same line.
                if c in "'\"" or type(value) is not str or value in top[0] or len(raw) > 1000 \
                        or line[pos:pos + 2] != ": ":
                    raise _Outside
                top[2], top[3] = value, self.at(i, start)
                pos += 2
                expect_item = True  # the value comes next
            else:
                self._flow_attach(top, value, top[4], self.at(i, start))
                expect_item = False

    def _flow_attach(self, frame: list[Any], value: Any, depth: int, where: Location | None = None) -> None:
        where = value.where if where is None else where
        container = frame[0]
        if frame[1]:
            if depth == 1:
                self.elements += 1
                if self.elements > self.limits.elements:
                    raise _Outside
            container.append(value)
            container.item_at.append(where)
        else:
            key = frame[2]
            if key is None:
                raise _Outside  # a collection as a key
            container[key] = value
            container.key_at[key] = frame[3]
            container.value_at[key] = where
            frame[2] = None

    def _flat_map(self, line: str, i: int, column: int, depth: int) -> Map | None:
        """``{key: value, ...}`` on one line, one space after each colon and
        comma, plain scalars only: the shape of nearly every line of a
        large design (what yaml.dump writes).  None for any other, which
        the general reader then takes."""
        close = line.find("}", column)
        if close < 0 or depth >= self.limits.depth or len(line) > self.limits.scalar_size:
            return None
        after = line[close + 1:]
        if after and not (after.strip(" ") == "" or _COMMENT.match(after)):
            return None
        if _FLAT.fullmatch(line, column + 1, close) is None:
            return None
        words = line[column + 1:close].replace(": ", ", ").split(", ")
        file, new, limits = self.file, tuple.__new__, self.limits
        line_no = i + 1
        result = Map(new(Location, (file, line_no, column + 1)))
        key_at, value_at = result.key_at, result.value_at
        at = column + 1
        nans = 0
        for n in range(0, len(words), 2):
            key = words[n]
            raw = words[n + 1]
            if not key[0].isalpha() or key in _WORDS or key in result:
                return None  # a key that may not be a string, or one written twice
            if raw[0].isalpha():
                value: Any = _CONSTANTS.get(raw, raw)
            elif raw[0].isdigit() and raw[-1].isalpha() and raw[1:2] != "x":
                value = raw  # not a number: a duration such as 7d
            else:
                value = _plain(raw, limits.digits)
                if value is _TOO_LONG:
                    return None
                if value != value:
                    nans += 1
            value_column = at + len(key) + 2
            result[key] = value
            key_at[key] = new(Location, (file, line_no, at + 1))
            value_at[key] = new(Location, (file, line_no, value_column + 1))
            at = value_column + len(raw) + 2
        nodes = self.nodes + 1 + len(words)
        if nodes > limits.nodes:
            return None
        self.nodes = nodes
        self.nans += nans
        return result
