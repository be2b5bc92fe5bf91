"""The networkx view of a regime."""

from verify.graph import dead_mechanisms, evidence_graph
from verify.model import Actor, Flow, Mechanism, Observation, Regime, Verifier


def regime(flows):
    return Regime(
        id="g",
        actors=(Actor(id="op", kind="agency"), Actor(id="mid", kind="agency"),
                Actor(id="judge", kind="agency"), Actor(id="boss", kind="state", controlled_by=())),
        mechanisms=(Mechanism(id="m", operator="op", observes=(Observation(signature="s"),)),),
        flows=tuple(flows),
        verifiers=(Verifier(id="judge"),),
    )


def test_edges_by_kind_and_flow_keys():
    r = regime([Flow(id="f1", source="op", target="mid"), Flow(id="f2", source="op", target="mid")])
    g = evidence_graph(r)
    assert g.nodes["m"]["type"] == "mechanism" and g.nodes["op"]["kind"] == "agency"
    assert g.has_edge("m", "op", key="m")
    # two flows between the same actors stay two edges
    assert sorted(k for _, _, k in g.out_edges("op", keys=True)) == ["f1", "f2"]


def test_a_mechanism_with_no_chain_to_a_verifier_is_dead():
    assert dead_mechanisms(regime([Flow(id="f1", source="op", target="mid")])) == ("m",)
    assert dead_mechanisms(regime([Flow(id="f1", source="op", target="mid"),
                                   Flow(id="f2", source="mid", target="judge")])) == ()
