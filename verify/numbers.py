"""Exact numbers for a reader: a fraction as the decimal it is, when it is
a short one (0.9, 0.875), else as the fraction with a decimal beside it
(1/3 ≈ 0.3333).  Reports are published, so the text must be the same on
every machine: no float formatting decides what is printed, except the
approximation marked with ≈."""

from __future__ import annotations

from fractions import Fraction

__all__ = ["fraction_text", "short"]

#: Decimals shown exactly up to this many places.
PLACES = 8


def short(x: Fraction) -> str:
    """``x`` as an exact decimal if it has at most :data:`PLACES` places,
    else the empty string."""
    scaled = x * 10**PLACES
    if scaled.denominator != 1:
        return ""
    n = scaled.numerator
    sign = "-" if n < 0 else ""
    whole, part = divmod(abs(n), 10**PLACES)
    digits = f"{part:0{PLACES}d}".rstrip("0")
    return f"{sign}{whole}" + (f".{digits}" if digits else "")


def fraction_text(x: Fraction) -> str:
    """``0.9``; ``1/3 (≈ 0.3333)``; a fraction with huge terms as its
    decimal approximation alone (``≈ 0.9999``), since nobody reads 40
    digits."""
    exact = short(x)
    if exact:
        return exact
    if 0 < x < Fraction(1, 10**4):
        return f"≈ {_scientific(x)}"
    if 0 < 1 - x < Fraction(1, 10**4):
        return f"≈ 1 - {_scientific(1 - x)}"
    approx = _approx(x)
    if len(str(x)) > 24:
        return f"≈ {approx}"
    return f"{x} (≈ {approx})"


def _scientific(y: Fraction) -> str:
    """A small positive number as ``1.234e-120``, exactly rounded (floats
    cannot hold 0.1**400)."""
    e = len(str(y.numerator)) - len(str(y.denominator))
    while y < Fraction(10) ** e:
        e -= 1
    while y >= Fraction(10) ** (e + 1):
        e += 1
    mantissa = round(y / Fraction(10) ** e * 1000)
    if mantissa == 10000:
        mantissa, e = 1000, e + 1
    digits = f"{mantissa // 1000}.{mantissa % 1000:03d}".rstrip("0").rstrip(".")
    return f"{digits}e{e}"


def _approx(x: Fraction) -> str:
    """Four significant places, computed exactly (no float rounding that
    could differ between machines)."""
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    x = abs(x)
    if x >= 1:
        places = 4
    else:
        places = 4
        y = x
        while y < Fraction(1, 10):
            y *= 10
            places += 1
    scaled = round(x * 10**places)
    whole, part = divmod(scaled, 10**places)
    text = f"{whole}.{part:0{places}d}"
    if Fraction(text) == 1 and x != 1:
        return sign + "0." + "9" * places
    return sign + text
