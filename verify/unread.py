"""Fields the format accepts that no property of a run reads.

The format is ahead of the checker in places: a design may give a
mechanism's detection probability, a violation's duration, the labels a
mechanism reveals or a verifier's finding rule before any property computes
with them.  A reader must not take a number the tool ignored for one it
used (a worst case that silently rests on a whistle-blower with p = 0.2), so
``verify validate`` and ``verify check`` say which fields nothing in the run
reads.  Each entry here names a field, when a design uses it, and what reads
it (if anything): when a property comes to read a field, its entry goes.
"""

from __future__ import annotations

from verify.model import Body, Flow, Location, Mechanism, Regime

__all__ = ["unread_fields"]


def unread_fields(regime: Regime, optimising: bool = False) -> list[tuple[str, Location | None]]:
    """``(message, where)`` for every field of ``regime`` (an effective
    regime) whose value no property reads, kind by kind in the design's
    order; with
    ``optimising``, the fields ``verify optimise`` reads are not listed."""
    out: list[tuple[str, Location | None]] = []
    for v in regime.violations:
        if v.duration is not None:
            out.append((f"violation {v.id!r}: duration is read by no property yet (it is kept for detection "
                        "probability over the violation's duration)", v.where))
    for m in regime.mechanisms:
        p = m.detection_probability
        if 0 < p < 1:
            out.append((f"mechanism {m.id!r}: detection_probability {p:g} is read only as 'more than zero': the "
                        "current properties treat the mechanism as seeing with certainty", m.where))
        if not m.attributes:
            out.append((f"mechanism {m.id!r}: attributes: false is read by no property yet (attribution is not "
                        "implemented): its evidence counts as naming the perpetrator", m.where))
        if m.reveals and not optimising:
            out.append((f"mechanism {m.id!r}: reveals is read by no property (only `verify optimise` reports it; "
                        "confidentiality is not implemented)", m.where))
    for f in regime.flows:
        if f.carries:
            out.append((f"flow {f.id!r}: carries is read by no property yet (confidentiality is not implemented)",
                        f.where))
    elements: list[Mechanism | Flow | Body] = [] if optimising else [*regime.mechanisms, *regime.flows,
                                                                       *regime.bodies]
    for e in elements:
        used = [name for name, value in (("cost", e.cost), ("intrusiveness", e.intrusiveness),
                                         ("optional", e.optional or None)) if value is not None]
        if used:
            out.append((f"{type(e).__name__.lower()} {e.id!r}: {', '.join(used)} "
                        f"{'is' if len(used) == 1 else 'are'} read only by `verify optimise`", e.where))
    for lab in regime.labels:
        out.append((f"label {lab.id!r} is read by no property yet (confidentiality is not implemented)", lab.where))
    for ver in regime.verifiers:
        if ver.finding is not None:
            out.append((f"verifier {ver.id!r}: finding is read by no property yet (finding rules are not "
                        "implemented): any evidence it holds counts", ver.where))
    return out
