"""Hostile paths (issue 11, items 1 and 3's ``-o``): ``extends`` reaches only
regular files inside the design's folder (or folders allowed with
``--allow-extends``), never an absolute path, a ``..`` out of the folder, a
symlink out of it, a device or a FIFO, and nothing is read from those (a read
of a FIFO would hang: the timeout fails the test); a file that is not a
design is never echoed beyond one bounded line; ``-o`` never overwrites an
input design or replaces something that is not a regular file (a FIFO, a
device, a folder), and a write error is status 2, never 1.  The CLI runs in a
subprocess with a timeout, so a write into a FIFO (which would block) fails
the test instead of hanging it."""

from __future__ import annotations

import errno
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import verify
from verify.cli import main
from verify.errors import ExtendsError

ROOT = Path(__file__).resolve().parent.parent

BASE = """\
regime: base
actors:
  - {id: alpha, kind: state}
  - {id: iai, kind: inspectorate}
"""


def variant(target: str) -> str:
    return f"regime: variant\nextends: {target}\n"


def cli(*argv: str, cwd: Path | None = None, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-m", "verify", *argv], cwd=cwd, env=env, input=stdin.decode(),
                          capture_output=True, text=True, timeout=10)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def assert_e033(done: subprocess.CompletedProcess[str], file: Path, line: int = 2, col: int = 10) -> None:
    assert done.returncode == 2, done.stderr
    assert re.search(rf"{re.escape(str(file))}:{line}:{col}: error: E033 extends: ", done.stderr), done.stderr


@pytest.fixture()
def design(tmp_path: Path) -> Path:
    folder = tmp_path / "design"
    folder.mkdir()
    return folder


def test_an_absolute_path_is_refused(design: Path):
    v = design / "v.yaml"
    v.write_text(variant("/etc/passwd"))
    done = cli("validate", str(v))
    assert_e033(done, v)
    assert "absolute path" in done.stderr
    assert "root:" not in done.stderr  # nothing of the target is quoted


def test_a_path_leaving_the_folder_is_refused(design: Path):
    (design.parent / "outside.yaml").write_text(BASE)
    v = design / "v.yaml"
    v.write_text(variant("../outside.yaml"))
    done = cli("validate", str(v))
    assert_e033(done, v)
    assert "leaves the design's folder" in done.stderr


def test_allow_extends_lets_a_folder_in(design: Path):
    (design.parent / "outside.yaml").write_text(BASE)
    v = design / "v.yaml"
    v.write_text(variant("../outside.yaml"))
    done = cli("validate", "--allow-extends", str(design.parent), str(v))
    assert done.returncode == 0, done.stderr
    assert verify.load(v, allow=(design.parent,)).id == "variant"
    with pytest.raises(ExtendsError) as err:
        verify.load(v)
    assert [d.code for d in err.value.diagnostics] == ["E033"]


def test_a_base_below_the_folder_is_accepted(design: Path):
    (design / "bases").mkdir()
    (design / "bases" / "b.yaml").write_text(BASE)
    v = design / "v.yaml"
    v.write_text(variant("bases/b.yaml"))
    assert cli("validate", str(v)).returncode == 0


def test_a_symlink_out_of_the_folder_is_refused(design: Path):
    (design.parent / "outside.yaml").write_text(BASE)
    os.symlink(design.parent / "outside.yaml", design / "link.yaml")
    v = design / "v.yaml"
    v.write_text(variant("link.yaml"))
    done = cli("validate", str(v))
    assert_e033(done, v)
    assert "link" in done.stderr


def test_a_symlink_inside_the_folder_is_accepted(design: Path):
    (design / "base.yaml").write_text(BASE)
    os.symlink("base.yaml", design / "link.yaml")
    v = design / "v.yaml"
    v.write_text(variant("link.yaml"))
    assert cli("validate", str(v)).returncode == 0


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_and_never_opened(design: Path):
    os.mkfifo(design / "pipe.yaml")
    v = design / "v.yaml"
    v.write_text(variant("pipe.yaml"))
    done = cli("validate", str(v))  # a read would block: the timeout fails the test
    assert_e033(done, v)
    assert "FIFO" in done.stderr


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/stdin", "/proc/self/fd/0"])
def test_devices_are_refused(design: Path, target: str):
    if not os.path.exists(target):
        pytest.skip(f"no {target} here")
    v = design / "v.yaml"
    v.write_text(variant(target))
    done = cli("validate", str(v))
    assert_e033(done, v)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
