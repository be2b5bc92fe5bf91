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

import yaml

from verify.diagnostics import Diagnostic
from verify.errors import UnsafeYAMLError, YAMLSyntaxError
from verify.model import Location

__all__ = ["Map", "Seq", "parse", "ALIAS_BUDGET", "MAX_DEPTH"]

#: How many nodes aliases may re-expand before the document counts as a bomb.
ALIAS_BUDGET = 100_000
#: How deep lists and mappings may nest (a regime needs about six levels).
#: Deeper input would overflow the stack of the composer or of ``build``.
MAX_DEPTH = 100

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

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


class Map(dict):
    """A mapping that remembers where it, its keys and its values were written."""

    __slots__ = ("where", "key_at", "value_at")

    def __init__(self, where: Location):
        super().__init__()
        self.where = where
        self.key_at: dict[str, Location] = {}
        self.value_at: dict[str, Location] = {}


class Seq(list):
    """A sequence that remembers where it and its items were written."""

    __slots__ = ("where", "item_at")

    def __init__(self, where: Location):
        super().__init__()
        self.where = where
        self.item_at: list[Location] = []


def _plain(text: str):
    """Resolve a plain scalar by the YAML 1.2 core schema."""
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if _INT.fullmatch(text):
        return int(text, 0) if text[:2] in ("0o", "0x") else int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    if _INF.fullmatch(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.fullmatch(text):
        return math.nan
    return text


def parse(text: str, file: str):
    """The document's data (Map/Seq/scalars); raises on anything unsafe."""

    def at(node) -> Location:
        return Location(file, node.start_mark.line + 1, node.start_mark.column + 1)

    try:
        # Measure the nesting first: composing very deep input crashes the
        # interpreter (libyaml's composer recurses in C).
        depth = 0
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    raise YAMLSyntaxError([Diagnostic(
                        "E001", f"YAML nests deeper than {MAX_DEPTH} levels",
                        Location(file, mark.line + 1, mark.column + 1),
                        expected=f"lists and mappings nested at most {MAX_DEPTH} deep")])
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file, 1, 1)
        problem = e.problem or "malformed YAML"
        if e.context:
            problem = f"{problem} ({e.context})"
        raise YAMLSyntaxError([Diagnostic("E001", f"YAML syntax: {problem}", where,
                                          expected="well-formed YAML")]) from None
    except yaml.YAMLError as e:  # e.g. a reader error on a control character
        raise YAMLSyntaxError([Diagnostic("E001", f"YAML syntax: {e}", Location(file, 1, 1),
                                          expected="well-formed YAML")]) from None

    errors: list[Diagnostic] = []
    seen: set[int] = set()
    budget = [ALIAS_BUDGET]

    def build(node, depth=0):
        # The text nests at most MAX_DEPTH deep, so only aliases (one that
        # contains itself, or chains of them) can take the data deeper.
        if depth > MAX_DEPTH:
            raise UnsafeYAMLError([Diagnostic(
                "E003", f"aliases nest the data deeper than {MAX_DEPTH} levels; refusing this document",
                at(node), expected="an alias to a node that does not contain it",
                hint="a regime rarely needs aliases; write the repeated part out")])
        # An alias is the same node object met again: charge its re-expansion.
        if id(node) in seen:
            budget[0] -= 1
            if budget[0] < 0:
                raise UnsafeYAMLError([Diagnostic(
                    "E003", "aliases expand beyond the size budget; refusing this document",
                    at(node), expected=f"at most {ALIAS_BUDGET} nodes re-used through aliases",
                    hint="a regime rarely needs aliases; write the repeated part out")])
        else:
            seen.add(id(node))
        if node.tag not in _SAFE_TAGS:
            errors.append(Diagnostic(
                "E002", f"YAML tag {node.tag!r} is not allowed", at(node),
                found=node.tag, expected="plain data: strings, numbers, booleans, lists, mappings"))
            return None
        if isinstance(node, yaml.ScalarNode):
            # libyaml reports a plain scalar's style as '', PyYAML as None.
            return _plain(node.value) if not node.style else node.value
        if isinstance(node, yaml.SequenceNode):
            out = Seq(at(node))
            for item in node.value:
                out.append(build(item, depth + 1))
                out.item_at.append(at(item))
            return out
        out = Map(at(node))
        for knode, vnode in node.value:
            key = build(knode, depth + 1)
            if not isinstance(key, str):
                errors.append(Diagnostic("E011", f"mapping key {key!r} is not a string", at(knode),
                                         found=repr(key), expected="a field name"))
                continue
            if key in out:
                errors.append(Diagnostic(
                    "E004", f"duplicate key {key!r}", at(knode),
                    hint=f"first written at line {out.key_at[key].line}"))
                continue
            out[key] = build(vnode, depth + 1)
            out.key_at[key] = at(knode)
            out.value_at[key] = at(vnode)
        return out

    if root is None:
        raise YAMLSyntaxError([Diagnostic("E006", "the document is empty", Location(file, 1, 1),
                                          expected="a regime: a mapping with at least `regime: ID`")])
    data = build(root)
    if errors:
        unsafe = [d for d in errors if d.code == "E002"]
        raise (UnsafeYAMLError if unsafe else YAMLSyntaxError)(errors)
    if not isinstance(data, Map):
        raise YAMLSyntaxError([Diagnostic("E006", "the document is not a mapping", at(root),
                                          found="a list" if isinstance(data, Seq) else
                                          "nothing" if data is None else repr(data),
                                          expected="a regime: a mapping with at least `regime: ID`")])
    return data
