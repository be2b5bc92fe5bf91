"""What `pip install treaty-verify` ships: the distribution's name and command,
its licence, its type information, the pre-commit hooks for design
repositories, and dependencies that the code uses.

These read the files of the checkout (or of the unpacked sdist, which carries
them); scripts/wheel-check.sh builds and installs the real wheel.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from verify.cli import COMMANDS
from verify.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "verify"

#: Distribution name (as in pyproject) -> the top-level module it provides,
#: where the two differ.
IMPORT_NAMES = {"pyyaml": "yaml", "z3-solver": "z3"}


def pyproject() -> dict[str, Any]:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


def requirement_name(requirement: str) -> str:
    """'z3-solver>=4.12; python_version > "3"' -> 'z3-solver' (normalised)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def imported_modules(folder: Path) -> set[str]:
    """The top-level names every module under folder imports (absolute imports)."""
    names: set[str] = set()
    for path in folder.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


# ------------------------------------------------------------ name and command

def test_the_distribution_is_treaty_verify_and_the_command_is_verify():
    project = pyproject()["project"]
    # Not "verify": that name on PyPI is another project's (an assertion library).
    assert project["name"] == "treaty-verify"
    assert project["scripts"] == {"verify": "verify.cli:run"}


def test_the_console_script_target_exists():
    from verify import cli

    assert callable(cli.run)


def test_project_urls_point_at_the_project_home():
    urls = pyproject()["project"]["urls"]
    assert {"Homepage", "Documentation", "Issues"} <= set(urls)
    for url in urls.values():
        assert url.startswith("https://github.com/treaty-verify/treaty-verify"), url


# --------------------------------------------------------------------- licence

def test_license_file_is_the_apache_license_2_0():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "http://www.apache.org/licenses/" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    assert "END OF TERMS AND CONDITIONS" in text
    # All nine sections of the terms, in order.
    headings = ["Definitions", "Grant of Copyright License", "Grant of Patent License", "Redistribution",
                "Submission of Contributions", "Trademarks", "Disclaimer of Warranty",
                "Limitation of Liability", "Accepting Warranty or Additional Liability"]
    positions = [text.find(f"{n}. {h}.") for n, h in enumerate(headings, 1)]
    assert -1 not in positions and positions == sorted(positions), positions
    assert "Copyright 2026 The treaty-verify authors" in text


def test_pyproject_declares_the_license_that_the_file_holds():
    project = pyproject()["project"]
    assert project["license"] == "Apache-2.0"
    assert project["license-files"] == ["LICENSE"]


# -------------------------------------------------------------------- py.typed

def test_py_typed_exists_and_is_package_data():
    assert (PACKAGE / "py.typed").is_file()
    package_data = pyproject()["tool"]["setuptools"]["package-data"]
    assert "py.typed" in package_data["verify"]


