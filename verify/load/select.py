"""Selectors and declared groups, resolved when a design is loaded.

Wherever the format takes a list of actors (the vocabulary's
:attr:`~verify.vocabulary.Ref.selectable` references: ``controlled_by``,
``perpetrator``, ``requires_access``, bodies' and groups' ``members``,
``recused``, ``colluders``, ``cleared``), the whole value or any item of the
list may be a **selector**:

- ``{kind: state}``: every actor of that kind, in the order of ``actors``;
- ``{group: eu}``: every member of the group, in the group's order;
- either with ``except: [ids]``: those actors left out.  Each must be one the
  selector selects, so that a misspelt exception cannot pass silently.

A group is declared with ``members`` (which may hold selectors, even of
other groups) or with ``count: n``: then this module declares its members
itself, as actors ``<id>.1`` to ``<id>.<n>`` of the group's ``kind``
(default ``state``), appended to ``actors`` and located at the group.

:func:`resolve` returns the document with every selector it could resolve
replaced by the ids it selects: an id the list already names, or that an
earlier selector of the list selected, is not repeated.  Each id a selector
put there is located at the selector, so that a later diagnostic about it
(a cycle of control, a threshold) points at the selector that brought it.
A selector that cannot be resolved (malformed, or naming an unknown group)
is left as written: the schema reports a malformed one at its own line and
column, and :func:`resolve` reports the others (:attr:`Resolved.problems`).
Validation and the builder then see plain ids.

Plain functions over the document, no recursion: groups that name groups
are resolved in dependency order by repeated passes, and a cycle among them
is reported (E042).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

from verify.diagnostics import Diagnostic
from verify.load.yamlsrc import Map, Seq
from verify.model import Location
from verify.schema import schema
from verify.vocabulary import ID_SECTIONS, SECTION, SECTIONS, Ref, Section

__all__ = [
    "Resolved",
    "resolve",
    "member_id",
    "is_selector",
    "intro",
    "did_you_mean",
    "DEFAULT_GROUP_KIND",
    "MAX_COUNT",
    "MAX_GENERATED",
]

#: The kind of the actors a group's ``count`` declares when it names none.
DEFAULT_GROUP_KIND = "state"
#: The largest ``count`` of one group (the schema says the same).
MAX_COUNT = 1_000_000
#: How many actors the counts of all groups may declare together, unless the
#: caller says otherwise (the limit ``elements`` of docs/limits.md: a design
#: of a few lines must not build a million elements behind that limit's back).
MAX_GENERATED = 50_000

_SELECTOR_KEYS = frozenset({"kind", "group", "except"})


class Resolved(Map):
    """A document whose selectors are resolved, with what resolving found
    wrong.  Resolving a :class:`Resolved` again returns it as it is."""

    __slots__ = ("problems", "unresolved")

    def __init__(self, where: Location):
        super().__init__(where)
        #: What :func:`resolve` found wrong (unknown groups, empty
        #: selections, exceptions not selected, cycles among groups...).
        self.problems: tuple[Diagnostic, ...] = ()
        #: Where selectors were left as written.  Each is malformed (the
        #: schema reports it) or explained by :attr:`problems`; validation
        #: reports any other, so that none can reach the builder.
        self.unresolved: tuple[Location, ...] = ()


def member_id(group: str, number: int) -> str:
    """The id of the ``number``-th member (from 1) a group's ``count`` declares."""
    return f"{group}.{number}"


def is_selector(value: object) -> bool:
    """Whether an item of an actor list is written as a selector (a mapping);
    whether it is a well-formed one is another matter."""
    return isinstance(value, Map)


def intro(sec: Section, item: object) -> str:
    """How a diagnostic introduces an item: ``mechanism 'm':``, ``verifier``."""
    name = None
    if isinstance(item, Map):
        name = item.get(sec.named_by[0])
        for key in sec.named_by[1:]:
            name = name or item.get(key)
    return sec.intro.format(kind=sec.kind, name=name)


def did_you_mean(word: object, choices: Iterable[str]) -> str | None:
    if not isinstance(word, str):
        return None
    close = difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


