"""The property catalogue: one YAML file per property in properties/.

The catalogue is project data, written by us in the plain YAML the
designs' quick reader takes (PyYAML's safe loader reads a file it does
not).  It states each property's parameters, defaults and plain-language
statement, which the loader (parameter checks) and the reports
(statements) read.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["PropertyInfo", "catalogue", "names", "CATALOGUE_DIR"]

#: In a checkout: the top-level properties/ folder.  Installed: the same
#: files, shipped as the package data ``verify.catalogue_files``.
CATALOGUE_DIR = Path(__file__).resolve().parent.parent / "properties"


def _files() -> list[tuple[str, str]]:
    if CATALOGUE_DIR.is_dir():
        return [(p.name, p.read_text(encoding="utf-8")) for p in sorted(CATALOGUE_DIR.glob("*.yaml"))]
    from importlib import resources

    root = resources.files("verify.catalogue_files")
    return sorted((f.name, f.read_text(encoding="utf-8")) for f in root.iterdir() if f.name.endswith(".yaml"))


@dataclass(frozen=True)
class PropertyInfo:
    id: str
    kind: str  # "property" (a verdict) or "analysis" (figures)
    #: Parameter name -> its description in the YAML file (type, default,
    #: required, ...), as written there.
    parameters: dict[str, dict[str, Any]]
    statement: str
    formal: str
    counterexample: str

    def required(self) -> tuple[str, ...]:
        return tuple(p for p, spec in self.parameters.items() if spec.get("required"))


def names() -> list[str]:
    """The properties' ids, sorted, from the files' names (``ID.yaml``;
    tests/test_properties.py holds each file to its name) without reading
    them: what a command line offers, at no cost of importing PyYAML (a
    twentieth of a re-check as a process, issue 14)."""
    if CATALOGUE_DIR.is_dir():
        return sorted(p.stem for p in CATALOGUE_DIR.glob("*.yaml"))
    return sorted(catalogue())


def _plain(value: Any) -> Any:
    """The quick reader's Map and Seq as the dict and list PyYAML makes."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _read(text: str, name: str) -> Any:
    """One catalogue file's data: by the designs' quick reader, which takes
    every file as written (tests/test_quickyaml.py), else by PyYAML.
    Importing PyYAML and reading the files with it was a tenth of a
    re-check as a process (issue 14)."""
    from verify.load.quickyaml import scan

    got = scan(text, name)
    if got is not None:
        return _plain(got)
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader


@lru_cache(maxsize=1)
def catalogue() -> dict[str, PropertyInfo]:
    out: dict[str, PropertyInfo] = {}
    for name, text in _files():
        raw = _read(text, name)
        out[raw["id"]] = PropertyInfo(
            id=raw["id"], kind=raw["kind"], parameters=raw["parameters"],
            statement=raw["statement"], formal=raw["formal"].strip(),
            counterexample=raw["counterexample"].strip(),
        )
    return out
