"""A progress display for long runs (many designs, properties or solver
calls), on the error stream, and only when that stream is a terminal: one
line rewritten in place (``[3/12] designs/x.yaml: timeliness``), cleared at
the end.  Into a file or a pipe (CI logs, ``2> log``) nothing is written,
so outputs stay byte-identical; ``-q`` turns it off, and ``-v`` prints its
own lines instead."""

from __future__ import annotations

from typing import TextIO

from verify.safety import visible

__all__ = ["Progress"]

#: The widest line written, so that it fits an ordinary terminal.
WIDTH = 79


class Progress:
    def __init__(self, stream: TextIO, total: int, enabled: bool = True) -> None:
        isatty = getattr(stream, "isatty", None)
        try:
            tty = bool(isatty and isatty())
        except (ValueError, OSError):
            tty = False
        self._stream, self._total, self._done = stream, total, 0
        self.enabled = enabled and tty and total > 1

    def step(self, what: str) -> None:
        """Say that ``what`` is being worked on now."""
        self._done += 1
        if not self.enabled:
            return
        line = visible(f"[{self._done}/{self._total}] {what}")[:WIDTH]
        self._stream.write(f"\r\033[K{line}")
        self._stream.flush()

    def close(self) -> None:
        if self.enabled:
            self._stream.write("\r\033[K")
            self._stream.flush()