@cache
def _actor_kinds() -> frozenset[str]:
    return frozenset(schema()["$defs"]["actor_kind"]["enum"])


@cache
def _id_pattern() -> re.Pattern[str]:
    # The schema's pattern read whole (``$`` is the end of the text, as in
    # ECMA-262): an id with a final newline is not an id.
    return re.compile(schema()["$defs"]["id"]["pattern"].replace("$", r"\Z"))


def _is_id(value: object) -> bool:
    return isinstance(value, str) and _id_pattern().match(value) is not None


def _well_formed(sel: Map) -> bool:
    """A selector the schema accepts: ``kind`` (an actor kind) or ``group``
    (an id), not both, and an optional ``except`` (an id or a list of
    distinct ids).  Anything else is left for the schema to report."""
    if not set(sel) <= _SELECTOR_KEYS or ("kind" in sel) == ("group" in sel):
        return False
    if "kind" in sel and sel["kind"] not in _actor_kinds():
        return False
    if "group" in sel and not _is_id(sel["group"]):
        return False
    if "except" in sel:
        exc = sel["except"]
        if isinstance(exc, Seq):
            return all(_is_id(x) for x in exc) and len(set(exc)) == len(exc)
        return _is_id(exc)
    return True


def _copy(src: Map, into: Map | None = None) -> Map:
    """A shallow copy of a mapping, positions and all."""
    out = into if into is not None else Map(src.where)
    for key, value in src.items():
        out[key] = value
        out.key_at[key] = src.key_at[key]
        out.value_at[key] = src.value_at[key]
    return out


def _maps(value: object) -> Iterator[tuple[int, Map]]:
    if isinstance(value, Seq):
        for i, item in enumerate(value):
            if isinstance(item, Map):
                yield i, item


