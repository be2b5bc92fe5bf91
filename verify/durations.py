"""Durations: ``30d`` <-> whole seconds.

A plain module at the bottom of the pipeline, so that loading, analyses,
explanations and drawings all spell durations the same way without any of
them depending on another.
"""

from __future__ import annotations

import re
from fractions import Fraction

from verify.model import SECONDS

__all__ = ["parse_duration", "format_duration"]

_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)(s|min|h|d|w|y)")


def parse_duration(text: str | int) -> int:
    """Whole seconds in ``30d``, ``12h``, ``1.5d`` or ``0``."""
    if isinstance(text, int):
        return text
    if text == "0":  # what format_duration(0) writes
        return 0
    m = _DURATION.fullmatch(text)
    if m is None:
        raise ValueError(f"not a duration: {text!r}")
    if m.group(1).isdigit():
        return int(m.group(1)) * SECONDS[m.group(2)]
    # Fraction keeps 1.5d exact; a part of a second is rounded up so that a
    # deadline is never made easier than written.
    seconds = Fraction(m.group(1)) * SECONDS[m.group(2)]
    return -(-seconds.numerator // seconds.denominator)


def format_duration(seconds: int | None, none: str = "forever") -> str:
    """The shortest exact spelling: 2592000 -> ``30d``."""
    if seconds is None:
        return none
    if seconds == 0:
        return "0"
    for unit in ("y", "w", "d", "h", "min", "s"):
        if seconds % SECONDS[unit] == 0:
            return f"{seconds // SECONDS[unit]}{unit}"
    return f"{seconds}s"
