"""The regime as a networkx graph, for analyses that are plain graph questions.

Nodes are actors, decision bodies and mechanisms (attribute ``type``); edges
(a MultiDiGraph, attribute ``kind``) are ``observe`` (mechanism to its
operator), ``flow`` (sender to receiver, one edge per flow, keyed by its id,
with its relays in ``via``), ``trigger`` (trigger to the mechanism it starts)
and ``control`` (controller to controlled).  No scenario is applied: this is
what *could* carry evidence, not what does.
"""

from __future__ import annotations

import networkx as nx

from verify.model import Regime

__all__ = ["evidence_graph", "dead_mechanisms"]


def evidence_graph(regime: Regime) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph(regime=regime.id)
    for a in regime.actors:
        g.add_node(a.id, type="actor", kind=a.kind)
    for b in regime.bodies:
        g.add_node(b.id, type="body")
    for m in regime.mechanisms:
        g.add_node(m.id, type="mechanism", kind=m.kind)
        g.add_edge(m.id, m.operator, key=m.id, kind="observe")
        if m.triggered_by:
            g.add_edge(m.triggered_by, m.id, key=f"{m.id}:trigger", kind="trigger")
    for f in regime.flows:
        g.add_edge(f.source, f.target, key=f.id, kind="flow", via=f.via, latency=f.latency,
                   mandatory=f.mandatory, authenticated=f.authenticated)
    for a in regime.actors:
        for c in a.controlled_by:
            g.add_edge(c, a.id, key=f"{c}>{a.id}", kind="control")
    return g


def dead_mechanisms(regime: Regime) -> tuple[str, ...]:
    """Mechanisms from which no chain of flows (and triggers) reaches any
    verifier: whatever they see, nobody who counts ever hears of it."""
    g = evidence_graph(regime)
    carry = nx.DiGraph()
    carry.add_nodes_from(g.nodes)
    carry.add_edges_from((u, v) for u, v, d in g.edges(data=True) if d["kind"] in ("observe", "flow", "trigger"))
    verifiers = {v.id for v in regime.verifiers}
    reach_verifier = set(verifiers)
    for v in verifiers:
        if v in carry:
            reach_verifier |= nx.ancestors(carry, v)
    return tuple(m.id for m in regime.mechanisms if m.id not in reach_verifier)