class _Context:
    """What selectors are resolved against, and what resolving found."""

    def __init__(self, data: Map):
        #: id -> kind of element, the first declaration of each (validation
        #: reports duplicates).
        self.kinds: dict[str, str] = {}
        for sec in ID_SECTIONS:
            for _, item in _maps(data.get(sec.name)):
                ident = item.get("id")
                if isinstance(ident, str):
                    self.kinds.setdefault(ident, sec.kind)
        #: Actors in declaration order with their kinds (declared by count too).
        self.actors: dict[str, str] = {}
        #: Group id -> its members, once resolved.
        self.groups: dict[str, tuple[str, ...]] = {}
        self.problems: list[Diagnostic] = []
        self.unresolved: list[Location] = []

    def error(self, code: str, message: str, where: Location, **detail: str | None) -> None:
        self.problems.append(Diagnostic(code, message, where, **detail))

    def select(self, sel: Map, what: str) -> list[str] | None:
        """The actors a selector selects, or None (the selector stays as
        written, and the reason is reported unless the schema reports it)."""
        if not _well_formed(sel):
            return None
        if "group" in sel:
            name = sel["group"]
            kind = self.kinds.get(name)
            if kind is None:
                self.error("E020", f"{what} selector refers to unknown group {name!r}", sel.value_at["group"],
                           found=name, expected="the id of a declared group",
                           hint=did_you_mean(name, [i for i, k in self.kinds.items() if k == "group"]))
                return None
            if kind != "group":
                self.error("E024", f"{what} selector: group must name a group, but {name!r} is "
                                   f"{'an' if kind[:1] in 'aeiou' else 'a'} {kind}",
                           sel.value_at["group"], found=f"{kind} {name!r}", expected="group",
                           hint=f"to name the {kind} itself, write {name} instead of the selector"
                           if kind == "actor" else None)
                return None
            if name not in self.groups:
                return None  # the group's own error says why
            chosen = list(self.groups[name])
            said = f"{{group: {name}}}"
        else:
            chosen = [a for a, k in self.actors.items() if k == sel["kind"]]
            said = f"{{kind: {sel['kind']}}}"
            if not chosen:
                self.error("E040", f"{what} selector {said} selects no actor: no actor is of kind {sel['kind']!r}",
                           sel.value_at["kind"], found=sel["kind"],
                           expected="the kind of at least one declared actor",
                           hint=("kinds declared: " + ", ".join(sorted(set(self.actors.values())))
                                 if self.actors else "no actor is declared"))
                return None
        if "except" not in sel:
            return chosen
        exc = sel["except"]
        items = list(zip(exc, exc.item_at)) if isinstance(exc, Seq) else [(exc, sel.value_at["except"])]
        ok = True
        inside = set(chosen)
        for ident, at in items:
            kind = self.kinds.get(ident)
            if kind is None:
                self.error("E020", f"{what} selector except refers to unknown actor {ident!r}", at,
                           found=ident, expected="the id of a declared actor",
                           hint=did_you_mean(ident, chosen) or did_you_mean(ident, self.actors))
                ok = False
            elif kind != "actor":
                self.error("E024", f"{what} selector except must name an actor, but {ident!r} is "
                                   f"{'an' if kind[:1] in 'aeiou' else 'a'} {kind}",
                           at, found=f"{kind} {ident!r}", expected="actor")
                ok = False
            elif ident not in inside:
                self.error("E041", f"{what} selector {said} does not select {ident!r}, which except names", at,
                           found=ident, expected="an actor the selector selects: " + _few(chosen))
                ok = False
        if not ok:
            return None
        left = set(exc) if isinstance(exc, Seq) else {exc}
        out = [a for a in chosen if a not in left]
        if not out:
            self.error("E040", f"{what} selector {said} selects no actor: except leaves none out of "
                               f"{len(chosen)}", sel.where, expected="a selection of at least one actor")
            return None
        return out

    def field(self, value: Any, what: str) -> tuple[Any, bool]:
        """An actor-list value with its selectors resolved (a new Seq when
        anything changed), and whether every selector was."""
        if isinstance(value, Map):  # the whole value is one selector
            ids = self.select(value, what)
            if ids is None:
                self.unresolved.append(value.where)
                return value, False
            seq = Seq(value.where)
            seq.extend(ids)
            seq.item_at.extend([value.where] * len(ids))
            return seq, True
        if not isinstance(value, Seq) or not any(isinstance(v, Map) for v in value):
            return value, True
        out = Seq(value.where)
        # Ids the list names itself keep their place; a selector adds only
        # what the list does not already hold.
        seen = {v for v in value if isinstance(v, str)}
        written: list[Map] = []
        complete = True
        for v, at in zip(value, value.item_at):
            if not isinstance(v, Map):
                out.append(v)
                out.item_at.append(at)
                continue
            if any(v == w for w in written):
                self.error("E017", f"{what} repeats the selector {_flow(v)}", at, found=_flow(v),
                           expected="each item once")
            written.append(v)
            ids = self.select(v, what)
            if ids is None:
                self.unresolved.append(v.where)
                out.append(v)
                out.item_at.append(at)
                complete = False
                continue
            for ident in ids:
                if ident not in seen:
                    seen.add(ident)
                    out.append(ident)
                    out.item_at.append(v.where)
        return out, complete


def _few(ids: list[str], most: int = 8) -> str:
    shown = ", ".join(ids[:most])
    return shown + (f" ... ({len(ids)} in all)" if len(ids) > most else "")


def _flow(sel: Map) -> str:
    parts = []
    for key, value in sel.items():
        shown = "[" + ", ".join(map(str, value)) + "]" if isinstance(value, Seq) else str(value)
        parts.append(f"{key}: {shown}")
    return "{" + ", ".join(parts) + "}"


def _count(group: Map) -> int | None:
    """A group's count, if it is one the schema accepts."""
    n = group.get("count")
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_COUNT:
        return None
    return n


