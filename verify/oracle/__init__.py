"""The brute-force reference for every verdict.

It enumerates coalitions and failure sets and propagates evidence by a plain
shortest-path search, following docs/semantics.md (sections 2, 3, 4 and 6).
It imports nothing from ``verify.engine``, so that when the two agree it
means something.
"""

from verify.oracle.classes import class_choices, interchangeable_classes
from verify.oracle.evaluate import (
    DIRECT,
    INDIRECT,
    SEALED,
    candidates,
    coalition_of,
    detection_time,
    evidence_times,
)
from verify.oracle.frame import attributing_only, frames, leaks, min_framing, min_leak
from verify.oracle.optimise import least_cost
from verify.oracle.properties import (
    Margin,
    Verdict,
    detectability,
    fault_tolerance,
    non_circumventability,
    robustness_margin,
    timeliness,
)
from verify.oracle.search import (
    failure_candidates,
    min_evasion_size,
    minimal_evasion_sets,
    smallest_evasion,
    smallest_failure_set,
    worst_detection_time,
)

__all__ = [
    "frames",
    "min_framing",
    "leaks",
    "min_leak",
    "attributing_only",
    "SEALED",
    "DIRECT",
    "INDIRECT",
    "candidates",
    "failure_candidates",
    "coalition_of",
    "detection_time",
    "evidence_times",
    "smallest_evasion",
    "min_evasion_size",
    "minimal_evasion_sets",
    "smallest_failure_set",
    "worst_detection_time",
    "interchangeable_classes",
    "class_choices",
    "Verdict",
    "Margin",
    "detectability",
    "non_circumventability",
    "timeliness",
    "fault_tolerance",
    "robustness_margin",
    "least_cost",
]
