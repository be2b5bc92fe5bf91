"""A workbench for designing and checking treaty verification regimes.

The pipeline, one module or package per step:
load (YAML, extends, schema) -> model (frozen data) -> engine (z3) / oracle
(brute force) -> analyses (properties as plain functions) -> explain -> report.

The public API::

    from verify import load, check
    regime = load("designs/flagship-ai-agreement.yaml")
    for result in check(regime, ["detectability", "robustness-margin"]):
        print(result.property, result.verdict.value)
    check(regime, "non-circumventability", k=2)   # a name, with parameters
    verify.table(check(regime))                    # a table (HTML in Jupyter)

In Jupyter a regime shows its diagram and a result its explanation; the
words come from :mod:`verify.explain` (``explain``, ``title``).  See
docs/api.md.

Importing ``verify`` (or ``verify.model``, which imports this package first)
is cheap: the loader (PyYAML, jsonschema, fastjsonschema, networkx) and the
engine (z3) are imported when first used, not before.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from verify.load import load as load
    from verify.model import PropertySpec, Regime
    from verify.notebook import Results, Table
    from verify.results import Result

__version__ = "0.1.0"
__all__ = ["load", "check", "table", "__version__"]


def check(
    regime: Regime,
    properties: str | PropertySpec | Iterable[PropertySpec | str] | None = None,
    *,
    as_is: bool = False,
    timeout: float | None = None,
    violation: str | None = None,
    k: int | None = None,
    K: int | None = None,
    f: int | None = None,
    T: int | str | timedelta | None = None,
    direct: bool | None = None,
) -> Results:
    """Results of the given properties (default: the regime's own list), on
    the regime with proposed elements too, or as in force (``as_is``).

    ``properties`` is a property name such as ``"robustness-margin"``, a
    :class:`~verify.model.PropertySpec`, or a list of either.  The keyword
    parameters (``violation``, ``k``, ``K``, ``f``, ``T`` in seconds or as a
    duration such as ``"30d"``, ``direct``) apply to every property named, and
    override a spec's own; each must be one the property takes (the catalogue,
    docs/properties.md, says which).  An unknown property name, a parameter a
    property does not take, a missing required one (``T`` for timeliness) or
    an unknown violation raise :class:`~verify.errors.UsageError`; a name is
    never corrected to another.  ``timeout`` is in seconds per solver call.

        check(regime, "non-circumventability", k=2)
        check(regime, ["detectability", "robustness-margin"], violation="covert-training-run")
        check(regime, "timeliness", T="30d", k=1)
    """
    from verify.analyses.properties import run
    from verify.model import effective
    from verify.notebook import Results

    given = {"violation": violation, "k": k, "K": K, "f": f, "T": T, "direct": direct}
    specs = _specs(regime, properties, {name: v for name, v in given.items() if v is not None})
    checked, _ = effective(regime, as_is=as_is)
    return Results([r for spec in specs for r in run(checked, spec, timeout=timeout)], regime)


def table(*groups: Iterable[Result], regime: Regime | None = None) -> Table:
    """Results as a table: ``_repr_html_`` in Jupyter, ``.records()`` (plain
    dicts), ``.to_pandas()`` (a DataFrame, when pandas is installed).

    ``regime`` names the file and regime in each row; results from
    :func:`check` already know theirs."""
    from verify.notebook import table as function

    return function(*groups, regime=regime)


def _specs(regime: Regime, properties: object, params: dict[str, object]) -> list[PropertySpec]:
    """The property specs a :func:`check` call asks for, each checked against
    the catalogue (names, parameters, their types)."""
    from verify.catalogue import catalogue
    from verify.errors import UsageError
    from verify.model import PropertySpec

    known = catalogue()
    if properties is None:
        if params:
            raise UsageError(f"parameters ({', '.join(params)}) apply to the properties named; name them, "
                             "e.g. check(regime, \"non-circumventability\", k=2)")
        items: list[object] = list(regime.properties)
    elif isinstance(properties, str | PropertySpec):
        items = [properties]
    elif isinstance(properties, Iterable):
        items = list(properties)
    else:
        raise TypeError(f"properties must be a property name, a PropertySpec or a list of them, "
                        f"not {type(properties).__name__}")
    values = {name: _value(regime, name, value) for name, value in params.items()}
    specs = []
    for item in items:
        if isinstance(item, str):
            spec = PropertySpec(property=item)
        elif isinstance(item, PropertySpec):
            spec = item
        else:
            raise TypeError(f"a property is a name or a PropertySpec, not {type(item).__name__}: {item!r}")
        info = known.get(spec.property)
        if info is None:
            raise UsageError(f"unknown property {spec.property!r}; the known ones are: {', '.join(sorted(known))}")
        merged = dict(spec.params) | values
        for name in merged:
            if name not in info.parameters:
                takers = [p for p, i in sorted(known.items()) if name in i.parameters]
                raise UsageError(f"{spec.property} takes no parameter {name!r}; it takes "
                                 f"{', '.join(info.parameters) or 'none'}"
                                 + (f" ({name} is taken by {', '.join(takers)})" if takers else ""))
        for name in info.required():
            if name not in merged:
                what = info.parameters[name].get("description", "")
                raise UsageError(f"{spec.property} needs the parameter {name!r}" + (f" ({what})" if what else ""))
        order = list(info.parameters)
        specs.append(PropertySpec(property=spec.property, where=spec.where,
                                  params=tuple(sorted(merged.items(), key=lambda kv: order.index(kv[0])))))
    return specs


def _value(regime: Regime, name: str, value: object) -> object:
    """A keyword parameter of :func:`check` as the model holds it (T in
    seconds), or a :class:`~verify.errors.UsageError` saying what is wrong."""
    from verify.durations import parse_duration
    from verify.errors import UsageError

    if name in ("k", "K", "f"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise UsageError(f"{name} must be a whole number, 0 or more, not {value!r}")
        return value
    if name == "T":
        if isinstance(value, timedelta):
            seconds = value.total_seconds()
            value = int(seconds) if seconds == int(seconds) else int(seconds) + 1  # never easier than asked
        if isinstance(value, str):
            try:
                value = parse_duration(value.strip())
            except ValueError:
                raise UsageError(f"T must be seconds or a duration such as 30d, 12h or 90min, not {value!r}") \
                    from None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise UsageError(f"T must be seconds (0 or more) or a duration such as 30d, not {value!r}")
        return value
    if name == "violation":
        if not isinstance(value, str) or value not in regime.violation:
            raise UsageError(f"{regime.id} has no violation {value!r}; its violations are: "
                             f"{', '.join(regime.violation) or 'none'}")
        return value
    if name == "direct":
        if not isinstance(value, bool):
            raise UsageError(f"direct must be True or False, not {value!r}")
        return value
    raise UsageError(f"unknown parameter {name!r}")  # pragma: no cover (check's keywords are fixed)


def _load() -> Any:
    from verify.load import load as function

    return function


def __dir__() -> list[str]:
    # PEP 562: ``load`` is answered by the property below, not the namespace.
    return sorted({*globals(), *__all__})


class _Package(types.ModuleType):
    """The package's own module type, for one name.

    ``verify.load`` is both the loading function (the public API) and the
    subpackage that holds it.  Whenever the subpackage is imported (``from
    verify.load import ...``, by anyone), the import system binds it as the
    package's attribute ``load``, and a module-level ``__getattr__`` is then
    never consulted again (``verify.load(path)`` would call a module), and
    binding the function in the namespace would not survive it either.  A
    property answers every lookup of ``load`` with the function (importing
    the loader on first use) and takes no notice of that binding; the
    subpackage itself stays in ``sys.modules`` for ``from verify.load import``.
    """

    @property
    def load(self) -> Any:
        return _load()

    @load.setter
    def load(self, value: Any) -> None:
        pass


sys.modules[__name__].__class__ = _Package