def _group_shapes(ctx: _Context, groups: list[Map]) -> None:
    """What a group must be: members or a count, not both; kind only with a count."""
    for g in groups:
        what = intro(SECTION["groups"], g)
        if ("count" in g) == ("members" in g):
            given = "both" if "count" in g else "neither"
            ctx.error("E016", f"{what} needs members or a count, not {given}", g.where, found=given,
                      expected="`members: [ids]` (or a selector), or `count: n` (the loader declares "
                               "n interchangeable members)")
        if "kind" in g and "count" not in g:
            ctx.error("E016", f"{what} kind is the kind of the actors a count declares; this group has no count",
                      g.key_at["kind"], found="kind", expected="`count: n` with it, or no kind "
                                                                "(members keep the kinds they are declared with)")


def _declare_counted(ctx: _Context, data: Map, out: Map, groups: list[Map], max_generated: int) -> None:
    """Declare the members of each group given by a count, as actors appended
    to ``actors`` and located at the group (its ``count``)."""
    actors = data.get("actors")
    if actors is not None and not isinstance(actors, Seq):
        return  # the schema reports it
    total = 0
    new = Seq(actors.where if isinstance(actors, Seq) else data.where)
    if isinstance(actors, Seq):
        new.extend(actors)
        new.item_at.extend(actors.item_at)
    for g in groups:
        gid, n = g.get("id"), _count(g)
        kind = g.get("kind", DEFAULT_GROUP_KIND)
        if not isinstance(gid, str) or n is None or "members" in g or kind not in _actor_kinds():
            continue  # a group given by members, or an error the schema or _group_shapes reports
        if ctx.kinds.get(gid) != "group" or gid in ctx.groups:
            continue  # its id is taken (a duplicate, which validation reports)
        total += n
        if total > max_generated:
            ctx.error("E007", f"groups declare more than {max_generated} actors by count", g.value_at["count"],
                      found=str(n), expected=f"at most {max_generated} actors declared by the counts "
                                             "of all groups together",
                      hint=f"to allow more, raise the limit: --limit elements=N (now {max_generated})")
            return
        at = g.value_at["count"]
        ids = []
        for number in range(1, n + 1):
            ident = member_id(gid, number)
            actor = Map(g.where)
            for key, value in (("id", ident), ("kind", kind), ("status", g.get("status"))):
                if value is None:
                    continue
                actor[key] = value
                actor.key_at[key] = at
                actor.value_at[key] = g.value_at.get(key, at) if key != "id" else at
            new.append(actor)
            new.item_at.append(g.where)
            ids.append(ident)
            ctx.kinds.setdefault(ident, "actor")
        ctx.groups[gid] = tuple(ids)
    if len(new) != (len(actors) if isinstance(actors, Seq) else 0):
        out["actors"] = new
        if "actors" not in data:  # no actors written: the section is where the groups are
            out.key_at["actors"] = data.key_at["groups"]
            out.value_at["actors"] = data.value_at["groups"]


def _group_deps(ctx: _Context, g: Map) -> list[tuple[str, Location]]:
    """The groups a group's members name through selectors, with where."""
    members = g.get("members")
    sels: list[Map] = []
    if isinstance(members, Map):
        sels = [members]
    elif isinstance(members, Seq):
        sels = [m for m in members if isinstance(m, Map)]
    return [(s["group"], s.value_at["group"]) for s in sels
            if isinstance(s.get("group"), str) and ctx.kinds.get(s["group"]) == "group"]


