r"""Untrusted text: a design from elsewhere cannot forge a verdict on screen.

Ids, names, titles, descriptions and claim texts may hold ANSI escape
sequences, carriage returns, NUL bytes and right-to-left overrides.  Printed
raw, a FAILS line could read HOLDS and REFUTED read UPHELD.  Every output of
``check``, ``claims`` and ``validate`` (text, GitHub annotations, JUnit,
SARIF, JSON) is tested here on a hostile design: none of those characters is
written raw, the text formats show them escaped (``\x1b``, ``\r``, ``\x00``,
``\u202e``), the structured ones stay well-formed and keep the data.  And
``validate`` warns about names that read alike (docs/cli.md, "Untrusted
text").
"""

from __future__ import annotations

import io
import json
import unicodedata
import xml.etree.ElementTree as ET
from argparse import Namespace
from pathlib import Path

import pytest

from verify import explain as explain_module
from verify.cli import main
from verify.cli._common import deliver, paint
from verify.diagnostics import Diagnostic
from verify.load import load
from verify.model import Location
from verify.safety import confusables, fold, is_unsafe, json_safe, nfc, visible, visible_lines

#: What the design carries, as a YAML double-quoted scalar spells it.
PAYLOAD_YAML = r"\e[32mHOLDS\e[0m\r\0\u202E"
#: The same characters.
PAYLOAD = "\x1b[32mHOLDS\x1b[0m\r\x00\u202e"
#: None of these may be in any output raw.
RAW = ("\x1b", "\r", "\x00", "\u202e")
#: How the text formats show them.
SHOWN = r"\x1b[32mHOLDS\x1b[0m\r\x00\u202e"
#: A line break inside a name, followed by a forged verdict line.
FORGED = "non-circumventability(covert-training, k=1): HOLDS"


def cli(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main([str(a) for a in argv], out, err)
    return status, out.getvalue(), err.getvalue()


def _starter(tmp_path: Path) -> str:
    status, _, _ = cli("new", "starter", "-o", tmp_path / "starter.yaml")
    assert status == 0
    return (tmp_path / "starter.yaml").read_text("utf-8")


def _swap(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """The starter design (whose non-circumventability with k=1 fails, with
    lab-a the perpetrator in the counterexample), with the payload in its
    title, description, the perpetrator's and the inspectorate's names, and
    a claim that is refuted; the inspectorate's name also hides a line break
    and a forged verdict line."""
    text = _starter(tmp_path)
    text = _swap(text, "title: Starter", f'title: "Title {PAYLOAD_YAML} end"')
    text = _swap(text, "description: >\n  Replace this with what the regime is for.  See docs/format.md for every "
                       "field.\n", f'description: "Description {PAYLOAD_YAML}"\n')
    text = _swap(text, "    kind: lab\n", f'    kind: lab\n    name: "Lab {PAYLOAD_YAML} A"\n')
    text = _swap(text, "  - id: inspectorate\n    kind: inspectorate\n",
                 f'  - id: inspectorate\n    kind: inspectorate\n    name: "Insp {PAYLOAD_YAML}\\n{FORGED}"\n')
    text = _swap(text, 'text: "A lab', f'text: "{PAYLOAD_YAML} UPHELD A lab')
    claim = ("  - id: one-accomplice\n"
             f'    text: "Claim {PAYLOAD_YAML} with one accomplice it holds"\n'
             "    property: non-circumventability\n    k: 1\n    expect: holds\n")
    text = text.rstrip("\n") + "\n" + claim
    path = tmp_path / "hostile.yaml"
    path.write_text(text, "utf-8")
    regime = load(str(path))
    assert regime.title is not None and PAYLOAD in regime.title  # YAML carried every character, NUL included
    assert regime.description is not None and PAYLOAD in regime.description
    assert PAYLOAD in (regime.actor["lab-a"].name or "") and "\n" in (regime.actor["inspectorate"].name or "")
    return path


def assert_safe(text: str) -> None:
    for ch in RAW:
        assert ch not in text, f"{ch!r} written raw"
    for line in text.splitlines():
        assert not line.strip().startswith(FORGED), "a line break in a name started a forged line"


# ------------------------------------------------------------------ visible()


def test_plain_ascii_is_unchanged():
    for text in ("", "non-circumventability(covert-training, k=1): FAILS", "a\\x1b is a backslash", "~!@#$%^&*"):
        assert visible(text) == text and visible_lines(text) == text


def test_controls_and_bidi_are_escaped_visibly():
    assert visible(PAYLOAD) == SHOWN
    assert visible("a\nb\tc\x7fd\x85e\x9bf") == r"a\nb\tc\x7fd\x85e\x9bf"
    for cp in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)):
        assert visible(chr(cp)) == f"\\u{cp:04x}"
    assert visible("\u200b\u200d\ufeff\u00ad\u2028\u2029") == r"\u200b\u200d\ufeff\xad\u2028\u2029"
    assert visible("\U000e0041") == r"\U000e0041"  # a tag character: invisible ASCII smuggling
    assert visible("\ud800\ufffe\uffff") == r"\ud800\ufffe\uffff"  # not allowed in XML / not encodable


