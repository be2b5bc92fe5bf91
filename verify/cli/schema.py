"""``verify schema``: print the JSON Schema of the regime format."""

from __future__ import annotations

from typing import TextIO

from verify.cli._common import ArgumentError, Parser
from verify.schema import schema_text


def main(argv: list[str], stream: TextIO) -> int:
    parser = Parser(prog="verify schema", stream=stream,
                    description="Print the JSON Schema that regime files are validated against.")
    try:
        parser.parse_args(argv)
    except ArgumentError as e:
        return e.status
    stream.write(schema_text())
    return 0
