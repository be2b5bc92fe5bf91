"""Turn a validated document into the frozen model.

Runs only on documents that passed :mod:`verify.load.validate`, so it may
assume the shapes the schema promises.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from verify.durations import parse_duration
from verify.load.select import DEFAULT_GROUP_KIND, member_id, resolve
from verify.load.yamlsrc import Map, Seq
from verify.model import (
    Actor,
    Asset,
    Body,
    Budget,
    Claim,
    Decision,
    Flow,
    Group,
    Label,
    Mechanism,
    Observation,
    Probability,
    PropertySpec,
    Regime,
    Signature,
    ThreatModel,
    Trace,
    Verifier,
    Violation,
)
from verify.vocabulary import SECTION

__all__ = ["ITEM", "build"]


def _ids(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _refs(section: str, item: Map) -> dict[str, Any]:
    """The item's references as model attributes, by the vocabulary: lists
    as tuples (one id written alone is a list of one), the table's default
    where the field is not written.  References inside sub-items (traces,
    observations) are built with them."""
    out: dict[str, Any] = {}
    for r in SECTION[section].refs:
        if r.within is not None:
            continue
        if r.field not in item:
            if not r.required:
                out[r.attr] = r.default
        else:
            out[r.attr] = _ids(item[r.field]) if r.many else item[r.field]
    return out


def _kinds(item: Map, key: str) -> tuple[str, ...] | None:
    return None if key not in item else _ids(item[key])


def _common(item: Map) -> dict[str, Any]:
    out: dict[str, Any] = {"id": item["id"], "where": item.where}
    for key in ("name", "description", "status"):
        if key in item:
            out[key] = item[key]
    out["sources"] = tuple(item.get("sources", ()))
    return out


def _dur(item: Map, key: str, default: int = 0) -> int:
    return parse_duration(item[key]) if key in item else default


def _optional_dur(item: Map, key: str, infinite: str) -> int | None:
    value = item.get(key, infinite)
    return None if value == infinite else parse_duration(value)


def _exact(value: Any) -> Fraction:
    """A number of the file, exactly as written: 0.2 is 1/5 (the shortest
    decimal that reads back as the float the parser made), not the binary
    float nearest to it."""
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


def _amount(item: Map, key: str) -> Fraction | None:
    return _exact(item[key]) if key in item else None


def _chance(item: Map, key: str, default: int) -> Probability:
    """A probability, or an interval ``[low, high]`` of them."""
    if key not in item:
        return Probability.of(default)
    value = item[key]
    if isinstance(value, Seq):
        return Probability(_exact(value[0]), _exact(value[1]))
    return Probability.of(_exact(value))


def _params(item: Map) -> tuple[tuple[str, object], ...]:
    out = []
    for key in ("violation", "party", "label", "k", "T", "from", "f", "K", "direct", "p"):
        if key in item:
            value = item[key]
            # JSON Schema counts 2.0 as an integer; the model says int.
            if key == "T":
                value = parse_duration(value)
            elif key in ("k", "f", "K"):
                value = int(value)
            elif key == "p":
                value = _exact(value)
            out.append((key, value))
    return tuple(out)


def _scenario(claim: Map, key: str) -> tuple[str, ...] | None:
    """A claim's ``coalition`` or ``failed``: ids, a single id for one;
    ``failed`` alone means the perpetrator with no accomplice."""
    if key not in claim:
        return () if key == "coalition" and "failed" in claim else None
    value = claim[key]
    return (value,) if isinstance(value, str) else tuple(value)


def _threshold(item: Map, key: str) -> int | None:
    # JSON Schema counts 2.0 as an integer; the model says int.
    return None if item.get(key) is None else int(item[key])


def _counted(group: Map) -> dict[str, Any]:
    """A group given by a count: the count, its kind and the members the
    loader declared for it (as :mod:`verify.load.select` did)."""
    if "count" not in group:
        return {}
    n = int(group["count"])
    return {"count": n, "kind": group.get("kind", DEFAULT_GROUP_KIND),
            "members": tuple(member_id(group["id"], i) for i in range(1, n + 1))}


def _mechanism(m: Map) -> Mechanism:
    return Mechanism(
        **_common(m), **_refs("mechanisms", m), kind=m.get("kind", "other"),
        observes=tuple(
            Observation(signature=o) if isinstance(o, str)
            else Observation(signature=o["signature"], threshold=float(o.get("threshold", 0)))
            for o in m["observes"]),
        mandatory=m.get("mandatory", False), tamper_evident=m.get("tamper_evident", False),
        period=_dur(m, "period"), notice=_dur(m, "notice"), latency=_dur(m, "latency"),
        detection_probability=_chance(m, "detection_probability", 1),
        false_alarm_probability=_chance(m, "false_alarm_probability", 0),
        effort=_exact(m["effort"]) if "effort" in m else Fraction(1),
        cost=m.get("cost"), optional=m.get("optional", False), intrusiveness=m.get("intrusiveness"),
        attributes=m.get("attributes", True), barrier=m.get("barrier", False))


def _flow(f: Map) -> Flow:
    return Flow(
        **_common(f), **_refs("flows", f),
        latency=_dur(f, "latency"), period=_dur(f, "period"),
        mandatory=f.get("mandatory", False), authenticated=f.get("authenticated", False),
        cost=f.get("cost"), optional=f.get("optional", False), intrusiveness=f.get("intrusiveness"),
        forwards_kinds=_kinds(f, "forwards_kinds"))


#: One item of a section as its model element, for the sections
#: :mod:`verify.load.patch` may rebuild one item of (``build`` uses the same).
ITEM: dict[str, Callable[[Map], Any]] = {"mechanisms": _mechanism, "flows": _flow}


def build(data: Map, path: str, extends: tuple[str, ...] = (), sha256: str | None = None) -> Regime:
    """The model of a document that passed validation.  Its selectors are
    resolved here if they are not yet (a document from
    :func:`verify.load.select.resolve` is used as it is)."""
    data = resolve(data)

    def section(name: str) -> list[Any]:
        seq = data.get(name)
        return list(seq) if isinstance(seq, Seq) else []

    actors = tuple(
        Actor(**_common(a), **_refs("actors", a), kind=a["kind"])
        for a in section("actors"))
    groups = tuple(Group(**{**_common(g), **_refs("groups", g), **_counted(g)}) for g in section("groups"))
    assets = tuple(
        Asset(**_common(a), **_refs("assets", a), kind=a.get("kind"))
        for a in section("assets"))
    signatures = tuple(Signature(**_common(s), unit=s.get("unit")) for s in section("signatures"))
    violations = tuple(
        Violation(
            **_common(v), **_refs("violations", v),
            traces=tuple(
                Trace(signature=t["signature"], magnitude=float(t.get("magnitude", 0)),
                      persists=_optional_dur(t, "persists", "forever"),
                      conceal=_optional_dur(t, "conceal", "never"))
                for t in v["signatures"]),
            duration=parse_duration(v["duration"]) if "duration" in v else None,
            gain=_amount(v, "gain"), sanction=_amount(v, "sanction"))
        for v in section("violations"))
    mechanisms = tuple(_mechanism(m) for m in section("mechanisms"))
    flows = tuple(_flow(f) for f in section("flows"))
    bodies = tuple(
        Body(**_common(b), **_refs("bodies", b), approve=_threshold(b, "approve"), block=_threshold(b, "block"),
             latency=_dur(b, "latency"), cost=b.get("cost"), optional=b.get("optional", False),
             intrusiveness=b.get("intrusiveness"))
        for b in section("bodies"))
    decisions = tuple(
        Decision(**_common(d), **_refs("decisions", d), approve=_threshold(d, "approve"),
                 block=_threshold(d, "block"), latency=_dur(d, "latency"))
        for d in section("decisions"))
    verifiers = []
    seq = data.get("verifiers")
    for v, at in zip(seq or (), seq.item_at if isinstance(seq, Seq) else ()):
        if isinstance(v, str):
            verifiers.append(Verifier(id=v, where=at))
        else:
            verifiers.append(Verifier(**_refs("verifiers", v), finding=v.get("finding"),
                                      independent=int(v.get("independent", 1)), kinds=_kinds(v, "kinds"),
                                      where=v.where))
    tm = data.get("threat_model") or Map(data.where)
    threat = ThreatModel(**_refs("threat_model", tm), max=int(tm.get("max", 1)), where=tm.where)
    labels = tuple(Label(**_common(lab), **_refs("labels", lab)) for lab in section("labels"))
    budgets = tuple(Budget(**_common(b), total=_exact(b["total"]), period=_dur(b, "period"))
                    for b in section("budgets"))
    properties = tuple(
        PropertySpec(property=p["property"], params=_params(p), where=p.where)
        for p in section("properties"))
    claims = tuple(
        Claim(id=c["id"], text=" ".join(c["text"].split()),
              spec=PropertySpec(property=c["property"], params=_params(c), where=c.where),
              expect=c.get("expect", "holds"), sources=tuple(c.get("sources", ())),
              coalition=_scenario(c, "coalition"), failed=_scenario(c, "failed") or (), where=c.where)
        for c in section("claims"))
    return Regime(
        id=data["regime"], title=data.get("title"), description=data.get("description"),
        actors=actors, groups=groups, assets=assets, signatures=signatures, violations=violations,
        mechanisms=mechanisms, flows=flows, bodies=bodies, decisions=decisions, verifiers=tuple(verifiers),
        threat_model=threat, labels=labels, budgets=budgets, properties=properties, claims=claims,
        sources=tuple(data.get("sources", ())), sanction=_amount(data, "sanction"),
        false_alarm_cost=_amount(data, "false_alarm_cost") or Fraction(0), path=path, extends=extends, sha256=sha256,
    )
