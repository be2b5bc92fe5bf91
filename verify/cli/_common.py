"""What every subcommand shares: argument parsing that never exits the
process, and reporting load errors as diagnostics with exit status 2."""

from __future__ import annotations

import argparse
from typing import Any, NoReturn, TextIO

from verify.errors import RegimeError
from verify.files import write_atomically

__all__ = ["Parser", "ArgumentError", "report_regime_error", "write_atomically", "count", "seconds",
           "EXIT_OK", "EXIT_FAILS", "EXIT_INVALID", "EXIT_UNKNOWN"]

EXIT_OK, EXIT_FAILS, EXIT_INVALID, EXIT_UNKNOWN = 0, 1, 2, 3


class ArgumentError(Exception):
    """Raised instead of argparse's sys.exit, so main(argv, stream) returns."""

    def __init__(self, message: str, status: int = EXIT_INVALID):
        super().__init__(message)
        self.status = status


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that writes to a given stream and raises, not exits."""

    def __init__(self, *args: Any, stream: TextIO, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stream = stream

    def _print_message(self, message: str, file: Any = None) -> None:  # noqa: D401 - argparse hook
        if message:
            self._stream.write(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            self._stream.write(message)
        raise ArgumentError("", status)

    def error(self, message: str) -> NoReturn:
        self._stream.write(f"{self.prog}: error: {message}\n")
        raise ArgumentError(message, EXIT_INVALID)


def count(text: str) -> int:
    """An argparse type: a whole number of at least 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative; expected 0 or more")
    return value


def seconds(text: str) -> float:
    """An argparse type: a positive, finite number of seconds."""
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive, finite number of seconds")
    return value


def report_regime_error(err: RegimeError, stream: TextIO) -> int:
    for d in err.diagnostics:
        stream.write(f"{d}\n")
    n = len(err.diagnostics)
    stream.write(f"{n} error{'s' if n != 1 else ''}\n")
    return EXIT_INVALID
