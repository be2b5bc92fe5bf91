"""Results kept on disk between runs, keyed by what each depends on (issue 14).

A working group edits a design one field at a time and re-checks it.  Most
edits touch one mechanism or flow, and most properties are about one
violation's rule graph: a question whose key has not changed is answered
from disk, so an edit re-solves only what it touched.

The key of one question (a property with its parameters, on the regime in
force) is a SHA-256 of

- the tool's, z3's and Python's versions and this cache's format;
- the property and its parameters;
- for a property the solver answers from a violation's rule graph (see
  :data:`GRAPHED`): each unfolded rule graph it asks about, each mechanism
  and flow with a rule in one, and the regime *without* its mechanisms and
  flows (the actors, bodies, verifiers, threat model and violations, which
  the encoding and the explanation read); else the whole regime.  An edit
  to a mechanism that cannot see the violation leaves the key as it was.

Properties and claims are never part of a key, nor where anything was
written: the result's ``where`` is set after lookup.  Only results that no
time limit touched are stored (an unknown, or a figure a budget cut short,
is about the run, not the design).  The folder is safe to delete; a file
that cannot be read is a miss, never an error.  Stored with :mod:`pickle`:
the folder is the user's own, like any cache of compiled code.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import os
import pickle
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from verify.model import PropertySpec, Regime
from verify.results import Result, Verdict

__all__ = ["Cache", "GRAPHED", "canonical", "complete", "key"]

#: Bump when what is stored, or how a key is made, changes.
FORMAT = 1

#: Properties whose answer is a function of the rule graphs of the
#: violations asked about, plus the regime's other parts than mechanisms and
#: flows (the encoding reads control, votes and the threat model from it).
GRAPHED = frozenset({"detectability", "non-circumventability", "timeliness", "fault-tolerance",
                     "attribution", "minimal-evasion-sets"})

#: Words that only a time limit puts in a note.
_TIMED = ("no answer", "time budget", "time-out", "ran out", "not checked")


def canonical(value: object) -> Any:
    """Plain JSON data for a model or engine value: every field that takes
    part in equality, in declaration order; sets sorted.  Locations and
    other fields declared ``compare=False`` are left out, so moving a line
    changes no key."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, enum.Enum):
        return [type(value).__name__, canonical(value.value)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [type(value).__name__] + [[f.name, canonical(getattr(value, f.name))]
                                         for f in dataclasses.fields(value) if f.compare]
    if isinstance(value, (tuple, list)):
        return [canonical(v) for v in value]
    if isinstance(value, (frozenset, set)):
        return sorted((canonical(v) for v in value), key=lambda c: json.dumps(c, sort_keys=True))
    if isinstance(value, Mapping):
        return sorted(([canonical(k), canonical(v)] for k, v in value.items()),
                      key=lambda c: json.dumps(c, sort_keys=True))
    raise TypeError(f"no canonical form for {type(value).__name__}")


def key(regime: Regime, spec: PropertySpec, tool: Mapping[str, str]) -> str:
    """The key of ``spec`` on ``regime`` (an effective regime)."""
    rest = dataclasses.replace(regime, properties=(), claims=())
    depends: object
    if spec.property in GRAPHED:
        depends = [canonical(dataclasses.replace(rest, mechanisms=(), flows=())), _graphed(regime, spec)]
    else:
        depends = canonical(rest)
    doc = {"format": FORMAT, "tool": dict(sorted(tool.items())), "property": spec.property,
           "params": canonical(spec.params), "depends": depends}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _graphed(regime: Regime, spec: PropertySpec) -> object:
    """What a property in :data:`GRAPHED` reads of the mechanisms and flows:
    the unfolded rule graph of each violation and perpetrator it asks about
    (the counterexample is walked on it), every mechanism and flow with a
    rule in one of them, whole, and which elements exist, in order."""
    from verify.analyses.properties import asked
    from verify.engine.rules import compile_rules

    direct = spec.param("direct") is True
    start = spec.param("from")
    keep = (start,) if isinstance(start, str) else ()
    graphs = []
    named: set[str] = set()
    for v in asked(regime, spec):
        for p in regime.violation[v].perpetrators:
            g = compile_rules(regime, v, p, direct, fold=False, keep=keep,
                              attributing=spec.property == "attribution")
            graphs.append(canonical(g))
            named |= {r.element for r in g.rules}
    return [graphs,
            [canonical(m) for m in regime.mechanisms if m.id in named],
            [canonical(f) for f in regime.flows if f.id in named],
            [m.id for m in regime.mechanisms], [f.id for f in regime.flows]]


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
                                                         protocol=4))
        except OSError:
            pass


def answered(cache: Cache | None, regime: Regime, spec: PropertySpec, compute: Callable[[], list[Result]],
             **options: object) -> list[Result]:
    """``compute()``, or what ``cache`` holds for the same question.
    ``options``: anything else of the run that shapes a result (whether
    cores are minimised to the end)."""
    if cache is None:
        return compute()
    from verify.versions import versions

    k = key(regime, spec, {**versions(), **{f"option:{n}": repr(v) for n, v in sorted(options.items())}})
    got = cache.get(k)
    if got is None:
        got = compute()
        cache.put(k, got)
        return got
    return [dataclasses.replace(r, where=spec.where) for r in got]
