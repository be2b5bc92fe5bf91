"""Focused tests of the loader: YAML with positions, durations, defaults,
``extends``, unsafe input, and the ``validate`` and ``schema`` commands."""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import jsonschema
import pytest
import yaml

from verify.catalogue import catalogue
from verify.cli import main
from verify.diagnostics import CODES
from verify.errors import (
    ExtendsError,
    InvalidRegimeError,
    RegimeError,
    UnsafeYAMLError,
    YAMLSyntaxError,
)
from verify.load import format_duration, load, parse_duration
from verify.load.yamlsrc import MAX_DEPTH, Seq, parse
from verify.model import SECONDS, Location, Probability

ROOT = Path(__file__).resolve().parent.parent

GOOD = """\
regime: compute-cap
title: Compute cap treaty
actors:
  - id: alpha
    kind: state
  - id: beta
    kind: state
  - id: lab-a
    kind: lab
    controlled_by: alpha
  - id: iai
    kind: inspectorate
assets:
  - {id: dc-a, host: alpha, owner: lab-a}
signatures:
  - {id: compute, unit: FLOP}
violations:
  - id: covert-run
    perpetrator: lab-a
    at: dc-a
    signatures:
      - {signature: compute, magnitude: 1e26, persists: 90d, conceal: 7d}
mechanisms:
  - id: onsite
    kind: inspection
    operator: iai
    observes: [{signature: compute, threshold: 1e25}]
    requires_access: host
    mandatory: true
    notice: 1d
    period: 30d
bodies:
  - {id: council, members: [alpha, beta], approve: 2}
flows:
  - {id: report, from: iai, to: council, latency: 2d}
verifiers: [council]
properties:
  - property: timeliness
    T: 60d
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def cli(*argv: str) -> tuple[int, str]:
    stream = io.StringIO()
    status = main(list(argv), stream)
    return status, stream.getvalue()


def codes(err: RegimeError) -> list[str]:
    return [d.code for d in err.diagnostics]


# ---------------------------------------------------------------- positions

def test_positions_of_keys_values_and_items():
    text = "regime: x\nactors:\n  - id: alpha\n    kind:   state\n  - {id: beta, kind: lab}\n"
    data = parse(text, "f.yaml")
    assert data.where == Location("f.yaml", 1, 1)
    assert data.key_at["actors"] == Location("f.yaml", 2, 1)
    assert data.value_at["regime"] == Location("f.yaml", 1, 9)
    actors = data["actors"]
    assert isinstance(actors, Seq)
    assert actors.item_at == [Location("f.yaml", 3, 5), Location("f.yaml", 5, 5)]
    first, second = actors
    assert first.key_at["kind"] == Location("f.yaml", 4, 5)
    assert first.value_at["kind"] == Location("f.yaml", 4, 13)  # after the extra spaces
    assert second.value_at["kind"] == Location("f.yaml", 5, 22)


def test_elements_of_the_model_remember_where_they_were_written(tmp_path):
    regime = load(write(tmp_path / "r.yaml", GOOD))
    assert regime.actor["lab-a"].where == Location(str(tmp_path / "r.yaml"), 8, 5)
    assert regime.asset["dc-a"].where.line == 14
    assert regime.asset["dc-a"].where.column == 5  # the '{' of the flow mapping
    assert regime.verifiers[0].where == Location(str(tmp_path / "r.yaml"), 36, 13)
    assert regime.properties[0].where.line == 38


def test_error_positions_point_at_the_value_and_at_an_unknown_key(tmp_path):
    path = write(tmp_path / "r.yaml", GOOD.replace("    notice: 1d\n", "    notise: 1d\n")
                 .replace("host: alpha,", "host: alpah,"))
    with pytest.raises(InvalidRegimeError) as info:
        load(path)
    by_code = {d.code: d for d in info.value.diagnostics}
    assert (by_code["E020"].where.line, by_code["E020"].where.column) == (14, 22)
    assert (by_code["E010"].where.line, by_code["E010"].where.column) == (30, 5)
    assert by_code["E010"].hint == "did you mean 'notice'?"
    assert by_code["E020"].hint == "did you mean 'alpha'?"


# ---------------------------------------------------------------- YAML 1.2 scalars

def test_plain_scalars_follow_yaml_1_2():
    data = parse(textwrap.dedent("""\
        big: 1e26
        small: 2.5e-3
        country: no
        answer: yes
        switch: on
        off_: off
        hex: 0x1F
        octal: 0o17
        plain_int: 42
        negative: -7
        nothing: ~
        empty:
        truth: true
        quoted: '1e26'
        date: 2024-05-01
        equals: =
        inf: .inf
    """), "f.yaml")
    assert data["big"] == 1e26 and isinstance(data["big"], float)
    assert data["small"] == 0.0025
    assert data["country"] == "no"  # YAML 1.1 would read Norway as false
    assert data["answer"] == "yes" and data["switch"] == "on" and data["off_"] == "off"
    assert data["hex"] == 31 and data["octal"] == 15
    assert data["plain_int"] == 42 and isinstance(data["plain_int"], int)
    assert data["negative"] == -7
    assert data["nothing"] is None and data["empty"] is None
    assert data["truth"] is True
    assert data["quoted"] == "1e26"
    assert data["date"] == "2024-05-01"
    assert data["equals"] == "="
    assert data["inf"] == math.inf


def test_loaded_magnitudes_are_numbers_and_no_is_a_name(tmp_path):
    regime = load(write(tmp_path / "r.yaml", GOOD.replace("title: Compute cap treaty", "title: no")))
    assert regime.title == "no"
    assert regime.violation["covert-run"].traces[0].magnitude == 1e26
    assert regime.mechanism["onsite"].threshold("compute") == 1e25


def test_yaml_1_1_booleans_are_not_booleans(tmp_path):
    path = write(tmp_path / "r.yaml", GOOD.replace("mandatory: true", "mandatory: yes"))
    with pytest.raises(InvalidRegimeError) as info:
        load(path)
    [d] = info.value.diagnostics
    assert d.code == "E011" and d.found == "'yes'" and d.expected == "true or false"


def test_merge_key_is_an_unknown_field_not_an_unsafe_tag(tmp_path):
    path = write(tmp_path / "r.yaml", """\
        regime: x
        actors:
          - &a {id: alpha, kind: state}
          - {<<: *a, id: beta}
    """)
    with pytest.raises(InvalidRegimeError) as info:
        load(path)
    assert "E002" not in codes(info.value)
    assert any(d.code == "E010" and d.found == "<<" for d in info.value.diagnostics)


# ---------------------------------------------------------------- durations

@pytest.mark.parametrize("text, seconds", [
    ("30d", 30 * 86400), ("12h", 12 * 3600), ("1.5d", 36 * 3600), ("1y", 365 * 86400),
    ("0", 0), (0, 0), ("45min", 2700), ("2w", 14 * 86400), ("90s", 90), ("0.5s", 1),
])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["30 days", "-3d", "30", "d", "1.d", "3 d", "1e3d", ""])
def test_parse_duration_refuses_malformed(text):
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize("seconds", [0, 1, 59, 60, 3600, 86400, 36 * 3600, 7 * 86400,
                                     30 * 86400, 365 * 86400, 90061, 731 * 86400])
def test_format_duration_round_trips(seconds):
    text = format_duration(seconds)
    assert parse_duration(text) == seconds
    assert isinstance(text, str)


def test_format_duration_is_the_shortest_spelling():
    assert format_duration(30 * 86400) == "30d"
    # Days with decimals, as a treaty writes them (issue 9): not 36h or 2w.
    assert format_duration(36 * 3600) == "1.5d"
    assert format_duration(14 * 86400) == "14d"
    assert format_duration(365 * 86400) == "1y"
    assert format_duration(0) == "0"
    assert format_duration(None) == "forever"
    assert format_duration(None, none="never") == "never"


def test_loaded_durations_are_seconds(tmp_path):
    regime = load(write(tmp_path / "r.yaml", GOOD))
    m = regime.mechanism["onsite"]
    assert (m.period, m.notice) == (30 * SECONDS["d"], 86400)
    trace = regime.violation["covert-run"].traces[0]
    assert (trace.persists, trace.conceal) == (90 * 86400, 7 * 86400)
    assert regime.flow["report"].latency == 2 * 86400
    assert regime.properties[0].param("T") == 60 * 86400


# ---------------------------------------------------------------- defaults

MINIMAL = """\
regime: minimal
actors:
  - {id: alpha, kind: state}
  - {id: iai, kind: inspectorate}
