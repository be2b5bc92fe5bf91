"""What changed between two designs (``verify diff A B``), and whether it made
things worse: the semantic diff a repository of designs gates changes on.

Two parts.  The structure: every element added, removed or changed, field by
field, compared by id section by section as the vocabulary lists them (so a
section added to the format is compared too).  The answers: each property
either design lists is checked on both, and the verdicts and figures are
compared (k*, the worst-case time, the minimal evasion sets, a probability
when a result carries one), with the counterexample that appeared or
disappeared.  A change is *worse* when a property that held now fails, a
figure got worse (k* fell, the worst case got later, a smaller coalition now
evades, a probability fell) or a claim that was upheld is now refuted.

Plain functions and frozen data; the words are :mod:`verify.explain`'s.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from verify.model import Probability, PropertySpec, Regime
from verify.numbers import short
from verify.results import Deterrence, EvasionSets, Likelihood, Margin, Result, Verdict, WorstCase
from verify.vocabulary import SECTIONS

__all__ = ["FieldChange", "ElementChange", "ResultChange", "ClaimChange", "Diff", "structure", "compare_results",
           "compare", "plain", "Change"]

Change = Literal["worse", "better", "same", "changed", "added", "removed", "unknown"]

#: Fields that hold a duration in seconds: shown as one (``30d``).
DURATION_FIELDS = frozenset({"latency", "period", "notice", "duration", "persists", "conceal", "T"})


def plain(value: Any) -> Any:
    """A model value as plain data (lists, dicts, strings, numbers), without
    source positions: what is compared, and what the JSON diff writes.
    Exact numbers stay exact: a fraction as its decimal or ``a/b``, a
    probability as written (``0.5``, ``[0.2, 0.4]``)."""
    if isinstance(value, Probability):
        return str(value)
    if isinstance(value, Fraction):
        return short(value) or str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name != "where"}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class ElementChange:
    #: The kind (``actor``, ``mechanism``, ``threat_model``, ``regime`` for
    #: the top-level fields) and the id (a property's ``property(params)``).
    kind: str
    id: str
    change: Literal["added", "removed", "changed"]
    fields: tuple[FieldChange, ...] = ()


def _spec_key(spec: PropertySpec) -> str:
    params = ", ".join(f"{k}={v}" for k, v in spec.params)
    return f"{spec.property}({params})"


def _items(regime: Regime, name: str) -> dict[str, Any]:
    value = getattr(regime, name, None)
    if value is None:
        return {}
    if not isinstance(value, tuple):
        return {name: value}
    out: dict[str, Any] = {}
    for item in value:
        key = _spec_key(item) if isinstance(item, PropertySpec) else str(getattr(item, "id", repr(item)))
        out.setdefault(key, item)
    return out


def _fields(before: Any, after: Any) -> tuple[FieldChange, ...]:
    a, b = plain(before), plain(after)
    if not isinstance(a, dict) or not isinstance(b, dict):
        return () if a == b else (FieldChange("value", a, b),)
    return tuple(FieldChange(k, a.get(k), b.get(k)) for k in dict.fromkeys([*a, *b]) if a.get(k) != b.get(k))


def structure(a: Regime, b: Regime) -> tuple[ElementChange, ...]:
    """Every element added, removed or changed from ``a`` to ``b``, section
    by section in the format's order, then in ``a``'s order (added ones in
    ``b``'s)."""
    out: list[ElementChange] = []
    top = tuple(FieldChange(f, plain(getattr(a, f)), plain(getattr(b, f)))
                for f in ("id", "title", "description", "sources") if getattr(a, f) != getattr(b, f))
    if top:
        out.append(ElementChange("regime", b.id, "changed", top))
    for sec in SECTIONS:
        before, after = _items(a, sec.name), _items(b, sec.name)
        for key, item in before.items():
            if key not in after:
                out.append(ElementChange(sec.kind, key, "removed"))
            else:
                changed = _fields(item, after[key])
                if changed:
                    out.append(ElementChange(sec.kind, key, "changed", changed))
        out.extend(ElementChange(sec.kind, key, "added") for key in after if key not in before)
    return tuple(out)


@dataclass(frozen=True)
class ResultChange:
    property: str
    violation: str
    params: tuple[tuple[str, object], ...]
    before: Result | None
    after: Result | None
    change: Change
    #: What changed, in words: ``HOLDS -> FAILS``, ``k* 2 -> 1``.
    what: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClaimChange:
    id: str
    before: str | None
    after: str | None
    change: Change


@dataclass(frozen=True)
class Diff:
    a: Regime
    b: Regime
    structure: tuple[ElementChange, ...]
    results: tuple[ResultChange, ...]
    claims: tuple[ClaimChange, ...] = ()

    @property
    def worse(self) -> bool:
        return any(r.change == "worse" for r in self.results) or any(c.change == "worse" for c in self.claims)

    @property
    def unknown(self) -> bool:
        return any(r.change == "unknown" for r in self.results)


_RANK = {Verdict.FAILS: 0, Verdict.UNKNOWN: 1, Verdict.HOLDS: 2}


def _smallest(f: EvasionSets) -> int | None:
    return min((len(s) for _, s in f.sets), default=None)


def _figures(before: Result, after: Result) -> list[tuple[int, str]]:
    """(direction, words) for each figure that changed: -1 worse, +1 better, 0 neither."""
    from verify.durations import format_duration

    out: list[tuple[int, str]] = []
    fa, fb = before.figures, after.figures
    if isinstance(fa, Margin) and isinstance(fb, Margin) and fa.kstar != fb.kstar:
        out.append((-1 if fb.kstar < fa.kstar else 1, f"k* {fa.kstar.text} -> {fb.kstar.text}"))
    if isinstance(fa, WorstCase) and isinstance(fb, WorstCase) and fa.time != fb.time:
        out.append((-1 if fb.time > fa.time else 1,
                    f"worst-case time {format_duration(fa.time)} -> {format_duration(fb.time)}"))
    if isinstance(fa, EvasionSets) and isinstance(fb, EvasionSets) and fa.sets != fb.sets:
        sa, sb = _smallest(fa), _smallest(fb)
        if sa != sb:
            # No set at all is the best case: nobody within the bound evades.
            direction = 1 if sb is None else -1 if sa is None or sb < sa else 1
        else:
            direction = -1 if len(fb.sets) > len(fa.sets) else 1 if len(fb.sets) < len(fa.sets) else 0
        out.append((direction, f"evasion sets {len(fa.sets)} -> {len(fb.sets)} (smallest "
                               f"{'none' if sa is None else sa} -> {'none' if sb is None else sb})"))
    la = fa.detection if isinstance(fa, Deterrence) else fa
    lb = fb.detection if isinstance(fb, Deterrence) else fb
    if isinstance(la, Likelihood) and isinstance(lb, Likelihood) and (la.low, la.high) != (lb.low, lb.high):
        # The low end decides verdicts; it leads the direction.
        direction = -1 if lb.low < la.low else 1 if lb.low > la.low else -1 if lb.high < la.high else 1
        out.append((direction, f"probability of detection {_span(la)} -> {_span(lb)}"))
    return out


def _span(f: Likelihood) -> str:
    from verify.numbers import fraction_text

    return fraction_text(f.low) if f.low == f.high else f"{fraction_text(f.low)} to {fraction_text(f.high)}"


def _judge(before: Result | None, after: Result | None) -> tuple[Change, tuple[str, ...]]:
    if before is None:
        return "added", ()
    if after is None:
        return "removed", ()
    what: list[str] = []
    va, vb = before.verdict, after.verdict
    if va != vb:
        what.append(f"{va.value.upper()} -> {vb.value.upper()}")
    figures = _figures(before, after)
    what.extend(words for _, words in figures)
    if vb == Verdict.UNKNOWN and va != Verdict.UNKNOWN:
        return "unknown", tuple(what)
    if _RANK[vb] < _RANK[va] or (va == vb and any(d < 0 for d, _ in figures)):
        return "worse", tuple(what)
    if _RANK[vb] > _RANK[va] or any(d > 0 for d, _ in figures):
        return "better", tuple(what)
    if va == vb == Verdict.FAILS and before.witness is not None and after.witness is not None \
            and before.witness.coalition != after.witness.coalition:
        return "changed", ("another counterexample",)
    return ("changed" if what else "same"), tuple(what)


Runner = Callable[[Regime, PropertySpec], Sequence[Result]]


def _key(r: Result) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    return r.property, r.violation, tuple((k, repr(v)) for k, v in r.params)


def compare_results(a: Regime, b: Regime, specs: Sequence[PropertySpec], run: Runner,
                    step: Callable[[str], None] = lambda _: None) -> tuple[ResultChange, ...]:
    """Each spec checked on both designs (where its violation exists), the
    answers paired by property, violation and parameters."""
    out: list[ResultChange] = []
    for spec in specs:
        got: list[dict[tuple[str, str, tuple[tuple[str, str], ...]], Result]] = []
        for regime in (a, b):
            step(f"{regime.path}: {spec.property}")
            v = spec.param("violation")
            found = run(regime, spec) if v is None or v in regime.violation else ()
            got.append({_key(r): r for r in found})
        before, after = got
        for key in dict.fromkeys([*before, *after]):
            ra, rb = before.get(key), after.get(key)
            change, what = _judge(ra, rb)
            some = rb or ra
            assert some is not None
            out.append(ResultChange(some.property, some.violation, some.params, ra, rb, change, what))
    return tuple(out)


def specs_of(a: Regime, b: Regime) -> list[PropertySpec]:
    """The properties either design lists, ``a``'s first, each once."""
    seen: dict[str, PropertySpec] = {}
    for spec in (*a.properties, *b.properties):
        seen.setdefault(_spec_key(spec), spec)
    return list(seen.values())


def compare(a: Regime, b: Regime, run: Runner, specs: Sequence[PropertySpec] | None = None,
            claim: Callable[[Regime, Any], str] | None = None,
            step: Callable[[str], None] = lambda _: None) -> Diff:
    """The whole diff from ``a`` to ``b``.  ``claim(regime, claim)`` gives a
    claim's outcome (UPHELD, REFUTED, UNKNOWN); claims are compared by id."""
    results = compare_results(a, b, specs_of(a, b) if specs is None else specs, run, step)
    claims: list[ClaimChange] = []
    if claim is not None:
        ca, cb = {c.id: c for c in a.claims}, {c.id: c for c in b.claims}
        for cid in dict.fromkeys([*ca, *cb]):
            step(f"claim {cid}")
            oa = claim(a, ca[cid]) if cid in ca else None
            ob = claim(b, cb[cid]) if cid in cb else None
            change: Change = "added" if oa is None else "removed" if ob is None else \
                "same" if oa == ob else "worse" if ob == "REFUTED" else "better" if oa == "REFUTED" else "changed"
            claims.append(ClaimChange(cid, oa, ob, change))
    return Diff(a, b, structure(a, b), results, tuple(claims))
