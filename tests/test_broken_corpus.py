"""Every file in tests/data/broken/ is a regime with a known mistake.

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
from pathlib import Path

import pytest

from verify.cli import main

BROKEN = Path(__file__).parent / "data" / "broken"
CORPUS = sorted(BROKEN.glob("*.yaml"))
CYCLE = sorted((BROKEN / "extends_cycle").glob("*.yaml"))

_EXPECT = re.compile(r"#\s*expect:\s*(E\d{3})\s+(?:(\S+):)?(\d+):(\d+)(?:\s+(.*))?$")
_DIAG = re.compile(r"^(.+):(\d+):(\d+): error: (E\d{3}) (.*)$")


def expectations(path: Path) -> dict[tuple[str, int, int, str], list[str]]:
    """(file, line, column, code) -> the fragments that diagnostic must contain."""
    out: dict[tuple[str, int, int, str], list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
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
    assert len(CORPUS) >= 25
    assert len(CYCLE) == 2


def test_every_corpus_file_states_its_expectations():
    for path in [*CORPUS, *CYCLE]:
        assert expectations(path), path.name


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_validate_reports_the_expected_errors(path: Path):
    check_validate(path)


@pytest.mark.parametrize("path", CYCLE, ids=[p.name for p in CYCLE])
def test_extends_cycle(path: Path):
    check_validate(path)


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_render_refuses_broken_regimes(path: Path, tmp_path: Path):
    pytest.importorskip("verify.cli.render")
    out = tmp_path / "out.svg"
    status, output = run(["render", str(path), "-o", str(out)])
    assert "Traceback" not in output
    assert status == 2, output
    assert list(tmp_path.iterdir()) == []