assets:
  - {id: site, host: alpha}
signatures:
  - {id: heu}
violations:
  - {id: divert, perpetrator: alpha, at: site, signatures: [{signature: heu}]}
mechanisms:
  - {id: seals, operator: iai, observes: [heu]}
bodies:
  - {id: board, members: [alpha, iai], block: 1}
flows:
  - {id: report, from: iai, to: board}
verifiers: [iai]
claims:
  - {id: c1, text: "Diversion is detected.", property: detectability}
"""


def test_defaults_are_filled_in(tmp_path):
    regime = load(write(tmp_path / "r.yaml", MINIMAL))
    m = regime.mechanism["seals"]
    assert (m.period, m.notice, m.latency) == (0, 0, 0)
    assert m.detection_probability == Probability.of(1)
    assert m.kind == "other"
    assert m.at is None and m.requires_access == () and m.triggered_by is None
    assert (m.mandatory, m.tamper_evident, m.optional, m.attributes) == (False, False, False, True)
    assert m.observes[0].threshold == 0.0 and m.cost is None
    trace = regime.violation["divert"].traces[0]
    assert trace.persists is None and trace.conceal is None and trace.magnitude == 0.0
    assert regime.violation["divert"].duration is None
    assert regime.violation["divert"].perpetrators == ("alpha",)
    f = regime.flow["report"]
    assert (f.latency, f.period, f.via, f.mandatory, f.authenticated) == (0, 0, (), False, False)
    b = regime.body["board"]
    assert (b.approve, b.block, b.recused, b.latency) == (None, 1, (), 0)
    assert regime.actor["alpha"].status == "in-force" and regime.actor["alpha"].controlled_by == ()
    assert regime.asset["site"].owner is None
    assert regime.threat_model.colluders is None and regime.threat_model.max == 1
    assert regime.verifiers[0].finding is None
    assert regime.claims[0].expect == "holds" and regime.claims[0].spec.params == ()
    assert regime.extends == ()


def test_forever_and_never_are_none(tmp_path):
    text = MINIMAL.replace("signatures: [{signature: heu}]",
                           "signatures: [{signature: heu, persists: forever, conceal: never}]")
    trace = load(write(tmp_path / "r.yaml", text)).violation["divert"].traces[0]
    assert trace.persists is None and trace.conceal is None


# ---------------------------------------------------------------- extends

BASE = """\
regime: base
actors:
  - {id: alpha, kind: state}
  - {id: beta, kind: state}
  - {id: iai, kind: inspectorate}
assets:
  - {id: site, host: alpha}
signatures:
  - {id: heu, unit: kg}
violations:
  - {id: divert, perpetrator: alpha, at: site, signatures: [{signature: heu, magnitude: 25}]}
mechanisms:
  - id: seals
    operator: iai
    observes: [heu]
    period: 90d
    mandatory: true
  - {id: cameras, operator: iai, observes: [heu], period: 1d}
