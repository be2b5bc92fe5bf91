"""The schema in an editor, checked with a real client nobody on this project
wrote: yaml-language-server (npm), the server behind VS Code's YAML
extension and Neovim's yamlls, driven over stdio with LSP JSON-RPC.

The designs are written to a temporary folder outside the repository, with
the first line ``verify new`` writes, so these tests see what a user who
copied a design elsewhere sees: completion with descriptions, a misspelt
field underlined at its line, and a variant (``extends``) without false
errors.  And, with no server needed, every field, enum value and section of
the schema has a description.

scripts/editor-setup.sh installs the server into .tools/ (CI runs it).  The
server tests are skipped when it is not installed, unless the environment
variable CI is set: then they fail, so that CI cannot pass without them.
"""

from __future__ import annotations

import io
import json
import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from verify.cli import main
from verify.load import load
from verify.schema import MODELINE_PREFIX, SCHEMA_FILE, package_schema_path, schema

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / ".tools" / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"
#: Seconds to wait for one answer of the server.
WAIT = 15.0


def cli(*argv: object) -> tuple[int, str]:
    stream = io.StringIO()
    status = main([str(a) for a in argv], stream)
    return status, stream.getvalue()


# ---------------------------------------------------------------- descriptions (no server needed)

def _schemas(node: dict[str, Any], where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every subschema of ``node`` by structure (not by key name: a section is
    called ``properties`` too), with its path; the variant conditions
    (``if``/``else``) only add ``required`` and are left out."""
    yield where, node
    for field, sub in node.get("properties", {}).items():
        yield from _schemas(sub, f"{where}/properties/{field}")
    if isinstance(node.get("items"), dict):
        yield from _schemas(node["items"], f"{where}/items")
    for name, sub in node.get("$defs", {}).items():
        yield from _schemas(sub, f"{where}/$defs/{name}")


def test_every_field_enum_value_and_section_has_a_description():
    missing: list[str] = []
    for where, node in _schemas(schema(), ""):
        # Every field (the top level's sections, every element's fields,
        # remove's sections) and every definition says what it is, itself:
        # not only through a $ref, so that completion and hover show what
        # this field means, not what an id is.  Items of a list are
        # described by the list, or by the definition they refer to.
        if not where.endswith("/items") and not (isinstance(node.get("description"), str)
                                                 and node["description"].strip()):
            missing.append(where or "/")
        if "enum" in node:
            texts = node.get("enumDescriptions")
            if not (isinstance(texts, list) and len(texts) == len(node["enum"])
                    and all(isinstance(t, str) and t.strip() for t in texts)):
                missing.append(f"{where}/enumDescriptions")
    assert missing == []
    assert "if" in schema() and "else" in schema()


def test_the_schema_id_names_no_host():
    # An $id that looks like a URL invites tools to fetch it; nothing serves
    # the schema, so it is a name (urn:), not an address.
    assert schema()["$id"].startswith("urn:")


# ---------------------------------------------------------------- the variant against the schema alone

def test_a_variant_validates_against_the_schema_as_written():
    import jsonschema
    import yaml

    validator = jsonschema.Draft202012Validator(schema())
    variant = yaml.safe_load((ROOT / "designs" / "flagship-no-whistleblower.yaml").read_text(encoding="utf-8"))
    assert [e.message for e in validator.iter_errors(variant)] == []
    # ... and the same items without `extends` are incomplete.
    without = {k: v for k, v in variant.items() if k not in ("extends", "remove")}
    assert {e.message for e in validator.iter_errors(without)} == \
        {"'text' is a required property", "'property' is a required property"}


# ---------------------------------------------------------------- verify schema --install, verify new

def test_install_writes_a_stable_copy_and_prints_the_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    status, out = cli("schema", "--install")
    assert status == 0, out
    installed = tmp_path / "data" / "treaty-verify" / SCHEMA_FILE
    assert json.loads(installed.read_text(encoding="utf-8")) == schema()
    assert f"{MODELINE_PREFIX}{installed}\n" in out
    assert '"yaml.schemas"' in out and "yamlls" in out
    # A folder of one's choosing; an old copy is replaced.
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / SCHEMA_FILE).write_text("{}", encoding="utf-8")
    status, out = cli("schema", "--install", tmp_path / "mine")
    assert status == 0, out
    assert json.loads((tmp_path / "mine" / SCHEMA_FILE).read_text(encoding="utf-8")) == schema()
    # A folder that cannot be made: status 2 and a message.
    (tmp_path / "file").write_text("", encoding="utf-8")
    status, out = cli("schema", "--install", tmp_path / "file" / "sub")
    assert status == 2 and "cannot install" in out


def test_xdg_data_home_relative_or_unset_means_local_share(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    for value in (None, "", "relative/dir"):
        if value is None:
            monkeypatch.delenv("XDG_DATA_HOME", raising=False)
        else:
            monkeypatch.setenv("XDG_DATA_HOME", value)
        status, out = cli("schema", "--install")
        assert status == 0, out
        assert (tmp_path / ".local" / "share" / "treaty-verify" / SCHEMA_FILE).is_file()


def test_new_points_at_the_installed_copy_by_an_absolute_path(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    status, out = cli("new", "x", "-o", tmp_path / "x.yaml")
    assert status == 0, out
    first = (tmp_path / "x.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == f"{MODELINE_PREFIX}{tmp_path / 'data' / 'treaty-verify' / SCHEMA_FILE}"
    # A folder with a space in its name: a file:// URI (the server reads the
    # reference up to the first white space).
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "my data"))
    status, out = cli("new", "y", "-o", tmp_path / "y.yaml")
    assert status == 0, out
    first = (tmp_path / "y.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == MODELINE_PREFIX + (tmp_path / "my data" / "treaty-verify" / SCHEMA_FILE).as_uri()


def test_new_falls_back_to_the_package_schema_when_it_cannot_install(tmp_path, monkeypatch):
    (tmp_path / "data").write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    status, out = cli("new", "x", "-o", tmp_path / "x.yaml")
    assert status == 0, out
    first = (tmp_path / "x.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == f"{MODELINE_PREFIX}{package_schema_path()}"
    assert package_schema_path().is_absolute() and package_schema_path().is_file()


# ---------------------------------------------------------------- an LSP client

class Server:
    """A yaml-language-server process spoken to over stdio with LSP JSON-RPC
    (Content-Length framing).  A thread reads every message into a queue and
    answers the server's own requests."""

    def __init__(self, command: list[str], settings: dict[str, Any]) -> None:
        self.settings = settings
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.diagnostics: dict[str, list[list[dict[str, Any]]]] = {}
        self.lock = threading.Lock()
        self.next_id = 0
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            assert length is not None
            msg = json.loads(out.read(length).decode("utf-8"))
            if "method" in msg and "id" in msg:  # a request from the server
                self._answer(msg)
            else:
                self.messages.put(msg)

    def _answer(self, msg: dict[str, Any]) -> None:
        result: Any = None
        if msg["method"] == "workspace/configuration":
            result = [self.settings.get(item.get("section", ""), self.settings)
                      for item in msg["params"]["items"]]
        self._send({"jsonrpc": "2.0", "id": msg["id"], "result": result})

    def _send(self, msg: dict[str, Any]) -> None:
        body = json.dumps(msg).encode("utf-8")
        stdin = self.proc.stdin
        assert stdin is not None
        with self.lock:
            stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        ident = self.next_id
        self._send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        msg = self._wait(lambda m: m.get("id") == ident, f"an answer to {method}")
        assert "error" not in msg, msg
        return msg.get("result")

    def _wait(self, match: Any, what: str) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"yaml-language-server sent no {what} within {WAIT} s")
            try:
                msg = self.messages.get(timeout=left)
            except queue.Empty:
                continue
            if msg.get("method") == "textDocument/publishDiagnostics":
                self.diagnostics.setdefault(msg["params"]["uri"], []).append(msg["params"]["diagnostics"])
            if match(msg):
                return msg

    def diagnostics_for(self, uri: str, seen: int = 0) -> list[dict[str, Any]]:
        """The next diagnostics published for ``uri`` after the first ``seen``."""
        if len(self.diagnostics.get(uri, [])) > seen:
            return self.diagnostics[uri][seen]
        self._wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                   and m["params"]["uri"] == uri and len(self.diagnostics[uri]) > seen,
                   f"diagnostics for {uri}")
        return self.diagnostics[uri][seen]

    def close(self) -> None:
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.proc.wait(timeout=5)
        except Exception:
            pass
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()