def _resolve_groups(ctx: _Context, groups: list[Map]) -> dict[int, Map]:
    """Each group given by members, with its members resolved, in an order
    where a group's groups come first; a cycle among them is E042.  Returns
    the resolved items by their index among ``groups``."""
    pending: dict[str, tuple[int, Map]] = {}
    for i, g in enumerate(groups):
        gid = g.get("id")
        if isinstance(gid, str) and "members" in g and "count" not in g and ctx.kinds.get(gid) == "group" \
                and gid not in pending and gid not in ctx.groups:
            pending[gid] = (i, g)
    deps = {gid: _group_deps(ctx, g) for gid, (_, g) in pending.items()}
    out: dict[int, Map] = {}
    section = SECTION["groups"]
    ref = section.ref("members")
    assert ref is not None
    progress = True
    while pending and progress:
        progress = False
        for gid in list(pending):
            if any(d in pending for d, _ in deps[gid]):
                continue
            i, g = pending.pop(gid)
            progress = True
            value, complete = ctx.field(g["members"], f"{intro(section, g)} {ref.said}")
            if complete and isinstance(value, (Seq, str)):
                # Only declared actors: an unknown member is reported where
                # the group names it, not again at every selector of the group.
                ctx.groups[gid] = tuple(v for v in ([value] if isinstance(value, str) else value)
                                        if isinstance(v, str) and ctx.kinds.get(v) == "actor")
            if value is not g["members"]:
                item = _copy(g)
                item["members"] = value
                out[i] = item
    # What is left waits on a cycle: report each cycle once, where the
    # first of its groups names the next.
    covered: set[str] = set()
    for gid in list(pending):
        if gid in covered:
            continue
        path: list[str] = []
        at: dict[str, Location] = {}
        node = gid
        while node not in path and node not in covered:
            path.append(node)
            nxt = next((d, where) for d, where in deps[node] if d in pending)
            at[node] = nxt[1]
            node = nxt[0]
        covered.update(path)
        if node in path:
            cycle = path[path.index(node):]
            ctx.error("E042", "groups form a cycle: " + " -> ".join([*cycle, node]), at[cycle[0]],
                      expected="groups whose members do not come back to the group itself")
    return out


def _actor_fields(sec: Section) -> list[Ref]:
    return [r for r in sec.refs if r.selectable and not (sec.name == "groups" and r.field == "members")]


def resolve(data: Map, max_generated: int = MAX_GENERATED) -> Resolved:
    """The document with its selectors resolved and the members of counted
    groups declared (see the module's documentation).  ``data`` is not
    changed: whatever changes is copied.  ``max_generated``: how many actors
    the groups' counts may declare together (E007 beyond)."""
    if isinstance(data, Resolved):
        return data
    out = Resolved(data.where)
    for slot in Map.__slots__:  # the root's own record: chain, counts...
        if slot not in ("where", "key_at", "value_at"):
            setattr(out, slot, getattr(data, slot))
    _copy(data, out)
    ctx = _Context(data)
    groups = [g for _, g in _maps(data.get("groups"))]
    _group_shapes(ctx, groups)
    _declare_counted(ctx, data, out, groups, max_generated)
    for _, a in _maps(out.get("actors")):
        if isinstance(a.get("id"), str) and isinstance(a.get("kind"), str):
            ctx.actors.setdefault(a["id"], a["kind"])
    changed = _resolve_groups(ctx, groups)
    if changed:
        seq = data["groups"]
        new = Seq(seq.where)
        index = {id(g): i for i, g in enumerate(groups)}
        for item, at in zip(seq, seq.item_at):
            i = index.get(id(item))
            new.append(changed.get(i, item) if i is not None else item)
            new.item_at.append(at)
        out["groups"] = new
    for sec in SECTIONS:
        refs = _actor_fields(sec)
        if not refs:
            continue
        if sec.shape == "mapping":
            item = out.get(sec.name)
            if isinstance(item, Map):
                new_item = _resolve_item(ctx, sec, refs, item)
                if new_item is not item:
                    out[sec.name] = new_item
            continue
        seq = out.get(sec.name)
        if not isinstance(seq, Seq):
            continue
        new_seq = Seq(seq.where)
        touched = False
        for item, at in zip(seq, seq.item_at):
            if isinstance(item, Map):
                new_item = _resolve_item(ctx, sec, refs, item)
                touched = touched or new_item is not item
                item = new_item
            new_seq.append(item)
            new_seq.item_at.append(at)
        if touched:
            out[sec.name] = new_seq
    out.problems = tuple(ctx.problems)
    out.unresolved = tuple(ctx.unresolved)
    return out


def _resolve_item(ctx: _Context, sec: Section, refs: list[Ref], item: Map) -> Map:
    new: Map | None = None
    for r in refs:
        if r.field not in item:
            continue
        value, _ = ctx.field(item[r.field], f"{intro(sec, item)} {r.said}")
        if value is not item[r.field]:
            new = new if new is not None else _copy(item)
            new[r.field] = value
    return new if new is not None else item