def test_every_character_escaped_is_shown_in_printable_ascii_and_idempotent():
    for cp in [*range(0, 0x3000), *range(0xFE00, 0x10000), *range(0xE0000, 0xE0080)]:
        ch = chr(cp)
        shown = visible(ch)
        if is_unsafe(ch):
            assert shown.isascii() and shown.isprintable() and shown.startswith("\\")
            assert unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp", "Cn")
        else:
            assert shown == ch
        assert visible(shown) == shown


def test_letters_of_every_script_and_spaces_are_kept():
    for text in ("Côte d’Ivoire", "中华人民共和国", "الإمارات العربية المتحدة", "Россия", "भारत", "a\u00a0b\u202fc"):
        assert visible(text) == text


def test_visible_lines_keeps_only_line_breaks():
    assert visible_lines(f"one {PAYLOAD}\ntwo\r\n") == f"one {SHOWN}\ntwo\\r\n"


def test_json_safe_is_lossless():
    data = {"id": f"x{PAYLOAD}\x7f\x85\U000e0041\ud800 é 中", "n": [1, "\\u202e"]}
    dumped = json.dumps(data, ensure_ascii=False)
    safe = json_safe(dumped)
    assert json.loads(safe) == data
    assert not any(is_unsafe(c) for c in safe)
    assert "é 中" in safe  # letters are not escaped


def test_every_public_function_of_explain_makes_visible_words():
    # The rule is applied where words leave verify/explain.py: a function
    # added to __all__ without @_line or @_lines fails here.
    assert set(explain_module.__all__) <= explain_module.VISIBLE


def test_diagnostics_quote_the_design_visibly():
    d = Diagnostic("E010", f"unknown field 'x{PAYLOAD}'", Location(f"f{PAYLOAD}.yaml", 3, 5),
                   expected="one of a, b", found=f"x{PAYLOAD}\nforged", hint=f"did you mean {PAYLOAD}?")
    text = str(d)
    assert_safe(text)
    assert text.splitlines()[0] == f"f{SHOWN}.yaml:3:5: error: E010 unknown field 'x{SHOWN}'"
    assert f"    found:    x{SHOWN}\\nforged" in text.splitlines()
    assert len(text.splitlines()) == 4
    assert d.found == f"x{PAYLOAD}\nforged"  # the field itself is kept for programs


def test_deliver_escapes_a_text_report_whatever_made_it():
    out = io.StringIO()
    args = Namespace(format="text", output=None, quiet=False)
    assert deliver(f"FAILS{PAYLOAD}\nnext\n", args, out, "verify check") is None
    assert out.getvalue() == f"FAILS{SHOWN}\nnext\n"


def test_a_title_that_ends_like_a_verdict_is_not_coloured_as_one():
    painted = paint("== f.yaml: Our design: HOLDS\n\np(v): FAILS\n", True)
    assert painted.startswith("== f.yaml: Our design: HOLDS\n")
    assert "\033[1;31mFAILS\033[0m" in painted


# ------------------------------------------------------------------ the commands


def test_check_text(hostile: Path):
    status, out, err = cli("check", hostile)
    assert status == 1
    assert_safe(out + err)
    assert f"Title {SHOWN} end" in out.splitlines()[0]
    assert f"lab-a (Lab {SHOWN} A) [perpetrator]" in out
    assert f"inspectorate (Insp {SHOWN}\\n{FORGED}) [chosen colluder]" in out
    assert "non-circumventability(covert-training, k=1): FAILS" in out.splitlines()


def test_check_output_file_is_escaped_too(hostile: Path, tmp_path: Path):
    status, _, _ = cli("check", hostile, "-o", tmp_path / "report.txt")
    assert status == 1
    text = (tmp_path / "report.txt").read_text("utf-8")
    assert_safe(text)
    assert SHOWN in text


def test_claims_text(hostile: Path):
    status, out, err = cli("claims", hostile)
    assert status == 1
    assert_safe(out + err)
    lines = out.splitlines()
    # A claim's text has its runs of white space made one space when loaded
    # (the carriage return too); the rest is shown escaped.
    in_claim = SHOWN.replace("\\r", " ")
    assert f'UPHELD: caught-within-a-month: "{in_claim} UPHELD A lab' in out
    assert any(line.startswith(f'REFUTED: one-accomplice: "Claim {in_claim} with one') for line in lines)
    assert f"lab-a (Lab {SHOWN} A) [perpetrator]" in out


