"""Limits (issue 11, item 4; docs/limits.md): each limit refuses a design
just beyond it with exit status 2, a diagnostic at file:line:col that names
the limit and says how to raise it, and lets the same design through once
raised (``--limit NAME=VALUE``, ``VERIFY_LIMITS``, or ``Limits`` in Python);
a 1,000,000-actor design is refused quickly and in little memory; the
defaults let every design of the repository and of the test data through."""

from __future__ import annotations

import dataclasses
import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import verify
from verify.cli import main
from verify.errors import RegimeError
from verify.limits import DEFAULT, DEPTH_CEILING, NAMES, LimitError, Limits, from_environment, parse_limit

ROOT = Path(__file__).resolve().parent.parent

BASE = """\
regime: demo
actors:
  - {id: alpha, kind: state}
  - {id: iai, kind: inspectorate}
signatures: [{id: heu}]
mechanisms:
  - {id: seals, operator: iai, observes: [heu]}
verifiers: [iai]
"""


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main([str(a) for a in argv], out, err)
    return status, out.getvalue(), err.getvalue()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def refused(path: Path, limit: str, line: int, col: int, *options: str, code: str = "E007",
            at: Path | None = None) -> str:
    """Validate ``path``: exit 2, one diagnostic at line:col (of ``at``, by
    default ``path``) naming ``limit`` and the option that raises it; the
    diagnostic's text."""
    status, out, err = cli("validate", *options, path)
    assert status == 2, err
    assert out == ""
    assert "Traceback" not in err
    assert re.search(rf"^{re.escape(str(at or path))}:{line}:{col}: error: {code} ", err, re.M), err
    assert f"--limit {limit}=" in err
    assert f"limit {limit} is " in err, err
    assert err.rstrip().endswith("1 error"), err
    return err


# ---------------------------------------------------------------- each limit, just beyond and raised

def test_file_size_is_refused_from_the_size_and_raised_with_the_option(tmp_path):
    path = write(tmp_path / "r.yaml", BASE)
    size = path.stat().st_size
    err = refused(path, "file-size", 1, 1, "--limit", f"file-size={size - 1}")
    assert f"the file is {size} bytes" in err
    assert f"--limit file-size={size}" in err  # the suggestion is what the file needs
    assert cli("validate", "--limit", f"file-size={size}", path)[0] == 0


def test_elements_are_counted_as_read_and_across_extends(tmp_path):
    path = write(tmp_path / "r.yaml", BASE)
    # 2 actors, 1 signature, 1 mechanism, 1 verifier: the fifth element is `iai` on line 8
    refused(path, "elements", 8, 13, "--limit", "elements=4")
    assert cli("validate", "--limit", "elements=5", path)[0] == 0
    write(tmp_path / "v.yaml", "regime: v\nextends: r.yaml\nactors: [{id: beta, kind: state}]\n")
    # the variant's one, then the base's five: the sixth is the base's last
    refused(tmp_path / "v.yaml", "elements", 8, 13, "--limit", "elements=5", at=path)
    assert cli("validate", "--limit", "elements=6", tmp_path / "v.yaml")[0] == 0


def test_nodes_are_counted_with_what_aliases_repeat(tmp_path):
    path = write(tmp_path / "r.yaml", BASE.replace("verifiers: [iai]", "verifiers: [iai]\nsources: &s [a, b, c]\n"
                                                   "description: *s"))
    n = _nodes(path)
    # The alias on line 10 repeats four nodes (a list of three): the last ones.
    refused(path, "nodes", 10, 14, "--limit", f"nodes={n - 1}")
    refused(path, "nodes", 10, 14, "--limit", f"nodes={n - 4}")
    refused(path, "nodes", 10, 1, "--limit", f"nodes={n - 5}")  # the key before the alias
    status, _, err = cli("validate", "--limit", f"nodes={n}", path)
    assert "E007" not in err


def _nodes(path: Path) -> int:
    from verify.load.yamlsrc import parse

    return parse(path.read_text(encoding="utf-8"), str(path)).nodes