verifiers: [iai]
"""


def test_extends_overrides_adds_and_removes(tmp_path):
    write(tmp_path / "bases" / "base.yaml", BASE)
    variant = write(tmp_path / "variant.yaml", """\
        regime: variant
        extends: bases/base.yaml
        mechanisms:
          - {id: seals, period: 30d}
          - {id: sampling, operator: iai, observes: [heu], latency: 5d}
        remove:
          mechanisms: [cameras]
    """)
    regime = load(variant)
    assert regime.id == "variant"
    assert [m.id for m in regime.mechanisms] == ["seals", "sampling"]
    seals = regime.mechanism["seals"]
    assert seals.period == 30 * 86400  # overridden
    assert seals.mandatory is True and seals.operator == "iai"  # inherited
    assert regime.mechanism["sampling"].latency == 5 * 86400
    assert [a.id for a in regime.actors] == ["alpha", "beta", "iai"]
    assert regime.extends == (str(tmp_path / "bases" / "base.yaml"),)
    assert regime.path == str(variant)


def test_extends_paths_are_relative_to_the_extending_file(tmp_path, monkeypatch):
    write(tmp_path / "treaty" / "base.yaml", BASE)
    write(tmp_path / "treaty" / "variants" / "v.yaml",
          "regime: v\nextends: ../base.yaml\n")
    # Resolved against the working directory, ../base.yaml would be this decoy.
    write(tmp_path / "base.yaml", "regime: decoy\n")
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    # ../base.yaml leaves the variant's folder: refused unless that folder is allowed.
    with pytest.raises(ExtendsError) as err:
        load("../treaty/variants/v.yaml")
    assert [d.code for d in err.value.diagnostics] == ["E033"]
    regime = load("../treaty/variants/v.yaml", allow=["../treaty"])
    assert regime.id == "v"
    assert [m.id for m in regime.mechanisms] == ["seals", "cameras"]
    assert regime.extends == ("../treaty/base.yaml",)


def test_extends_chain_of_two(tmp_path):
    write(tmp_path / "base.yaml", BASE)
    write(tmp_path / "mid.yaml", "regime: mid\nextends: base.yaml\nremove: {mechanisms: [cameras]}\n")
    top = write(tmp_path / "top.yaml", "regime: top\nextends: mid.yaml\nthreat_model: {max: 2}\n")
    regime = load(top)
    assert [m.id for m in regime.mechanisms] == ["seals"]
    assert regime.threat_model.max == 2
    assert regime.extends == (str(tmp_path / "mid.yaml"), str(tmp_path / "base.yaml"))


def test_the_hash_is_of_the_bytes_parsed_file_first_then_its_bases(tmp_path):
    base = write(tmp_path / "base.yaml", BASE)
    # Windows line ends, and a character outside ASCII: the hash is of the
    # bytes on disk, not of the text after decoding.
    mid = tmp_path / "mid.yaml"
    mid.write_bytes("regime: mid\r\ntitle: Überprüfung\r\nextends: base.yaml\r\n".encode())
    top = write(tmp_path / "top.yaml", "regime: top\nextends: mid.yaml\nthreat_model: {max: 2}\n")
    regime = load(top)
    expected = hashlib.sha256(top.read_bytes() + mid.read_bytes() + base.read_bytes()).hexdigest()
    assert regime.sha256 == expected
    assert regime.title == "Überprüfung"
    # Changing a file afterwards changes nothing in what was loaded; loading
    # again gives the new hash.
    base.write_text(BASE + "sources: [later]\n", encoding="utf-8")
    assert regime.sha256 == expected
    again = load(top)
    assert again.sha256 != expected
    assert again.sha256 == hashlib.sha256(top.read_bytes() + mid.read_bytes() + base.read_bytes()).hexdigest()


def test_the_hash_of_a_file_without_a_base_is_of_its_bytes(tmp_path):
    path = write(tmp_path / "r.yaml", MINIMAL)
    assert load(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    # Not part of what makes two regimes equal.
    other = write(tmp_path / "s.yaml", MINIMAL + "# a comment\n")
    assert load(other).sha256 != load(path).sha256 and load(other) == load(path)


def test_errors_in_inherited_fields_point_into_the_base(tmp_path):
    base = write(tmp_path / "bases" / "base.yaml", BASE.replace("period: 90d", "period: 90"))
    variant = write(tmp_path / "variant.yaml", """\
        regime: variant
        extends: bases/base.yaml
        mechanisms:
          - {id: cameras, period: -1d}
    """)
    with pytest.raises(InvalidRegimeError) as info:
        load(variant)
    where = {d.code: d.where for d in info.value.diagnostics}
    assert codes(info.value) == ["E014", "E013"]
    assert where["E014"] == Location(str(base), 16, 13)  # `period: 90` in the base
    assert where["E013"] == Location(str(variant), 4, 27)  # `period: -1d` in the variant


def test_remove_of_an_id_the_base_lacks(tmp_path):
    write(tmp_path / "base.yaml", BASE)
    variant = write(tmp_path / "v.yaml", "regime: v\nextends: base.yaml\nremove:\n  mechanisms: [camera]\n")
    with pytest.raises(ExtendsError) as info:
        load(variant)
    [d] = info.value.diagnostics
    assert d.code == "E032" and "'camera'" in d.message
    assert d.where == Location(str(variant), 4, 16)
    assert d.hint == "did you mean 'cameras'?"


def test_remove_without_extends(tmp_path):
    path = write(tmp_path / "v.yaml", "regime: v\nactors: []\nremove:\n  actors: [alpha]\n")
    with pytest.raises(ExtendsError) as info:
        load(path)
    [d] = info.value.diagnostics
    assert d.code == "E032" and d.where == Location(str(path), 3, 1)


def test_extends_of_a_missing_file(tmp_path):
    variant = write(tmp_path / "v.yaml", "regime: v\nextends: nowhere.yaml\n")
    with pytest.raises(ExtendsError) as info:
        load(variant)
    [d] = info.value.diagnostics
    assert d.code == "E030" and d.where == Location(str(variant), 2, 10)
    assert d.hint is None
    write(tmp_path / "nowhere-v1.yaml", BASE)
    with pytest.raises(ExtendsError) as info:
        load(variant)
    assert info.value.diagnostics[0].hint == "did you mean 'nowhere-v1.yaml'?"


def test_extends_cycle(tmp_path):
    write(tmp_path / "a.yaml", "regime: a\nextends: b.yaml\n")
    write(tmp_path / "b.yaml", "regime: b\nextends: a.yaml\n")
    with pytest.raises(ExtendsError) as info:
        load(tmp_path / "a.yaml")
    [d] = info.value.diagnostics
    assert d.code == "E031" and "a.yaml -> b.yaml -> a.yaml" in d.message
    assert d.where == Location(str(tmp_path / "b.yaml"), 2, 10)


def test_a_removed_element_that_is_still_referenced_is_reported(tmp_path):
    write(tmp_path / "base.yaml", BASE)
    variant = write(tmp_path / "v.yaml", "regime: v\nextends: base.yaml\nremove: {actors: [iai]}\n")
    with pytest.raises(InvalidRegimeError) as info:
        load(variant)
    assert set(codes(info.value)) == {"E020"}
    assert {d.found for d in info.value.diagnostics} == {"iai"}
    assert len(info.value.diagnostics) == 3  # two operators and the verifier


# ---------------------------------------------------------------- unsafe YAML

def test_python_object_apply_is_refused_and_not_run(tmp_path):
    marker = tmp_path / "ran"
    text = f"regime: x\ntitle: !!python/object/apply:os.system ['touch {marker}']\n"
    path = write(tmp_path / "r.yaml", text)
    with pytest.raises(UnsafeYAMLError) as info:
        load(path)
    assert codes(info.value) == ["E002"]
    assert info.value.diagnostics[0].where == Location(str(path), 2, 8)
    assert not marker.exists()
    status, output = cli("validate", str(path))
    assert status == 2 and "E002" in output and not marker.exists()
    # The control: an unsafe loader does run it, so the marker check means something.
    control = tmp_path / "control"
    yaml.unsafe_load(text.replace(str(marker), str(control)))
    assert control.exists()


@pytest.mark.parametrize("tag", ["!!python/object:os.system", "!!python/name:os.system",
                                 "!!python/module:os", "!!set", "!include", "!!omap"])
def test_other_object_tags_are_refused(tmp_path, tag):
    path = write(tmp_path / "r.yaml", f"regime: x\nactors: {tag} []\n")
    with pytest.raises(UnsafeYAMLError) as info:
        load(path)
    assert codes(info.value) == ["E002"]


BOMB = "\n".join(
    ['lol1: &lol1 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"lol{i}: &lol{i} [" + ",".join([f"*lol{i - 1}"] * 9) + "]" for i in range(2, 10)]
) + "\n"

_MEASURE = """
import resource, sys, time
from verify.errors import UnsafeYAMLError
from verify.load import load
t = time.perf_counter()
try:
    load(sys.argv[1])
    print("loaded")
