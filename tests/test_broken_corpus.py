"""Every file in tests/data/broken/ is a regime with a known mistake, and
every file in tests/data/hostile/ one written to harm (issue 11): counts
that would wrap in the solver, control and bidirectional characters, bases
outside the folder or on devices, alias bombs, deep nesting, huge numbers,
odd durations, unsafe tags, repeated ids in variants.  Larger hostile files
(a 1,000,000-actor design, files beyond each limit) are generated at test
time, in :func:`generated`.

Each file starts with comment lines stating what ``verify validate`` must
report::

    # expect: E020 14:11 refers to unknown actor 'alpah'
    # expect: E020 14:11 did you mean 'alpha'?
    # expect: E013 bases/other.yaml:31:28 probability outside [0, 1]

that is: the code, where (``line:col`` in the file itself, or
``relative/path:line:col`` for an error that lies in a file it extends) and a
fragment that must appear in that diagnostic (its message, found, expected or
hint lines).  Several lines for one code and place all describe one
diagnostic; the run must report exactly the diagnostics listed, no more.
"""

from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path

import pytest

from verify.cli import main

BROKEN = Path(__file__).parent / "data" / "broken"
HOSTILE = Path(__file__).parent / "data" / "hostile"
CORPUS = sorted([*BROKEN.glob("*.yaml"), *HOSTILE.glob("*.yaml")])
CYCLE = sorted((BROKEN / "extends_cycle").glob("*.yaml"))

_EXPECT = re.compile(r"#\s*expect:\s*(E\d{3})\s+(?:(\S+):)?(\d+):(\d+)(?:\s+(.*))?$")
_DIAG = re.compile(r"^(.+):(\d+):(\d+): error: (E\d{3}) (.*)$")


def expectations(path: Path) -> dict[tuple[str, int, int, str], list[str]]:
    """(file, line, column, code) -> the fragments that diagnostic must contain."""
    out: dict[tuple[str, int, int, str], list[str]] = {}
    # The header is ASCII; the rest may not even be UTF-8 (hostile/latin1_bytes.yaml).
    for line in path.read_bytes().decode("utf-8", errors="replace").splitlines():
        if not line.startswith("#"):
            break  # the header ends at the first line that is not a comment
        m = _EXPECT.match(line)
        if m:
            code, file, ln, col, fragment = m.groups()
            where = os.path.normpath(path.parent / file) if file else str(path)
            out.setdefault((where, int(ln), int(col), code), []).append((fragment or "").strip())
    return out


def diagnostics(output: str) -> dict[tuple[str, int, int, str], str]:
    """(file, line, column, code) -> the diagnostic's text, detail lines included."""
    out: dict[tuple[str, int, int, str], str] = {}
    key = None
    for line in output.splitlines():
        m = _DIAG.match(line)
        if m:
            file, ln, col, code, message = m.groups()
            key = (file, int(ln), int(col), code)
            assert key not in out, f"one diagnostic printed twice:\n{output}"
            out[key] = message
        elif line.startswith("    ") and key is not None:
            out[key] += "\n" + line.strip()
        else:
            key = None
    return out


def run(argv: list[str]) -> tuple[int, str]:
    stream = io.StringIO()
    status = main(argv, stream)
    return status, stream.getvalue()


def check_validate(path: Path) -> None:
    expected = expectations(path)
    assert expected, f"{path.name} states no '# expect:' line"
    status, output = run(["validate", str(path)])
    assert "Traceback" not in output
    assert status == 2, output
    found = diagnostics(output)
    for key, fragments in expected.items():
        file, line, col, code = key
        assert key in found, f"expected {file}:{line}:{col}: error {code}; got:\n{output}"
        for fragment in fragments:
            assert fragment in found[key], f"{fragment!r} missing from {code} at {line}:{col}:\n{found[key]}"
    assert set(found) == set(expected), f"unexpected diagnostics:\n{output}"
    n = len(expected)
    assert output.rstrip().endswith(f"{n} error{'s' if n != 1 else ''}")


def test_corpus_is_large_enough():
    assert len(list(BROKEN.glob("*.yaml"))) >= 25
    assert len(list(HOSTILE.glob("*.yaml"))) >= 90
    assert len(CORPUS) + len(CYCLE) >= 100
    assert len(CYCLE) == 2


def test_every_corpus_file_states_its_expectations():
    for path in [*CORPUS, *CYCLE]:
        assert expectations(path), path.name


@pytest.mark.parametrize("path", CORPUS, ids=[f"{p.parent.name}/{p.stem}" for p in CORPUS])
def test_validate_reports_the_expected_errors(path: Path):
    check_validate(path)


@pytest.mark.parametrize("path", CYCLE, ids=[p.name for p in CYCLE])
def test_extends_cycle(path: Path):
    check_validate(path)


