"""The JSON Schema of the regime format, shipped with the package."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = ["schema_text", "schema", "SCHEMA_FILE"]

SCHEMA_FILE = "regime.schema.json"


def schema_text() -> str:
    return resources.files(__name__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    out: dict[str, Any] = json.loads(schema_text())
    return out
