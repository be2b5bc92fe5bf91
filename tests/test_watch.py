"""``verify watch``: re-checks on save, through the cache, and says what changed."""

from __future__ import annotations

import io
import os
import threading
import time
from pathlib import Path

from verify.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _save(path: Path, text: str) -> None:
    """Save as an editor does, in one step: the watch polls every 0.05 s and
    would otherwise read a file half written, an error round (reported, and
    waited out) that used up the rounds this test allows (found in CI)."""
    part = path.with_name(path.name + ".part")
    part.write_text(text, encoding="utf-8")
    os.replace(part, path)


def test_watch_rechecks_on_save_and_names_the_changed_verdict(tmp_path: Path) -> None:
    design = tmp_path / "design.yaml"
    text = (ROOT / "designs" / "flagship-ai-agreement.yaml").read_text(encoding="utf-8")
    design.write_text(text, encoding="utf-8")
    out = io.StringIO()
    status: list[int] = []
    argv = ["watch", str(design), "--cache", str(tmp_path / "cache"), "--rounds", "3", "--interval", "0.05"]
    t = threading.Thread(target=lambda: status.append(main(argv, out, io.StringIO())))
    t.start()

    def wait_for(needle: str) -> None:
        ends = time.monotonic() + 120
        while needle not in out.getvalue():
            assert time.monotonic() < ends, out.getvalue()
            time.sleep(0.05)

    wait_for("round 1:")
    # The treaty now claims three accomplices: the margin (k* = 2) no longer reaches it.
    _save(design, text.replace("\n  max: 2\n", "\n  max: 3\n"))
    wait_for("round 2:")
    _save(design, text)  # and back: answered from the cache
    t.join(120)
    assert status == [0]
    got = out.getvalue()
    assert "robustness-margin(covert-training-run): FAILS (was HOLDS)" in got, got
    third = got[got.index("round 3:"):]
    assert "robustness-margin(covert-training-run): HOLDS (was FAILS)" in third
    assert "8 answered from the cache" in third.splitlines()[0], third
