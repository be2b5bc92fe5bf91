"""The property catalogue: one YAML file per property in properties/.

The catalogue is project data, written by us, so plain ``yaml.safe_load`` is
enough; it states each property's parameters, defaults and plain-language
statement, which the loader (parameter checks) and the reports (statements)
read.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

__all__ = ["PropertyInfo", "catalogue", "CATALOGUE_DIR"]

CATALOGUE_DIR = Path(__file__).resolve().parent.parent / "properties"


@dataclass(frozen=True)
class PropertyInfo:
    id: str
    kind: str  # "property" (a verdict) or "analysis" (figures)
    parameters: dict
    statement: str
    formal: str
    counterexample: str

    def required(self) -> tuple[str, ...]:
        return tuple(p for p, spec in self.parameters.items() if spec.get("required"))


@lru_cache(maxsize=1)
def catalogue() -> dict[str, PropertyInfo]:
    out = {}
    for path in sorted(CATALOGUE_DIR.glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        out[raw["id"]] = PropertyInfo(
            id=raw["id"], kind=raw["kind"], parameters=raw["parameters"],
            statement=raw["statement"], formal=raw["formal"].strip(),
            counterexample=raw["counterexample"].strip(),
        )
    return out