def test_a_device_inside_the_allowed_folder_is_still_refused(design: Path):
    v = design / "v.yaml"
    v.write_text(variant("/dev/zero"))
    done = cli("validate", "--allow-extends", "/dev", str(v))
    assert_e033(done, v)
    assert "not a regular file" in done.stderr


def test_every_command_takes_allow_extends_and_refuses(design: Path):
    v = design / "v.yaml"
    v.write_text(variant("/etc/passwd"))
    out = design / "out.svg"
    for argv in (["validate", str(v)], ["check", str(v)], ["claims", str(v)], ["render", str(v), "-o", str(out)]):
        done = cli(*argv)
        assert_e033(done, v)
    assert not out.exists()


def test_stdin_extends_stays_in_the_working_directory(design: Path):
    (design.parent / "outside.yaml").write_text(BASE)
    done = cli("validate", "-", cwd=design, stdin=variant("../outside.yaml").encode())
    assert done.returncode == 2
    assert "<stdin>:2:10: error: E033" in done.stderr


def test_a_file_that_is_no_design_is_quoted_one_bounded_line_at_most(design: Path):
    secret = "x" * 1000 + "\nSECOND-LINE-SECRET " * 50
    (design / "notes.yaml").write_text(secret)
    v = design / "v.yaml"
    v.write_text(variant("notes.yaml"))
    done = cli("validate", str(v))
    assert done.returncode == 2
    assert "notes.yaml:1:1: error: E006" in done.stderr
    assert "SECOND-LINE-SECRET" not in done.stderr
    assert max(len(line) for line in done.stderr.splitlines()) < 300


# ---------------------------------------------------------------- -o



def valid_design(folder: Path) -> Path:
    path = folder / "d.yaml"
    path.write_text(BASE)
    return path


@pytest.mark.parametrize("command", ["validate", "check", "claims"])
def test_output_onto_the_input_is_refused(design: Path, command: str):
    d = valid_design(design)
    before = d.read_bytes()
    done = cli(command, str(d), "-o", str(d))
    assert done.returncode == 2, done.stderr
    assert "input design" in done.stderr
    assert d.read_bytes() == before
    assert sorted(p.name for p in design.iterdir()) == ["d.yaml"]


def test_output_onto_a_hard_link_of_the_input_is_refused(design: Path):
    d = valid_design(design)
    os.link(d, design / "same.json")
    done = cli("validate", str(d), "-o", str(design / "same.json"))
    assert done.returncode == 2
    assert d.read_text() == BASE


def test_render_onto_the_input_is_refused(design: Path):
    d = design / "d.dot"
    d.write_text(BASE)
    done = cli("render", str(d), "-o", str(d))
    assert done.returncode == 2, done.stderr
    assert d.read_text() == BASE


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("command", ["validate", "render"])
def test_output_onto_a_fifo_is_refused(design: Path, command: str):
    d = valid_design(design)
    fifo = design / ("out.dot" if command == "render" else "out.txt")
    os.mkfifo(fifo)
    done = cli(command, str(d), "-o", str(fifo))
    assert done.returncode == 2, done.stderr
    assert "FIFO" in done.stderr
    assert fifo.is_fifo()


def test_output_onto_a_design_in_an_input_folder_is_refused(design: Path):
    d = valid_design(design)
    done = cli("validate", str(design), "-o", str(d))
    assert done.returncode == 2, done.stderr
    assert "input design" in done.stderr
    assert d.read_text() == BASE


def test_output_to_a_new_path_is_written(design: Path):
    d = valid_design(design)
    done = cli("validate", str(d), "-o", str(design / "report.txt"))
    assert done.returncode == 0, done.stderr
    assert "ok" in (design / "report.txt").read_text()


def test_output_onto_a_folder_is_refused(design: Path):
    d = valid_design(design)
    (design / "sub").mkdir()
    done = cli("validate", str(d), "-o", str(design / "sub"))
    assert done.returncode == 2
    assert "folder" in done.stderr
    assert list((design / "sub").iterdir()) == []


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="no /dev/null here")
def test_output_onto_a_device_is_refused(design: Path):
    d = valid_design(design)
    done = cli("validate", str(d), "-o", "/dev/null")
    assert done.returncode == 2
    assert "device" in done.stderr
    assert Path("/dev/null").is_char_device()


def test_a_write_error_is_exit_2_not_1(design: Path, monkeypatch: pytest.MonkeyPatch):
    import verify.cli._common as common

    def full(path: object, data: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(common, "write_atomically", full)
    d = valid_design(design)
    err = io.StringIO()
    status = main(["validate", str(d), "-o", str(design / "r.txt")], io.StringIO(), err)
    assert status == 2
    assert "No space left" in err.getvalue()
    assert not (design / "r.txt").exists()
