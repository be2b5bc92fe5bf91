"""A one-line edit patched into the last model against a full load.

``verify.load.patch.patched`` makes the model of an edited design from the
last one (``verify watch``), or says None.  It must never give a model
that differs from what ``load`` gives for the same file -- not a field, not
a location, not the design's hash -- and never one for a file ``load``
refuses: that would turn an error into a design, or check a design other
than the one on disk.  Here random one-line edits (values that are valid,
invalid, out of bounds, other types; keys renamed; lines broken) of
generated designs and of every committed design are loaded both ways.
"""

from __future__ import annotations

import dataclasses
import glob
import os
import random

from benchmarks.generate import synthetic, to_yaml
from verify.errors import RegimeError
from verify.load import load
from verify.load.patch import FIELDS, Snapshot, patched
from verify.model import Regime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: Values an edit writes: durations, numbers and words, good and bad.
VALUES = ("0", "3d", "1.5h", "12h", "7", "-1d", "2.25d", "1e5", "5", "0.5", "1e101", ".nan", ".inf", "-3",
          "99999999999999999y", "1.0000001s", "x", "true", "null", "'7d'", '"3d"', "[1d]", "{a: 1}", "7d # c",
          "Some words", "", "'it''s'", "ok: no", "#", "30d ", "3 d", "org1", "f1")
KEYS = ("latency", "period", "notice", "cost", "intrusiveness", "name", "description", "from", "to", "via",
        "mandatory", "id", "operator", "latncy")


def _where(regime: Regime) -> list[object]:
    """Every element's location, section by section."""
    out: list[object] = []
    for f in dataclasses.fields(regime):
        value = getattr(regime, f.name)
        if isinstance(value, tuple):
            out += [(f.name, getattr(x, "where", None)) for x in value]
    return out


def _edit(rng: random.Random, line: str) -> str:
    """``line`` with one value, key or character changed: mostly a value
    of one of its keys, a good one for that key as often as a bad one."""
    roll = rng.random()
    pairs = [p.split(": ", 1) for p in line[line.find("{") + 1:line.rfind("}")].split(", ")] if "{" in line else []
    if pairs and all(len(p) == 2 for p in pairs) and roll < 0.7:
        known = [i for i, p in enumerate(pairs) if p[0] in GOOD]
        n = rng.choice(known) if known and rng.random() < 0.6 else rng.randrange(len(pairs))
        key = pairs[n][0]
        good = GOOD.get(key, ())
        pairs[n][1] = rng.choice(good) if good and rng.random() < 0.6 else rng.choice(VALUES)
        return line[:line.find("{") + 1] + ", ".join(": ".join(p) for p in pairs) + line[line.rfind("}"):]
    if ": " in line and roll < 0.8:
        return line.replace(": ", ": " + rng.choice(VALUES), 1) if roll < 0.75 else \
            line.replace(line.split(": ")[0].split()[-1].lstrip("{") + ":", rng.choice(KEYS) + ":", 1)
    pos = rng.randrange(len(line) + 1)
    return line[:pos] + rng.choice(["", " ", ",", ":", "}", "\t", "#", "é", "x"]) + line[pos + 1:]


#: Values a key takes in a valid design.
GOOD = {
    "latency": ("0", "3d", "1.5h", "12h", "30d", "1y", "0.25s"),
    "period": ("0", "7d", "90d", "1w", "2.5d"),
    "notice": ("0", "1d", "14d"),
    "cost": ("0", "1", "2.5", "100", "1e3"),
    "intrusiveness": ("0", "3", "0.5"),
    "name": ("A flow", "Inspectorate", "'quoted name'", "x"),
    "description": ("Free text", "more text here"),
}