def _server_command() -> list[str] | None:
    node = shutil.which("node")
    if SERVER.is_file() and node:
        return [node, str(SERVER), "--stdio"]
    found = shutil.which("yaml-language-server")
    return [found, "--stdio"] if found else None


SETTINGS = {"yaml": {"validate": True, "completion": True, "hover": True, "format": {"enable": False},
                     "schemaStore": {"enable": False}, "schemas": {}}}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    command = _server_command()
    if command is None:
        message = ("yaml-language-server is not installed: run bash scripts/editor-setup.sh "
                   f"(it installs it into {SERVER.parents[3]})")
        if os.environ.get("CI"):
            pytest.fail(message + "; CI is set, so this test must run")
        pytest.skip(message)
    workspace = tmp_path_factory.mktemp("editor")
    srv = Server(command, SETTINGS)
    try:
        srv.request("initialize", {
            "processId": os.getpid(),
            "rootUri": workspace.as_uri(),
            "workspaceFolders": [{"uri": workspace.as_uri(), "name": "editor"}],
            "capabilities": {
                "workspace": {"configuration": True, "didChangeConfiguration": {"dynamicRegistration": False}},
                "textDocument": {
                    "synchronization": {"dynamicRegistration": False},
                    "completion": {"completionItem": {"documentationFormat": ["markdown", "plaintext"],
                                                      "snippetSupport": False}},
                    "hover": {"contentFormat": ["markdown", "plaintext"]},
                    "publishDiagnostics": {"relatedInformation": False},
                },
            },
        })
        srv.notify("initialized", {})
        srv.notify("workspace/didChangeConfiguration", {"settings": SETTINGS})
        yield srv
    finally:
        srv.close()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder outside the repository, and a data folder for the installed
    schema in it (XDG_DATA_HOME), for the module's tests."""
    where = tmp_path_factory.mktemp("designs")
    assert ROOT not in where.resolve().parents
    mp = pytest.MonkeyPatch()
    mp.setenv("XDG_DATA_HOME", str(where / "data"))
    try:
        yield where
    finally:
        mp.undo()


