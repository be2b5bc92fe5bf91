"""A workbench for designing and checking treaty verification regimes.

The pipeline, one module or package per step:
load (YAML, extends, schema) -> model (frozen data) -> engine (z3) / oracle
(brute force) -> analyses (properties as plain functions) -> explain -> report.

The public API::

    from verify import load, check
    regime = load("designs/flagship-ai-agreement.yaml")
    for result in check(regime):
        print(result.property, result.verdict.value)
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["load", "check", "__version__"]

# Bound after the subpackage of the same name is imported, so that
# ``verify.load`` is the function (the package stays ``verify.load`` in
# sys.modules for ``from verify.load import ...``).
from verify.load import load  # noqa: E402


def check(regime, properties=None, *, as_is: bool = False, timeout: float | None = None):
    """Results of the given properties (default: the regime's own list), on
    the regime as in force (``as_is``) or with proposed elements too."""
    from verify.analyses.properties import run
    from verify.model import effective

    regime, _ = effective(regime, as_is=as_is)
    specs = regime.properties if properties is None else properties
    return [r for spec in specs for r in run(regime, spec, timeout=timeout)]