def _compare(path: str, text: str, rng: random.Random, edits: int) -> tuple[int, int]:
    """Random one-line edits of ``text`` at ``path``, loaded both ways;
    (how many were patched, how many the full load took)."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    raw = text.encode()
    before = Snapshot(load(path), raw)
    lines = text.split("\n")
    # Mostly the lines a patch may take (items of the sections it knows,
    # prose), some of every other kind.
    wanted = [i for i, x in enumerate(lines) if x.lstrip().startswith("- {") or x.startswith(("title:", "desc"))]
    took = loaded = 0
    for _ in range(edits):
        i = rng.choice(wanted) if wanted and rng.random() < 0.85 else rng.randrange(len(lines))
        new = lines[:i] + [_edit(rng, lines[i])] + lines[i + 1:]
        new_raw = "\n".join(new).encode()
        with open(path, "wb") as fh:
            fh.write(new_raw)
        try:
            full: Regime | None = load(path)
        except RegimeError:
            full = None
        got = patched(before, new_raw)
        loaded += full is not None
        if got is None:
            continue
        took += 1
        assert full is not None, (path, i, new[i])
        assert got == full, (path, i, new[i])
        assert _where(got) == _where(full), (path, i, new[i])
        for name in ("path", "extends", "sha256", "title", "description"):
            assert getattr(got, name) == getattr(full, name), (path, i, new[i], name)
    return took, loaded


def test_patched_models_equal_full_loads(tmp_path):
    rng = random.Random(14)
    path = str(tmp_path / "design.yaml")
    took = loaded = 0
    for n, seed in ((30, 1), (60, 2)):
        t, ld = _compare(path, to_yaml(synthetic(n, seed=seed)), rng, 120)
        took, loaded = took + t, loaded + ld
    print(f"patch against full load: {took} one-line edits patched of {loaded} that load, 240 tried")
    # Not vacuous: a good share of the edits is patched, and of those the
    # full load takes, some are not (a field a patch may not change).
    assert took >= 40 and loaded > took, (took, loaded)


def test_committed_designs(tmp_path):
    """Hand-written designs (block style, comments, prose): whatever a patch
    takes must equal the full load."""
    rng = random.Random(7)
    took = 0
    for design in sorted(glob.glob(os.path.join(ROOT, "designs", "*.yaml"))):
        text = open(design, encoding="utf-8").read()
        if "extends:" in text:
            continue
        took += _compare(str(tmp_path / os.path.basename(design)), text, rng, 40)[0]
    print(f"patch against full load, committed designs: {took} edits patched")
    assert took > 0, "no edit of a committed design was patched: nothing compared"


def test_what_no_patch_takes(tmp_path):
    path = str(tmp_path / "design.yaml")
    text = to_yaml(synthetic(20, seed=4))
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    before = Snapshot(load(path), text.encode())
    line = next(x for x in text.split("\n") if "latency:" in x and "- {id: f" in x)
    assert "latency" in FIELDS["flows"]
    # One value of a field a patch may change: patched.
    assert patched(before, text.replace(line, line.replace("latency: ", "latency: 1", 1)).encode()) is not None
    # Two lines, a line added, a reference, carriage returns: not.
    two = text.replace(line, line.replace("latency: ", "latency: 1", 1)).replace("title: ", "title: A ", 1)
    assert patched(before, two.encode()) is None
    assert patched(before, (text + "\n").encode()) is None
    assert patched(before, text.replace(line, line.replace("to: ", "to: x", 1)).encode()) is None
    assert patched(before, text.replace("\n", "\r\n").encode()) is None


def test_a_line_of_quoted_text_that_reads_like_the_title(tmp_path):
    """libyaml reads a double-quoted text on over lines at column 0: a line
    ``title: X`` inside the description is not the title, and editing it
    changes the description only."""
    path = str(tmp_path / "design.yaml")
    lines = to_yaml(synthetic(20, seed=4)).split("\n")
    at = next(i for i, x in enumerate(lines) if x.startswith("title:"))
    lines[at:at + 1] = ['description: "A treaty', "title: X", 'and more"', "title: X"]
    text = "\n".join(lines)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    before = Snapshot(load(path), text.encode())
    assert before.regime.title == "X" and "title: X" in (before.regime.description or "")
    edited = text.replace("title: X\nand", "title: Y\nand", 1)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(edited)
    full = load(path)
    assert full.title == "X" and "title: Y" in (full.description or "")
    got = patched(before, edited.encode())
    assert got is None or (got == full and got.description == full.description and got.title == full.title)
    # The real title line is patched, and the key lines found are kept.
    real = text.replace('and more"\ntitle: X', 'and more"\ntitle: Z', 1)
    got = patched(before, real.encode())
    assert got is not None and got.title == "Z" and before.keys["title"] == at + 4


def test_check_through_the_cache_as_a_process_equals_a_full_load(tmp_path, monkeypatch):
    """``verify check --cache``: each run recalls the model the last one
    kept for the file and patches the edit into it (verify.cli._common.
    recalled).  Over a chain of random one-line edits, some refused, some
    undone, its report and exit status equal a run without the cache, and
    the patch path is taken (and the unchanged file's kept model used)."""
    import importlib
    from io import StringIO

    from verify.cli import main

    patch_module = importlib.import_module("verify.load.patch")

    took = []
    real = patch_module.patched

    def counting(before: Snapshot, raw: bytes) -> Regime | None:
        got = real(before, raw)
        took.append(got is not None)
        return got

    monkeypatch.setattr(patch_module, "patched", counting)
    rng = random.Random(3)
    path = str(tmp_path / "design.yaml")
    cache = str(tmp_path / "cache")
    text = to_yaml(synthetic(30, seed=5))
    lines = text.split("\n")
    wanted = [i for i, x in enumerate(lines) if x.lstrip().startswith("- {") or x.startswith("title:")]
    runs = 0
    for step in range(40):
        if step % 7 == 6:
            now = lines  # the last version that loaded, unchanged or back again
        else:
            i = rng.choice(wanted)
            line = lines[i]
            if "latency: " in line and rng.random() < 0.6:  # a good value, as most saves are
                old = line.split("latency: ", 1)[1].split(",")[0].rstrip("}")
                line = line.replace(f"latency: {old}", f"latency: {rng.choice(GOOD['latency'])}", 1)
            else:
                line = _edit(rng, line)
            now = lines[:i] + [line] + lines[i + 1:]
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("\n".join(now))
        outs = []
        for extra in (["--cache", cache], []):
            out, err = StringIO(), StringIO()
            status = main(["check", path, "--format", "json", *extra], out, err)
            outs.append((status, out.getvalue(), err.getvalue()))
        assert outs[0] == outs[1], (step, "\n".join(now))
        runs += 1
        if outs[0][0] != 2:
            lines = now  # the edit stays, and the next one is made on it
    print(f"check --cache against no cache: {runs} runs, {sum(took)} patched")
    assert sum(took) >= 10, took


def test_a_damaged_or_foreign_kept_model_is_loaded_again(tmp_path):
    """What the cache keeps for a file is only ever a shortcut: a damaged
    file in its folder, or one kept by another build of the tool, is
    ignored and the design loaded whole."""
    from io import StringIO

    from verify.cache import Cache
    from verify.cli import main

    path = str(tmp_path / "design.yaml")
    cache = tmp_path / "cache"
    text = to_yaml(synthetic(20, seed=4))
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    first = StringIO()
    assert main(["check", path, "--format", "json", "--cache", str(cache)], first, StringIO()) == 0
    kept = list((cache / "kept").iterdir())
    assert len(kept) == 1
    kept[0].write_bytes(b"not a pickle")
    again = StringIO()
    assert main(["check", path, "--format", "json", "--cache", str(cache)], again, StringIO()) == 0
    assert again.getvalue() == first.getvalue()
    # The run above kept the model again; another build of the tool (a
    # different stamp of its source) does not find it.
    from verify.limits import DEFAULT

    name = repr(("design", os.path.normpath(path), DEFAULT))
    assert isinstance(Cache(cache).recall(name), Snapshot)
    other = Cache(cache)
    other._tool = {**Cache(cache).tool, "source": "another build"}
    assert other.recall(name) is None


def test_a_patched_model_is_kept_as_its_change_to_the_last_whole_one(tmp_path):
    """After a one-line edit, ``verify check --cache`` keeps the patched
    model as its change to the model last kept whole (a small file beside
    it), and recalling gives the full load of the file as it is now.  A
    damaged change is ignored (the whole model kept before is recalled, and
    the next run patches or loads from there); an edit that is not patched
    keeps its model whole again, and the change before it is dropped."""
    from io import StringIO

    from verify.cache import Cache
    from verify.cli import main
    from verify.limits import DEFAULT

    path = str(tmp_path / "design.yaml")
    cache = tmp_path / "cache"
    name = repr(("design", os.path.normpath(path), DEFAULT))
    text = to_yaml(synthetic(60, seed=8))

    def run(now: str) -> str:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(now)
        outs = []
        for extra in (["--cache", str(cache)], []):
            out = StringIO()
            assert main(["check", path, "--format", "json", *extra], out, StringIO()) in (0, 1)
            outs.append(out.getvalue())
        assert outs[0] == outs[1]
        return outs[0]

    def kept() -> tuple[int, int | None]:
        files = {p.name.endswith(".since.pickle"): p.stat().st_size for p in (cache / "kept").iterdir()}
        return files[False], files.get(True)

    run(text)
    whole, since = kept()
    assert since is None
    flows = [line for line in text.split("\n") if line.startswith("- {id: f") and "latency: " in line]
    for step, line in enumerate(flows[:3]):
        old = line.split("latency: ", 1)[1].split(",")[0].rstrip("}")
        text = text.replace(line, line.replace(f"latency: {old}", f"latency: {step + 40}d", 1), 1)
        run(text)
        assert kept()[0] == whole and kept()[1] is not None and kept()[1] < whole
        got = Cache(cache).recall(name)
        assert isinstance(got, Snapshot) and got.raw == text.encode()
        full = load(path)
        assert got.regime == full and got.regime.flows[flows.index(line)].where == full.flows[flows.index(line)].where
    # A prose edit reads where the top-level keys are written, once: what
    # it found is kept with the change, for the next prose edit.
    text = text.replace("title: ", "title: Version 2 of ", 1)
    run(text)
    got = Cache(cache).recall(name)
    assert isinstance(got, Snapshot) and got.regime == load(path) and got.keys.get("title")
    # A damaged change: the whole model is recalled, and a check still
    # equals one without the cache.
    since_file = next(p for p in (cache / "kept").iterdir() if p.name.endswith(".since.pickle"))
    since_file.write_bytes(since_file.read_bytes()[:-40])
    got = Cache(cache).recall(name)
    assert isinstance(got, Snapshot) and got.raw != text.encode()
    line = flows[4]
    text = text.replace(line, line.replace("latency: ", "latency: 1", 1), 1)
    run(text)
    # Two lines at once are not patched: kept whole, the change dropped.
    text = text.replace(flows[5], flows[5].replace("latency: ", "latency: 2", 1), 1)
    text = text.replace(flows[6], flows[6].replace("latency: ", "latency: 2", 1), 1)
    run(text)
    assert kept()[1] is None
    got = Cache(cache).recall(name)
    assert isinstance(got, Snapshot) and got.raw == text.encode() and got.regime == load(path)


def test_a_recheck_imports_only_what_it_uses(tmp_path):
    """A check that graph bounds settle never imports z3, one of a design
    the quick reader takes never imports PyYAML, and a re-check of an
    unchanged file through the cache imports neither nor the loader
    (issue 14: each was a tenth or a twentieth of a re-check as a
    process); a check the solver answers does import z3."""
    import subprocess
    import sys

    path = str(tmp_path / "design.yaml")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(to_yaml(synthetic(60, seed=7, pure=True)))
    code = ("import sys; from verify.cli import main; status = main(sys.argv[1:]); "
            "print(status, sorted(m for m in sys.modules if m.split('.')[0] in ('yaml', 'z3') "
            "or m in ('verify.load.validate', 'verify.load.yamlsrc')), file=sys.stderr)")

    def modules(*argv: str) -> str:
        done = subprocess.run([sys.executable, "-c", code, "check", path, "-q", *argv], capture_output=True,
                              text=True, cwd=ROOT, timeout=120)
        return done.stderr.strip().splitlines()[-1]

    cache = str(tmp_path / "cache")
    first = modules("--cache", cache)
    status = first.split()[0]
    # The first check loads the design, by the quick reader: no PyYAML,
    # for the design or for the catalogue's statements.
    assert status in ("0", "1") and "'verify.load.validate'" in first, first
    assert "'yaml" not in first and "'z3" not in first, first
    assert modules("--cache", cache) == f"{status} []"
    # A design whose graph is not pure, asked about more colluders than its
    # routes can prove: the solver answers.
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(to_yaml(synthetic(60, seed=7)))
    solver = modules("--property", "non-circumventability", "--violation", "covert-run", "-k", "40")
    assert "'z3'" in solver, solver
