"""One exception tree, so callers can catch exactly what they mean.

A regime file that cannot be loaded raises a :class:`RegimeError` carrying
every :class:`~verify.diagnostics.Diagnostic` found in it, not only the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from verify.diagnostics import Diagnostic

__all__ = [
    "VerifyError",
    "RegimeError",
    "YAMLSyntaxError",
    "UnsafeYAMLError",
    "InvalidRegimeError",
    "ExtendsError",
    "UsageError",
    "RenderError",
]


class VerifyError(Exception):
    """Base class of every error this package raises on purpose."""


class RegimeError(VerifyError):
    """A regime file could not be loaded; ``diagnostics`` says why, all of it."""

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        self.diagnostics = tuple(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class YAMLSyntaxError(RegimeError):
    """The file is not well-formed YAML."""


class UnsafeYAMLError(RegimeError):
    """The YAML asks to build objects, or expands aliases beyond the budget."""


class InvalidRegimeError(RegimeError):
    """Well-formed YAML that is not a valid regime (schema or references)."""


class ExtendsError(RegimeError):
    """``extends`` names a missing file or forms a cycle."""


class UsageError(VerifyError):
    """A command was called with arguments that make no sense for the regime."""


class RenderError(VerifyError):
    """A drawing could not be written: no ``dot``, a bad output path or format."""