def test_depth_beyond_the_limit_is_e001_and_names_the_limit(tmp_path):
    path = write(tmp_path / "r.yaml", BASE + "sources: [[[[x]]]]\n")
    refused(path, "depth", 9, 13, "--limit", "depth=4", code="E001")
    status, _, err = cli("validate", "--limit", "depth=5", path)
    assert "E001" not in err


def test_depth_cannot_be_raised_beyond_what_the_validator_survives(tmp_path):
    status, _, err = cli("validate", "--limit", f"depth={DEPTH_CEILING + 1}", tmp_path / "r.yaml")
    assert status == 2 and "cannot be raised beyond" in err
    with pytest.raises(ValueError):
        Limits(depth=DEPTH_CEILING + 1)
    # At the ceiling, a document nested as deep as allowed is refused or
    # diagnosed, never an internal error (the schema validator recurses).
    d = DEPTH_CEILING - 1
    for text in (f"regime: x\nsources: {'[' * d}{']' * d}\n", f"regime: x\ndescription: {'{a: ' * d}1{'}' * d}\n",
                 f"regime: x\nextends: {'[' * d}{']' * d}\n"):
        path = write(tmp_path / "deep.yaml", text)
        for command in ("validate", "check"):
            status, _, err = cli(command, "--limit", f"depth={DEPTH_CEILING}", path)
            assert status == 2 and "internal error" not in err and "E001" not in err, err


def test_alias_bytes_count_what_the_alias_repeats(tmp_path):
    big = "x" * 1000
    path = write(tmp_path / "r.yaml", BASE + f"description: &d {big}\ntitle: *d\n")
    refused(path, "alias-bytes", 10, 8, "--limit", "alias-bytes=1000", code="E003")
    assert cli("validate", "--limit", "alias-bytes=1001", path)[0] == 0


def test_one_huge_string_repeated_is_refused_once_a_megabyte_is_repeated(tmp_path):
    big = "x" * 60_000
    path = write(tmp_path / "r.yaml", BASE + f"description: &d {big}\nsources: [{', '.join(['*d'] * 3000)}]\n")
    # 16 aliases repeat 960,016 bytes; the 17th would pass 1,000,000
    err = refused(path, "alias-bytes", 10, 11 + 16 * 4, code="E003")
    assert big not in err


def test_extends_depth(tmp_path):
    write(tmp_path / "r3.yaml", BASE)
    for i in range(3):
        write(tmp_path / f"r{i}.yaml", f"regime: r{i}\nextends: r{i + 1}.yaml\n")
    # refused where the third base is named, before it is read
    refused(tmp_path / "r0.yaml", "extends-depth", 2, 10, "--limit", "extends-depth=2", at=tmp_path / "r2.yaml")
    assert cli("validate", "--limit", "extends-depth=3", tmp_path / "r0.yaml")[0] == 0


def test_digits_of_integers_and_floats(tmp_path):
    for value, line_col in (("12345", (9, 21)), ("1.2345", (9, 21)), ("0x12345", (9, 21)), ("1.2e345", (9, 21))):
        path = write(tmp_path / "r.yaml", BASE + f"threat_model: {{max: {value}}}\n")
        err = refused(path, "digits", *line_col, "--limit", "digits=4", code="E013")
        assert "--limit digits=40" in err


def test_scalar_size(tmp_path):
    path = write(tmp_path / "r.yaml", BASE + "title: " + "t" * 101 + "\n")
    err = refused(path, "scalar-size", 9, 8, "--limit", "scalar-size=100")
    assert "t" * 41 not in err  # the scalar is quoted at most 40 characters
    assert cli("validate", "--limit", "scalar-size=101", path)[0] == 0


