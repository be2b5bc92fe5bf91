"""Command-line conventions: reports on stdout and diagnostics on stderr,
gcc-style diagnostic lines, ``-`` for stdin, folders, ``-q`` and ``-v``, a
closed pipe, colour, ``--version`` and ``-V``, and shell completion."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from verify.cli import COMMANDS, EXIT_PIPE, completion, main
from verify.cli._common import paint, use_colour

ROOT = Path(__file__).resolve().parent.parent
DESIGNS = ROOT / "designs"
FLAGSHIP = DESIGNS / "flagship-ai-agreement.yaml"
VARIANT = DESIGNS / "flagship-no-whistleblower.yaml"
MINE_BAN = DESIGNS / "mine-ban-transparency.yaml"
BROKEN = ROOT / "tests" / "data" / "broken"
DUPLICATE = BROKEN / "duplicate_id.yaml"

#: The stock gcc problem matcher (VS Code's $gcc, GitHub's gcc matchers).
GCC = re.compile(r"^(.*?):(\d+):(\d*):?\s+(?:fatal\s+)?(warning|error):\s+(.*)$")


def cli(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main([str(a) for a in argv], out, err)
    return status, out.getvalue(), err.getvalue()


def verify(*argv: object, cwd: Path = ROOT, stdin: bytes | None = None,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "verify", *map(str, argv)], cwd=cwd, input=stdin,
                          capture_output=True, timeout=300, env={**os.environ, **(env or {})})


# ------------------------------------------------------------ stdout / stderr


def test_check_json_of_a_broken_file_leaves_stdout_empty(tmp_path):
    out = tmp_path / "out.json"
    with open(out, "wb") as fh:
        proc = subprocess.run([sys.executable, "-m", "verify", "check", "--format", "json", str(DUPLICATE)],
                              stdout=fh, stderr=subprocess.PIPE, cwd=ROOT, timeout=300)
    assert proc.returncode == 2
    assert out.read_bytes() == b""
    assert b"error: E021" in proc.stderr


def test_a_process_ends_with_everything_written_and_the_commands_status(tmp_path):
    """verify.cli.run skips the interpreter's teardown (os._exit) once a
    command returns: everything it wrote (more than a pipe holds, to a pipe
    and to a file) must be out first, and the status must be the command's
    own."""
    files = sorted(DESIGNS.glob("*.yaml"))
    # Buffered as a user's shell has it (this test's own environment may
    # set PYTHONUNBUFFERED).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    # A line (left in the pipe's buffer until a flush) and a report larger
    # than a pipe holds.
    for argv in (["check", files[0], "-q"], ["check", *files, "--format", "json"]):
        status, out, err = cli(*argv)
        proc = subprocess.run([sys.executable, "-m", "verify", *map(str, argv)], cwd=ROOT, capture_output=True,
                              timeout=300, env=env)
        assert (proc.returncode, proc.stdout.decode(), proc.stderr.decode()) == (status, out, err)
    assert len(out) > 65536
    written = tmp_path / "report.json"
    proc = verify("check", *files, "--format", "json", "-o", written)
    assert proc.returncode == status and written.read_text() == out


def test_json_report_alone_on_stdout_even_with_warnings():
    status, out, err = cli("check", DESIGNS / "iaea-safeguards.yaml", "--as-is", "-p", "detectability",
                           "--format", "json")
    assert status in (0, 1)
    json.loads(out)


@pytest.mark.parametrize("command", ["validate", "check", "claims", "render"])
def test_diagnostics_go_to_stderr(command, tmp_path):
    extra = ["-o", tmp_path / "x.svg"] if command == "render" else []
    status, out, err = cli(command, DUPLICATE, *extra)
    assert status == 2
    assert out == ""
    assert "error: E021" in err


def test_usage_errors_go_to_stderr():
    status, out, err = cli("check", FLAGSHIP, "--format", "nope")
    assert status == 2 and out == "" and "invalid choice" in err
    status, out, err = cli("check", FLAGSHIP, "-p", "timeliness")
    assert status == 2 and out == "" and "timeliness needs -T" in err
    status, out, err = cli("chek", FLAGSHIP)
    assert status == 2 and out == "" and "did you mean 'check'" in err


def test_help_goes_to_stdout():
    status, out, err = cli("check", "--help")
    assert status == 0 and "--format" in out and err == ""


def test_one_stream_given_gets_the_transcript():
    stream = io.StringIO()
    assert main(["validate", str(DUPLICATE)], stream) == 2
    assert "error: E021" in stream.getvalue()


# ------------------------------------------------------------ gcc-style lines


@pytest.mark.parametrize("path", sorted(BROKEN.glob("*.yaml")), ids=lambda p: p.name)
def test_every_diagnostic_line_matches_the_gcc_problem_matcher(path):
    status, _, err = cli("validate", path)
    assert status == 2
    heads = [line for line in err.splitlines() if not line.startswith(" ") and not re.fullmatch(r"\d+ errors?", line)]
    assert heads
    for line in heads:
        m = GCC.match(line)
        assert m, line
        file, ln, col, severity, message = m.groups()
        assert severity == "error" and int(ln) >= 1 and int(col) >= 1
        assert re.match(r"E\d{3} ", message), line


def test_the_shape_of_a_diagnostic_line():
    _, _, err = cli("validate", DUPLICATE)
    assert err.splitlines()[0].startswith(f"{os.path.normpath(DUPLICATE)}:27:9: error: E021 duplicate id")


def test_warnings_with_a_place_match_the_gcc_problem_matcher(tmp_path):
    text = FLAGSHIP.read_text("utf-8")
    _, _, err = cli("validate", FLAGSHIP)
    for line in err.splitlines():
        if ": warning: mechanism" in line:
            assert GCC.match(line)
    assert text  # the design itself is valid


# ------------------------------------------------------------ stdin


def test_stdin_is_read_with_dash_and_named_stdin():
    proc = verify("check", "-", "-p", "detectability", "--format", "json", stdin=MINE_BAN.read_bytes())
    assert proc.returncode == 1, proc.stderr
    [f] = json.loads(proc.stdout)["files"]
    assert f["path"] == "<stdin>"
    import hashlib

    assert f["sha256"] == hashlib.sha256(MINE_BAN.read_bytes()).hexdigest()


def test_stdin_extends_resolves_from_the_working_directory():
    proc = verify("validate", "-", cwd=DESIGNS, stdin=VARIANT.read_bytes())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode().startswith("<stdin>: ok")
    proc = verify("validate", "-", cwd=ROOT, stdin=VARIANT.read_bytes())
    assert proc.returncode == 2
    assert re.match(r"<stdin>:\d+:\d+: error: E030 ", proc.stderr.decode())


def test_stdin_hash_covers_the_bases_like_a_file():
    proc = verify("check", "-", "-p", "detectability", "--format", "json", cwd=DESIGNS, stdin=VARIANT.read_bytes())
    from_stdin = json.loads(proc.stdout)["files"][0]
    proc = verify("check", VARIANT.name, "-p", "detectability", "--format", "json", cwd=DESIGNS)
    from_file = json.loads(proc.stdout)["files"][0]
    assert from_stdin["sha256"] == from_file["sha256"]
    assert from_stdin["results"] == from_file["results"]


def test_stdin_errors_are_named_stdin():
    proc = verify("validate", "-", stdin=DUPLICATE.read_bytes())
    assert proc.returncode == 2
    assert proc.stderr.decode().startswith("<stdin>:27:9: error: E021 ")


def test_dash_twice_is_refused():
    status, _, err = cli("validate", "-", "-")
    assert status == 2 and "only once" in err


# ------------------------------------------------------------ folders


def test_a_folder_is_walked_for_yaml_files_sorted(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a").mkdir()
    (tmp_path / ".hidden").mkdir()
    shutil.copy(MINE_BAN, tmp_path / "b" / "z.yaml")
    shutil.copy(MINE_BAN, tmp_path / "a" / "y.yml")
    shutil.copy(MINE_BAN, tmp_path / "c.yaml")
    shutil.copy(MINE_BAN, tmp_path / ".hidden" / "x.yaml")
    (tmp_path / "notes.txt").write_text("not a design")
    status, out, err = cli("validate", tmp_path)
    assert status == 0, err
    shown = [line.split(": ok")[0] for line in out.splitlines()]
    assert shown == [str(tmp_path / "a" / "y.yml"), str(tmp_path / "b" / "z.yaml"), str(tmp_path / "c.yaml")]


def test_the_designs_folder_validates_like_its_files():
    status, out, _ = cli("validate", DESIGNS)
    status2, out2, _ = cli("validate", *sorted(DESIGNS.glob("*.yaml")))
    assert (status, out) == (status2, out2)


def test_a_folder_without_designs_is_refused(tmp_path):
    status, out, err = cli("check", tmp_path)
    assert status == 2 and out == "" and "no *.yaml or *.yml" in err


# ------------------------------------------------------------ -q and -v


def test_quiet_check_prints_only_the_summary():
    status, out, err = cli("check", "-q", MINE_BAN, FLAGSHIP)
    assert status == 1
    lines = out.splitlines()
    assert len(lines) == 2
    assert re.fullmatch(r".*mine-ban-transparency\.yaml: \d+ hold, [1-9]\d* fail, 0 unknown", lines[0])
    assert err == ""


def test_quiet_claims_and_validate():
    status, out, _ = cli("claims", "-q", FLAGSHIP)
    assert status == 0 and out == "4 upheld, 0 refuted, 0 unknown\n"
    status, out, err = cli("validate", "-q", *sorted(DESIGNS.glob("*.yaml")))
    assert (status, out, err) == (0, "", "")


def test_verbose_reports_progress_on_stderr_only():
    quiet = cli("check", MINE_BAN, "-p", "detectability")
    loud = cli("check", MINE_BAN, "-p", "detectability", "-v")
    assert loud[:2] == quiet[:2]
    assert "loaded" in loud[2] and "detectability(" in loud[2]


def test_output_file_message_goes_to_stderr(tmp_path):
    status, out, err = cli("check", FLAGSHIP, "-p", "detectability", "-o", tmp_path / "r.txt")
    assert status == 0 and out == "" and err == f"wrote {tmp_path / 'r.txt'}\n"
    status, out, err = cli("check", FLAGSHIP, "-p", "detectability", "-q", "-o", tmp_path / "r.sarif",
                           "--format", "sarif")
    assert status == 0 and out == err == ""
    json.loads((tmp_path / "r.sarif").read_text("utf-8"))


# ------------------------------------------------------------ closed pipe


def test_a_closed_pipe_ends_quietly():
    proc = subprocess.Popen([sys.executable, "-m", "verify", "validate", *map(str, sorted(DESIGNS.glob("*.yaml")))],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader goes away before anything is written
    err = proc.stderr.read()
    proc.wait(timeout=300)
    assert proc.returncode == EXIT_PIPE
    # Quietly: stderr (still open) has the designs' warnings, nothing about the pipe.
    assert all(b": warning: " in line for line in err.splitlines()), err


def test_head_dash_1():
    proc = subprocess.run(f"{sys.executable} -m verify validate designs/*.yaml | head -1; "
                          "echo \"status ${PIPESTATUS[0]}\"",
                          shell=True, executable="/bin/bash", cwd=ROOT, capture_output=True, timeout=300)
    out = proc.stdout.decode().splitlines()
    first = sorted((ROOT / "designs").glob("*.yaml"))[0].name
    assert out[0].startswith(f"designs/{first}: ok (")
    assert out[-1] in ("status 0", f"status {EXIT_PIPE}")
    assert b"Traceback" not in proc.stderr and b"internal error" not in proc.stderr


# ------------------------------------------------------------ colour


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_on_a_terminal_only(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    out = Terminal()
    assert main(["check", str(MINE_BAN), "-p", "detectability"], out, io.StringIO()) == 1
    assert "\033[1;31mFAILS\033[0m" in out.getvalue()
    plain = io.StringIO()
    main(["check", str(MINE_BAN), "-p", "detectability"], plain, io.StringIO())
    assert "\033[" not in plain.getvalue()
    assert out.getvalue().replace("\033[1;31m", "").replace("\033[1;32m", "").replace("\033[0m", "") == \
        plain.getvalue()
    # Never in a machine format, even on a terminal.
    js = Terminal()
    main(["check", str(MINE_BAN), "-p", "detectability", "--format", "json"], js, io.StringIO())
    assert "\033[" not in js.getvalue()


def test_no_color_is_respected(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    out = Terminal()
    main(["check", str(MINE_BAN), "-p", "detectability"], out, io.StringIO())
    assert "\033[" not in out.getvalue()
    assert not use_colour(Terminal(), {"NO_COLOR": "1"})
    assert use_colour(Terminal(), {"NO_COLOR": ""})
    assert not use_colour(Terminal(), {"TERM": "dumb"})
    assert not use_colour(io.StringIO(), {})


def test_no_colour_into_a_pipe():
    proc = verify("check", MINE_BAN, "-p", "detectability", env={"NO_COLOR": "", "TERM": "xterm"})
    assert b"\033[" not in proc.stdout + proc.stderr


def test_paint_colours_verdict_words_only():
    text = "p(v): FAILS\n  statement: HOLDS is a word\nUPHELD: c: \"x\"\n"
    painted = paint(text, True)
    assert "\033[1;31mFAILS\033[0m" in painted and "\033[1;32mUPHELD\033[0m" in painted
    assert "statement: HOLDS is a word" in painted


# ------------------------------------------------------------ version, completion


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag):
    import verify as package

    assert cli(flag) == (0, f"verify {package.__version__}\n", "")


def test_bash_completion_is_valid_and_complete(tmp_path):
    script = completion("bash")
    path = tmp_path / "verify.bash"
    path.write_text(script)
    assert subprocess.run(["bash", "-n", str(path)], capture_output=True).returncode == 0
    for name in COMMANDS:
        assert name in script
    for option in ("--format", "--property", "--timeout", "--as-is", "--install", "--force"):
        assert option in script
    assert "sarif" in script and "robustness-margin" in script
    # It completes: the commands after "verify ", the formats after "--format".
    probe = (f"source {path}\n"
             "COMP_WORDS=(verify ch); COMP_CWORD=1; _verify; echo \"${COMPREPLY[@]}\"\n"
             "COMP_WORDS=(verify check --format s); COMP_CWORD=3; _verify; echo \"${COMPREPLY[@]}\"\n")
    got = subprocess.run(["bash", "-c", probe], capture_output=True, text=True).stdout.splitlines()
    assert got == ["check", "sarif"]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_completion(shell, tmp_path):
    status, out, err = cli("completion", shell)
    assert status == 0 and err == ""
    assert all(name in out for name in COMMANDS)
    if shutil.which(shell):
        path = tmp_path / f"verify.{shell}"
        path.write_text(out)
        assert subprocess.run([shell, "-n", str(path)], capture_output=True).returncode == 0


def test_completion_of_an_unknown_shell_is_refused():
    status, out, err = cli("completion", "tcsh")
    assert status == 2 and out == "" and "invalid choice" in err