except UnsafeYAMLError as e:
    print(e.diagnostics[0].code)
print(time.perf_counter() - t)
# This process's own peak.  Not ru_maxrss: Linux carries the parent's peak
# over the fork and exec, so that would measure whatever pytest had run
# before this test.
try:
    with open("/proc/self/status") as fh:
        print(next(line.split()[1] for line in fh if line.startswith("VmHWM:")))
except OSError:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def test_billion_laughs_is_refused_quickly_and_in_little_memory(tmp_path):
    assert BOMB.count("*lol") == 8 * 9  # the classic: 9 levels, 10**9 "lol"s
    path = write(tmp_path / "bomb.yaml", BOMB)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(path)], capture_output=True,
                          text=True, timeout=60, cwd=ROOT)
    wall = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    code, seconds, max_rss_kib = done.stdout.split()
    assert code == "E003"
    assert float(seconds) < 2.0
    assert int(max_rss_kib) < 200_000
    assert wall < 30  # the interpreter's start-up included


def test_alias_within_budget_is_accepted(tmp_path):
    path = write(tmp_path / "r.yaml", MINIMAL.replace(
        "  - {id: alpha, kind: state}\n", "  - {id: alpha, kind: &st state}\n  - {id: beta, kind: *st}\n"))
    regime = load(path)
    assert regime.actor["beta"].kind == "state"


def test_alias_containing_itself_is_refused(tmp_path):
    path = write(tmp_path / "r.yaml", "regime: x\nactors: &a [*a]\n")
    with pytest.raises(UnsafeYAMLError) as info:
        load(path)
    assert codes(info.value) == ["E003"]


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 20_000])
def test_deep_nesting_is_a_diagnostic_not_a_crash(tmp_path, depth):
    path = write(tmp_path / "r.yaml", "regime: x\nsources: " + "[" * depth + "]" * depth + "\n")
    status, output = cli("validate", str(path))
    assert status == 2
    assert "E001" in output and "Traceback" not in output


def test_nesting_up_to_the_limit_is_parsed(tmp_path):
    depth = MAX_DEPTH - 1  # the document itself is one level
    data = parse("regime: x\nsources: " + "[" * depth + "]" * depth + "\n", "f.yaml")
    node, levels = data["sources"], 1
    while node:
        node, levels = node[0], levels + 1
    assert levels == depth


# ---------------------------------------------------------------- other malformed documents

