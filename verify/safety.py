r"""Untrusted text made safe to show: a design from elsewhere must not be able
to forge a verdict on a terminal.

Ids, names, titles, descriptions, claim texts (and file names) come from the
design's author.  Printed raw, an ANSI escape sequence (``\x1b[32mHOLDS``),
a carriage return (which sends the cursor back to overwrite the line), a NUL
or a right-to-left override (U+202E, which reverses what follows) can make a
FAILS line read HOLDS and REFUTED read UPHELD.  :func:`visible` shows every
such character as a visible escape instead:

- every control character: C0 (newline and tab included: inside one field
  they are not line breaks of the report), DEL and C1, as ``\n``, ``\r``,
  ``\t`` or ``\xNN``;
- every format character (Unicode category Cf): the bidirectional controls
  (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069), zero-width
  characters, the soft hyphen, the byte-order mark, tag characters, as
  ``\u202e`` (``\U000e0001`` beyond the BMP);
- the line and paragraph separators (U+2028, U+2029), lone surrogates and
  the noncharacters (U+FFFE, U+FFFF, ...), which are not allowed in XML or
  cannot be encoded.

Everything else, letters of any script and spaces of any width included, is
kept as written, and plain printable ASCII comes out unchanged.  A backslash
is kept too: a name that spells ``\x1b`` looks like an escaped ESC, which is
harmless (neither changes what the terminal shows around it).

Where it is applied (docs/cli.md, "Untrusted text"): :mod:`verify.explain`
returns only visible text from every public function; each text report
(``check``, ``claims``, ``validate``), each diagnostic (its file, message,
found and expected values), each GitHub annotation and each JUnit field
escapes its lines; and :func:`verify.cli._common.deliver` escapes the whole
text and GitHub report once more (keeping only its line breaks), so a line a
future report forgets still cannot carry a control character to the
terminal.  JSON and SARIF keep the data exact but write these characters as
``\uXXXX`` escapes (:func:`json_safe`).
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from verify.model import Location, Regime

__all__ = ["visible", "visible_lines", "is_unsafe", "json_safe", "nfc", "fold", "confusables"]

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def is_unsafe(ch: str) -> bool:
    """Whether the character ``ch`` is shown escaped by :func:`visible`."""
    cp = ord(ch)
    if cp < 0x80:
        return cp < 0x20 or cp == 0x7F
    if (cp & 0xFFFE) == 0xFFFE or 0xFDD0 <= cp <= 0xFDEF:  # noncharacters
        return True
    return unicodedata.category(ch) in _UNSAFE_CATEGORIES


def _escape(ch: str) -> str:
    named = _NAMED.get(ch)
    if named is not None:
        return named
    cp = ord(ch)
    if cp < 0x100:
        return f"\\x{cp:02x}"
    if cp < 0x10000:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def _safe_ascii(text: str) -> bool:
    return text.isascii() and text.isprintable()


def visible(text: str) -> str:
    r"""``text`` with every control, format and bidirectional character
    written as a visible escape (``\x1b``, ``\r``, ``\n``, ``\u202e``), for
    one field or one line of a report.  Idempotent; printable ASCII is
    returned unchanged."""
    if _safe_ascii(text):
        return text
    return "".join(_escape(c) if is_unsafe(c) else c for c in text)


def visible_lines(text: str) -> str:
    """:func:`visible` for text of several lines: each line escaped, the line
    breaks (``\\n``) kept."""
    if _safe_ascii(text.replace("\n", "")):
        return text
    return "\n".join(visible(line) for line in text.split("\n"))


def _json_escape(ch: str) -> str:
    cp = ord(ch)
    if cp < 0x10000:
        return f"\\u{cp:04x}"
    cp -= 0x10000
    return f"\\u{0xD800 + (cp >> 10):04x}\\u{0xDC00 + (cp & 0x3FF):04x}"


def json_safe(document: str) -> str:
    """A JSON document (as :func:`json.dumps` writes it with
    ``ensure_ascii=False``) with every character :func:`visible` would escape
    written as a ``\\uXXXX`` escape: the same data for a program, nothing
    a terminal would act on for a person who prints the file.

    Lossless: :func:`json.dumps` already escapes C0 controls, such a
    character is never part of an escape (JSON escapes are printable ASCII),
    and outside strings JSON has only printable ASCII, spaces and line
    breaks, which are left alone."""
    if document.isascii() and "\x7f" not in document:
        return document
    return "".join(_json_escape(c) if ord(c) >= 0x7F and is_unsafe(c) else c for c in document)


# ---------------------------------------------------------------- comparing names

def nfc(text: str) -> str:
    """``text`` in Unicode normal form C: the form names are compared in, so
    that an é typed as one character and as e + combining accent are the
    same name."""
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """What a reader takes ``text`` to say: compatibility-normalised (NFKC:
    full-width letters, ligatures, superscripts), case-folded, without format
    characters (zero-width, bidirectional) and with runs of spaces as one."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in text if not is_unsafe(c) or c in "\n\r\t")
    return " ".join(text.casefold().split())


def _quote(text: str) -> str:
    return "'" + visible(text) + "'"


def _how(a: str, b: str) -> str:
    if a == b:
        return "the same name"
    if nfc(a) == nfc(b):
        return "the same name in different Unicode forms"
    if nfc(a).casefold() == nfc(b).casefold():
        return "names that differ only by case"
    return "names that differ only by case, Unicode compatibility forms or invisible characters"


def confusables(regime: Regime) -> list[tuple[str, Location | None]]:
    """Warnings for elements a reader could take for one another: two
    elements of one kind (two actors, two mechanisms, ...) whose names read
    alike (the same after NFC or NFKC normalisation, case folding and
    removing invisible characters), and two ids of the design that differ
    only by case (ids are ASCII: the schema's pattern).

    Returns ``(message, where)`` pairs, ``where`` the position of the second
    element (None when unknown), in the design's order.  ``verify validate``
    prints them as warnings (rule ``confusable-name``); names themselves are
    never changed.
    """
    from verify.vocabulary import ELEMENT_SECTIONS, ID_SECTIONS

    out: list[tuple[str, Location | None]] = []
    ids: dict[str, tuple[str, str]] = {}
    for sec in ID_SECTIONS:
        for element in getattr(regime, sec.name):
            eid = element.id
            first = ids.setdefault(fold(eid), (sec.kind, eid))
            if first[1] != eid:
                out.append((f"{sec.kind} {_quote(eid)} and {first[0]} {_quote(first[1])} have ids that differ "
                            "only by case: they read alike in a report", element.where))
    for sec in ELEMENT_SECTIONS:
        names: dict[str, tuple[str, str]] = {}
        for element in getattr(regime, sec.name):
            name = element.name
            if not name:
                continue
            first = names.setdefault(fold(name), (element.id, name))
            if first[0] != element.id:
                out.append((f"{sec.kind}s {_quote(first[0])} and {_quote(element.id)} have "
                            f"{_how(first[1], name)} ({_quote(first[1])} and {_quote(name)}): "
                            "they read alike in a report", element.where))
    return out
