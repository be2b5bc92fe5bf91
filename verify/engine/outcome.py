"""What a solver query answers, as data: kept apart from
:mod:`verify.engine.solve` so that reading a result needs no z3 (an
analysis that graph bounds settle never imports it)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["Answer", "Outcome", "OUT_OF_WORK"]

#: Why :meth:`Query.smallest` stopped when it spent the work it was given.
OUT_OF_WORK = "the search's work limit was reached"


class Answer(str, Enum):
    #: Some allowed choice keeps every verifier without evidence (or late).
    EVADES = "evades"
    #: None does: the property holds.
    DETECTED = "detected"
    #: The solver gave no answer (a time-out): never read as either.
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Outcome:
    status: Answer
    chosen: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    #: Mechanisms and flows an "detected" answer rests on.
    core: tuple[str, ...] = ()
    reason: str = ""
    #: For "evades" from smallest(): False when a time-out stopped the proof
    #: that no smaller choice evades (the choice itself is a real one).
    smallest: bool = True
    #: For "detected" with a core: False when the core was not minimised to
    #: the end (its budget ran out), so it may name a spare element.
    core_minimal: bool = True
