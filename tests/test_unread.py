"""Fields no property reads are said, not silently ignored (issue 7, item 7):
a worst case resting on a whistle-blower with p = 0.5 must not read as if the
probability had been used."""

from __future__ import annotations

import io
from pathlib import Path

import yaml

from verify.cli import main
from verify.load import load
from verify.model import effective
from verify.unread import unread_fields

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = ROOT / "designs" / "flagship-ai-agreement.yaml"
CANDIDATES = ROOT / "designs" / "flagship-candidates.yaml"


def _run(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, out, err)
    return status, out.getvalue() + err.getvalue()


def test_the_flagship_says_its_probability_and_duration_are_not_read():
    status, text = _run(["validate", str(FLAGSHIP)])
    assert status == 0
    assert "warning: mechanism 'whistleblower': detection_probability 0.5 is read only as 'more than zero'" in text
    assert "warning: violation 'covert-training-run': duration is read by no property yet" in text
    # Where: the element's own line.
    regime = load(str(FLAGSHIP))
    line = regime.mechanism["whistleblower"].where.line
    before = text.split("'whistleblower': detection_probability")[0].splitlines()[-1]
    assert f"flagship-ai-agreement.yaml:{line}:" in before
    status, text = _run(["check", str(FLAGSHIP)])
    assert "warning: mechanism 'whistleblower': detection_probability 0.5" in text


def test_stripping_the_numbers_nobody_reads_changes_what_the_report_says(tmp_path):
    doc = yaml.safe_load(FLAGSHIP.read_text(encoding="utf-8"))
    for m in doc["mechanisms"]:
        m.pop("detection_probability", None)
    for v in doc["violations"]:
        v.pop("duration", None)
    stripped = tmp_path / "stripped.yaml"
    stripped.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    _, before = _run(["check", str(FLAGSHIP)])
    _, after = _run(["check", str(stripped)])
    assert "read only as 'more than zero'" in before and "read only as 'more than zero'" not in after
    assert "duration is read by no property" in before and "duration is read by no property" not in after
    # The verdicts themselves are the same: nothing read them.
    ends = ("HOLDS", "FAILS", "UNKNOWN")
    verdicts = [line for line in before.splitlines() if line.endswith(ends)]
    assert verdicts and verdicts == [line for line in after.splitlines() if line.endswith(ends)]


def test_a_probability_of_zero_or_one_is_read_and_not_named():
    from dataclasses import replace

    regime, _ = effective(load(str(FLAGSHIP)))
    for p, named in ((0.0, False), (1.0, False), (0.25, True)):
        ms = tuple(replace(m, detection_probability=p) if m.id == "chip-logging" else m for m in regime.mechanisms)
        messages = [m for m, _ in unread_fields(replace(regime, mechanisms=ms))]
        assert any("'chip-logging': detection_probability" in m for m in messages) == named, p


def test_optimise_reads_cost_and_reveals():
    regime, _ = effective(load(str(CANDIDATES)))
    checking = [m for m, _ in unread_fields(regime)]
    optimising = [m for m, _ in unread_fields(regime, optimising=True)]
    assert any("'chip-logging': cost, intrusiveness, optional are read only by `verify optimise`" in m
               for m in checking)
    assert any("'chip-logging': reveals" in m for m in checking)
    assert not any("cost" in m or "reveals" in m for m in optimising)
    # Labels, carries, findings and attributes: read by no command yet.
    assert any(m.startswith("label 'chip-telemetry' is read by no property") for m in optimising)


def test_carries_finding_and_attributes_are_named(tmp_path):
    text = FLAGSHIP.read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    doc["labels"] = [{"id": "layout", "cleared": ["agency"]}]
    doc["flows"][0]["carries"] = ["layout"]
    doc["mechanisms"][0]["attributes"] = False
    doc["verifiers"] = [{"id": v, "finding": "direct evidence"} if isinstance(v, str) else v
                        for v in doc["verifiers"]]
    path = tmp_path / "more.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    status, out = _run(["validate", str(path)])
    assert status == 0, out
    assert f"flow {doc['flows'][0]['id']!r}: carries is read by no property yet" in out
    assert f"mechanism {doc['mechanisms'][0]['id']!r}: attributes: false is read by no property yet" in out
    assert "finding is read by no property yet" in out
    assert "label 'layout' is read by no property yet" in out
