"""The quick reader against libyaml's path.

``verify.load.quickyaml.scan`` reads the plain subset of YAML large designs
are written in, and must return exactly what ``parse(..., quick=False)``
returns (values, types, every Location, the node, element and NaN counts),
or None.  It must never return a tree for a text libyaml's path refuses:
that would turn an error into a design.  Here both readers take every
committed YAML file, generated designs of every benchmark family, and
thousands of texts mutated at random with YAML's own punctuation, under
the default limits and under tight ones.
"""

from __future__ import annotations

import dataclasses
import glob
import os
import random
from typing import Any

import pytest

from benchmarks.generate import linked, synthetic, to_yaml
from verify.errors import RegimeError
from verify.limits import DEFAULT, Limits
from verify.load.quickyaml import scan
from verify.load.yamlsrc import Map, Seq, parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _difference(a: Any, b: Any, path: str = "$") -> str | None:
    """Where ``a`` and ``b`` differ, or None if they are the same tree."""
    if type(a) is not type(b):
        return f"{path}: {type(a).__name__} against {type(b).__name__}"
    if isinstance(a, Map):
        for attr in ("where", "nan_count", "chain", "nodes", "elements"):
            if getattr(a, attr) != getattr(b, attr):
                return f"{path}: {attr} {getattr(a, attr)!r} against {getattr(b, attr)!r}"
        if list(a) != list(b):
            return f"{path}: keys {list(a)} against {list(b)}"
        for key in a:
            if a.key_at[key] != b.key_at[key] or a.value_at[key] != b.value_at[key]:
                return f"{path}.{key}: written at {a.key_at[key]}/{a.value_at[key]} " \
                       f"against {b.key_at[key]}/{b.value_at[key]}"
            found = _difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, Seq):
        if a.where != b.where or a.item_at != b.item_at or len(a) != len(b):
            return f"{path}: list at {a.where} {a.item_at} against {b.where} {b.item_at}"
        for n, (x, y) in enumerate(zip(a, b)):
            found = _difference(x, y, f"{path}[{n}]")
            if found:
                return found
        return None
    if a != b and not (a != a and b != b):  # NaN is the same NaN
        return f"{path}: {a!r} against {b!r}"
    return None


def _agree(text: str, file: str = "d.yaml", limits: Limits = DEFAULT, before: tuple[int, int] = (0, 0)) -> bool:
    """Whether the quick reader took ``text``; fails the test if it took
    it differently from libyaml's path, or took a text that path refuses.
    ``before``: the nodes and elements of the files it extends."""
    quick = scan(text, file, limits, *before)
    if quick is None:
        return False
    try:
        full = parse(text, file, limits, *before, quick=False)
    except RegimeError as e:
        pytest.fail(f"the quick reader took a text libyaml's path refuses ({e.diagnostics[0]}):\n{text}")
    found = _difference(full, quick)
    assert found is None, f"{found}\n{text}"
    return True


def test_every_committed_yaml_file_reads_the_same() -> None:
    files = sorted(glob.glob(os.path.join(ROOT, "designs", "*.yaml"))
                   + glob.glob(os.path.join(ROOT, "tests", "**", "*.yaml"), recursive=True))
    taken = 0
    for path in files:
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except UnicodeDecodeError:
            continue
        taken += _agree(text, os.path.relpath(path, ROOT))
    # Some hand-written designs wrap long plain text over lines, and go to
    # libyaml; the test designs are plainer.
    assert taken >= 100, taken


def test_block_scalars_are_taken_and_read_the_same() -> None:
    # The catalogue's prose and the committed designs' descriptions are
    # plain block scalars: every catalogue file is taken (no PyYAML for a
    # statement), and they read as libyaml's path reads them.
    for path in sorted(glob.glob(os.path.join(ROOT, "properties", "*.yaml"))):
        with open(path, encoding="utf-8") as fh:
            assert _agree(fh.read(), os.path.relpath(path, ROOT)), path
    assert _agree(_SEEDS[-1])
    # Shapes left to libyaml: an indicator, uneven or more indented lines,
    # an empty line inside, no final line break.
    for text in ("a: >-\n  x\n", "a: >2\n  x\n", "a: > # c\n  x\n", "a: |\n  x\n   y\n", "a: |\n   x\n  y\n",
                 "a: >\n  x\n\n  y\n", "a: |\n   x\n    \nb: c\n", "a: >\n  x", "a: >\nb: c\n", "a: >\n  x \n",
                 "a: |\n  #x\n"):
        assert scan(text, "d.yaml") is None, text


@pytest.mark.parametrize("doc", [synthetic(300, seed=3), synthetic(300, seed=4, pure=True), linked(300),
                                 synthetic(60, seed=2, agencies=1)], ids=["synthetic", "pure", "linked", "one-agency"])
def test_generated_designs_are_taken_and_read_the_same(doc: dict[str, Any]) -> None:
    assert _agree(to_yaml(doc))


