"""How much a design may make the loader do: the limits (docs/limits.md).

A design may come from elsewhere, so every resource it can make the loader
spend is bounded, and each bound is checked where it bites first: the file's
size before a byte is read, nodes, nesting, scalar sizes, alias expansion
and numerals while the YAML's events stream by (before any data is built
from them), the chain of ``extends`` before the next base is opened.  A
design beyond a limit is refused with exit status 2 and a message naming the
limit and how to raise it (``--limit NAME=VALUE``, or ``VERIFY_LIMITS``).

The limits are a value (:class:`Limits`), passed down to the loader, never
a setting of the process: two loads in one process may use different ones.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from verify.errors import RegimeError

__all__ = ["Limits", "DEFAULT", "DEPTH_CEILING", "NAMES", "UNITS", "LimitError", "LimitExceededError", "parse_limit",
           "with_settings", "from_environment", "ENVIRONMENT", "raise_hint", "option_name"]

#: The environment variable read by the command line: ``NAME=VALUE`` pairs
#: separated by commas or spaces, overridden by ``--limit`` options.
ENVIRONMENT = "VERIFY_LIMITS"


@dataclass(frozen=True)
class Limits:
    """Each limit of one load.  The defaults (:data:`DEFAULT`) let through
    every reference design (22 KB at most) and a benchmark regime of 10,000
    actors (3.5 MB, 471,000 nodes, 3 s, 190 MB), and refuse a design that
    would take more than a few seconds or a few hundred megabytes to load."""

    #: Bytes of one file (a design or one of its bases), checked from the
    #: file's size before it is read, and again while it is read (a file
    #: that grows, or that reports no size).  A 1,000,000-actor design
    #: (about 35 MB) is refused here in milliseconds.
    file_size: int = 8 * 1024 * 1024
    #: Elements of the design and the files it extends together: the items
    #: of its sections (actors, assets, signatures, violations, mechanisms,
    #: flows, bodies, properties, claims, ...), each counted once per file
    #: that writes it.  The 10,000-actor benchmark regime has 41,000.
    elements: int = 50_000
    #: YAML nodes of the design and the files it extends together: every
    #: scalar (mapping keys included), list and mapping, and every node an
    #: alias repeats.  ``{id: a, kind: state}`` is five; the 10,000-actor
    #: benchmark regime has 471,000.  Memory grows with nodes (about 300
    #: bytes each, 500 for an empty mapping).
    nodes: int = 500_000
    #: How deep lists and mappings may nest (a regime needs about six levels);
    #: at most DEPTH_CEILING.
    depth: int = 100
    #: The size an alias repeats, in bytes: the characters of the scalars it
    #: repeats plus one per node, summed over every alias of the design.
    alias_bytes: int = 1_000_000
    #: How many bases a chain of ``extends`` may have.
    extends_depth: int = 32
    #: The digits a number may be written with (sign, ``0x``, decimal point
    #: and exponent left out).  Every number a regime accepts is far shorter
    #: (counts are at most 10**9, amounts at most 1e100, see docs/format.md);
    #: a longer numeral is refused before Python converts it, a conversion
    #: that takes quadratic time and refuses outright beyond 4300 digits.
    digits: int = 1000
    #: Characters of one scalar (an id, a title, a description).
    scalar_size: int = 65_536

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"limit {option_name(f.name)} must be a whole number of at least 1, not {value!r}")
        if self.depth > DEPTH_CEILING:
            raise ValueError(_DEPTH_TOO_HIGH.format(self.depth))


#: The most the limit ``depth`` may be raised to.  The loader itself never
#: recurses, but the schema validator (jsonschema) descends into the data
#: and quotes it with ``repr``, both recursive: at about 1,000 levels they
#: would overflow Python's stack (an internal error).  900 levels were tried.
DEPTH_CEILING = 500
_DEPTH_TOO_HIGH = ("limit depth cannot be raised beyond 500 (the schema validator recurses over nesting), "
                   "not {}")


#: The limits a load uses unless told otherwise.
DEFAULT = Limits()

#: Each limit's name on the command line (``file-size``), in the order of the fields.
NAMES: tuple[str, ...] = tuple(f.name.replace("_", "-") for f in dataclasses.fields(Limits))

#: What each limit counts, for messages and ``--help``.
UNITS: Mapping[str, str] = {
    "file-size": "bytes", "elements": "elements", "nodes": "nodes", "depth": "levels", "alias-bytes": "bytes",
    "extends-depth": "bases", "digits": "digits", "scalar-size": "characters",
}


def option_name(field: str) -> str:
    return field.replace("_", "-")


def raise_hint(name: str, value: int, needed: int | None = None) -> str:
    """How to raise the limit ``name`` (e.g. ``file-size``) beyond ``value``:
    the sentence every refusal ends with.  ``needed``: what the design
    needs, when it is known (a file's size), else ten times the limit is
    suggested."""
    suggest = needed if needed is not None and needed > value else value * 10
    if name == "depth":
        if value >= DEPTH_CEILING:
            return f"limit depth is {value} levels, the most it can be"
        suggest = min(suggest, DEPTH_CEILING)
    return f"limit {name} is {value} {UNITS[name]}; for a trusted design: --limit {name}={suggest}"


class LimitExceededError(RegimeError):
    """A design beyond a limit: its diagnostic (E007, or E001, E003, E013
    for the nesting, alias and digit limits) names the limit and how to
    raise it."""


class LimitError(ValueError):
    """A ``--limit`` or ``VERIFY_LIMITS`` setting that is not NAME=VALUE with
    a known name and a whole number of at least 1."""


_SUFFIX = {"": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "ki": 1024, "mi": 1024**2, "gi": 1024**3}
_SETTING = re.compile(r"([a-z_-]+)=([0-9][0-9_]{0,17})(k|m|g|ki|mi|gi)?", re.IGNORECASE)


def parse_limit(text: str) -> tuple[str, int]:
    """``"file-size=64M"`` -> ``("file_size", 64000000)``; LimitError otherwise.
    Suffixes: k, M, G (powers of 1000), Ki, Mi, Gi (of 1024)."""
    m = _SETTING.fullmatch(text.strip())
    if not m:
        raise LimitError(f"{text!r} is not NAME=VALUE (e.g. file-size=64Mi); names: {', '.join(NAMES)}")
    name = m.group(1).lower().replace("_", "-")
    if name not in NAMES:
        import difflib

        close = difflib.get_close_matches(name, NAMES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise LimitError(f"no limit {name!r}{hint}; names: {', '.join(NAMES)}")
    value = int(m.group(2).replace("_", "")) * _SUFFIX[(m.group(3) or "").lower()]
    if value < 1:
        raise LimitError(f"limit {name} must be at least 1")
    if name == "depth" and value > DEPTH_CEILING:
        raise LimitError(_DEPTH_TOO_HIGH.format(value))
    return name.replace("-", "_"), value


def with_settings(base: Limits, settings: Iterable[str]) -> Limits:
    """``base`` with each ``NAME=VALUE`` setting applied, later ones winning."""
    changes = dict(parse_limit(s) for s in settings)
    return dataclasses.replace(base, **changes) if changes else base


def from_environment(environ: Mapping[str, str], base: Limits = DEFAULT) -> Limits:
    """``base`` with the settings of ``VERIFY_LIMITS`` (comma- or
    space-separated ``NAME=VALUE`` pairs) applied."""
    text = environ.get(ENVIRONMENT, "")
    return with_settings(base, [s for s in re.split(r"[,\s]+", text) if s])
