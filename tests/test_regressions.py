"""Bugs a reviewer found, each pinned by the smallest regime that showed it."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from verify import oracle
from verify.analyses.properties import non_circumventability, robustness_margin
from verify.cli import main
from verify.errors import UsageError
from verify.load import load

ROOT = Path(__file__).resolve().parents[1]

BODY_FORWARDS = """\
regime: body-forwards
actors:
  - {id: s1, kind: state}
  - {id: s2, kind: state}
  - {id: agency, kind: agency}
  - {id: sec, kind: agency}
assets: [{id: site, host: s1}]
signatures: [{id: heat}]
violations: [{id: v, perpetrator: s1, at: site, signatures: [{signature: heat}]}]
mechanisms: [{id: m, operator: agency, observes: [heat]}]
bodies: [{id: board, members: [s1, s2], approve: 1}]
flows:
  - {id: f1, from: agency, to: board}
  - {id: f2, from: board, to: sec}
verifiers: [sec]
"""

CONCEALED = """\
regime: concealed
actors:
  - {id: state, kind: state}
  - {id: insp, kind: inspectorate}
assets: [{id: site, host: state}]
signatures: [{id: particles}, {id: heat}]
violations:
  - id: v
    perpetrator: state
    at: site
    signatures:
      - {signature: particles, persists: 1d}
      - {signature: heat, conceal: 3d}
mechanisms:
  - {id: m, operator: insp, observes: [particles, heat], requires_access: host, mandatory: true, notice: 7d}
verifiers: [insp]
"""


def write(tmp_path, text, name="r.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_margin_without_an_element_when_a_body_forwards_evidence(tmp_path):
    # Removing f1 left the board's outgoing flow in a "pure" graph, and the
    # exact cut then looked up the board as an actor: KeyError.
    regime = load(write(tmp_path, BODY_FORWARDS))
    result = robustness_margin(regime, "v")
    assert result.figures.kstar.plain() == oracle.robustness_margin(regime, "v").k_star
    for element, kstar in result.figures.without:
        assert kstar.plain() == oracle.robustness_margin(regime.without(element), "v").k_star, element


@pytest.mark.parametrize("args", [["-k", "-1"], ["-f", "-1", "-p", "fault-tolerance"],
                                  ["--timeout", "nan"], ["--timeout", "inf"], ["--timeout", "-5"]])
def test_negative_counts_and_odd_timeouts_are_refused(tmp_path, args):
    out = io.StringIO()
    status = main(["check", write(tmp_path, BODY_FORWARDS), *args], out)
    assert status == 2 and "Traceback" not in out.getvalue() and "error" in out.getvalue()


def test_the_api_refuses_a_negative_k(tmp_path):
    with pytest.raises(UsageError):
        non_circumventability(load(write(tmp_path, BODY_FORWARDS)), "v", -1)


def test_a_sanitised_site_is_explained_as_sanitised(tmp_path):
    # The particles have faded when the inspectors arrive a week later; the
    # heat can be hidden in 3 days: access is granted, nothing is seen.
    out = io.StringIO()
    status = main(["check", write(tmp_path, CONCEALED), "-p", "detectability"], out)
    text = out.getvalue()
    assert status == 1
    assert "hides every trace" in text and "refuses" not in text


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o027, 0o077])
def test_a_new_report_gets_an_ordinary_files_permissions(tmp_path, umask):
    # What open() would give under the user's umask: readable by others under
    # the common 0o022, private under 0o077 (mkstemp alone gives 0o600).
    target = tmp_path / "report.txt"
    old = os.umask(umask)
    try:
        assert main(["check", write(tmp_path, BODY_FORWARDS), "-p", "detectability", "-o", str(target)],
                    io.StringIO()) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_a_replaced_report_keeps_its_permissions(tmp_path):
    target = tmp_path / "report.txt"
    target.write_text("old report\n")
    target.chmod(0o640)
    old = os.umask(0o077)
    try:
        assert main(["check", write(tmp_path, BODY_FORWARDS), "-p", "detectability", "-o", str(target)],
                    io.StringIO()) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert "old report" not in target.read_text()


def test_an_internal_error_exits_4_without_a_traceback(tmp_path):
    # Make the analysis crash from inside: a sitecustomize-free way is to run
    # the entry point with a monkeypatched function in a subprocess.
    code = ("import sys, verify.analyses.properties as p\n"
            "def boom(*a, **k): raise RuntimeError('boom')\n"
            "p.ANALYSES['detectability'] = boom\n"
            "from verify.cli import run\n"
            f"sys.argv = ['verify', 'check', {write(tmp_path, BODY_FORWARDS)!r}, '-p', 'detectability']\n"
            "run()\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert res.returncode == 4
    assert "internal error" in res.stderr and "Traceback" not in res.stderr
