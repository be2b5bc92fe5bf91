"""Deep ``controlled_by`` chains: nothing on the way from the file to a
verdict may recurse along a chain of control.

A 1,200-level chain used to pass ``verify validate`` and crash ``verify
check`` with RecursionError (exit status 4).  The regime here is a chain of
5,000 actors, declared deepest first so that every look-up walks the whole
chain: ``a4999`` is controlled by ``a4998``, ..., by ``a0``.  The violation's
perpetrator and host is the bottom of the chain; a sealed log is run by an
actor half-way up, so the checker has to ask who controls it.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from verify.cli import main
from verify.errors import InvalidRegimeError
from verify.load import load
from verify.model import effective

N = 5_000
BOTTOM, MIDDLE, TOP = f"a{N - 1}", f"a{N // 2}", "a0"


def chain_regime(n: int = N, *, cycle: bool = False) -> str:
    lines = ["regime: deep-chain", "actors:"]
    for i in range(n - 1, 0, -1):
        lines.append(f"  - {{id: a{i}, kind: lab, controlled_by: a{i - 1}}}")
    # With `cycle`, the top is controlled by the bottom: one loop of n actors.
    lines.append(f"  - {{id: a0, kind: state, controlled_by: a{n - 1}}}" if cycle else "  - {id: a0, kind: state}")
    lines += [
        "  - {id: inspectorate, kind: inspectorate}",
        "assets:",
        f"  - {{id: site, host: a{n - 1}}}",
        "signatures:",
        "  - {id: compute, unit: FLOP}",
        "violations:",
        f"  - {{id: run, perpetrator: [a{n - 1}, a0], at: site, signatures: [{{signature: compute, magnitude: 1}}]}}",
        "mechanisms:",
        "  - {id: onsite, operator: inspectorate, observes: [compute], requires_access: host, mandatory: true}",
        f"  - {{id: logs, operator: a{n // 2}, observes: [compute], tamper_evident: true}}",
        "flows:",
        f"  - {{id: logs-report, from: a{n // 2}, to: inspectorate, mandatory: true}}",
        "verifiers: [inspectorate]",
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("deep") / "chain.yaml"
    path.write_text(chain_regime(), encoding="utf-8")
    return path


def cli(*argv: str) -> tuple[int, str]:
    stream = io.StringIO()
    status = main([str(a) for a in argv], stream)
    return status, stream.getvalue()


def test_the_chain_loads_and_control_is_transitive(chain):
    regime = load(chain)
    assert regime.controllers[BOTTOM] == frozenset(f"a{i}" for i in range(N - 1))
    assert regime.controllers[TOP] == frozenset()
    assert regime.closure(TOP) == frozenset(f"a{i}" for i in range(N))
    assert regime.closure(MIDDLE) == frozenset(f"a{i}" for i in range(N // 2, N))
    assert regime.controlled[BOTTOM] == frozenset()
    # Every actor's closure, as the engine asks for them all when every actor
    # may collude: right, and without keeping n²/2 ids alive.
    for i in range(0, N, 97):
        assert len(regime.closure(f"a{i}")) == N - i


def test_validate_accepts_the_chain(chain):
    status, out = cli("validate", chain)
    assert status == 0, out
    assert f"ok ({N + 1} actors" in out


def test_effective_on_the_chain(chain):
    regime, warnings = effective(load(chain))
    assert warnings == () and len(regime.actors) == N + 1


def test_a_cycle_closing_a_deep_chain_is_reported(tmp_path):
    path = tmp_path / "cycle.yaml"
    path.write_text(chain_regime(cycle=True), encoding="utf-8")
    with pytest.raises(InvalidRegimeError) as err:
        load(path)
    [d] = err.value.diagnostics
    assert d.code == "E022" and d.message.startswith("controlled_by forms a cycle: ")
    assert d.message.count(" -> ") == N  # every actor of the loop, and back to the first


@pytest.mark.parametrize("prop", ["detectability", "non-circumventability"])
def test_check_on_the_chain_gives_a_verdict(chain, prop):
    status, out = cli("check", chain, "-p", prop)
    assert status in (0, 1), out
    assert f"{prop}(run" in out