@pytest.mark.parametrize("text, code, error", [
    ("", "E006", YAMLSyntaxError),
    ("# nothing\n", "E006", YAMLSyntaxError),
    ("- a\n- b\n", "E006", YAMLSyntaxError),
    ("just words\n", "E006", YAMLSyntaxError),
    ("regime: x\n---\nregime: y\n", "E001", YAMLSyntaxError),
    ("regime: x\n1: one\n", "E011", YAMLSyntaxError),
    ("regime: x\nregime: y\n", "E004", YAMLSyntaxError),
    ("regime: [x\n", "E001", YAMLSyntaxError),
    ("regime: x\n\tactors: []\n", "E001", YAMLSyntaxError),
])
def test_malformed_documents(tmp_path, text, code, error):
    path = write(tmp_path / "r.yaml", text)
    with pytest.raises(error) as info:
        load(path)
    assert codes(info.value) == [code]


def test_duplicate_key_points_at_the_second_and_names_the_first(tmp_path):
    path = write(tmp_path / "r.yaml", "regime: x\nactors:\n  - id: a\n    kind: state\n    kind: lab\n")
    with pytest.raises(YAMLSyntaxError) as info:
        load(path)
    [d] = info.value.diagnostics
    assert (d.code, d.where.line, d.where.column) == ("E004", 5, 5)
    assert d.hint == "first written at line 4"


def test_missing_file(tmp_path):
    status, output = cli("validate", str(tmp_path / "absent.yaml"))
    assert status == 2 and "E005" in output


def test_nan_is_not_a_probability(tmp_path):
    path = write(tmp_path / "r.yaml", MINIMAL.replace(
        "observes: [heu]}", "observes: [heu], detection_probability: .nan}"))
    with pytest.raises(InvalidRegimeError) as info:
        load(path)
    [d] = info.value.diagnostics
    assert d.code == "E013" and "detection_probability" in d.message


def test_empty_perpetrator_list(tmp_path):
    path = write(tmp_path / "r.yaml", MINIMAL.replace("perpetrator: alpha", "perpetrator: []"))
    status, output = cli("validate", str(path))
    assert status == 2 and "E017" in output and "Traceback" not in output


def test_unknown_parameter_is_reported_once_with_a_suggestion(tmp_path):
    path = write(tmp_path / "r.yaml", GOOD.replace("    T: 60d\n", "    T: 60d\n    dierct: true\n"))
    with pytest.raises(InvalidRegimeError) as info:
        load(path)
    [d] = info.value.diagnostics
    assert d.code == "E010" and d.hint == "did you mean 'direct'?"


def test_parameter_of_another_property_is_e026(tmp_path):
    path = write(tmp_path / "r.yaml", GOOD.replace("    T: 60d\n", "    T: 60d\n    f: 1\n"))
    with pytest.raises(InvalidRegimeError) as info:
        load(path)
    [d] = info.value.diagnostics
    assert d.code == "E026" and "'f' does not apply to timeliness" in d.message


# ---------------------------------------------------------------- all errors, in order

THREE = GOOD.replace("    kind: lab\n", "    kind: labb\n") \
            .replace("owner: lab-a}", "owner: lab-b}") \
            .replace("latency: 2d}", "latency: -2d}")


def test_all_errors_of_a_file_are_reported_in_one_run(tmp_path):
    path = write(tmp_path / "r.yaml", THREE)
    with pytest.raises(InvalidRegimeError) as info:
        load(path)
    assert codes(info.value) == ["E015", "E020", "E013"]
    status, output = cli("validate", str(path))
    assert status == 2
    assert output.count(": error: E") == 3 and output.rstrip().endswith("3 errors")


def test_diagnostics_are_sorted_by_line(tmp_path):
    # The reference errors are written first, the schema errors last: the
    # order of the checks would print them the other way round.
    text = GOOD.replace("host: alpha,", "host: alpah,") \
               .replace("    perpetrator: lab-a\n", "    perpetrator: lab-z\n") \
               .replace("    period: 30d\n", "    period: 30\n") \
               .replace("  - {id: report, from: iai, to: council, latency: 2d}\n",
                        "  - {id: report, from: iai, to: council, latency: 2d, colour: red}\n")
    with pytest.raises(InvalidRegimeError) as info:
        load(write(tmp_path / "r.yaml", text))
    lines = [d.where.line for d in info.value.diagnostics]
    assert codes(info.value) == ["E020", "E020", "E014", "E010"]
    assert lines == sorted(lines) and len(set(lines)) == 4


# ---------------------------------------------------------------- commands

def test_validate_a_good_file(tmp_path):
    path = write(tmp_path / "r.yaml", GOOD)
    status, output = cli("validate", str(path))
    assert status == 0
    assert "ok" in output and "error" not in output
    assert output.startswith(f"{path}: ok (4 actors, 1 mechanisms, 1 flows)")


def test_validate_several_files_reports_each(tmp_path):
    good = write(tmp_path / "good.yaml", GOOD)
    bad = write(tmp_path / "bad.yaml", THREE)
    status, output = cli("validate", str(good), str(bad))
    assert status == 2
    assert f"{good}: ok" in output and f"{bad}:" in output and "3 errors" in output


def test_validate_quiet_prints_nothing_for_a_good_file(tmp_path):
    status, output = cli("validate", "-q", str(write(tmp_path / "r.yaml", GOOD)))
    assert (status, output) == (0, "")


def test_schema_command_prints_the_schema(tmp_path):
    status, output = cli("schema")
    assert status == 0
    schema = json.loads(output)
    jsonschema.Draft202012Validator.check_schema(schema)
    good = parse(GOOD, "good.yaml")
    jsonschema.validate(good, schema, cls=jsonschema.Draft202012Validator)
    bad = parse(GOOD.replace("title:", "titel:"), "bad.yaml")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema, cls=jsonschema.Draft202012Validator)


