"""The result cache (issue 14) never changes a verdict: on random regimes and
random one-field edits, a result answered through the cache equals the one
computed afresh (and the robustness margin, k* without each element
included, equals the brute-force oracle's), and edits that cannot matter to
a question are answered from disk."""

from __future__ import annotations

import os
import random
from dataclasses import replace
from functools import partial
from pathlib import Path

import pytest

from tests.test_agreement import random_regime
from verify import oracle
from verify.analyses.properties import run
from verify.cache import Cache, answered, complete, digest
from verify.model import PropertySpec, Regime
from verify.results import Result, Verdict

SPECS = [
    PropertySpec(property="detectability"),
    PropertySpec(property="non-circumventability", params=(("k", 1),)),
    PropertySpec(property="timeliness", params=(("T", 40), ("k", 1))),
    PropertySpec(property="fault-tolerance", params=(("f", 1),)),
    PropertySpec(property="attribution", params=(("k", 1),)),
    PropertySpec(property="robustness-margin"),
    PropertySpec(property="minimal-evasion-sets", params=(("K", 2),)),
]


def _edit(regime: Regime, rng: random.Random) -> Regime:
    """One field of one mechanism or flow, changed as an editor would
    (sometimes only its prose)."""
    if regime.mechanisms and rng.random() < 0.2:
        i = rng.randrange(len(regime.mechanisms))
        m = regime.mechanisms[i]
        new = replace(m, description=f"reworded {rng.random()}", sources=(*m.sources, "a citation"))
        return replace(regime, mechanisms=regime.mechanisms[:i] + (new,) + regime.mechanisms[i + 1:])
    if regime.flows and (not regime.mechanisms or rng.random() < 0.5):
        i = rng.randrange(len(regime.flows))
        f = regime.flows[i]
        field = rng.choice(["latency", "authenticated", "mandatory"])
        new = replace(f, latency=f.latency + rng.randint(1, 9)) if field == "latency" else \
            replace(f, **{field: not getattr(f, field)})
        return replace(regime, flows=regime.flows[:i] + (new,) + regime.flows[i + 1:])
    i = rng.randrange(len(regime.mechanisms))
    m = regime.mechanisms[i]
    field = rng.choice(["latency", "tamper_evident", "mandatory", "attributes"])
    new = replace(m, latency=m.latency + rng.randint(1, 9)) if field == "latency" else \
        replace(m, **{field: not getattr(m, field)})
    return replace(regime, mechanisms=regime.mechanisms[:i] + (new,) + regime.mechanisms[i + 1:])


def test_cached_results_equal_fresh_ones_on_random_edits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cache = Cache(tmp_path / "cache")
    compared = asked = 0
    for seed in range(50):
        rng = random.Random(seed)
        regime = random_regime(rng)
        if "v" not in regime.violation:
            continue
        versions = [regime]
        for _ in range(3):
            versions.append(_edit(versions[-1], rng))
        versions.append(regime)  # and back: the first answers again
        for r in versions:
            # The edits share every other element with the version before:
            # the digest kept element by element equals one taken afresh.
            assert cache.digest(r) == digest(r), seed
            for spec in SPECS:
                fresh = run(r, spec)
                got = answered(cache, r, spec, partial(run, r, spec))
                assert got == fresh, (seed, spec.property)
                compared += 1
                asked += 1
                if spec.property == "robustness-margin":
                    # And against the oracle, element by element, whichever
                    # path answered.
                    margin = got[0].figures
                    assert margin.kstar.plain() == oracle.robustness_margin(r, "v").k_star, seed
                    for element, kstar in margin.without:
                        assert kstar.plain() == oracle.robustness_margin(r.without(element), "v").k_star, \
                            (seed, element)
                        compared += 1
    # Both paths were taken: answers from disk, and questions re-solved.
    assert cache.hits > asked // 4 and cache.misses > asked // 4, (cache.hits, cache.misses)
    with capsys.disabled():
        print(f"\ncache agreement: {asked} answers through the cache equal fresh ones ({cache.hits} from disk, "
              f"{cache.misses} solved); {compared} comparisons with the oracle's margins included")


def test_prose_and_other_questions_are_answered_from_disk(tmp_path: Path) -> None:
    from verify.load import load

    regime = load(Path(__file__).resolve().parent.parent / "designs" / "flagship-ai-agreement.yaml")
    cache = Cache(tmp_path)
    spec = PropertySpec(property="non-circumventability", params=(("k", 2),))
    first = answered(cache, regime, spec, partial(run, regime, spec))
    # A citation fixed and a property list edited: the same question.
    m = regime.mechanisms[0]
    cited = replace(regime, mechanisms=(replace(m, sources=(*m.sources, "a new citation"),
                                                description="reworded"), *regime.mechanisms[1:]),
                    properties=regime.properties[:1])
    again = answered(cache, cited, spec, partial(run, cited, spec))
    assert (cache.hits, again) == (1, first)
    # A field an analysis reads: solved again.
    slower = replace(cited, mechanisms=(replace(m, latency=m.latency + 1), *regime.mechanisms[1:]))
    answered(cache, slower, spec, partial(run, slower, spec))
    assert (cache.hits, cache.misses) == (1, 2)


def test_a_damaged_file_is_a_miss_and_an_unknown_is_not_kept(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    regime = random_regime(random.Random(3))
    spec = SPECS[1]
    answered(cache, regime, spec, partial(run, regime, spec))
    files = [os.path.join(d, f) for d, _, fs in os.walk(tmp_path) for f in fs]
    assert len(files) == 1
    Path(files[0]).write_bytes(b"not a pickle")
    again = answered(cache, regime, spec, partial(run, regime, spec))
    assert cache.misses == 2 and again == run(regime, spec)
    unknown = [Result("detectability", (), "v", Verdict.UNKNOWN, "s", note="the solver gave no answer (time-out)")]
    assert not complete(unknown)
    assert not complete([replace(unknown[0], verdict=Verdict.HOLDS, note="the time budget ran out: ...")])
    assert complete([replace(unknown[0], verdict=Verdict.HOLDS, note="")])
