"""The cheapest design that holds, by enumerating choices of options.

The reference for ``verify optimise`` (issue 10): every subset of the options
(the mechanisms, flows and bodies marked ``optional``; with ``removal`` every
mechanism and flow as well) is tried in order of increasing cost, and the
first under which every property holds, by this oracle's own brute-force
property functions, is the answer.  Exponential in the number of options, so
only for small instances; nothing here comes from ``verify.engine`` or
``verify.analyses``, so that when the optimiser agrees with it that means
something.

What a choice means follows the optimiser's documented contract: an option
left out is suspended, and :func:`verify.model.effective` then takes away
whatever cannot work without it (a flow from or through an absent body, a
verifier that is an absent body).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from fractions import Fraction
from itertools import combinations

from verify.model import Body, Flow, Mechanism, PropertySpec, Regime, effective
from verify.oracle.properties import detectability, fault_tolerance, non_circumventability, timeliness

__all__ = ["option_ids", "option_cost", "choose", "spec_holds", "least_cost"]

#: Beyond this many options there are over a million subsets to order: the
#: oracle is for small instances, and says so rather than run for hours.
MAX_OPTIONS = 20


def _choosable(regime: Regime) -> list[Mechanism | Flow | Body]:
    return [*regime.mechanisms, *regime.flows, *regime.bodies]


def option_ids(regime: Regime, removal: bool = False) -> tuple[str, ...]:
    """The elements a design may leave out, in declaration order (mechanisms,
    then flows, then bodies): those marked optional, and with ``removal``
    every mechanism and flow too (a body is never removed unless optional)."""
    return tuple(
        e.id for e in _choosable(regime) if e.optional or (removal and not isinstance(e, Body))
    )


def option_cost(regime: Regime, element_id: str) -> Fraction:
    """What an element costs; one with no cost counts 0.  Through ``str`` so
    that a cost written 0.1 is one tenth, not the nearest binary fraction."""
    cost = {e.id: e.cost for e in _choosable(regime)}[element_id]
    return Fraction(0) if cost is None else Fraction(str(cost))


def choose(regime: Regime, chosen: Sequence[str], opts: Sequence[str]) -> Regime:
    """The regime with the options not in ``chosen`` suspended, applied (so
    that what needs them goes too)."""
    out = set(opts) - set(chosen)
    changed = replace(
        regime,
        mechanisms=tuple(replace(m, status="suspended") if m.id in out else m for m in regime.mechanisms),
        flows=tuple(replace(f, status="suspended") if f.id in out else f for f in regime.flows),
        bodies=tuple(replace(b, status="suspended") if b.id in out else b for b in regime.bodies),
        # The applied mark survives replace; cleared, effective() looks again.
        applied=None,
    )
    return effective(changed)[0]


def _int(params: dict[str, object], name: str, default: int | None) -> int:
    value = params.get(name, default)
    if value is None:
        raise ValueError(f"the property needs {name}")
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{name} must be a whole number, not {value!r}")
    return value


def spec_holds(regime: Regime, spec: PropertySpec) -> bool:
    """Whether ``spec`` holds on ``regime`` (already applied), for the
    violation it names or every violation.

    The analyses count by their verdicts (semantics section 10): the
    robustness margin holds iff k* reaches ``threat_model.max``, which is
    non-circumventability with that k (k* = -1 when detectability fails, so
    k = 0 is detectability); minimal evasion sets fail iff a set of at most
    min(max, K) colluders evades, which is non-circumventability with that k.
    """
    params = dict(spec.params)
    target = params.get("violation")
    direct = bool(params.get("direct", False))
    tmax = regime.threat_model.max
    # A named violation that is absent gives no result, so it cannot fail
    # (as the checker reports it: not checked).
    if isinstance(target, str):
        violations = [target] if target in regime.violation else []
    else:
        violations = [v.id for v in regime.violations]
    for v in violations:
        if spec.property == "detectability":
            ok = detectability(regime, v, direct_only=direct).holds
        elif spec.property == "non-circumventability":
            ok = non_circumventability(regime, v, _int(params, "k", tmax), direct_only=direct).holds
        elif spec.property == "timeliness":
            start = params.get("from")
            ok = timeliness(regime, v, _int(params, "T", None), _int(params, "k", tmax), direct_only=direct,
                            start=start if isinstance(start, str) else None).holds
        elif spec.property == "fault-tolerance":
            ok = fault_tolerance(regime, v, _int(params, "f", 1), direct_only=direct).holds
        elif spec.property == "robustness-margin":
            ok = non_circumventability(regime, v, tmax, direct_only=direct).holds
        elif spec.property == "minimal-evasion-sets":
            k = min(tmax, _int(params, "K", tmax))
            ok = non_circumventability(regime, v, k, direct_only=direct).holds
        else:
            raise ValueError(f"the oracle does not know the property {spec.property!r}")
        if not ok:
            return False
    return True


def _by_cost(opts: Sequence[str], costs: Sequence[Fraction]) -> Iterator[tuple[int, ...]]:
    """Every subset of the options' indices, cheapest first; ties: fewer
    elements first, then in declaration order (lexicographic on indices)."""
    subsets = [c for size in range(len(opts) + 1) for c in combinations(range(len(opts)), size)]
    subsets.sort(key=lambda s: (sum((costs[i] for i in s), Fraction(0)), len(s), s))
    yield from subsets


def least_cost(
    regime: Regime, specs: Sequence[PropertySpec], removal: bool = False
) -> tuple[Fraction, tuple[str, ...]] | None:
    """The least cost of a choice of options under which every spec holds,
    and the first such choice (fewest elements, then declaration order);
    None when no choice, not even every option, makes them all hold.

    Every choice is tried, in order of cost, without assuming that adding an
    option can only help: that is a property of the semantics the optimiser
    may rely on, and an oracle that relied on it too could not catch a
    mistake in it."""
    regime, _ = effective(regime)
    opts = option_ids(regime, removal)
    if len(opts) > MAX_OPTIONS:
        raise ValueError(f"{len(opts)} options: the oracle enumerates subsets, at most {MAX_OPTIONS} options")
    costs = [option_cost(regime, o) for o in opts]
    # Choices whose absences cascade to the same design are checked once.
    seen: dict[object, bool] = {}
    for subset in _by_cost(opts, costs):
        chosen = tuple(opts[i] for i in subset)
        design = choose(regime, chosen, opts)
        # Everything a choice can change (the elements, as they end up after
        # the cascade, and the verifiers), compared by value.
        key = tuple(design.elements()), design.verifiers
        if key not in seen:
            seen[key] = all(spec_holds(design, s) for s in specs)
        if seen[key]:
            return sum((costs[i] for i in subset), Fraction(0)), chosen
    return None