def test_stdin_is_read_no_further_than_the_file_size_limit(tmp_path):
    done = subprocess.run([sys.executable, "-m", "verify", "validate", "--limit", "file-size=100", "-"],
                          input=BASE.encode() * 1000, capture_output=True, timeout=30,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2
    assert b"<stdin>:1:1: error: E007 the file is more than 100 bytes" in done.stderr


# ---------------------------------------------------------------- how limits are set

def test_every_command_that_reads_designs_takes_limit(tmp_path):
    path = write(tmp_path / "r.yaml", BASE)
    for argv in (["validate"], ["check"], ["claims"], ["render", "-o", str(tmp_path / "out.dot")]):
        status, out, err = cli(*argv, "--limit", "file-size=10", path)
        assert status == 2 and "E007" in err, (argv, err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.yaml"]


def test_the_environment_sets_limits_and_the_option_wins(tmp_path, monkeypatch):
    path = write(tmp_path / "r.yaml", BASE)
    monkeypatch.setenv("VERIFY_LIMITS", "file-size=10, elements=1")
    status, _, err = cli("validate", path)
    assert status == 2 and "limit file-size is 10 bytes" in err
    assert cli("validate", "--limit", "file-size=1Mi", "--limit", "elements=1k", path)[0] == 0
    monkeypatch.setenv("VERIFY_LIMITS", "nodes=many")
    status, _, err = cli("validate", path)
    assert status == 2 and "VERIFY_LIMITS" in err and "not NAME=VALUE" in err


@pytest.mark.parametrize("setting, message", [
    ("filesize=1", "did you mean 'file-size'?"),
    ("depth", "not NAME=VALUE"),
    ("depth=-1", "not NAME=VALUE"),
    ("depth=0", "at least 1"),
    ("nodes=1e9", "not NAME=VALUE"),
    ("nodes=\x1b[31m", "\\x1b"),
])
def test_a_bad_setting_is_a_usage_error(tmp_path, setting, message):
    path = write(tmp_path / "r.yaml", BASE)
    status, out, err = cli("validate", "--limit", setting, path)
    assert status == 2 and out == ""
    assert message in err and "\x1b" not in err
    with pytest.raises(LimitError):
        parse_limit(setting)


def test_settings_and_suffixes():
    assert parse_limit("file-size=64Mi") == ("file_size", 64 * 1024 * 1024)
    assert parse_limit("NODES=2M") == ("nodes", 2_000_000)
    assert parse_limit("alias_bytes=1_000k") == ("alias_bytes", 1_000_000)
    assert from_environment({"VERIFY_LIMITS": "digits=5 depth=7,"}) == dataclasses.replace(DEFAULT, digits=5, depth=7)
    assert from_environment({}) == DEFAULT
    assert NAMES == tuple(f.name.replace("_", "-") for f in dataclasses.fields(Limits))


def test_the_python_api_takes_limits(tmp_path):
    path = write(tmp_path / "r.yaml", BASE)
    with pytest.raises(RegimeError) as info:
        verify.load(path, limits=Limits(elements=2))
    assert [d.code for d in info.value.diagnostics] == ["E007"]
    assert verify.load(path, limits=Limits(elements=5)).id == "demo"


# ---------------------------------------------------------------- the defaults

def test_the_defaults_let_every_design_and_test_design_through():
    designs = sorted((ROOT / "designs").glob("*.yaml"))
    broken = sorted((ROOT / "tests" / "data").rglob("*.yaml"))
    assert len(designs) >= 4
    for path in designs:
        # No design is refused for a limit (a design being edited elsewhere
        # may be invalid for other reasons for a while).
        status, _, err = cli("validate", path)
        assert re.findall(r"limit ([a-z-]+) is ", err) == [], err
    assert cli("validate", ROOT / "designs" / "flagship-ai-agreement.yaml")[0] == 0
    for path in broken:  # broken designs: whatever they break, it is no limit but the one they are about
        if "hostile" in path.parts:
            continue  # the hostile corpus is about limits too (test_broken_corpus.py)
        status, _, err = cli("validate", path)
        limits = re.findall(r"limit ([a-z-]+) is ", err)
        assert limits in ([], ["digits"]), (path, err)


def _actors(n: int) -> str:
    return "regime: million\nactors:\n" + "".join(f"  - {{id: a{i}, kind: state}}\n" for i in range(n))


# The peak memory of this process alone: VmHWM, as ru_maxrss on Linux keeps
# the peak of the process that forked it (pytest, which built the file).
MEASURE = """
import sys, time
started = time.perf_counter()
from verify.cli import main
status = main(sys.argv[1:])
seconds = time.perf_counter() - started
try:
    with open("/proc/self/status") as fh:
        kib = next(line.split()[1] for line in fh if line.startswith("VmHWM:"))
except OSError:
    import resource
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(status, seconds, kib, file=sys.stderr)
"""


def _measured(*argv: str) -> tuple[int, float, int, str]:
    """Exit status, seconds, peak memory (MB) and stderr of ``verify ARGV``, in
    a fresh interpreter so that the memory is this run's alone."""
    done = subprocess.run([sys.executable, "-c", MEASURE, *argv], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"})
    assert "Traceback" not in done.stderr, done.stderr
    status, seconds, kib = done.stderr.splitlines()[-1].split()
    return int(status), float(seconds), int(kib) // 1024, done.stderr


def test_a_million_actors_are_refused_quickly_in_little_memory(tmp_path):
    path = tmp_path / "million.yaml"
    path.write_text(_actors(1_000_000), encoding="utf-8")
    assert path.stat().st_size > 30_000_000
    status, seconds, mb, err = _measured("check", str(path), "-o", str(tmp_path / "out.txt"))
    assert status == 2
    assert f"{path}:1:1: error: E007 the file is {path.stat().st_size} bytes, more than the limit file-size" in err
    assert f"--limit file-size={path.stat().st_size}" in err
    assert seconds < 2 and mb < 100, (seconds, mb)
    # With the size allowed, the count of elements stops it as it is read.
    status, seconds, mb, err = _measured("check", "--limit", "file-size=100M", str(path))
    assert status == 2
    assert f"{path}:50003:5: error: E007 the design has more than 50000 elements" in err
    assert "--limit elements=" in err
    assert seconds < 10 and mb < 300, (seconds, mb)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["million.yaml"]


def test_internal_error_text_is_escaped_and_bounded(monkeypatch, capsys):
    import verify.cli as cli_module

    def crash(*args: object, **kwargs: object) -> int:
        raise RuntimeError("id \x1b[32mHOLDS\x1b[0m \u202e" + "x" * 5000)

    monkeypatch.setattr(cli_module, "main", crash)
    monkeypatch.setattr(cli_module, "_install_stop_handlers", lambda: None)
    started = time.perf_counter()
    with pytest.raises(SystemExit) as info:
        cli_module.run()
    assert info.value.code == 4
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: id \\x1b[32mHOLDS\\x1b[0m \\u202e" in err
    assert "\x1b" not in err and "\u202e" not in err
    assert max(len(line) for line in err.splitlines()) < 700
    assert time.perf_counter() - started < 5


def test_the_flow_bracket_that_passes_the_depth_is_found_past_quotes_and_comments():
    """Recent PyYAML wheels' libyaml stops at its own flow depth of 1,000
    before emitting events; the loader then finds the bracket that passes
    its own limit by counting, as here."""
    from verify.load.yamlsrc import _deep_flow

    text = "a: x\nb: ['[', \"{[\", # [[[\n  [[{ c: [d]}]]]\n"
    # Brackets still open after line 1, column 3 (the outer "[", already
    # counted): the quoted ones and the comment are not brackets.
    assert _deep_flow(text, 1, 3, 1) == (2, 2)
    assert _deep_flow(text, 1, 3, 3) == (2, 4)
    assert _deep_flow(text, 1, 3, 4) == (2, 9)
    assert _deep_flow(text, 1, 3, 5) is None
    # An apostrophe in plain text, an escaped quote, a doubled single quote.
    assert _deep_flow("a: [don't, " + "[" * 200, 0, 3, 100) == (0, 110)
    assert _deep_flow('a: ["x\\"y", ' + "[" * 200, 0, 3, 100) == (0, 111)
    assert _deep_flow("a: ['it''s [', " + "[" * 200, 0, 3, 100) == (0, 114)