def test_an_extending_file_records_its_own_counts() -> None:
    # parse counts a chain's nodes and elements against the limits from
    # what the bases hold, and the document records only its own.
    text = to_yaml(synthetic(60, seed=2))
    assert _agree(text, before=(1000, 100))
    alone = scan(text, "d.yaml")
    after = scan(text, "d.yaml", DEFAULT, 1000, 100)
    assert alone is not None and after is not None
    assert (after.nodes, after.elements) == (alone.nodes, alone.elements)


def test_a_large_design_is_taken_whole() -> None:
    # The flat {key: value, ...} lines are read by a short way of their own;
    # a design is taken only if every line fits one of the shapes.
    text = to_yaml(synthetic(1000, seed=7))
    assert scan(text, "d.yaml") is not None


# What a mutation inserts: YAML's punctuation and the shapes around it.
_PIECES = [":", ": ", ",", ", ", "-", "- ", "#", " #", "[", "]", "{", "}", "'", '"', "''", "&a ", "*a", "!x ",
           "|", ">", "?", "? ", "%", "@", "`", "\n", "\n  ", "\n- ", " ", "  ", "\t", "true", "null", "~", "1",
           "0x1F", "1e5", ".nan", ".inf", "-.inf", "1_000", "7d", "é", "—", "\u00a0", "\u2028", "\x85", "\ufeff",
           "a: b", "{a: b}", "[a, b]", "x:", "---", "...", "id", "id: x", "\\", "a b", "key: 'q'", 'k: "d"']

_SEEDS = [
    "regime: r\ntitle: A, B [draft]\nactors:\n- {id: a, kind: state}\n- id: b\n  kind: lab\n  controlled_by: a\n"
    "verifiers: [a, b,\n  c]\nflows:\n- {id: f, from: a, to: b, latency: 7d, mandatory: true}\n",
    "# comment\nregime: r  # trailing\nassets:\n  - id: x\n    sites: [s1, s2]\n    tags: {a: 1, b: 2.5, c: -3}\n"
    "threat_model: {max: 2}\nproperties:\n- property: detectability\n  params: {k: 1}\n",
    "a:\n  b:\n    c: 'it''s'\n    d: \"plain\"\n  e:\n  - [1, [2, {f: g}], {}]\n  - []\n  - -1\n- x\n",
    "regime: r\nsources:\n- IAEA INFCIRC/153, para. 28\n- 'Quoted: with colon'\nnote: ends here\n",
    # Block scalars: folded and literal, after a key and in a list, followed
    # by empty lines, a comment and a shallower key (issue 14: the property
    # catalogue and hand-written designs are read without libyaml).
    "regime: r\ndescription: >\n  Folded prose, a: colon\n  and # not a comment\n\nnotes:\n- |\n    line one\n"
    "    line two\n- id: x\n  text: >\n     deeper\n     still\n# after\nend: |\n  last\n",
]


def _mutate(text: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 3)):
        where = rng.randrange(len(text) + 1)
        move = rng.random()
        if move < 0.55:
            text = text[:where] + rng.choice(_PIECES) + text[where:]
        elif move < 0.8:
            text = text[:where] + text[where + rng.randint(1, 4):]
        else:  # indent or dedent a line
            lines = text.split("\n")
            n = rng.randrange(len(lines))
            lines[n] = "  " + lines[n] if rng.random() < 0.5 else lines[n][2:]
            text = "\n".join(lines)
    return text


def _limits(rng: random.Random) -> Limits:
    if rng.random() < 0.7:
        return DEFAULT
    return dataclasses.replace(DEFAULT, nodes=rng.randint(3, 60), elements=rng.randint(1, 6),
                               depth=rng.randint(2, 6), scalar_size=rng.randint(1, 20), digits=rng.randint(1, 3))


def _fuzz(rounds: int, seed: int) -> tuple[int, int]:
    rng = random.Random(seed)
    seeds = _SEEDS + [to_yaml(synthetic(40, seed=5)), to_yaml(linked(40))]
    taken = 0
    for _ in range(rounds):
        text = _mutate(rng.choice(seeds), rng)
        # As the last file of an extends chain, now and then: the limits
        # count the whole chain, the document records its own counts.
        before = (rng.randint(0, 40), rng.randint(0, 4)) if rng.random() < 0.3 else (0, 0)
        taken += _agree(text, "m.yaml", _limits(rng), before)
    return taken, rounds


def test_mutated_texts_read_the_same_or_go_to_libyaml() -> None:
    taken, rounds = _fuzz(3000, seed=14)
    # The test means something only if the quick reader takes some of the
    # mutants: about one in seven (most pieces inserted are punctuation
    # that sends a text to libyaml).
    assert taken >= rounds // 10, taken
    print(f"quick reader: {taken} of {rounds} mutated texts taken, all read as libyaml's path reads them")


@pytest.mark.slow
def test_mutated_texts_read_the_same_or_go_to_libyaml_at_length() -> None:
    taken, rounds = _fuzz(40000, seed=41)
    assert taken >= rounds // 10, taken