@pytest.mark.parametrize("command", ["check", "claims", "validate"])
def test_github(hostile: Path, command: str):
    status, out, err = cli(command, hostile, "--format", "github")
    assert status == (0 if command == "validate" else 1)
    assert_safe(out + err)
    for line in out.splitlines():
        assert line.startswith("::") or line == out.splitlines()[-1]
    if command != "validate":
        assert SHOWN in out


@pytest.mark.parametrize("command", ["check", "claims", "validate"])
def test_junit_is_well_formed(hostile: Path, command: str):
    _, out, _ = cli(command, hostile, "--format", "junit")
    assert_safe(out)
    root = ET.fromstring(out)  # raises on a NUL or any other character XML forbids
    if command != "validate":
        assert any(SHOWN in (el.text or "") for el in root.iter())


@pytest.mark.parametrize("command", ["check", "claims", "validate"])
def test_sarif_is_json_with_nothing_raw(hostile: Path, command: str):
    _, out, _ = cli(command, hostile, "--format", "sarif")
    assert_safe(out)
    doc = json.loads(out)
    if command != "validate":
        messages = [r["message"]["text"] for r in doc["runs"][0]["results"]]
        assert any(SHOWN in m for m in messages)


def test_json_keeps_the_data_and_writes_nothing_raw(hostile: Path):
    status, out, _ = cli("check", hostile, "--format", "json")
    assert status == 1
    assert_safe(out)
    doc = json.loads(out)
    assert doc["files"][0]["path"] == str(hostile)


def test_validate_text_with_a_hostile_file_name_and_diagnostics(hostile: Path, tmp_path: Path):
    named = tmp_path / "evil\x1b[32m\u202e.yaml"
    named.write_text(hostile.read_text("utf-8"), "utf-8")
    status, out, err = cli("validate", named)
    assert status == 0
    assert_safe(out + err)
    assert out.endswith("evil\\x1b[32m\\u202e.yaml: ok (6 actors, 2 mechanisms, 2 flows)\n")

    broken = tmp_path / "broken.yaml"
    broken.write_text(hostile.read_text("utf-8") + f'"k{PAYLOAD_YAML}": 1\n', "utf-8")
    for fmt in ("text", "github", "junit", "sarif"):
        status, out, err = cli("validate", broken, "--format", fmt)
        assert status == 2
        assert_safe(out + err)
        if fmt != "sarif":  # SARIF's message is JSON: a backslash is doubled there
            assert f"k{SHOWN}" in (err if fmt == "text" else out)
        if fmt == "junit":
            ET.fromstring(out)


# ------------------------------------------------------------------ names that read alike


def test_names_compare_in_nfc_and_fold_alike():
    assert nfc("Cafe\u0301") == "Café"
    assert fold("ＬＡＢ\u200b  a") == fold("lab a") == "lab a"


def test_validate_warns_about_confusable_names(tmp_path: Path):
    text = _starter(tmp_path)
    text = _swap(text, "    kind: state\n", '    kind: state\n    name: "Caf\\u00e9 State"\n')
    text = _swap(text, "    kind: lab\n", '    kind: lab\n    name: "Cafe\\u0301 State"\n')
    text = _swap(text, "  - id: state-b\n    kind: state\n",
                 '  - id: state-b\n    kind: state\n    name: "Northland"\n')
    text = _swap(text, "  - id: state-c\n    kind: state\n",
                 '  - id: state-c\n    kind: state\n    name: "NORTH\\u202eLAND"\n')
    text = _swap(text, "  - id: chip-firm\n", "  - id: Chip-Firm\n    kind: chip-firm\n  - id: chip-firm\n")
    path = tmp_path / "alike.yaml"
    path.write_text(text, "utf-8")
    warnings = [m for m, _ in confusables(load(str(path)))]
    assert warnings == [
        "actor 'chip-firm' and actor 'Chip-Firm' have ids that differ only by case: they read alike in a report",
        "actors 'state-a' and 'lab-a' have the same name in different Unicode forms "
        "('Café State' and 'Cafe\u0301 State'): they read alike in a report",
        "actors 'state-b' and 'state-c' have names that differ only by case, Unicode compatibility forms or "
        "invisible characters ('Northland' and 'NORTH\\u202eLAND'): they read alike in a report",
    ]
    status, out, err = cli("validate", path)
    assert status == 0 and out.endswith(": ok (7 actors, 2 mechanisms, 2 flows)\n")
    assert_safe(err)
    assert sum("warning: " in line and "read alike" in line for line in err.splitlines()) == 3
    status, out, _ = cli("validate", path, "--format", "github")
    assert out.count("::warning ") == 3


@pytest.mark.parametrize("design", sorted((Path(__file__).resolve().parents[1] / "designs").glob("*.yaml")),
                         ids=lambda p: p.name)
def test_no_warning_for_the_reference_designs(design: Path):
    assert confusables(load(str(design))) == []
