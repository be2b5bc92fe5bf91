"""Fields no property reads are said, not silently ignored (issue 7, item 7):
a worst case resting on a whistle-blower with p = 0.5 must not read as if the
probability had been used."""

from __future__ import annotations

import io
from fractions import Fraction as F
from pathlib import Path

import yaml

from verify.cli import main
from verify.load import load
from verify.model import Probability, effective
from verify.unread import unread_fields

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = ROOT / "designs" / "flagship-ai-agreement.yaml"
CANDIDATES = ROOT / "designs" / "flagship-candidates.yaml"


def _run(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, out, err)
    return status, out.getvalue() + err.getvalue()


def without_chance(tmp_path: Path) -> Path:
    """The flagship without the properties and claims that read chance."""
    doc = yaml.safe_load(FLAGSHIP.read_text(encoding="utf-8"))
    doc["properties"] = [p for p in doc["properties"] if p["property"] not in ("detection-probability", "deterrence")]
    doc["claims"] = [c for c in doc["claims"] if c["property"] not in ("detection-probability", "deterrence")]
    path = tmp_path / "no-chance.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def test_a_run_that_reads_no_probability_says_so(tmp_path):
    word = ("mechanism 'whistleblower': detection_probability [0.3, 0.7] is read only by "
            "detection-probability, deterrence and inspection-game, which this run does not check")
    # The flagship lists detection-probability and deterrence: nothing unread.
    status, text = _run(["validate", str(FLAGSHIP)])
    assert status == 0 and "warning" not in text, text
    # Without them, validate names every number no property reads, at its line.
    path = without_chance(tmp_path)
    status, text = _run(["validate", str(path)])
    assert status == 0
    assert word in text
    assert "warning: violation 'covert-training-run': duration is read only by detection-probability and " \
           "deterrence, which this run does not check" in text
    assert "warning: violation 'covert-training-run': gain is read only by deterrence" in text
    assert "warning: sanction is read only by deterrence" in text
    regime = load(str(path))
    line = regime.mechanism["whistleblower"].where.line
    before = text.split("'whistleblower': detection_probability")[0].splitlines()[-1]
    assert f"no-chance.yaml:{line}:" in before
    # check says it for the properties it runs, not the design's list.
    _, text = _run(["check", str(FLAGSHIP), "-p", "detectability"])
    assert word in text
    _, text = _run(["check", str(FLAGSHIP), "-p", "detection-probability", "--p", "0.9", "-k", "1"])
    assert "detection_probability [0.3, 0.7] is read only" not in text
    assert "gain is read only by deterrence, which this run does not check" in text


def test_stripping_the_probabilities_changes_what_the_report_says(tmp_path):
    doc = yaml.safe_load(FLAGSHIP.read_text(encoding="utf-8"))
    for m in doc["mechanisms"]:
        m.pop("detection_probability", None)
    stripped = tmp_path / "stripped.yaml"
    stripped.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    _, before = _run(["check", str(FLAGSHIP), "-p", "detection-probability", "--p", "0.9", "-k", "2"])
    _, after = _run(["check", str(stripped), "-p", "detection-probability", "--p", "0.9", "-k", "2"])
    # Read, so the figures and the verdict move: the whistle-blower alone
    # was 0.3 to 0.7; seeing with certainty it is 1.
    assert "probability of detection: between 0.3 and 0.7" in before and "FAILS" in before
    assert "probability of detection: 1" in after and "HOLDS" in after


def test_a_probability_of_zero_or_one_is_read_and_not_named():
    from dataclasses import replace

    regime, _ = effective(load(str(FLAGSHIP)))
    for p, named in ((Probability.of(0), False), (Probability.of(1), False), (Probability.of(F(1, 4)), True)):
        ms = tuple(replace(m, detection_probability=p) if m.id == "chip-logging" else m for m in regime.mechanisms)
        messages = [m for m, _ in unread_fields(replace(regime, mechanisms=ms), checked={"detectability"})]
        assert any("'chip-logging': detection_probability" in m for m in messages) == named, p
        # A run that computes with chance reads it.
        messages = [m for m, _ in unread_fields(replace(regime, mechanisms=ms), checked={"deterrence"})]
        assert not any("'chip-logging': detection_probability" in m for m in messages), p


def test_optimise_reads_cost_and_reveals():
    regime, _ = effective(load(str(CANDIDATES)))
    checking = [m for m, _ in unread_fields(regime)]
    optimising = [m for m, _ in unread_fields(regime, optimising=True)]
    assert any("'chip-logging': cost, intrusiveness, optional are read only by `verify optimise`" in m
               for m in checking)
    assert any("'chip-logging': reveals" in m for m in checking)
    assert not any("cost, intrusiveness" in m or "reveals" in m for m in optimising)
    # Labels: read by confidentiality, which this run does not check.
    assert any(m.startswith("label 'chip-telemetry': the label is read only by confidentiality") for m in optimising)


def test_carries_and_attributes_are_named_until_a_property_reads_them(tmp_path):
    text = FLAGSHIP.read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    doc["labels"] = [{"id": "layout", "cleared": ["agency"]}]
    doc["flows"][0]["carries"] = ["layout"]
    doc["mechanisms"][0]["attributes"] = False
    doc["verifiers"] = [{"id": v, "finding": "direct"} if isinstance(v, str) else v for v in doc["verifiers"]]
    path = tmp_path / "more.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    status, out = _run(["validate", str(path)])
    assert status == 0, out
    assert f"flow {doc['flows'][0]['id']!r}: carries is read only by confidentiality" in out
    assert (f"mechanism {doc['mechanisms'][0]['id']!r}: attributes: false is read only by attribution and "
            "non-frameability") in out
    assert "label 'layout': the label is read only by confidentiality" in out
    # A finding rule is read by every property: never listed.
    assert "finding is read" not in out
    # Once the run checks them, they are read.
    doc["properties"] = [{"property": "confidentiality", "label": "layout"},
                         {"property": "attribution"}]
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    status, out = _run(["validate", str(path)])
    assert status == 0, out
    assert "carries is read" not in out and "attributes: false is read" not in out and "label 'layout'" not in out
