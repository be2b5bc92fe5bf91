"""Results kept on disk between runs, keyed by what each depends on (issue 14).

A working group edits a design and re-checks it, again and again.  A
question whose key has not changed is answered from disk: after an edit to
one property, a claim, a comment, a citation or where lines fall, only the
questions it touched are solved again.

The key of one question (a property with its parameters, on the regime in
force) is a SHA-256 of the tool's, z3's and Python's versions, a stamp of
the tool's own source files, this cache's format, the property and its parameters, and the regime's content
that any analysis reads: every field taking part in equality, less the
properties and claims (each question is keyed apart, so editing one
re-solves that one) and the prose no analysis reads (``title``,
``description``, ``sources``: a citation fixed is answered from disk).

A finer key, by the mechanisms and flows a violation's rule graph
mentions, was tried and dropped: the random-edit test found a mechanism
blind to a violation whose ``attributes`` still changes the graph (it
decides whether evidence is tagged by origin), and hashing the graphs
themselves cost more than most checks.

Properties and claims are never part of a key, nor where anything was
written: the result's ``where`` is set after lookup.  Only results that no
time limit touched are stored (an unknown, or a figure a budget cut short,
is about the run, not the design).  The folder is safe to delete; a file
that cannot be read is a miss, never an error.  Stored with :mod:`pickle`:
the folder is the user's own, like any cache of compiled code.

The cache also keeps, per design file, the last model loaded and the bytes
it was loaded from (:meth:`Cache.keep`, :meth:`Cache.recall`), so that a
``verify check --cache`` after a one-line edit patches the model
(verify.load.patch) instead of loading the whole file again, and hashes
only the element that changed.  What is kept is keyed by the tool's
versions and a stamp of its own source files (their sizes and times), so
that a model kept by other code is never taken for this code's.  A
patched model is kept as its change to the last model kept whole (a file
beside it, naming that model by a random token), so that an edit does not
pickle the whole model again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import hashlib
import io
import os
import pickle
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from verify.gcpause import gc_paused
from verify.model import PropertySpec, Regime
from verify.results import Result, Verdict

__all__ = ["Cache", "PROSE", "answered", "canonical", "complete", "digest", "key"]

#: Bump when what is stored, or how a key is made, changes.
FORMAT = 5

#: Fields no analysis reads: prose for the reader.
PROSE = frozenset({"title", "description", "sources"})

#: Words that only a time limit puts in a note.
_TIMED = ("no answer", "time budget", "time-out", "ran out", "not checked")


def canonical(value: object) -> Any:
    """Plain data for a model value (tuples of strings and numbers, whose
    ``repr`` is the same in every process): every field that takes part in
    equality, in declaration order, but :data:`PROSE`; sets sorted.
    Locations and other fields declared ``compare=False`` are left out, so
    moving a line changes no key."""
    # The common types by exact type first: a 1,000-actor regime has 64,000
    # values, and the chain of isinstance tests below was most of a cached
    # re-check's digest (issue 14).
    t = type(value)
    if t in _PLAIN:
        return value
    if t is tuple or t is list:
        return tuple([canonical(v) for v in value])  # type: ignore[attr-defined]
    names = _FIELDS[t] if t in _FIELDS else _fields(t)
    if names is not None:
        return (t.__name__, *((n, canonical(getattr(value, n))) for n in names))
    if value is None or isinstance(value, (bool, int, str, float)):
        return value
    if isinstance(value, Fraction):
        return ("Fraction", value.numerator, value.denominator)
    if isinstance(value, enum.Enum):
        return (type(value).__name__, canonical(value.value))
    if isinstance(value, (tuple, list)):
        return tuple(canonical(v) for v in value)
    if isinstance(value, (frozenset, set)):
        return ("set", *sorted((canonical(v) for v in value), key=repr))
    if isinstance(value, Mapping):
        return ("map", *sorted(((canonical(k), canonical(v)) for k, v in value.items()), key=repr))
    raise TypeError(f"no canonical form for {type(value).__name__}")


_PLAIN = frozenset({type(None), bool, int, str, float})


#: A memo of each class's compared fields (what the class declares, never
#: anything about a design): read once per class, not once per value (a
#: 1,000-actor regime has 30,000 of them).
_FIELDS: dict[type, tuple[str, ...] | None] = {}


def _fields(cls: type) -> tuple[str, ...] | None:
    """The compared fields of a dataclass; None for any other class."""
    if cls not in _FIELDS:
        _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls) if f.compare and f.name not in PROSE) \
            if dataclasses.is_dataclass(cls) else None
    return _FIELDS[cls]


#: Regime fields no key takes: each question is keyed apart.
_QUESTIONS = frozenset({"properties", "claims"})


def digest(regime: Regime, memo: dict[int, tuple[object, str]] | None = None) -> str:
    """What every question's key takes from ``regime`` (an effective
    regime): its content less its questions and prose, hashed.

    Element by element: each field's name, then the SHA-256 of each
    element's canonical text (or the canonical text of the value), joined
    by NULs (which no such text holds).  ``memo``: the hashes of the
    elements last hashed, by identity, which it is updated to hold;
    ``verify watch`` patches one element into the last model
    (verify.load.patch), and hashing the others again was a quarter of its
    round at 1,000 actors.  (A hash per element, not its text, so that
    what the cache keeps with a model is a tenth of the size: issue 14.)"""
    fresh: dict[int, tuple[object, str]] = {}
    parts: list[str] = [type(regime).__name__]
    for name in _fields(type(regime)) or ():
        if name in _QUESTIONS:
            continue
        value = getattr(regime, name)
        parts.append(name)
        # A list of elements (dataclasses) is hashed one element at a time.
        if type(value) is not tuple or not value or _fields(type(value[0])) is None:
            parts.append(repr(canonical(value)))
            continue
        for x in value:
            got = None if memo is None else memo.get(id(x))
            text = got[1] if got is not None and got[0] is x else \
                hashlib.sha256(repr(canonical(x)).encode()).hexdigest()
            fresh[id(x)] = (x, text)
            parts.append(text)
    if memo is not None:
        memo.clear()
        memo.update(fresh)
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def key(regime: Regime, spec: PropertySpec, tool: Mapping[str, str], regime_digest: str | None = None) -> str:
    """The key of ``spec`` on ``regime`` (an effective regime);
    ``regime_digest``: its :func:`digest`, when the caller has it."""
    depends = digest(regime) if regime_digest is None else regime_digest
    doc = (FORMAT, tuple(sorted(tool.items())), spec.property, canonical(spec.params), depends)
    return hashlib.sha256(repr(doc).encode()).hexdigest()


def complete(results: list[Result]) -> bool:
    """Whether these results are facts about the design, not about a time
    limit of the run that made them: only such results are stored."""
    for r in results:
        if r.verdict == Verdict.UNKNOWN:
            return False
        if any(word in r.note for word in _TIMED):
            return False
    return True


class Cache:
    """A folder of stored results, one file per key."""

    def __init__(self, folder: str | os.PathLike[str]):
        self.folder = os.fspath(folder)
        self.hits = 0
        self.misses = 0
        self._tool: dict[str, str] | None = None
        self._digest: tuple[Regime, str] | None = None
        #: The hash of each element of the last regime digested, by identity.
        self._texts: dict[int, tuple[object, str]] = {}
        #: What :meth:`keep` may refer to: the name, the token and the
        #: :func:`_parts` of the value last recalled or kept whole (the
        #: first part is the value itself, which the list keeps alive).
        self._base: tuple[str, str, list[object]] | None = None

    def digest(self, regime: Regime) -> str:
        """:func:`digest`, kept for the last regime asked about: a run asks
        about one regime once per question, and hashing a 1,000-actor
        regime cost more than answering its questions from disk."""
        if self._digest is None or self._digest[0] is not regime:
            self._digest = (regime, digest(regime, self._texts))
        return self._digest[1]

    @property
    def tool(self) -> dict[str, str]:
        """The versions every key carries, read once per cache: package
        metadata is looked up on disk, and a run asks once per question."""
        if self._tool is None:
            from verify.versions import versions

            self._tool = {**versions(), "source": _stamp()}
        return self._tool

    def _kept(self, name: str, part: str = "") -> str:
        k = hashlib.sha256(repr((FORMAT, tuple(sorted(self.tool.items())), name)).encode()).hexdigest()
        return os.path.join(self.folder, "kept", k + part + ".pickle")

    def recall(self, name: str) -> object | None:
        """What :meth:`keep` last stored under ``name`` with this tool, or
        None; the element hashes kept with it are taken up by the next
        :meth:`digest` (equal elements, equal hashes)."""
        try:
            with open(self._kept(name), "rb") as fh:
                got = _unpickled(fh.read())
        except Exception:  # noqa: BLE001 - missing, truncated or foreign: nothing kept
            return None
        if not (isinstance(got, tuple) and len(got) == 3 and type(got[0]) is str and _pairs(got[2])):
            return None
        token: str = got[0]
        value: object = got[1]
        texts: list[tuple[object, str]] = got[2]
        self._base = (name, token, _parts(value))
        # What was kept since, as a change to that base (see keep).
        try:
            with open(self._kept(name, ".since"), "rb") as fh:
                since = _unpickled(fh.read(), self._base[2])
        except Exception:  # noqa: BLE001 - none, stale, truncated or foreign: the base as it is
            since = None
        if isinstance(since, tuple) and len(since) == 3 and since[0] == token and _pairs(since[2]):
            value, texts = since[1], texts + since[2]
        self._texts = {id(x): (x, t) for x, t in texts}
        return value

    def keep(self, name: str, value: object) -> None:
        """Store ``value`` under ``name``, with the element hashes of the last
        :meth:`digest` (pickled together, so that the elements ``value``
        shares with that regime are still the same objects when recalled).

        When ``value`` is mostly made of what :meth:`recall` returned for
        ``name`` (a model patched after a one-line edit), only the change is
        written: ``value`` pickled with every object it shares with the
        base (the recalled base model, its sections and their elements)
        written as a reference to it.  Pickling a whole 1,000-actor model
        again was a tenth of a re-check as a process (issue 14).  Anything
        else is written whole, as a new base."""
        from verify.files import write_atomically

        texts = list(self._texts.values())
        parts = _parts(value)
        try:
            os.makedirs(os.path.dirname(self._kept(name)), exist_ok=True)
            if self._base is not None and self._base[0] == name:
                token, base = self._base[1], self._base[2]
                # A mutable part (a snapshot's memo of where its keys are,
                # filled since it was kept) is written as it is now.
                at = {id(x): i for i, x in enumerate(base) if type(x) not in _MUTABLE}
                if 2 * sum(1 for x in parts if id(x) in at) >= len(parts):
                    write_atomically(self._kept(name, ".since"),
                                     _pickled((token, value, [(x, t) for x, t in texts if id(x) not in at]), at),
                                     durable=False)
                    return
            token = os.urandom(16).hex()
            write_atomically(self._kept(name), pickle.dumps((token, value, texts), protocol=5), durable=False)
            # The change last kept is to the base just replaced: drop it
            # (were this left undone, its token would no longer match).
            with contextlib.suppress(OSError):
                os.remove(self._kept(name, ".since"))
            self._base = (name, token, parts)
        except OSError:
            pass

    def _path(self, k: str) -> str:
        return os.path.join(self.folder, k[:2], k[2:] + ".pickle")

    def get(self, k: str) -> list[Result] | None:
        try:
            with open(self._path(k), "rb") as fh:
                got = pickle.load(fh)
        except Exception:  # noqa: BLE001 - missing, truncated or foreign: a miss
            got = None
        if not (isinstance(got, list) and all(isinstance(r, Result) for r in got)):
            self.misses += 1
            return None
        self.hits += 1
        return got

    def put(self, k: str, results: list[Result]) -> None:
        """Store ``results`` under ``k`` when :func:`complete`; a folder that
        cannot be written only means no cache."""
        if not complete(results):
            return
        from verify.files import write_atomically

        try:
            os.makedirs(os.path.dirname(self._path(k)), exist_ok=True)
            write_atomically(self._path(k), pickle.dumps([dataclasses.replace(r, where=None) for r in results],
                                                         protocol=4), durable=False)
        except OSError:
            pass


_MUTABLE = (dict, list, set, bytearray)


def _pairs(texts: object) -> bool:
    """Whether ``texts`` is a list of (element, hash) pairs."""
    return isinstance(texts, list) and all(type(p) is tuple and len(p) == 2 and type(p[1]) is str for p in texts)


def _parts(value: object) -> list[object]:
    """``value`` and what it holds three levels down, through the fields of
    dataclasses and the items of tuples (a kept snapshot, its model, the
    model's sections and their elements), in an order fixed by ``value``
    alone: what a change kept since may refer to, by position."""
    out = [value]
    level = [value]
    for _ in range(3):
        below: list[object] = []
        for x in level:
            if type(x) is tuple:
                below.extend(x)
            elif dataclasses.is_dataclass(x) and not isinstance(x, type):
                below.extend(vars(x).values())
        out.extend(below)
        level = below
    return out


class _Pickler(pickle.Pickler):
    """Writes each object of ``at`` (by identity) as its position there."""

    def __init__(self, file: io.BytesIO, at: dict[int, int]):
        super().__init__(file, protocol=5)
        self._at = at

    def persistent_id(self, obj: object) -> int | None:
        return self._at.get(id(obj))


class _Unpickler(pickle.Unpickler):
    """Reads what :class:`_Pickler` wrote, against the same parts."""

    def __init__(self, file: io.BytesIO, parts: list[object]):
        super().__init__(file)
        self._parts = parts

    def persistent_load(self, pid: object) -> object:
        if type(pid) is not int or not 0 <= pid < len(self._parts):
            raise pickle.UnpicklingError("a reference to no part of the base")
        return self._parts[pid]


def _pickled(value: object, at: dict[int, int]) -> bytes:
    out = io.BytesIO()
    _Pickler(out, at).dump(value)
    return out.getvalue()


@gc_paused
def _unpickled(data: bytes, parts: list[object] | None = None) -> object:
    # A kept 1,000-actor model is 30,000 objects, none in a cycle: the
    # collector's walks would find nothing to free.
    if parts is None:
        return pickle.loads(data)
    return _Unpickler(io.BytesIO(data), parts).load()


def _stamp() -> str:
    """The size and time of each of the tool's own source files, hashed: a
    model or result kept by a different build of the same version (a
    checkout being edited) is not taken for this one's."""
    root = os.path.dirname(os.path.abspath(__file__))
    seen: list[str] = []
    folders = [root]
    while folders:
        with os.scandir(folders.pop()) as it:
            for entry in it:
                if entry.is_dir(follow_symlinks=False) and entry.name != "__pycache__":
                    folders.append(entry.path)
                elif entry.name.endswith(".py"):
                    st = entry.stat()
                    seen.append(f"{os.path.relpath(entry.path, root)}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(sorted(seen)).encode()).hexdigest()


def answered(cache: Cache | None, regime: Regime, spec: PropertySpec, compute: Callable[[], list[Result]],
             **options: object) -> list[Result]:
    """``compute()``, or what ``cache`` holds for the same question.
    ``options``: anything else of the run that shapes a result (whether
    cores are minimised to the end)."""
    if cache is None:
        return compute()
    k = key(regime, spec, {**cache.tool, **{f"option:{n}": repr(v) for n, v in sorted(options.items())}},
            cache.digest(regime))
    got = cache.get(k)
    if got is None:
        got = compute()
        cache.put(k, got)
        return got
    return [dataclasses.replace(r, where=spec.where) for r in got]
