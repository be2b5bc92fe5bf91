"""Loading: YAML with positions -> extends -> selectors -> validation -> the frozen model.

``load(path)`` is the one entry point; it raises a
:class:`~verify.errors.RegimeError` subclass carrying every diagnostic of the
file, and returns a :class:`~verify.model.Regime` otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from verify.durations import format_duration, parse_duration
from verify.errors import InvalidRegimeError
from verify.gcpause import gc_paused
from verify.limits import DEFAULT, Limits
from verify.model import Regime

# The stages are imported by load(), not with the package: a re-check
# through the cache imports verify.load.patch (and so this package) and,
# when the file has not changed, loads nothing (issue 14).

__all__ = ["load", "parse_duration", "format_duration"]


@gc_paused
def load(path: str | os.PathLike[str], allow: Iterable[str | os.PathLike[str]] = (),
         limits: Limits = DEFAULT) -> Regime:
    """The regime in ``path``.  Its ``extends`` may reach only regular files
    inside the folder of the file that names them (or below it), or inside
    one of the ``allow`` folders (E033 otherwise).  ``limits``: how large,
    deep and long a design may be (docs/limits.md; E007 and others beyond)."""
    from verify.load.build import build
    from verify.load.extends import read
    from verify.load.select import resolve
    from verify.load.validate import diagnose

    path = os.fspath(path)
    data, extends, sha256 = read(path, tuple(allow), limits)
    # Selectors and counted groups are resolved once, on the merged
    # document (a variant's selector sees the base's actors and groups, and
    # the base's sees the variant's), before anything is checked: see
    # verify.load.select.  diagnose and build take the result as it is.
    data = resolve(data, max_generated=limits.elements)
    problems = diagnose(data, path)
    if problems:
        raise InvalidRegimeError(problems)
    return build(data, os.path.normpath(path), extends, sha256)