@pytest.mark.parametrize("path", CORPUS, ids=[f"{p.parent.name}/{p.stem}" for p in CORPUS])
def test_render_refuses_broken_regimes(path: Path, tmp_path: Path):
    pytest.importorskip("verify.cli.render")
    out = tmp_path / "out.svg"
    status, output = run(["render", str(path), "-o", str(out)])
    assert "Traceback" not in output
    assert status == 2, output
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- the acceptance run (issue 11)
#
# Every corpus file, and every file generated below, through every command
# that reads a design, with -o: exit 2, a diagnostic at file:line:col, no
# traceback, no raw control or bidirectional character on either stream,
# nothing written, the input unchanged, each run within 10 s, and the whole
# run within 300 MB.  The runs happen in one fresh interpreter (so that its
# peak memory is theirs, not pytest's), in-process there (an interpreter per
# run would cost more than the runs).

#: (name, expected code, line, column, fragment): what ``verify validate``
#: reports on each generated file.  Line 0: the fragment alone is checked.
GENERATED = [
    ("million_actors", "E007", 1, 1, "bytes, more than the limit file-size"),
    ("nine_megabytes_of_comments", "E007", 1, 1, "more than the limit file-size"),
    ("sixty_thousand_actors", "E007", 50003, 5, "more than 50000 elements"),
    ("property_repeated_by_alias", "E003", 10, 0, "aliases expand beyond the size budget"),
    ("verifier_repeated_by_alias", "E007", 5, 0, "more than 50000 elements"),
    ("six_hundred_thousand_nodes", "E007", 2, 0, "more than 500000 YAML nodes"),
    ("extends_chain_of_forty", "E007", 2, 10, "a chain of more than 32 bases"),
    ("title_of_seventy_thousand", "E007", 2, 8, "a scalar of 70000 characters"),
    ("key_of_seventy_thousand", "E007", 2, 3, "a scalar of 70000 characters"),
    ("extends_symlink_to_passwd", "E033", 2, 10, "a link that leads outside the design's folder"),
    ("extends_fifo", "E033", 2, 10, "not a regular file (a FIFO)"),
    # did-you-mean for each against every id was quadratic: 76 s here.
    ("thousand_misspelt_ids_among_three_thousand", "E020", 3005, 24, "operator refers to unknown actor"),
]

MINI = "regime: x\nactors:\n  - {id: a, kind: state}\n  - {id: i, kind: inspectorate}\n"


def _write_generated(folder: Path) -> dict[str, Path]:
    """The generated hostile files, each in a folder of its own (a chain or
    a FIFO beside it); name -> the design to run."""
    out: dict[str, Path] = {}

    def design(name: str, text: str) -> Path:
        (folder / name).mkdir(parents=True)
        path = folder / name / "design.yaml"
        path.write_text(text, encoding="utf-8")
        out[name] = path
        return path

    design("million_actors", "regime: million\nactors:\n"
           + "".join(f"  - {{id: a{i}, kind: state}}\n" for i in range(1_000_000)))
    design("nine_megabytes_of_comments", MINI + ("# " + "c" * 98 + "\n") * 94_000)
    design("sixty_thousand_actors", "regime: many\nactors:\n"
           + "".join(f"  - {{id: a{i}, kind: state}}\n" for i in range(60_000)))
    design("property_repeated_by_alias", MINI + "signatures: [{id: s}]\nassets: [{id: d, host: a}]\n"
           "violations: [{id: v, perpetrator: a, at: d, signatures: [{signature: s, magnitude: 1}]}]\n"
           "mechanisms: [{id: m, operator: i, observes: [s]}]\nverifiers: [i]\n"
           "properties: [&p {property: robustness-margin}, " + ", ".join(["*p"] * 60_000) + "]\n")
    design("verifier_repeated_by_alias", MINI + "verifiers: [&v i, " + ", ".join(["*v"] * 60_000) + "]\n")
    design("six_hundred_thousand_nodes", "regime: x\ndescription: [[" + ",".join(["a"] * 600_000) + "]]\n")
    chain = design("extends_chain_of_forty", "regime: r0\nextends: r1.yaml\n")
    for i in range(1, 40):
        (chain.parent / f"r{i}.yaml").write_text(f"regime: r{i}\nextends: r{i + 1}.yaml\n", encoding="utf-8")
    (chain.parent / "r40.yaml").write_text(MINI, encoding="utf-8")
    design("title_of_seventy_thousand", "regime: x\ntitle: " + "t" * 70_000 + "\n")
    # an explicit key: a plain one is at most 1024 characters in YAML
    design("key_of_seventy_thousand", "regime: x\n? " + "k" * 70_000 + "\n: 1\n")
    design("thousand_misspelt_ids_among_three_thousand",
           "regime: x\nactors:\n" + "".join(f"  - {{id: actor-{i:05d}-x, kind: state}}\n" for i in range(3000))
           + "signatures: [{id: s}]\nmechanisms:\n"
           + "".join(f"  - {{id: m{i}, operator: actr-{i:05d}-y, observes: [s]}}\n" for i in range(1000)))
    link = design("extends_symlink_to_passwd", "regime: x\nextends: base.yaml\n")
    os.symlink("/etc/passwd", link.parent / "base.yaml")
    fifo = design("extends_fifo", "regime: x\nextends: base.yaml\n")
    if hasattr(os, "mkfifo"):
        os.mkfifo(fifo.parent / "base.yaml")
    return out


