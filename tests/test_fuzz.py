"""Fuzzing (issue 11, item 5): hypothesis mutates the reference designs
(drops, adds and retypes fields, points references at the wrong ids,
writes huge and odd numbers, plants control and bidirectional characters,
nests, repeats, corrupts the text itself) and builds command lines from the
commands' options and hostile values; whatever it makes:

- the exit status is 0, 1, 2 or 3: never 4 (an internal error; in-process a
  crash is an exception escaping ``main``, which fails the test with its
  traceback);
- no traceback and no raw control or bidirectional character reaches
  either stream;
- with exit 2 nothing is written (no ``-o`` file, nothing in the folder).

The run is bounded for CI (a fixed number of examples, derandomized so that
CI is repeatable); ``VERIFY_FUZZ_EXAMPLES=N`` multiplies every budget by N
and ``VERIFY_FUZZ_RANDOM=1`` draws new inputs on each run, for a longer hunt.
The number of inputs tried is printed.  Every crash found becomes a file in
tests/data/hostile/ (tests/test_broken_corpus.py).  atheris, where it is
installed, drives the loader with raw bytes as well (:func:`test_atheris`).
"""

from __future__ import annotations

import io
import math
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from verify.cli import main  # noqa: E402
from verify.safety import is_unsafe  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DESIGNS = sorted((ROOT / "designs").glob("*.yaml"))
SCALE = max(1, int(os.environ.get("VERIFY_FUZZ_EXAMPLES", "1") or 1))


def _settings(examples: int) -> settings:
    return settings(max_examples=examples * SCALE, deadline=None, database=None,
                    derandomize=not os.environ.get("VERIFY_FUZZ_RANDOM"),
                    suppress_health_check=list(HealthCheck), print_blob=True)


@pytest.fixture(scope="module")
def originals() -> list[dict[str, Any]]:
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in DESIGNS]


# ---------------------------------------------------------------- values

HOSTILE_TEXT = ["\x1b[32mHOLDS\x1b[0m", "FAILS\rHOLDS", "a\u202eb", "\u2066x\u2069", "x\x00y", "a\nb", "30d\n",
                "\ufeff", "\u2028", "\x85", "\x9b31m", "é", "ﬁ", "A" * 300, "", " ", "-", "~", "null", "yes",
                "*", "&a", "!!python/name:os.system", "{a: 1}", "[", "../../etc/passwd", "/dev/zero", "%s%n",
                "host", "perpetrator"]
HOSTILE_NUMBERS: list[Any] = [0, -1, 1, 2, 2**31 - 1, 2**31, 2**32, 2**32 + 1, 2**63, 2**64, 10**9, 10**9 + 1,
                              10**30, 10**400, -(10**400), 1e26, 1e308, 1e-320, -0.0, 0.5, 4.0, math.inf, -math.inf,
                              math.nan, True, False]
FIELDS = ["id", "kind", "name", "controlled_by", "host", "owner", "operator", "observes", "at", "period", "latency",
          "notice", "mandatory", "authenticated", "tamper_evident", "requires_access", "triggered_by", "from", "to",
          "members", "approve", "block", "perpetrator", "signatures", "signature", "magnitude", "threshold",
          "detection_probability", "cost", "property", "violation", "k", "f", "K", "T", "direct", "expect", "text",
          "extends", "remove", "max", "verifiers", "threat_model", "status", "unit", "$schema", "<<", "titel"]


def scalars() -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(HOSTILE_TEXT), st.sampled_from(HOSTILE_NUMBERS), st.none(),
                     st.text(max_size=12), st.integers(min_value=-(2**70), max_value=2**70),
                     st.floats(allow_nan=True, allow_infinity=True),
                     st.from_regex(r"[0-9]{1,4}(\.[0-9])?(s|min|h|d|w|y|days|)", fullmatch=True))


def values() -> st.SearchStrategy[Any]:
    return st.recursive(scalars(), lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(FIELDS), inner, max_size=4)), max_leaves=8)


# ---------------------------------------------------------------- mutating a design

def _containers(doc: Any) -> list[Any]:
    """Every list and mapping of ``doc``, outermost first (a loop, no recursion)."""
    out, todo = [], [doc]
    while todo:
        node = todo.pop()
        if isinstance(node, (dict, list)):
            out.append(node)
            todo.extend(node.values() if isinstance(node, dict) else node)
    return out


def _ids(doc: Any) -> list[str]:
    return sorted({c["id"] for c in _containers(doc) if isinstance(c, dict) and isinstance(c.get("id"), str)})


