"""Fields the format accepts that no property of a run reads.

A design may give a mechanism's detection probability, a violation's gain
or the labels a mechanism reveals, and then check only properties that do
not read them.  A reader must not take a number the tool ignored for one it
used (a worst case that silently rests on a whistle-blower with p = 0.2),
so ``verify validate`` and ``verify check`` say which fields nothing in the
run reads, and which property would.  Each entry here names a field, when a
design uses it, and what reads it: when a property comes to read a field,
its entry says so.
"""

from __future__ import annotations

from collections.abc import Collection

from verify.model import Body, Flow, Location, Mechanism, Probability, Regime

__all__ = ["unread_fields", "checked_by"]

#: The properties that read the numbers of chance and of the inspection game.
CHANCE = ("detection-probability", "deterrence")
DETERRENCE = ("deterrence",)
GAME = ("inspection-game",)
#: What reads labels, and what reads attributes: false.
SECRECY = ("confidentiality",)
NAMING = ("attribution", "non-frameability")


def checked_by(regime: Regime) -> frozenset[str]:
    """The properties a design's own run checks: its properties and claims."""
    return frozenset([s.property for s in regime.properties] + [c.spec.property for c in regime.claims])


def _not_read(field: str, readers: tuple[str, ...]) -> str:
    return f"{field} is read only by {' and '.join(readers)}, which this run does not check"


def unread_fields(regime: Regime, optimising: bool = False,
                  checked: Collection[str] | None = None) -> list[tuple[str, Location | None]]:
    """``(message, where)`` for every field of ``regime`` (an effective
    regime) whose value no property of the run reads, kind by kind in the
    design's order.  ``checked``: the properties the run checks (default:
    the design's own properties and claims); with ``optimising``, the
    fields ``verify optimise`` reads are not listed."""
    run = checked_by(regime) if checked is None else frozenset(checked)
    chance = bool(run & set(CHANCE))
    deterrence = bool(run & set(DETERRENCE))
    game = bool(run & set(GAME))
    secrecy = bool(run & set(SECRECY))
    naming = bool(run & set(NAMING))
    out: list[tuple[str, Location | None]] = []
    if regime.sanction is not None and not deterrence:
        out.append((_not_read("sanction", DETERRENCE), None))
    if regime.false_alarm_cost and not deterrence:
        out.append((_not_read("false_alarm_cost", DETERRENCE), None))
    for v in regime.violations:
        if v.duration is not None and not chance:
            out.append((f"violation {v.id!r}: " + _not_read("duration", CHANCE), v.where))
        used = [name for name, value in (("gain", v.gain), ("sanction", v.sanction)) if value is not None]
        if used and not deterrence:
            out.append((f"violation {v.id!r}: " + _not_read(", ".join(used), DETERRENCE), v.where))
    for m in regime.mechanisms:
        p = m.detection_probability
        if p not in (Probability.of(0), Probability.of(1)) and not chance and not game:
            out.append((f"mechanism {m.id!r}: detection_probability {p} is read only by detection-probability, "
                        "deterrence and inspection-game, which this run does not check: the other properties "
                        "treat the mechanism as seeing with certainty" if p.low > 0 else
                        f"mechanism {m.id!r}: detection_probability {p} is read only by detection-probability, "
                        "deterrence and inspection-game, which this run does not check: the other properties "
                        "treat the mechanism as blind (it may see nothing)", m.where))
        if m.false_alarm_probability != Probability.of(0) and not deterrence:
            out.append((f"mechanism {m.id!r}: " + _not_read("false_alarm_probability", DETERRENCE), m.where))
        used = [name for name, value in (("budget", m.budget), ("effort", m.effort if m.effort != 1 else None))
                if value is not None]
        if used and not game:
            out.append((f"mechanism {m.id!r}: " + _not_read(", ".join(used), GAME), m.where))
        if not m.attributes and not naming:
            out.append((f"mechanism {m.id!r}: attributes: false is read only by attribution and non-frameability, "
                        "which this run does not check: the other properties count its evidence as naming "
                        "the perpetrator", m.where))
        used = [name for name, value in (("reveals", m.reveals or None), ("barrier", m.barrier or None))
                if value is not None]
        if used and not secrecy and not optimising:
            out.append((f"mechanism {m.id!r}: " + _not_read(", ".join(used), SECRECY), m.where))
    for f in regime.flows:
        if f.carries and not secrecy:
            out.append((f"flow {f.id!r}: " + _not_read("carries", SECRECY), f.where))
    elements: list[Mechanism | Flow | Body] = [] if optimising else [*regime.mechanisms, *regime.flows,
                                                                       *regime.bodies]
    for e in elements:
        used = [name for name, value in (("cost", e.cost), ("intrusiveness", e.intrusiveness),
                                         ("optional", e.optional or None)) if value is not None]
        if used:
            out.append((f"{type(e).__name__.lower()} {e.id!r}: {', '.join(used)} "
                        f"{'is' if len(used) == 1 else 'are'} read only by `verify optimise`", e.where))
    if not secrecy:
        for lab in regime.labels:
            out.append((f"label {lab.id!r}: " + _not_read("the label", SECRECY), lab.where))
    if not game:
        for b in regime.budgets:
            out.append((f"budget {b.id!r}: " + _not_read("the budget", GAME), b.where))
    return out
