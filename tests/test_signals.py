"""SIGINT and SIGTERM stop ``verify`` (exit 130 / 143) whatever z3 is doing:
no verdict, no report, no traceback, no output file and no temporary file.

The design is the "linked" family at 1,000 actors (one agency nobody can
corrupt, ten ``controlled_by`` links; k* = 97) checked for its robustness
margin, which takes minutes: 115 of its elements need a search of their
own.  (A 10,000-actor ``synthetic`` design served until its margin came to
settle every element by routes, in under 20 s on a fast day: the signal
must always arrive mid-run.)
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import z3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import verify.engine.solve  # noqa: E402,F401 - sets z3's ctrl_c on import
from generate import linked, to_yaml  # noqa: E402

VERDICT = re.compile(r"HOLDS|FAILS|UNKNOWN|UPHELD|REFUTED")


@pytest.fixture(scope="module")
def slow_design(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("slow") / "slow.yaml"
    path.write_text(to_yaml(linked(1000)), encoding="utf-8")
    return path


def stopped(design: Path, out: Path, signum: int, after: float) -> tuple[int, str, str, float]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "verify", "check", str(design), "-p", "robustness-margin", "-o", str(out), "-v"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        # The handlers are installed before anything is loaded: wait for -v's
        # first progress line, so that a slow start (a busy CI machine) never
        # meets the signal before them.
        assert proc.stderr is not None
        ready, _, _ = select.select([proc.stderr], [], [], 60)
        assert ready, "no progress line within 60 s"
        first = proc.stderr.readline()
        time.sleep(after)
        assert proc.poll() is None, "the run ended before the signal: the design is too quick"
        sent = time.monotonic()
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=30)
        return proc.returncode, stdout, first + stderr, time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize(("signum", "status", "after"), [
    (signal.SIGINT, 130, 1.5),
    (signal.SIGTERM, 143, 1.5),
    # Well into solving, where a z3 call may run for a long time.
    (signal.SIGINT, 130, 20.0),
])
def test_signal_stops_cleanly(slow_design: Path, tmp_path: Path, signum: int, status: int, after: float) -> None:
    out = tmp_path / "out.json"
    code, stdout, stderr, took = stopped(slow_design, out, signum, after)
    assert code == status, (code, stdout, stderr)
    assert not VERDICT.search(stdout), stdout
    assert "Traceback" not in stderr, stderr
    assert os.listdir(tmp_path) == [], os.listdir(tmp_path)
    assert took < 10, took


def test_z3_ctrl_c_handler_is_off() -> None:
    # Else z3 swallows SIGINT during a solver call and answers "unknown",
    # which would be reported as a time-out (exit 3).
    assert z3.get_param("ctrl_c") == "false"


def test_a_stop_wrapped_by_ctypes_is_still_a_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    """ctypes turns a KeyboardInterrupt raised while it converts z3's
    arguments into an ArgumentError: after a stop signal that is the stop,
    exit 143 here, never "internal error" (exit 4)."""
    import ctypes

    import verify.cli as cli

    def interrupted(*_: object) -> int:
        cli._stopping.append(143)
        raise ctypes.ArgumentError("argument 1: KeyboardInterrupt: ")

    monkeypatch.setattr(cli, "_install_stop_handlers", lambda: None)
    monkeypatch.setattr(cli, "main", interrupted)
    monkeypatch.setattr(cli, "_stopping", [])
    with pytest.raises(SystemExit) as stop:
        cli.run()
    assert stop.value.code == 143
