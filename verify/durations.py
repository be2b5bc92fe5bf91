"""Durations: ``30d`` <-> whole seconds.

A plain module at the bottom of the pipeline, so that loading, analyses,
explanations and drawings all spell durations the same way without any of
them depending on another.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

from verify.model import SECONDS

__all__ = ["parse_duration", "format_duration"]

_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)(s|min|h|d|w|y)")


# Memoised: a 10,000-actor design spells 60,000 durations with a handful of
# texts (``7d``, ``30d``), and parsing each again was a fifth of building
# the model.  A pure function of its text, so the memo changes no answer.
@lru_cache(maxsize=4096)
def parse_duration(text: str | int) -> int:
    """Whole seconds in ``30d``, ``12h``, ``1.5d`` or ``0``; also in what
    :func:`format_duration` writes for an odd duration (``4d 1s``), which
    regime files do not accept (the schema's pattern has no space)."""
    if isinstance(text, int):
        return text
    if text == "0":  # what format_duration(0) writes
        return 0
    if " " in text:
        return sum(parse_duration(part) for part in text.split(" "))
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
    """A duration as a treaty would write it, exactly: whole days (``14d``,
    not ``2w``; ``365d`` is ``1y``), hours or minutes below a day (``12h``),
    half and quarter days with decimals (``46.5d``), otherwise days and the
    rest (``46d 13h``), never a long count of a small unit (``1117h``).
    Output without a space parses back to the same seconds."""
    if seconds is None:
        return none
    if seconds == 0:
        return "0"
    day = SECONDS["d"]
    if seconds % SECONDS["y"] == 0:
        return f"{seconds // SECONDS['y']}y"
    if seconds % day == 0:
        return f"{seconds // day}d"
    if seconds > day and (seconds * 100) % day == 0:
        whole, part = divmod(seconds * 100 // day, 100)
        return f"{whole}.{part:02d}".rstrip("0") + "d"
    parts = []
    rest = seconds
    for unit in ("d", "h", "min", "s"):
        n, rest = divmod(rest, SECONDS[unit])
        if n:
            parts.append(f"{n}{unit}")
    return " ".join(parts)