_WORKER = r'''
import hashlib, io, json, os, sys, time
from verify.cli import main
from verify.safety import is_unsafe

jobs = json.load(sys.stdin)
results = []
for path, out_dir in jobs:
    before = hashlib.sha256(open(path, "rb").read()).hexdigest() if os.path.isfile(path) else None
    for argv in (["validate", path, "-o", os.path.join(out_dir, "report.txt")],
                 ["check", path, "--format", "json", "-o", os.path.join(out_dir, "report.json")],
                 ["claims", path, "-o", os.path.join(out_dir, "claims.txt")],
                 ["render", path, "-o", os.path.join(out_dir, "drawing.dot")]):
        out, err = io.StringIO(), io.StringIO()
        started = time.perf_counter()
        try:
            status = main(argv, out, err)
        except BaseException as e:  # an internal error: reported, never raised here
            status, err = 4, io.StringIO(f"Traceback: {type(e).__name__}: {e}")
        seconds = time.perf_counter() - started
        text = out.getvalue() + err.getvalue()
        results.append({"path": path, "command": argv[0], "status": status, "seconds": seconds,
                        "stdout": out.getvalue(), "stderr": err.getvalue()[:4000],
                        "unsafe": sorted({hex(ord(c)) for c in text if c != "\n" and is_unsafe(c)}),
                        "written": sorted(os.listdir(out_dir))})
    after = hashlib.sha256(open(path, "rb").read()).hexdigest() if os.path.isfile(path) else None
    results[-1]["changed"] = before != after
try:
    with open("/proc/self/status") as fh:
        peak = int(next(line.split()[1] for line in fh if line.startswith("VmHWM:"))) // 1024
except OSError:
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(json.dumps({"results": results, "peak_mb": peak}))
'''

ROOT = Path(__file__).resolve().parent.parent


def _listing(folder: Path) -> list[tuple[str, int, int]]:
    return sorted((str(p), p.lstat().st_size, p.lstat().st_mtime_ns) for p in folder.rglob("*"))


def test_every_hostile_file_is_refused_quickly_in_bounded_memory_writing_nothing(tmp_path, capsys,
                                                                                record_property):
    import json
    import subprocess
    import sys

    generated = _write_generated(tmp_path / "generated")
    files = [*CORPUS, *CYCLE, *generated.values()]
    outs = tmp_path / "outs"
    jobs = []
    for i, path in enumerate(files):
        (outs / str(i)).mkdir(parents=True)
        jobs.append([str(path), str(outs / str(i))])
    data_before = _listing(BROKEN.parent)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _WORKER], input=json.dumps(jobs), capture_output=True, text=True,
                          timeout=600, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "VERIFY_LIMITS": ""})
    wall = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    results = report["results"]
    assert len(results) == 4 * len(files)
    for r in results:
        where = f"{r['command']} {r['path']}:\n{r['stderr']}"
        assert r["status"] == 2, where
        assert "Traceback" not in r["stderr"] and "internal error" not in r["stderr"], where
        assert re.search(r":\d+:\d+: error: E\d{3} ", r["stderr"]), where
        assert r["unsafe"] == [], where
        assert r["written"] == [], where
        assert r["stdout"] == "", where
        assert r["seconds"] < 10, where
    assert not any(r.get("changed") for r in results)
    assert _listing(BROKEN.parent) == data_before  # nothing written or changed beside the corpus either
    assert report["peak_mb"] < 300, report["peak_mb"]
    # Each generated file gets the refusal it is about, where it is about.
    by_path = {(r["path"], r["command"]): r["stderr"] for r in results}
    for name, code, line, col, fragment in GENERATED:
        path = generated[name]
        err = by_path[(str(path), "validate")]
        if name == "extends_fifo" and not hasattr(os, "mkfifo"):
            continue
        if name in ("extends_chain_of_forty",):
            where = str(path.parent / "r32.yaml")
        else:
            where = str(path)
        m = re.search(rf"^{re.escape(where)}:(\d+):(\d+): error: {code} (.*)$", err, re.M)
        assert m and fragment in m.group(3), (name, err)
        assert "--limit" in err or code != "E007", err
        if line:
            assert int(m.group(1)) == line, (name, err)
            if col:
                assert int(m.group(2)) == col, (name, err)
    slowest = max(results, key=lambda r: r["seconds"])
    n = len(files)
    summary = (f"hostile corpus: {n} files ({len(CORPUS) + len(CYCLE)} committed, {len(generated)} generated), "
               f"{len(results)} runs, slowest {slowest['seconds']:.2f} s ({slowest['command']} "
               f"{Path(slowest['path']).name}), peak {report['peak_mb']} MB, {wall:.1f} s in all")
    record_property("hostile_corpus_files", n)
    with capsys.disabled():
        print(f"\n{summary}")