def test_schema_property_enum_is_the_catalogue():
    status, output = cli("schema")
    defs = json.loads(output)["$defs"]
    ids = set(catalogue())
    assert len(ids) >= 5
    assert set(defs["property"]["properties"]["property"]["enum"]) == ids
    assert set(defs["claim"]["properties"]["property"]["enum"]) == ids


def test_schema_parameters_are_the_catalogues():
    """Every parameter the catalogue declares is a field of properties and claims."""
    defs = json.loads(cli("schema")[1])["$defs"]
    params = {p for info in catalogue().values() for p in info.parameters}
    assert params <= set(defs["property"]["properties"])
    assert params <= set(defs["claim"]["properties"])


def test_every_code_is_documented():
    doc = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    for code, meaning in CODES.items():
        assert f"## {code}: {meaning}\n" in doc, code
    documented = re.findall(r"^## (E\d{3}):", doc, flags=re.M)
    assert documented == sorted(CODES)


# ---------------------------------------------------------------- hostile numbers, ids and variants

@pytest.mark.parametrize("old, new, field", [
    ("block: 1}", "approve: 3.0}", "approve"),  # 3 would be more than the 2 members (E023)
    ("block: 1}", "block: 1.0}", "block"),
    ("verifiers: [iai]", "verifiers: [iai]\nthreat_model: {max: 1.0}", "max"),
    ("verifiers: [iai]", "verifiers: [iai]\nproperties: [{property: non-circumventability, k: 1e0}]", "k"),
    ("verifiers: [iai]", "verifiers: [iai]\nproperties: [{property: fault-tolerance, f: 2.0}]", "f"),
    ("verifiers: [iai]", "verifiers: [iai]\nproperties: [{property: minimal-evasion-sets, K: 1.0}]", "K"),
    ("property: detectability}", "property: non-circumventability, k: 2.0}", "k"),
    ("observes: [heu]}", "observes: [heu], period: 0.0}", "period"),
])
def test_a_count_written_as_a_float_is_a_wrong_type(tmp_path, old, new, field):
    assert old in MINIMAL
    with pytest.raises(InvalidRegimeError) as info:
        load(write(tmp_path / "r.yaml", MINIMAL.replace(old, new)))
    [d] = info.value.diagnostics
    assert d.code == "E011" and d.message.endswith(f"› {field}"), d
    assert "." in d.found or "e" in d.found


@pytest.mark.parametrize("new", ["approve: true}", "block: false}"])
def test_a_count_written_as_a_boolean_is_a_wrong_type(tmp_path, new):
    with pytest.raises(InvalidRegimeError) as info:
        load(write(tmp_path / "r.yaml", MINIMAL.replace("block: 1}", new)))
    [d] = info.value.diagnostics
    assert d.code == "E011" and d.expected == "a whole number"


def test_whole_counts_and_float_amounts_still_load(tmp_path):
    text = MINIMAL.replace("block: 1}", "approve: 2}").replace(
        "signatures: [{signature: heu}]", "signatures: [{signature: heu, magnitude: 25}]") + \
        "threat_model: {max: 1000000000}\nproperties: [{property: non-circumventability, k: 0x2}]\n"
    regime = load(write(tmp_path / "r.yaml", text))
    assert regime.body["board"].approve == 2 and regime.threat_model.max == 10**9
    assert regime.properties[0].params == (("k", 2),)
    assert regime.violation["divert"].traces[0].magnitude == 25.0


@pytest.mark.parametrize("extra, field, bound", [
    ("threat_model: {max: 1000000001}", "max", "at most 1000000000"),
    ("properties: [{property: non-circumventability, k: 4294967296}]", "k", "at most 1000000000"),
    ("properties: [{property: fault-tolerance, f: 0x100000000}]", "f", "at most 1000000000"),
    ("properties: [{property: minimal-evasion-sets, K: 99999999999}]", "K", "at most 1000000000"),
])
def test_counts_are_bounded(tmp_path, extra, field, bound):
    with pytest.raises(InvalidRegimeError) as info:
        load(write(tmp_path / "r.yaml", MINIMAL + extra + "\n"))
    [d] = info.value.diagnostics
    assert d.code == "E013" and f"› {field} is out of range" in d.message and d.expected == bound


@pytest.mark.parametrize("value", ["1.1e100", ".inf", "1" + "0" * 200], ids=["1.1e100", "inf", "10**200"])
def test_amounts_are_bounded(tmp_path, value):
    path = write(tmp_path / "r.yaml", MINIMAL.replace("{signature: heu}]", f"{{signature: heu, magnitude: {value}}}]"))
    with pytest.raises(InvalidRegimeError) as info:
        load(path)
    [d] = info.value.diagnostics
    assert d.code == "E013" and d.expected == "at most 1e100"


@pytest.mark.parametrize("digits", [4400, 100_000])
def test_a_numeral_too_long_to_read_is_e013_not_an_internal_error(tmp_path, digits):
    path = write(tmp_path / "r.yaml", MINIMAL + f"threat_model: {{max: {'9' * digits}}}\n")
    started = time.perf_counter()
    with pytest.raises(RegimeError) as info:
        load(path)
    assert time.perf_counter() - started < 2
    [d] = info.value.diagnostics
    assert d.code == "E013" and f"{digits} digits" in d.message
    assert d.where == Location(str(path), 20, 21)
    assert len(str(d)) < 300  # the numeral is not echoed whole
    status, output = cli("validate", str(path))
    assert status == 2 and "Traceback" not in output and "internal error" not in output