_version = 0


def open_document(server: Server, path: Path) -> str:
    global _version
    _version += 1
    uri = path.as_uri()
    server.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "yaml", "version": _version, "text": path.read_text(encoding="utf-8")}})
    return uri


def change_document(server: Server, uri: str, text: str) -> None:
    global _version
    _version += 1
    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": _version},
                                             "contentChanges": [{"text": text}]})


def new_design(folder: Path, name: str) -> Path:
    path = folder / f"{name}.yaml"
    status, out = cli("new", name, "-o", path)
    assert status == 0, out
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(MODELINE_PREFIX)
    schema = Path(first.removeprefix(MODELINE_PREFIX))
    # The installed copy (tests/conftest.py gives each test its own data folder).
    assert schema.is_absolute() and schema.is_file() and ROOT not in schema.parents
    return path


def _documentation(item: dict[str, Any]) -> str:
    doc = item.get("documentation", "")
    return doc.get("value", "") if isinstance(doc, dict) else str(doc)


def _complete(server: Server, uri: str, line: int, character: int) -> dict[str, dict[str, Any]]:
    result = server.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                         "position": {"line": line, "character": character}})
    items = result["items"] if isinstance(result, dict) else result
    return {item["label"]: item for item in items}


# ---------------------------------------------------------------- the server's answers

def test_a_new_design_outside_the_repository_has_no_errors_and_completes(server, folder):
    started = time.monotonic()
    path = new_design(folder, "starter")
    uri = open_document(server, path)
    assert server.diagnostics_for(uri) == []

    # Completion at the start of a mapping key, on an empty line inside the
    # first actor: the actor's fields not yet written, each with its
    # description from the schema.
    lines = path.read_text(encoding="utf-8").split("\n")
    at = lines.index("    kind: state") + 1
    text = "\n".join([*lines[:at], "    ", *lines[at:]])
    change_document(server, uri, text)
    items = _complete(server, uri, at, 4)
    assert {"controlled_by", "name", "status", "sources", "description"} <= set(items), sorted(items)
    assert "kind" not in items and "host" not in items
    controlled = schema()["$defs"]["actor"]["properties"]["controlled_by"]["description"]
    assert controlled in _documentation(items["controlled_by"])
    # ... and at the top level, the sections, with theirs.
    top = "\n".join([*lines[:4], "", *lines[4:]])
    change_document(server, uri, top)
    items = _complete(server, uri, 4, 0)
    assert {"labels", "sources"} <= set(items), sorted(items)
    assert schema()["properties"]["labels"]["description"] in _documentation(items["labels"])
    # An enum value, with its description.
    status_line = "\n".join([*lines[:at], "    status: ", *lines[at:]])
    change_document(server, uri, status_line)
    items = _complete(server, uri, at, len("    status: "))
    assert {"in-force", "proposed", "suspended"} <= set(items), sorted(items)
    assert "with --as-is" in _documentation(items["proposed"])
    assert time.monotonic() - started < 20