@st.composite
def mutated(draw: st.DrawFn, originals: list[dict[str, Any]]) -> str:
    """The text of a reference design after a few mutations."""
    import copy

    doc = copy.deepcopy(draw(st.sampled_from(originals)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        containers = _containers(doc)
        node = draw(st.sampled_from(containers))
        op = draw(st.sampled_from(["drop", "add", "retype", "reference", "number", "control", "repeat", "nest",
                                   "empty"]))
        if isinstance(node, dict):
            keys = sorted(node, key=str)
            key = draw(st.sampled_from(keys)) if keys else draw(st.sampled_from(FIELDS))
            if op == "drop" and keys:
                del node[key]
            elif op == "add":
                node[draw(st.sampled_from(FIELDS))] = draw(values())
            elif op == "retype":
                node[key] = draw(values())
            elif op == "reference":
                ids = _ids(doc) or ["nobody"]
                node[key] = draw(st.one_of(st.sampled_from(ids), st.sampled_from(ids).map(lambda i: i[::-1]),
                                           st.lists(st.sampled_from(ids), max_size=3)))
            elif op == "number":
                node[key] = draw(st.sampled_from(HOSTILE_NUMBERS))
            elif op == "control":
                node[key] = str(node.get(key, "")) + draw(st.sampled_from(HOSTILE_TEXT))
            elif op == "nest":
                node[key] = [[[node.get(key)]]]
            elif op == "empty":
                node[key] = draw(st.sampled_from([[], {}, "", None]))
            elif op == "repeat" and isinstance(node.get(key), list) and node[key]:
                node[key].append(copy.deepcopy(node[key][0]))
        elif isinstance(node, list):
            if op == "drop" and node:
                del node[draw(st.integers(min_value=0, max_value=len(node) - 1))]
            elif op == "repeat" and node:
                node.append(copy.deepcopy(draw(st.sampled_from(node))))
            elif op in ("reference", "control") and node:
                i = draw(st.integers(min_value=0, max_value=len(node) - 1))
                node[i] = (str(node[i]) + draw(st.sampled_from(HOSTILE_TEXT)) if op == "control"
                           else draw(st.sampled_from(_ids(doc) or ["nobody"])))
            else:
                node.append(draw(values()))
    text = yaml.safe_dump(doc, allow_unicode=draw(st.booleans()), sort_keys=False, width=10_000)
    if draw(st.booleans()):  # damage the text itself, where YAML is read
        at = draw(st.integers(min_value=0, max_value=len(text)))
        piece = draw(st.sampled_from(["\t", "\x1b", "\x00", "&a ", "*a", "!!set ", "[", "{", "}", ": ", "- ",
                                      "\n  ", "'", '"', "#", "---\n", "%TAG ! x\n", "? ", "|", ">", "\ufeff",
                                      "\u202e"]))
        text = text[:at] + piece + text[at:]
    return text


def _unsafe(text: str) -> list[str]:
    return sorted({hex(ord(c)) for c in text if c != "\n" and is_unsafe(c)})


def _run(argv: list[str], stdin: bytes = b"") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    try:
        status = main(argv, out, err)
    finally:
        sys.stdin = old
    return status, out.getvalue(), err.getvalue()


def _check_outcome(status: int, out: str, err: str, folder: Path, before: set[str], where: str) -> None:
    assert status in (0, 1, 2, 3), f"exit {status} for {where}:\n{err}"
    assert "Traceback" not in err and "internal error" not in err, err
    assert not _unsafe(out) and not _unsafe(err), (_unsafe(out), _unsafe(err), where)
    if status == 2:
        assert {p.name for p in folder.iterdir()} == before, f"exit 2 wrote something for {where}"


# ---------------------------------------------------------------- the tests

def test_mutated_designs_never_crash(originals, tmp_path_factory, capsys, record_property):
    """validate and check (one property, so that a valid mutant is checked
    quickly) on mutated reference designs."""
    tried: list[str] = []

    @_settings(120)
    @given(text=mutated(originals), command=st.sampled_from(["validate", "validate", "check", "render", "claims"]))
    def one(text: str, command: str) -> None:
        folder = tmp_path_factory.mktemp("fuzz")
        path = folder / "design.yaml"
        path.write_text(text, encoding="utf-8")
        before = {"design.yaml"}
        tried.append(command)
        if command == "check":
            argv = ["check", str(path), "-p", "non-circumventability", "-k", "1", "--timeout", "5",
                    "--format", "json", "-o", str(folder / "out.json")]
        elif command == "render":
            argv = ["render", str(path), "-o", str(folder / "out.dot")]
        elif command == "claims":
            argv = ["claims", str(path), "--timeout", "5", "-o", str(folder / "claims.txt")]
        else:
            argv = ["validate", str(path), "-o", str(folder / "report.txt")]
        status, out, err = _run(argv)
        _check_outcome(status, out, err, folder, before, command)
        assert path.read_text(encoding="utf-8") == text  # the input is never changed

    one()
    record_property("fuzz_designs", len(tried))
    with capsys.disabled():
        print(f"\nfuzz: {len(tried)} mutated designs tried "
              f"({', '.join(f'{c} {tried.count(c)}' for c in sorted(set(tried)))}), no crash")
    assert len(tried) >= 50


MINI = """\
regime: mini
actors:
  - {id: alpha, kind: state}
  - {id: lab, kind: lab, controlled_by: alpha}
  - {id: iai, kind: inspectorate}
assets: [{id: dc, host: alpha}]
signatures: [{id: compute, unit: FLOP}]
violations:
  - {id: covert, perpetrator: lab, at: dc, signatures: [{signature: compute, magnitude: 1e25}]}
mechanisms:
  - {id: logs, operator: iai, observes: [compute], period: 30d}
verifiers: [iai]
properties:
  - {property: detectability}
"""

OPTIONS = ["-p", "--property", "-k", "-f", "-K", "-T", "--violation", "--direct", "--timeout", "--as-is",
           "--format", "-o", "--output", "-q", "-v", "--allow-extends", "--limit", "--help", "-h", "--",
           "--version", "--nonsense", "-"]
WORDS = ["detectability", "non-circumventability", "timeliness", "fault-tolerance", "robustness-margin",
         "minimal-evasion-sets", "covert", "text", "json", "sarif", "junit", "github", "30d", "0", "1", "-1",
         "4294967296", "1e26", "99999999999999999999", "nan", "inf", "0.001", "1e9", "file-size=1",
         "depth=9999", "nodes=1k", "elements=0", "x=1", "bash", "zsh", "fish", "/", "/dev/zero",
         "/dev/null", "\x1b[31mFAILS", "a\u202eb", "", " ", "out.svg", "out.png", "out.dot", "out.pdf",
         "design.yaml", "missing.yaml", "folder", "my-regime"]


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from(["validate", "check", "claims", "render", "schema", "new", "completion",
                                    "chekc", "", "-V", "--help"]))
    rest = draw(st.lists(st.one_of(st.sampled_from(OPTIONS), st.sampled_from(WORDS), st.text(max_size=6)),
                         max_size=7))
    if command in ("validate", "check", "claims", "render") and draw(st.booleans()):
        rest.append("design.yaml")
    return [command, *rest]


def test_command_lines_never_crash(tmp_path_factory, capsys, record_property, monkeypatch):
    tried: list[list[str]] = []

    @_settings(250)
    @given(argv=command_lines())
    def one(argv: list[str]) -> None:
        folder = tmp_path_factory.mktemp("cli")
        (folder / "design.yaml").write_text(MINI, encoding="utf-8")
        (folder / "folder").mkdir()
        (folder / "folder" / "d.yaml").write_text(MINI, encoding="utf-8")
        before = {p.name for p in folder.iterdir()}
        monkeypatch.chdir(folder)
        # A solver call's time stays bounded whatever the arguments say.
        argv = [a for a in argv]
        if argv[0] in ("check", "claims"):
            argv += ["--timeout", "5"]
        tried.append(argv)
        status, out, err = _run(argv, stdin=MINI.encode())
        # `new` writes a starter with exit 0; nothing else may write on exit 2.
        _check_outcome(status, out, err, folder, before, repr(argv))
        assert (folder / "design.yaml").read_text(encoding="utf-8") == MINI

    one()
    record_property("fuzz_command_lines", len(tried))
    with capsys.disabled():
        print(f"\nfuzz: {len(tried)} command lines tried, no crash")
    assert len(tried) >= 100


ATHERIS = """
import sys
import atheris

with atheris.instrument_imports():
    from verify.errors import RegimeError
    from verify.load.yamlsrc import parse


def one(data: bytes) -> None:
    try:
        parse(data.decode("utf-8", errors="replace"), "fuzz.yaml")
    except RegimeError:
        pass


atheris.Setup([sys.argv[0], "-runs=" + sys.argv[1], "-max_len=4096"], one)
atheris.Fuzz()
"""


def test_atheris(tmp_path):
    """Raw bytes into the YAML reader, where atheris is installed (optional:
    it is not on PyPI for every Python).  In a subprocess: atheris ends the
    process it runs in."""
    pytest.importorskip("atheris")
    import subprocess

    done = subprocess.run([sys.executable, "-c", ATHERIS, str(5000 * SCALE)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]