def test_numerals_up_to_the_digit_limit_are_read():
    from verify.load.yamlsrc import MAX_DIGITS
    assert parse(f"n: {'9' * MAX_DIGITS}\nh: 0x{'f' * MAX_DIGITS}\n", "f.yaml")["n"] == 10**MAX_DIGITS - 1
    for text in (f"n: {'9' * (MAX_DIGITS + 1)}\n", f"n: 0x{'f' * (MAX_DIGITS + 1)}\n", f"n: -{'0' * MAX_DIGITS}1\n"):
        with pytest.raises(YAMLSyntaxError) as info:
            parse(text, "f.yaml")
        assert codes(info.value) == ["E013"]


@pytest.mark.parametrize("value, code", [
    ('"30d\\n"', "E014"),
    ('"0\\n"', "E014"),
    ("1001y", "E013"),
    ("365001d", "E013"),
    ("99999999999999999999999999999999d", "E013"),
    (f"{'1' * 5000}s", "E013"),
    (f"{'0' * 5000}1s", "E014"),
    (f"{'0' * 14}1s", None),
    ("1.0000000001d", "E014"),
    (f"1.{'5' * 5000}d", "E014"),
    ("1000y", None),
    ("1.123456789d", None),
], ids=lambda v: v if v is None or len(v) < 40 else f"{v[:8]}...{len(v)}-chars")
def test_durations_are_read_whole_and_bounded(tmp_path, value, code):
    path = write(tmp_path / "r.yaml", MINIMAL.replace("observes: [heu]}", f"observes: [heu], latency: {value}}}"))
    if code is None:
        assert load(path).mechanism["seals"].latency <= 1000 * SECONDS["y"]
        return
    with pytest.raises(InvalidRegimeError) as info:
        load(path)
    [d] = info.value.diagnostics
    assert d.code == code and "latency" in d.message


@pytest.mark.parametrize("old, new", [
    ("{id: alpha, kind: state}", '{id: "alpha\\n", kind: state}'),
    ("regime: minimal", 'regime: "minimal\\n"'),
    ("observes: [heu]}", 'observes: [heu], requires_access: "alpha\\n"}'),
    ("members: [alpha, iai]", 'members: [alpha, "iai\\n"]'),
    ("verifiers: [iai]", 'verifiers: [iai]\nremove: {actors: ["iai\\n"]}'),
])
def test_an_id_with_a_final_newline_is_not_an_id(tmp_path, old, new):
    assert old in MINIMAL
    status, output = cli("validate", str(write(tmp_path / "r.yaml", MINIMAL.replace(old, new))))
    assert status == 2 and "Traceback" not in output
    assert "E016" in output or "E032" in output  # remove: without extends is E032 first


def test_an_actor_with_a_final_newline_is_not_another_actor(tmp_path):
    twin = '- {id: iai, kind: inspectorate}\n  - {id: "iai\\n", kind: state}'
    path = write(tmp_path / "r.yaml", MINIMAL.replace("- {id: iai, kind: inspectorate}", twin))
    with pytest.raises(InvalidRegimeError) as info:
        load(path)
    [d] = info.value.diagnostics
    assert d.code == "E016" and d.found == repr("iai\n")
    assert "\n" not in d.message  # printed escaped, on its one line


def test_every_pattern_of_the_schema_is_read_whole():
    from verify.load.validate import whole_pattern

    def patterns(node):
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                yield node["pattern"]
            for v in node.values():
                yield from patterns(v)
        elif isinstance(node, list):
            for v in node:
                yield from patterns(v)

    found = set(patterns(json.loads(cli("schema")[1])))
    assert len(found) >= 4
    for p in found:
        assert p.startswith("^") and p.endswith("$"), p
        whole = whole_pattern(p)
        assert whole.pattern.endswith("\\Z")
        for text in ("alpha", "30d", "0", "forever", "never"):
            if re.fullmatch(p[1:-1], text):
                assert whole.search(text) and not whole.search(text + "\n"), (p, text)


def test_a_document_the_fast_validator_refuses_is_never_let_through(tmp_path, monkeypatch):
    # Should the two validators disagree again (they did on a final newline),
    # the document is refused with what the fast one found.
    from verify.load import validate

    class Silent:
        def iter_errors(self, data):
            return iter(())

    monkeypatch.setattr(validate, "_validator", lambda: Silent())
    path = write(tmp_path / "r.yaml", MINIMAL.replace("{id: alpha, kind: state}", '{id: alpha, kind: stat}'))
    with pytest.raises(InvalidRegimeError) as info:
        load(path)
    [d] = info.value.diagnostics
    assert d.code == "E016" and d.where == Location(str(path), 3, 23) and "kind" in d.message


def test_a_variant_that_declares_a_base_element_again_is_a_duplicate(tmp_path):
    base = write(tmp_path / "base.yaml", BASE)
    variant = write(tmp_path / "v.yaml", """\
        regime: v
        extends: base.yaml
        mechanisms:
          - {id: cameras, operator: beta, observes: [heu]}
    """)
    with pytest.raises(InvalidRegimeError) as info:
        load(variant)
    [d] = info.value.diagnostics
    assert d.code == "E021" and d.where == Location(str(variant), 4, 10)
    assert f"mechanism 'cameras' is already declared at {base}:18:10" in d.hint
    assert "remove: {mechanisms: [cameras]}" in d.hint


def test_a_variant_changes_a_base_element_by_giving_only_what_changes(tmp_path):
    # The documented way to change an element, as designs/ uses it: the
    # fields that change, each replacing the base's; the others are kept.
    write(tmp_path / "base.yaml", BASE)
    variant = write(tmp_path / "v.yaml", """\
        regime: v
        extends: base.yaml
        actors:
          - {id: beta, controlled_by: alpha}
        mechanisms:
          - {id: seals, operator: beta}
          - {id: cameras, observes: [heu], period: 7d}
    """)
    regime = load(variant)
    seals = regime.mechanism["seals"]
    assert seals.operator == "beta" and seals.mandatory is True and seals.period == 90 * 86400
    assert regime.mechanism["cameras"].period == 7 * 86400
    assert regime.actor["beta"].kind == "state" and regime.actor["beta"].controlled_by == ("alpha",)