def test_a_misspelt_field_is_underlined_at_its_line(server, folder):
    path = new_design(folder, "misspelt")
    text = path.read_text(encoding="utf-8")
    assert text.count("    tamper_evident: true") == 1
    path.write_text(text.replace("    tamper_evident: true", "    tamper_evidnt: true"), encoding="utf-8")
    line = next(i for i, s in enumerate(path.read_text(encoding="utf-8").split("\n"))
                if s.startswith("    tamper_evidnt: true"))
    uri = open_document(server, path)
    found = server.diagnostics_for(uri)
    assert len(found) == 1, found
    assert found[0]["range"]["start"]["line"] == line
    assert found[0]["range"]["start"]["character"] == 4
    assert "tamper_evidnt" in found[0]["message"]


def test_a_variant_yields_no_diagnostic(server, folder):
    new_design(folder, "base")
    variant = folder / "variant.yaml"
    first = (folder / "base.yaml").read_text(encoding="utf-8").splitlines()[0]
    variant.write_text(f"""{first}
# A variant: only what differs from base.yaml.
regime: base-weekly
extends: base.yaml
remove:
  flows: [inspectorate-to-council]
mechanisms:
  - id: chip-logging          # same id as in the base: only the period changes
    period: 1d
claims:
  - id: caught-within-a-month
    expect: fails
""", encoding="utf-8")
    load(variant)  # the loader agrees that it is whole
    uri = open_document(server, variant)
    assert server.diagnostics_for(uri) == []
    # The schema did apply: a misspelt field in the same variant is seen.
    change_document(server, uri, variant.read_text(encoding="utf-8").replace("    period: 1d", "    perod: 1d"))
    found = server.diagnostics_for(uri, 1)
    assert [d["range"]["start"]["line"] for d in found] == [8], found


def test_the_repository_variant_yields_no_diagnostic(server):
    # designs/flagship-no-whistleblower.yaml, where it is: four false
    # "missing property" errors before the schema knew about extends.
    uri = open_document(server, ROOT / "designs" / "flagship-no-whistleblower.yaml")
    assert server.diagnostics_for(uri) == []


COUNCIL = """\
regime: council-sketch
actors:
  - {id: state-r, kind: state}
  - {id: state-x, kind: state}
  - {id: ts, kind: inspectorate}
groups:
  - {id: others, count: 39}
  - id: executive-council
    members: [state-r, state-x, {group: others}]
assets:
  - {id: site, host: state-x}
signatures: [{id: agent}]
violations:
  - {id: covert, perpetrator: state-x, at: site, signatures: [{signature: agent}]}
mechanisms:
  - {id: inspection, operator: ts, observes: [agent], requires_access: host, triggered_by: red-light}
flows:
  - {id: request, from: state-r, to: council, decision: red-light}
bodies:
  - id: council
    members: {group: executive-council}
decisions:
  - {id: red-light, body: council, block: 31, recused: [perpetrator, requester], latency: 12h}
verifiers: [council]
threat_model:
  colluders: {kind: state, except: [state-r]}
"""


def test_groups_selectors_and_decisions_yield_no_diagnostic_and_complete(server, folder):
    first = new_design(folder, "modeline").read_text(encoding="utf-8").splitlines()[0]
    path = folder / "council.yaml"
    path.write_text(f"{first}\n{COUNCIL}", encoding="utf-8")
    load(path)  # the loader agrees
    uri = open_document(server, path)
    assert server.diagnostics_for(uri) == []
    lines = path.read_text(encoding="utf-8").split("\n")
    # A misspelt key of a selector is underlined at its line.
    at = lines.index("  colluders: {kind: state, except: [state-r]}")
    change_document(server, uri, "\n".join(lines).replace("{kind: state, except", "{knd: state, except"))
    found = server.diagnostics_for(uri, 1)
    assert found and {d["range"]["start"]["line"] for d in found} == {at}, found
    # Inside a selector written as the whole value, completion offers its keys.
    block = [*lines[:at], "  colluders:", "    ", *lines[at + 1:]]
    change_document(server, uri, "\n".join(block))
    items = _complete(server, uri, at + 1, 4)
    assert {"kind", "group", "except"} <= set(items), sorted(items)
