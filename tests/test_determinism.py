"""Determinism (issue 11, item 6): the same inputs give byte-identical
outputs whatever the hash seed and the working directory.

Each configuration runs in a fresh interpreter (PYTHONHASHSEED is read at
start-up) from its own working directory and writes every report with -o
into a folder of its own: the text and JSON reports of ``check``, the text
report of ``claims``, the JSON report of ``validate`` and the Graphviz
source of ``render``, for every reference design.  The designs are named by
absolute path, so that the reports (which name them) may be compared across
working directories.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DESIGNS = sorted((ROOT / "designs").glob("*.yaml"))

_RUN = r'''
import io, json, os, sys
from verify.cli import main

designs, out = json.loads(sys.argv[1]), sys.argv[2]
statuses = {}
for i, d in enumerate(designs):
    for name, argv in (
        ("check.txt", ["check", d, "--timeout", "60"]),
        ("check.json", ["check", d, "--format", "json", "--timeout", "60"]),
        ("claims.txt", ["claims", d, "--timeout", "60"]),
        ("validate.json", ["validate", d, "--format", "json"]),
        ("drawing.dot", ["render", d]),
    ):
        target = os.path.join(out, f"{i}-{name}")
        status = main([*argv, "-o", target, "-q"], io.StringIO(), io.StringIO())
        statuses[f"{i}-{name}"] = status
print(json.dumps(statuses))
'''


def _run(seed: str, cwd: Path, out: Path) -> tuple[dict[str, int], dict[str, bytes]]:
    out.mkdir()
    cwd.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": seed, "NO_COLOR": "1"}
    env.pop("VERIFY_LIMITS", None)
    done = subprocess.run([sys.executable, "-c", _RUN, json.dumps([str(d) for d in DESIGNS]), str(out)],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    statuses = json.loads(done.stdout.strip().splitlines()[-1])
    return statuses, {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_outputs_are_byte_identical_across_hash_seeds_and_folders(tmp_path, capsys, record_property):
    assert len(DESIGNS) >= 4
    first = _run("0", tmp_path / "here", tmp_path / "out-a")
    second = _run("4242", tmp_path / "elsewhere" / "deeper", tmp_path / "out-b")
    statuses, files = first
    assert statuses == second[0]
    # Every report was written (render and claims may refuse a design
    # without claims or without dot; a refusal writes nothing, in both runs).
    assert set(files) == set(second[1])
    written = {n for n, s in statuses.items() if s in (0, 1, 3)}
    assert written <= set(files)
    # Every valid reference design is checked (one being edited elsewhere
    # may be invalid for a while: refused the same way in both runs).
    assert sum(1 for n in files if n.endswith("check.json")) >= 4
    for name in sorted(files):
        assert files[name] == second[1][name], f"{name} differs between hash seeds 0 and 4242 and folders"
        assert files[name], name
    record_property("determinism_files", len(files))
    with capsys.disabled():
        print(f"\ndeterminism: {len(files)} outputs of {len(DESIGNS)} designs byte-identical across "
              "PYTHONHASHSEED 0 / 4242 and two working directories")