def test_every_package_with_modules_is_listed_for_the_wheel():
    """A subpackage missing from [tool.setuptools] packages would be left out of
    the wheel while every test of the checkout still passed."""
    listed = set(pyproject()["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in PACKAGE.rglob("__init__.py")}
    assert found <= listed, sorted(found - listed)


# ------------------------------------------------------------ pre-commit hooks

def hooks() -> dict[str, dict[str, Any]]:
    loaded = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, list)
    return {hook["id"]: hook for hook in loaded}


def test_pre_commit_hooks_parse_and_name_the_two_hooks():
    found = hooks()
    assert set(found) == {"verify-validate", "verify-check"}
    for hook in found.values():
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is True
        assert hook["name"]


@pytest.mark.parametrize(("hook_id", "command"), [("verify-validate", "validate"), ("verify-check", "check")])
def test_pre_commit_hooks_run_commands_that_exist(hook_id, command):
    entry = hooks()[hook_id]["entry"].split()
    assert entry == ["verify", command]
    assert entry[1] in COMMANDS
    assert pyproject()["project"]["scripts"][entry[0]] == "verify.cli:run"


@pytest.mark.parametrize("hook_id", ["verify-validate", "verify-check"])
def test_pre_commit_hooks_take_design_files_but_not_other_yaml(hook_id):
    hook = hooks()[hook_id]
    files, exclude = re.compile(hook["files"]), re.compile(hook.get("exclude", "(?!)"))

    def selected(path: str) -> bool:
        return bool(files.search(path)) and not exclude.search(path)

    for design in ["designs/flagship.yaml", "regime.yml", "a/b/c.yaml"]:
        assert selected(design), design
    for other in ["README.md", "notes.txt", "designs/x.yaml.bak",
                  ".pre-commit-config.yaml", ".github/workflows/ci.yml"]:
        assert not selected(other), other


@pytest.mark.parametrize(("hook_id", "expected"), [("verify-validate", 0), ("verify-check", 1)])
def test_pre_commit_hooks_run_as_pre_commit_runs_them(hook_id, expected, tmp_path, monkeypatch, capsys):
    """pre-commit calls the entry with the staged file names appended, from
    the repository's top: a starter design validates (0), and checking it
    finds the property it is written to fail (1), which blocks the commit."""
    monkeypatch.chdir(tmp_path)
    assert cli_main(["new", "design"]) == 0
    assert cli_main(["new", "other"]) == 0
    entry = hooks()[hook_id]["entry"].split()
    assert cli_main(entry[1:] + ["design.yaml", "other.yaml"]) == expected
    out = capsys.readouterr()
    assert "design.yaml" in out.out + out.err


# ---------------------------------------------------------------- dependencies

def test_every_dependency_is_imported_by_the_package():
    dependencies = [requirement_name(r) for r in pyproject()["project"]["dependencies"]]
    assert dependencies
    imported = imported_modules(PACKAGE)
    unused = [d for d in dependencies if IMPORT_NAMES.get(d, d.replace("-", "_")) not in imported]
    assert not unused, f"declared in pyproject but imported nowhere under verify/: {unused}"


def test_every_third_party_import_of_the_package_is_a_dependency():
    import sys

    dependencies = {requirement_name(r) for r in pyproject()["project"]["dependencies"]}
    provided = {IMPORT_NAMES.get(d, d.replace("-", "_")) for d in dependencies}
    third_party = {name for name in imported_modules(PACKAGE)
                   if name not in sys.stdlib_module_names and name != "verify"}
    # Imported only where it is there (a DataFrame when pandas is installed),
    # inside a try: optional by design.
    optional = {name for name in third_party if _only_imported_guarded(name)}
    assert third_party - optional <= provided, sorted(third_party - optional - provided)


def _only_imported_guarded(module: str) -> bool:
    """Every import of module under verify/ sits in a try whose handlers catch ImportError."""
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        guarded: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Try) and any(_catches_import_error(h) for h in node.handlers):
                guarded.update(id(n) for stmt in node.body for n in ast.walk(stmt))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            if any(n.split(".")[0] == module for n in names) and id(node) not in guarded:
                return False
    return True


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(k is None or (isinstance(k, ast.Name) and k.id in {"ImportError", "ModuleNotFoundError", "Exception"})
               for k in kinds)


@pytest.mark.parametrize("dist", ["z3-solver", "networkx", "PyYAML", "pytest", "treaty-verify", "no-such-dist-x"])
def test_versions_read_from_folder_names_equal_importlib_metadata(dist):
    """verify.versions reads a version from its .dist-info folder's name
    (importing importlib.metadata cost a tenth of a re-check); it must be
    the version importlib.metadata reports, for every report's receipt."""
    from importlib import metadata

    from verify.versions import _version

    try:
        expected = metadata.version(dist)
    except metadata.PackageNotFoundError:
        expected = "not installed"
    assert _version(dist) == expected


def test_python_version_is_platforms():
    """verify.versions reads Python's version from sys.version, not from
    platform (an import a re-check need not pay); every report's receipt
    must still say what platform.python_version() says."""
    import platform

    from verify.versions import versions

    assert versions()["python"] == platform.python_version()
