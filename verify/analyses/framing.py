"""non-frameability(party, k): no coalition of up to k actors outside the
party's side can make a verifier's finding rule fire against the party
while it complies (docs/semantics.md, "Non-frameability")."""

from __future__ import annotations

from verify.errors import UsageError
from verify.model import Regime, effective
from verify.results import Framing, KStar, Result, Verdict

__all__ = ["non_frameability"]


def _ms(timeout: float | None) -> int | None:
    return None if timeout is None else max(1, int(timeout * 1000))


def non_frameability(regime: Regime, party: str, k: int | None = None, *, timeout: float | None = None,
                     as_is: bool = False, explain: bool = True) -> Result:
    regime, _ = effective(regime, as_is=as_is)
    if party not in regime.actor:
        raise UsageError(f"non-frameability: no actor {party!r} to frame")
    if not any(party in v.perpetrators for v in regime.violations):
        raise UsageError(f"non-frameability: no violation names {party!r} as a perpetrator, so there is "
                         "nothing a false report could accuse it of")
    k = regime.threat_model.max if k is None else k
    if k < 0:
        raise UsageError(f"k must be 0 or more, not {k}")
    params = (("party", party), ("k", k))
    verifiers = " or ".join(v.id for v in regime.verifiers) or "no verifier"
    statement = (f"No coalition of up to {k} actors outside {party}'s side can make {verifiers} find against "
                 f"{party} while it complies.")
    # The z3 encoding of forged evidence, imported when a party is asked about.
    from verify.engine.frame import fabrications, framing_candidates, framing_points, smallest_framing

    points = framing_points(regime, party)
    ms = _ms(timeout)
    within = smallest_framing(regime, party, points, k, ms)
    if within.status == "unknown":
        return Result("non-frameability", params, party, Verdict.UNKNOWN, statement,
                      note=f"the solver gave no answer ({within.reason or 'time-out'})")
    if within.status == "frames":
        margin = KStar.of(len(within.chosen) - 1)
        chosen = within.chosen
    else:
        # The margin: the smallest framing beyond k, if any.
        beyond = smallest_framing(regime, party, points, None, ms)
        if beyond.status == "unknown":
            margin = KStar.unknown()
        elif beyond.status == "safe":
            margin = KStar.whole_pool()
        else:
            margin = KStar.of(len(beyond.chosen) - 1)
        chosen = ()
    figures = Framing(party=party, margin=margin)
    if within.status == "frames":
        coalition: set[str] = set()
        for c in chosen:
            coalition |= regime.closure(c)
        order = {a.id: i for i, a in enumerate(regime.actors)}
        found = fabrications(regime, party, points, coalition)
        assert found is not None, "the solver's coalition frames, by the same points"
        verifier, used = found
        figures = Framing(
            party=party, margin=margin, coalition=tuple(sorted(coalition, key=order.__getitem__)),
            verifier=verifier,
            fabrications=used)
        return Result("non-frameability", params, party, Verdict.FAILS, statement, figures=figures)
    note = "" if framing_candidates(regime, party) else f"nobody outside {party}'s side may collude"
    return Result("non-frameability", params, party, Verdict.HOLDS, statement, figures=figures, note=note)
