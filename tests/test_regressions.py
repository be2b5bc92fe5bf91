"""Bugs a reviewer found, each pinned by the smallest regime that showed it."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys

import pytest

from verify import oracle
from verify.analyses.properties import non_circumventability, robustness_margin
from verify.cli import main
from verify.errors import UsageError
from verify.load import load

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
    assert result.figure("k*") == oracle.robustness_margin(regime, "v").k_star
    for element, kstar in result.figure("without"):
        assert kstar == oracle.robustness_margin(regime.without(element), "v").k_star, element


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


def test_reports_are_written_readable_by_others(tmp_path):
    target = tmp_path / "report.txt"
    old = os.umask(0o022)
    try:
        assert main(["check", write(tmp_path, BODY_FORWARDS), "-p", "detectability", "-o", str(target)],
                    io.StringIO()) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_an_internal_error_exits_4_without_a_traceback(tmp_path):
    # Make the analysis crash from inside: a sitecustomize-free way is to run
    # the entry point with a monkeypatched function in a subprocess.
    code = ("import sys, verify.analyses.properties as p\n"
            "def boom(*a, **k): raise RuntimeError('boom')\n"
            "p.ANALYSES['detectability'] = boom\n"
            "from verify.cli import run\n"
            f"sys.argv = ['verify', 'check', {write(tmp_path, BODY_FORWARDS)!r}, '-p', 'detectability']\n"
            "run()\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 4
    assert "internal error" in res.stderr and "Traceback" not in res.stderr
