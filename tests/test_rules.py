"""The rules compile_rules builds without the dataclasses' ``__init__``.

``_rule`` and ``_guard`` fill an object's fields directly (the frozen
``__init__`` cost a third of compiling 10,000 actors' rules).  They must make
the very objects the constructors make: every field set, none added, equal,
with the same hash and text, and pickled and unpickled alike.  Should a
field be added to Rule or Guard, or either class gain slots or a
``__post_init__``, these tests fail rather than the rules silently lacking it.
"""

from __future__ import annotations

import dataclasses
import pickle
import random

from test_agreement import random_regime
from verify.engine import compile_rules
from verify.engine.rules import Guard, Rule, RuleKind, _guard, _rule
from verify.model import effective


def _fields(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def test_the_classes_are_what_the_factories_assume():
    for cls in (Rule, Guard):
        assert "__slots__" not in vars(cls) and not hasattr(cls, "__post_init__"), cls


def test_factories_make_what_the_constructors_make():
    g = _guard(frozenset({"a"}), frozenset({"b"}), frozenset({"c"}), frozenset({"a", "f"}), frozenset({"v"}))
    want_g = Guard(frozenset({"a"}), frozenset({"b"}), frozenset({"c"}), frozenset({"a", "f"}), frozenset({"v"}))
    assert set(vars(g)) == _fields(Guard)
    assert g == want_g and hash(g) == hash(want_g) and repr(g) == repr(want_g)
    r = _rule(("a", "S", ""), ("b", "S", ""), 3, g, None, RuleKind.PASS, "f")
    want = Rule(("a", "S", ""), ("b", "S", ""), 3, want_g, None, RuleKind.PASS, "f")
    assert set(vars(r)) == _fields(Rule)
    assert r == want and hash(r) == hash(want) and repr(r) == repr(want)
    assert pickle.loads(pickle.dumps(r)) == want
    try:
        r.delay = 4  # type: ignore[misc]
    except dataclasses.FrozenInstanceError:
        pass
    else:
        raise AssertionError("a rule made by _rule is not frozen")


def test_compiled_rules_equal_constructed_ones():
    """On random regimes (every element type, flows mandatory, relayed and
    gated), every compiled rule and guard equals one built by its class."""
    seen = 0
    for seed in range(40):
        regime, _ = effective(random_regime(random.Random(seed)))
        for p in regime.violation["v"].perpetrators:
            for fold in (False, True):
                for r in compile_rules(regime, "v", p, fold=fold).rules:
                    g = r.guard
                    rebuilt = Rule(r.src, r.dst, r.delay, Guard(g.honest, g.corrupt, g.any_corrupt, g.working,
                                                                g.passes), r.limit, r.kind, r.element)
                    assert set(vars(r)) == _fields(Rule) and set(vars(g)) == _fields(Guard)
                    assert r == rebuilt and hash(r) == hash(rebuilt), (seed, r)
                    seen += 1
    assert seen > 1000
