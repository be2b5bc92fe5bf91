"""A workbench for designing and checking treaty verification regimes.

The pipeline, one module or package per step:
load (YAML, extends, schema) -> model (frozen data) -> engine (z3) / oracle
(brute force) -> analyses (properties as plain functions) -> explain -> report.

The public API::

    from verify import load, check
    regime = load("designs/flagship-ai-agreement.yaml")
    for result in check(regime, ["detectability", "robustness-margin"]):
        print(result.property, result.verdict.value)

Importing ``verify`` (or ``verify.model``, which imports this package first)
is cheap: the loader (PyYAML, jsonschema, fastjsonschema, networkx) and the
engine (z3) are imported when first used, not before.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from verify.load import load as load
    from verify.model import PropertySpec, Regime
    from verify.results import Result

__version__ = "0.1.0"
__all__ = ["load", "check", "__version__"]


def check(
    regime: Regime,
    properties: Iterable[PropertySpec | str] | None = None,
    *,
    as_is: bool = False,
    timeout: float | None = None,
) -> list[Result]:
    """Results of the given properties (default: the regime's own list), on
    the regime as in force (``as_is``) or with proposed elements too.

    A property is a :class:`~verify.model.PropertySpec` or a plain property
    name such as ``"robustness-margin"`` (its parameters then default).
    """
    from verify.analyses.properties import run
    from verify.model import PropertySpec, effective

    regime, _ = effective(regime, as_is=as_is)
    given = regime.properties if properties is None else properties
    specs = [PropertySpec(property=p) if isinstance(p, str) else p for p in given]
    return [r for spec in specs for r in run(regime, spec, timeout=timeout)]


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
