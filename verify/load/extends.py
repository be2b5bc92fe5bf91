"""Reading a regime file and the chain of files it ``extends``.

A variant states only what differs from its base: top-level fields replace the
base's, ``remove:`` drops base elements by id, and then the variant's elements
are merged by id: an item that gives only some fields changes the base's
element with its id (each field it gives replaces the base's), an item with a
new id is added.  An item that declares anew an element the base still has
(it gives every field a new element needs) is not merged but reported as a
duplicate id (E021), as it would be in one file: replacing an element whole
takes ``remove:`` too.  Positions travel with the values, so an error in a
field that came from the base points into the base file.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import os
import stat
from collections.abc import Iterable
from functools import cache
from typing import Any

from verify.diagnostics import Diagnostic
from verify.errors import ExtendsError, YAMLSyntaxError
from verify.limits import DEFAULT, LimitExceededError, Limits, raise_hint
from verify.load.yamlsrc import Map, Seq, parse
from verify.model import Location
from verify.schema import schema
from verify.vocabulary import MERGED_BY_ID

__all__ = ["read", "declares", "resolve_base", "MERGED_BY_ID"]


def read(path: str | os.PathLike[str],
         allow: Iterable[str | os.PathLike[str]] = (), limits: Limits = DEFAULT,
         *, nodes_before: int = 0, elements_before: int = 0, bases_before: int = 0) -> tuple[Map, tuple[str, ...], str]:
    """The merged document, the files it extends (nearest first), and the
    SHA-256 (hex) of the bytes parsed: the file's, then each base's in that
    order.

    Each base must be a regular file inside the folder of the file that
    names it (or below it), or inside one of the ``allow`` folders: see
    :func:`resolve_base` (E033 otherwise).  ``limits`` bound each file's
    size, the chain's length, and the nodes and elements of all its files
    together (``nodes_before``, ``elements_before`` and ``bases_before``:
    those of a variant read elsewhere, from stdin, that extends ``path``)."""
    path = os.path.normpath(os.fspath(path))
    digest = hashlib.sha256()
    docs: list[Map] = []
    bases: list[str] = []
    chain: tuple[str, ...] = ()
    cited_at: Location | None = None
    nodes, elements = nodes_before, elements_before
    # A loop, not recursion: a chain of bases is as long as it is written,
    # up to the limit `extends-depth`.
    while True:
        real = os.path.realpath(path)
        if real in chain:
            raise ExtendsError([Diagnostic(
                "E031", "extends forms a cycle: " + " -> ".join([*(_short(c) for c in chain), _short(real)]),
                cited_at or Location(path, 1, 1), expected="a chain of bases that ends")])
        if cited_at is not None and bases_before + len(bases) > limits.extends_depth:
            raise LimitExceededError([Diagnostic(
                "E007", f"extends: a chain of more than {limits.extends_depth} bases", cited_at,
                expected=f"at most {limits.extends_depth} files extended one after another",
                hint=raise_hint("extends-depth", limits.extends_depth))])
        raw, text = _bytes_and_text(path, cited_at, limits.file_size)
        digest.update(raw)
        del raw  # only its hash is needed: one copy of a large file less while it is parsed
        data = parse(text, path, limits, nodes, elements)
        nodes += data.nodes
        elements += data.elements
        if "remove" in data and "extends" not in data:
            raise ExtendsError([Diagnostic("E032", "remove: this file extends no base", data.key_at["remove"],
                                           expected="`extends: BASE` naming the file whose elements are removed")])
        docs.append(data)
        base_name = data.get("extends")
        if not isinstance(base_name, str):
            break
        chain = (*chain, real)
        cited_at = data.value_at["extends"]
        path = resolve_base(base_name, os.path.dirname(path), cited_at, allow)
        bases.append(path)
    # Merge from the farthest base inwards: each variant onto what it extends.
    merged = docs[-1]
    for variant in reversed(docs[:-1]):
        merged = _merge(merged, variant)
    return merged, tuple(bases), digest.hexdigest()


def _inside(real: str, folder: str) -> bool:
    try:
        return os.path.commonpath([real, folder]) == folder
    except ValueError:  # different drives
        return False


def resolve_base(base_name: str, folder: str, cited_at: Location,
                 allow: Iterable[str | os.PathLike[str]] = ()) -> str:
    """The path of the base ``extends: BASE_NAME`` names, written in a file in
    ``folder``; ExtendsError (E033) unless it is a regular file inside
    ``folder`` (or below it) or inside an ``allow`` folder, where symlinks are
    followed before deciding.  An absolute path, a ``..`` that leaves the
    folder, a symlink out of it, a device, a FIFO or a socket is refused
    from :func:`os.stat` alone, before anything is opened.  A base that does
    not exist is left for the reader to report (E030)."""
    path = os.path.normpath(os.path.join(folder, base_name))
    roots = [os.path.realpath(folder or "."), *(os.path.realpath(os.fspath(a)) for a in allow)]
    expected = ("a regular file in the extending file's folder or below it"
                + (" or in a folder allowed with --allow-extends" if len(roots) > 1 else
                   " (allow another folder with --allow-extends DIR)"))

    def refuse(why: str) -> ExtendsError:
        return ExtendsError([Diagnostic("E033", f"extends: {why}", cited_at, found=_quote(base_name),
                                        expected=expected)])

    if "\0" in base_name:
        # No file can have this name, and os.stat would raise ValueError on it.
        raise refuse("a path with a NUL character")
    real = os.path.realpath(path)
    if not any(_inside(real, r) for r in roots):
        if os.path.isabs(base_name):
            raise refuse("an absolute path outside the design's folder")
        if os.path.islink(path) or real != os.path.abspath(path):
            raise refuse("a link that leads outside the design's folder")
        raise refuse("a path that leaves the design's folder")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return path  # E030, with a suggestion, from the reader
    except OSError as e:
        raise refuse(f"cannot be examined ({e.strerror or e})") from None
    if not stat.S_ISREG(st.st_mode):
        kind = ("a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode)
                else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
                else "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
        raise refuse(f"not a regular file ({kind})")
    return path


def _quote(text: str, limit: int = 200) -> str:
    text = text.splitlines()[0] if text.splitlines() else text
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "..."


def _bytes_and_text(path: str, cited_at: Location | None,
                    max_bytes: int = DEFAULT.file_size) -> tuple[bytes, str]:
    """The file's bytes, and its text decoded as ``open(path, encoding='utf-8')``
    would (universal newlines): the hash is of exactly what is parsed.

    A base is opened without blocking and read only if it is (still) a
    regular file: a FIFO or device put in its place after it was examined is
    never read from.  A file of more than ``max_bytes`` (the limit
    ``file-size``) is refused from its size before it is read, and no more
    than one byte beyond the limit is ever read (a file that grows, or one
    whose size the system does not know, such as a pipe given as the
    design itself)."""
    try:
        if cited_at is not None:
            flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
            with os.fdopen(os.open(path, flags), "rb") as fh:
                if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                    raise ExtendsError([Diagnostic("E033", "extends: not a regular file", cited_at,
                                                   expected="a regular file in the extending file's folder")])
                raw = read_bounded(fh, max_bytes, path, cited_at)
        else:
            with open(path, "rb") as fh:
                raw = read_bounded(fh, max_bytes, path, cited_at)
        return raw, io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8").read()
    except FileNotFoundError:
        if cited_at is None:
            raise ExtendsError([Diagnostic("E005", "no such file", Location(path, 1, 1),
                                           expected="a regime file")]) from None
        raise ExtendsError([Diagnostic("E030", f"extends: no such file {path!r}", cited_at,
                                       expected="a path relative to the extending file",
                                       hint=_did_you_mean_file(path))]) from None
    except (OSError, UnicodeDecodeError) as e:
        raise YAMLSyntaxError([Diagnostic("E005", f"cannot read the file: {e}",
                                          cited_at or Location(path, 1, 1))]) from None


def read_bounded(fh: Any, max_bytes: int, path: str, cited_at: Location | None = None) -> bytes:
    """All of ``fh`` if it holds at most ``max_bytes``; LimitExceededError
    (E007, at ``cited_at`` for a base, else at the file's start) otherwise,
    decided from the file's size before reading when it has one."""
    def refuse(size: str, needed: int | None = None) -> LimitExceededError:
        what = f"extends: {_short(path)} is" if cited_at is not None else "the file is"
        return LimitExceededError([Diagnostic(
            "E007", f"{what} {size} bytes, more than the limit file-size", cited_at or Location(path, 1, 1),
            expected=f"a design of at most {max_bytes} bytes",
            hint=raise_hint("file-size", max_bytes, needed))])

    try:
        st = os.fstat(fh.fileno())
    except (AttributeError, OSError, ValueError):
        st = None
    if st is not None and stat.S_ISREG(st.st_mode) and st.st_size > max_bytes:
        raise refuse(str(st.st_size), st.st_size)
    raw: bytes = fh.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise refuse(f"more than {max_bytes}")
    return raw


def _did_you_mean(word: object, choices: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6) if isinstance(word, str) else []
    return f"did you mean {close[0]!r}?" if close else None


def _did_you_mean_file(path: str) -> str | None:
    """A regime file in the same folder whose name is close to the missing one's."""
    try:
        names = [n for n in os.listdir(os.path.dirname(path) or ".") if n.endswith((".yaml", ".yml"))]
    except OSError:
        return None
    return _did_you_mean(os.path.basename(path), names)


def _short(p: str) -> str:
    return os.path.basename(p)


def _merge(base: Map, variant: Map) -> Map:
    out = Map(variant.where)
    out.chain = (*base.chain, *variant.chain)
    if base.nan_count is not None and variant.nan_count is not None:
        out.nan_count = base.nan_count + variant.nan_count
    for key, value in base.items():
        if key in ("extends", "remove"):
            continue
        _put(out, key, value, base)
    # `remove:` applies to the base, before the variant's own items: an
    # element removed and written again is a new element that replaces it.
    removals = variant.get("remove")
    if isinstance(removals, Map):
        _remove(out, removals)
    for key, value in variant.items():
        if key in ("extends", "remove"):
            continue
        if key in MERGED_BY_ID and isinstance(value, Seq) and isinstance(out.get(key), Seq):
            _put(out, key, _merge_items(key, out[key], value), variant)
        else:
            _put(out, key, value, variant)
    if isinstance(removals, Map):
        # keep `remove` for schema validation of its own shape
        _put(out, "remove", removals, variant)
    return out


def _put(out: Map, key: str, value: Any, origin: Map) -> None:
    out[key] = value
    out.key_at[key] = origin.key_at[key]
    out.value_at[key] = origin.value_at[key]


def _item_id(item: object) -> str | None:
    if isinstance(item, Map) and isinstance(ident := item.get("id"), str):
        return ident
    if isinstance(item, str):  # verifiers may be written as bare ids
        return item
    return None


@cache
def _declaring_fields(section: str) -> frozenset[str]:
    """The fields an item of ``section`` needs in a complete regime (the
    schema's ``else`` branch): an item of a variant that gives all of them
    declares an element, where one that gives fewer can only change one."""
    sections = schema().get("else", {}).get("properties", {})
    return frozenset(sections.get(section, {}).get("items", {}).get("required", ()))


def declares(section: str, item: object) -> bool:
    """Whether a variant's item with a base's id declares an element anew
    (it gives every field an element of its section needs) rather than
    changing the base's.  Items of a section that needs nothing but an id
    (signatures, labels, verifiers) always change."""
    needed = _declaring_fields(section)
    return bool(needed) and isinstance(item, Map) and needed <= item.keys()


def _merge_items(section: str, base: Seq, variant: Seq) -> Seq:
    """The base's items, each changed by the variant's item with its id, then
    the variant's new items.  An item that would declare anew an element the
    base has (see :func:`declares`), or that repeats an id the variant itself
    already gave, is not merged: it stays a second element with that id,
    which validation reports as a duplicate (E021).  Merging it would have
    made a silent hybrid of two elements."""
    out = Seq(variant.where)
    index: dict[str, int] = {}
    for item, at in zip(base, base.item_at):
        if (i := _item_id(item)) is not None:
            index.setdefault(i, len(out))
        out.append(item)
        out.item_at.append(at)
    given: set[str] = set()
    for item, at in zip(variant, variant.item_at):
        i = _item_id(item)
        if i is not None and i in index and i not in given and not declares(section, item):
            old = out[index[i]]
            if isinstance(old, Map) and isinstance(item, Map):
                merged = Map(item.where)
                for k, v in old.items():
                    _put(merged, k, v, old)
                for k, v in item.items():
                    _put(merged, k, v, item)
                item = merged
            out[index[i]] = item
            out.item_at[index[i]] = at
        else:
            out.append(item)
            out.item_at.append(at)
        if i is not None:
            given.add(i)
    return out


def _remove(out: Map, removals: Map) -> None:
    errors = []
    for section, ids in removals.items():
        if not isinstance(ids, Seq):
            continue  # the schema reports the wrong type
        items = out.get(section)
        present = {_item_id(x) for x in items} if isinstance(items, Seq) else set()
        for rid, at in zip(ids, ids.item_at):
            if not isinstance(rid, str):
                continue  # the schema reports the wrong type
            if rid not in present:
                errors.append(Diagnostic("E032", f"remove: the base has no {section} element {rid!r}", at,
                                         expected=f"an id of the base's {section}",
                                         hint=_did_you_mean(rid, [p for p in present if p is not None])))
        if isinstance(items, Seq):
            kept = Seq(items.where)
            for x, at in zip(items, items.item_at):
                if _item_id(x) not in ids:
                    kept.append(x)
                    kept.item_at.append(at)
            out[section] = kept
    if errors:
        raise ExtendsError(errors)