def test_removing_then_declaring_again_replaces_the_element_whole(tmp_path):
    write(tmp_path / "base.yaml", BASE)
    variant = write(tmp_path / "v.yaml", """\
        regime: v
        extends: base.yaml
        remove: {mechanisms: [seals]}
        mechanisms:
          - {id: seals, operator: beta, observes: [heu]}
    """)
    regime = load(variant)
    assert [m.id for m in regime.mechanisms] == ["cameras", "seals"]
    seals = regime.mechanism["seals"]
    # nothing of the base's seals is left: not its period, not `mandatory`
    assert (seals.operator, seals.period, seals.mandatory) == ("beta", 0, False)
    assert seals.where.file == str(variant)


def test_remove_names_the_base_not_the_variant(tmp_path):
    write(tmp_path / "base.yaml", BASE)
    variant = write(tmp_path / "v.yaml", """\
        regime: v
        extends: base.yaml
        remove: {mechanisms: [sampling]}
        mechanisms:
          - {id: sampling, operator: iai, observes: [heu]}
    """)
    with pytest.raises(ExtendsError) as info:
        load(variant)
    [d] = info.value.diagnostics
    assert d.code == "E032" and "'sampling'" in d.message


def test_a_variant_that_repeats_an_id_of_its_own_is_a_duplicate(tmp_path):
    write(tmp_path / "base.yaml", BASE)
    variant = write(tmp_path / "v.yaml", """\
        regime: v
        extends: base.yaml
        mechanisms:
          - {id: seals, period: 30d}
          - {id: seals, period: 1d}
    """)
    with pytest.raises(InvalidRegimeError) as info:
        load(variant)
    [dup] = [d for d in info.value.diagnostics if d.code == "E021"]
    assert dup.where == Location(str(variant), 5, 10)
    assert f"already declared at {variant}:4:10" in dup.hint


@pytest.mark.parametrize("section, item, declared_in", [
    ("signatures", "{id: iai}", "actor 'iai'"),    # the variant's section comes after the base's
    ("actors", "{id: heu, kind: state}", "signature 'heu'"),  # ... and before it
    ("labels", "{id: divert}", "violation 'divert'"),
])
def test_a_variant_that_reuses_a_base_id_in_another_section_is_a_duplicate(tmp_path, section, item, declared_in):
    base = write(tmp_path / "base.yaml", BASE)
    variant = write(tmp_path / "v.yaml", f"regime: v\nextends: base.yaml\n{section}:\n  - {item}\n")
    with pytest.raises(InvalidRegimeError) as info:
        load(variant)
    [d] = info.value.diagnostics
    assert d.code == "E021" and d.where.file == str(variant)  # the variant's, never the base's
    assert d.hint.startswith(f"{declared_in} is already declared at {base}:")
    assert "remove:" in d.hint


def test_declaring_is_giving_every_field_an_element_needs():
    from verify.load.extends import declares
    from verify.load.yamlsrc import Map

    def item(*keys):
        m = Map(Location("f", 1, 1))
        m.update({k: "x" for k in ("id", *keys)})
        return m

    assert declares("mechanisms", item("operator", "observes"))
    assert not declares("mechanisms", item("operator"))
    assert declares("actors", item("kind")) and not declares("actors", item("controlled_by"))
    assert declares("claims", item("text", "property")) and not declares("claims", item("expect"))
    assert not declares("signatures", item("unit")) and not declares("verifiers", "iai")


def test_declaring_a_decision_or_a_group():
    from verify.load.extends import declares
    from verify.load.yamlsrc import Map

    def item(*keys):
        m = Map(Location("f", 1, 1))
        m.update({k: "x" for k in ("id", *keys)})
        return m

    # A decision needs its body; a group needs nothing but an id (members
    # or count, one of two, which no `required` can say): always a change.
    assert declares("decisions", item("body", "block")) and not declares("decisions", item("block"))
    assert not declares("groups", item("members")) and not declares("groups", item("count"))


def test_a_variant_changes_a_decision_and_a_group_by_id(tmp_path):
    write(tmp_path / "base.yaml", GOOD.replace(
        "  - {id: council, members: [alpha, beta], approve: 2}",
        "  - {id: council, members: {group: voters}, approve: 2}\n"
        "decisions:\n  - {id: finding, body: council, approve: 2, latency: 3d}\n"
        "groups:\n  - {id: voters, members: [alpha, beta]}").replace(
        "{id: report, from: iai, to: council, latency: 2d}",
        "{id: report, from: iai, to: council, latency: 2d, decision: finding}"))
    assert load(tmp_path / "base.yaml").decision["finding"].approve == 2
    variant = write(tmp_path / "v.yaml", """\
        regime: v
        extends: base.yaml
        decisions:
          - {id: finding, approve: 1}
        groups:
          - {id: voters, members: [beta]}
        bodies:
          - {id: council, approve: 1}
        """)
    r = load(variant)
    assert r.decision["finding"].approve == 1 and r.decision["finding"].latency == 3 * 86400
    assert r.body["council"].members == ("beta",) and r.group["voters"].members == ("beta",)
    # Giving the body again in full is a new element: a duplicate, as ever.
    again = write(tmp_path / "w.yaml", "regime: w\nextends: base.yaml\n"
                                       "decisions:\n  - {id: finding, body: council, block: 1}\n")
    with pytest.raises(InvalidRegimeError) as info:
        load(again)
    assert codes(info.value) == ["E021"]
