"""Synthetic regimes for benchmarks: N actors with a realistic shape.

A realistic regime: a few states, each compelling its labs, clouds and
institutes; chip firms whose tamper-evident logs cover every site; labs that
declare their own compute; agencies that inspect when a council orders it;
whistle-blower NGOs; and reporting flows with a fan-out of about three,
drawn towards the agencies.  A *pure-graph* regime keeps only what a vertex
cut can answer: no control, no votes, no access, no triggers, no mandatory
flows.

    python benchmarks/generate.py 10000 -o /tmp/big.yaml [--pure] [--seed 1]
"""

from __future__ import annotations

import argparse
import random

import yaml

__all__ = ["synthetic", "linked", "council", "candidates", "to_yaml"]


def synthetic(n: int, seed: int = 1, pure: bool = False, fanout: int = 3, agencies: int | None = None) -> dict:
    """A regime document (plain data, as a YAML file would hold it)."""
    rng = random.Random(seed)
    n_states = max(3, n // 20)
    n_agencies = agencies or max(2, n // 200)
    n_chip = max(1, n // 500)
    n_ngo = max(1, n // 50)
    rest = max(1, n - n_states - n_agencies - n_chip - n_ngo)
    states = [f"state{i}" for i in range(n_states)]
    agencies = [f"agency{i}" for i in range(n_agencies)]
    chips = [f"chip{i}" for i in range(n_chip)]
    ngos = [f"ngo{i}" for i in range(n_ngo)]
    others = [f"org{i}" for i in range(rest)]
    kinds = ["lab", "cloud", "safety-institute", "laboratory"]

    actors = [{"id": s, "kind": "state"} for s in states]
    actors += [{"id": a, "kind": "agency"} for a in agencies]
    actors += [{"id": c, "kind": "chip-firm"} for c in chips]
    actors += [{"id": g, "kind": "ngo"} for g in ngos]
    home: dict[str, str] = {}
    for i, o in enumerate(others):
        entry = {"id": o, "kind": kinds[i % len(kinds)]}
        if not pure and rng.random() < 0.6:
            home[o] = rng.choice(states)
            entry["controlled_by"] = home[o]
        actors.append(entry)

    perp = others[0]
    host = home.get(perp, states[0])
    doc: dict = {
        "regime": f"synthetic-{n}{'-pure' if pure else ''}",
        "title": f"Synthetic regime with {n} actors",
        "actors": actors,
        "assets": [{"id": "site", "host": host, "owner": perp}],
        "signatures": [{"id": "compute", "unit": "FLOP"}, {"id": "power", "unit": "MW"}],
        "violations": [{
            "id": "covert-run", "perpetrator": perp, "at": "site",
            "signatures": [{"signature": "compute", "magnitude": 1e26, "persists": "180d"},
                           {"signature": "power", "magnitude": 40, "conceal": "2d"}],
        }],
    }

    mechanisms = []
    for c in chips:
        mechanisms.append({"id": f"log-{c}", "kind": "logging", "operator": c,
                           "observes": [{"signature": "compute", "threshold": 1e25}],
                           "tamper_evident": True, "period": "7d"})
    for g in ngos[: max(1, len(ngos) // 4)]:
        mechanisms.append({"id": f"wb-{g}", "kind": "whistleblower", "operator": g,
                           "observes": ["compute"], "latency": "14d"})
    for o in others[: max(1, len(others) // 10)]:
        mechanisms.append({"id": f"decl-{o}", "kind": "declaration", "operator": o,
                           "observes": ["compute"], "period": "30d"})
    if not pure:
        for a in agencies:
            mechanisms.append({"id": f"insp-{a}", "kind": "inspection", "operator": a,
                               "observes": ["power"], "at": ["site"], "requires_access": "host",
                               "mandatory": True, "triggered_by": "council", "notice": "1d",
                               "latency": "5d"})
    doc["mechanisms"] = mechanisms

    everyone = states + agencies + chips + ngos + others
    index = {a: i for i, a in enumerate(everyone)}
    flows = []
    for i, src in enumerate(everyone):
        for j in range(fanout):
            dst = rng.choice(agencies) if rng.random() < 0.3 else rng.choice(everyone)
            if dst == src:
                continue
            flow = {"id": f"f{i}-{j}", "from": src, "to": dst, "latency": f"{rng.randint(0, 10)}d"}
            if not pure:
                flow["mandatory"] = rng.random() < 0.3
                flow["authenticated"] = rng.random() < 0.5
                if rng.random() < 0.1:
                    flow["via"] = _other(everyone, index, src, dst, rng.randrange(len(everyone) - 2))
            flows.append(flow)
    if not pure:
        for a in agencies:
            flows.append({"id": f"report-{a}", "from": a, "to": "council", "latency": "7d",
                          "mandatory": True, "authenticated": True})
        members = states[: min(len(states), 15)]
        doc["bodies"] = [{"id": "council", "members": members, "approve": len(members) // 2 + 1,
                          "recused": "perpetrator", "latency": "14d"}]
        doc["verifiers"] = agencies + ["council"]
    else:
        doc["verifiers"] = agencies
    doc["flows"] = flows
    doc["threat_model"] = {"max": 2}
    doc["properties"] = [{"property": "non-circumventability", "k": 2}]
    return doc


def _other(everyone: list[str], index: dict[str, int], src: str, dst: str, k: int) -> str:
    """The k-th of ``everyone`` but src and dst: what ``rng.choice`` of that
    list picks for the same draw (it draws ``randrange(len)``), without
    building a list per flow, which made 100,000 actors quadratic."""
    for skip in sorted((index[src], index[dst])):
        if k >= skip:
            k += 1
    return everyone[k]


def linked(n: int, links: int = 10, seed: int = 5) -> dict:
    """A pure-graph regime with one agency that nobody can corrupt (it is
    not among the colluders), then ``links`` ``controlled_by`` links from
    labs to states: no longer a pure graph, so no exact cut, and every
    route ends at the one agency (issue 14's "ten-link family")."""
    doc = synthetic(n, seed=seed, pure=True, fanout=2, agencies=1)
    rng = random.Random(seed + 1)
    states = [a["id"] for a in doc["actors"] if a["kind"] == "state"]
    orgs = [a for a in doc["actors"] if a["id"].startswith("org") and a["id"] != "org0"]
    for a in rng.sample(orgs, links):
        a["controlled_by"] = rng.choice(states)
    doc["regime"] = f"linked-{n}"
    doc["threat_model"] = {"max": 2, "colluders": [a["id"] for a in doc["actors"] if a["kind"] != "agency"]}
    return doc


def council(n: int, block: int | None = None, approve: int | None = None) -> dict:
    """A challenge inspection before an ``n``-member council of interchangeable
    states: a requesting state's national means see the violation, its request
    reaches the inspectorate unless the council blocks it (``block`` votes) or
    fails to approve it (``approve`` votes); the inspected state is a member,
    recused.  The question is pure counting: how
    many members must collude to stop the request."""
    members = [f"member{i:03d}" for i in range(1, n + 1)]
    vote: dict = {"block": block} if block is not None else {"approve": approve or (2 * n + 2) // 3}
    return {
        "regime": f"council{n}",
        "actors": ([{"id": "state-x", "kind": "state"}, {"id": "requesting-state", "kind": "state"},
                    {"id": "secretariat", "kind": "inspectorate"}]
                   + [{"id": m, "kind": "state"} for m in members]),
        "assets": [{"id": "site", "host": "state-x"}],
        "signatures": [{"id": "sig"}],
        "violations": [{"id": "v", "perpetrator": "state-x", "at": "site",
                        "signatures": [{"signature": "sig", "magnitude": 1}]}],
        "mechanisms": [
            {"id": "national-means", "operator": "requesting-state", "observes": ["sig"]},
        ],
        "flows": [
            {"id": "request", "from": "requesting-state", "to": "secretariat", "via": ["council"]},
        ],
        "bodies": [{"id": "council", "members": ["state-x", *members], **vote, "recused": "perpetrator",
                    "latency": "12h"}],
        "verifiers": ["secretariat"],
        "threat_model": {"colluders": members, "max": 2},
        "properties": [{"property": "non-circumventability", "k": 2}],
    }


def candidates(n: int, options: int, k: int = 2, seed: int = 3) -> dict:
    """``synthetic(n)`` whose observing mechanisms are candidates: up to
    ``options`` of them (chip logs, whistle-blowers, then declarations), each
    with a random cost from 1 to 20; the others are dropped, the agencies'
    inspections stay in force.  Beyond the mechanisms there are, the flows
    out of the candidates' operators become candidates too (cost 1 to 5), up
    to ``options`` in all.  Non-circumventability with ``k`` is to hold: the
    input of ``verify optimise``."""
    rng = random.Random(seed)
    doc = synthetic(n, seed=7)
    order = sorted((m for m in doc["mechanisms"] if m["kind"] != "inspection"),
                   key=lambda m: (m["kind"] != "logging", m["kind"] != "whistleblower"))
    picked = order[:options]
    for m in picked:
        m["optional"] = True
        m["cost"] = rng.randint(1, 20)
    operators = {m["operator"] for m in picked}
    extra = options - len(picked)
    for f in doc["flows"]:
        if extra <= 0:
            break
        if f["from"] in operators:
            f["optional"] = True
            f["cost"] = rng.randint(1, 5)
            extra -= 1
    doc["mechanisms"] = picked + [m for m in doc["mechanisms"] if m["kind"] == "inspection"]
    doc["regime"] = f"candidates-{n}-{options}"
    doc["properties"] = [{"property": "non-circumventability", "k": k}]
    return doc


def to_yaml(doc: dict) -> str:
    # libyaml's emitter when present (the same text, five times faster: a
    # 100,000-actor regime took minutes with the pure-Python one).
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return "# yaml-language-server: $schema=../verify/schema/regime.schema.json\n" + yaml.dump(
        doc, Dumper=dumper, sort_keys=False, default_flow_style=None, width=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--pure", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with open(args.output, "w", encoding="utf-8") as fh:
        fh.write(to_yaml(synthetic(args.n, args.seed, args.pure)))


if __name__ == "__main__":
    main()
