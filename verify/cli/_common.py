"""What every subcommand shares: argument parsing that never exits the
process, where reports and diagnostics go, which files a command reads
(``-`` for stdin, directories walked), colour, and reporting load errors as
diagnostics with exit status 2.

Reports go to the command's ``stream`` (stdout); diagnostics, warnings about
the command line and usage errors go to :func:`errors` (stderr), so that
``verify check --format json bad.yaml > out.json`` leaves nothing but JSON in
out.json.

Untrusted text (docs/cli.md): every text and GitHub report passes through
:func:`deliver`, which escapes any control or bidirectional character left in
it (:func:`verify.safety.visible_lines`) before colouring it, whether it goes
to the terminal or to ``-o FILE``; what a command writes on the error stream
itself quotes a path or a value only through ``visible`` (or ``!r``).

An in-process caller that passes one stream to
:func:`verify.cli.main` and no error stream gets both in it, in order (a
transcript); the console script always separates them.
"""

from __future__ import annotations

import argparse
import contextvars
import gc
import hashlib
import io
import os
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from fractions import Fraction
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from verify.diagnostics import Diagnostic
from verify.errors import ExtendsError, RegimeError, YAMLSyntaxError
from verify.files import output_refusal, write_atomically
from verify.limits import DEFAULT, NAMES, LimitError, Limits, from_environment, parse_limit, with_settings
from verify.model import Location, Regime
from verify.safety import visible, visible_lines

if TYPE_CHECKING:
    from verify.cache import Cache
    from verify.report.cases import Suite

__all__ = ["Parser", "ArgumentError", "report_regime_error", "write_atomically", "count", "chance", "seconds",
           "errors", "error_stream", "expand_paths", "load_design", "load_designs", "STDIN", "use_colour", "paint",
           "recalled", "Captured", "capture_parser",
           "EXIT_OK", "EXIT_FAILS", "EXIT_INVALID", "EXIT_UNKNOWN"]

EXIT_OK, EXIT_FAILS, EXIT_INVALID, EXIT_UNKNOWN = 0, 1, 2, 3

#: The name a design read from stdin (``-``) goes by in messages and reports.
STDIN = "<stdin>"

_ERRORS: contextvars.ContextVar[TextIO | None] = contextvars.ContextVar("verify_errors", default=None)
_CAPTURE: contextvars.ContextVar[bool] = contextvars.ContextVar("verify_capture", default=False)


def errors() -> TextIO:
    """Where diagnostics and usage errors go: the error stream of the running
    command (see :func:`error_stream`), sys.stderr by default."""
    return _ERRORS.get() or sys.stderr


@contextmanager
def error_stream(stream: TextIO | None) -> Iterator[None]:
    """Send diagnostics to ``stream`` while the block runs (None: sys.stderr)."""
    token = _ERRORS.set(stream)
    try:
        yield
    finally:
        _ERRORS.reset(token)


class ArgumentError(Exception):
    """Raised instead of argparse's sys.exit, so main(argv, stream) returns."""

    def __init__(self, message: str, status: int = EXIT_INVALID):
        super().__init__(message)
        self.status = status


class Captured(Exception):  # noqa: N818 - not an error: carries the parser out of a main()
    """Raised by :meth:`Parser.parse_args` under :func:`capture_parser`: the
    subcommand's parser, for shell completion, without running the command."""

    def __init__(self, parser: Parser):
        super().__init__(parser.prog)
        self.parser = parser


@contextmanager
def capture_parser() -> Iterator[None]:
    token = _CAPTURE.set(True)
    try:
        yield
    finally:
        _CAPTURE.reset(token)


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that writes help to the given stream and errors to
    :func:`errors`, and raises :class:`ArgumentError` instead of exiting."""

    def __init__(self, *args: Any, stream: TextIO, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stream = stream

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        if _CAPTURE.get():
            raise Captured(self)
        parsed = super().parse_args(args, namespace)
        if hasattr(parsed, "limit"):
            # --limit settings over VERIFY_LIMITS over the defaults, read once
            # here so that a bad setting is a usage error (exit 2) before
            # anything is loaded.
            try:
                parsed.limits = with_settings(from_environment(os.environ), parsed.limit)
            except LimitError as e:
                self.error(f"VERIFY_LIMITS: {visible(str(e))}")
        return parsed

    def _print_message(self, message: str, file: Any = None) -> None:  # noqa: D401 - argparse hook
        if message:
            self._stream.write(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            (errors() if status else self._stream).write(visible_lines(message))
        raise ArgumentError("", status)

    def error(self, message: str) -> NoReturn:
        # argparse quotes the command line (an unknown argument, a bad
        # choice), which may carry control characters: shown escaped.
        errors().write(f"{self.prog}: error: {visible(message)}\n")
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


def chance(text: str) -> Fraction:
    """An argparse type: a probability from 0 to 1, read exactly (0.9 is
    9/10)."""
    try:
        value = Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not a probability between 0 and 1")
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


def report_regime_error(err: RegimeError, stream: TextIO | None = None) -> int:
    """Print a file's diagnostics and their count on the error stream; status 2.
    (``stream`` is accepted for callers of the old signature and ignored.)"""
    out = errors()
    colour = use_colour(out)
    for d in err.diagnostics:
        out.write(paint(f"{d}\n", colour))
    n = len(err.diagnostics)
    out.write(f"{n} error{'s' if n != 1 else ''}\n")
    return EXIT_INVALID


# ---------------------------------------------------------------- which files

def expand_paths(paths: Sequence[str], command: str) -> list[str]:
    """The files a command reads: each argument as given, ``-`` (stdin) at most
    once, and each directory replaced by the ``*.yaml`` and ``*.yml`` files
    under it (hidden files and folders skipped), sorted by path so the order
    never depends on the file system."""
    out: list[str] = []
    for path in paths:
        if path != "-" and os.path.isdir(path):
            found: list[str] = []
            for top, dirs, files in os.walk(path):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                found.extend(os.path.normpath(os.path.join(top, f)) for f in files
                             if f.endswith((".yaml", ".yml")) and not f.startswith("."))
            if not found:
                errors().write(f"{command}: {visible(path)}: no *.yaml or *.yml files in this folder\n")
                raise ArgumentError(path)
            out.extend(sorted(found, key=lambda p: p.split(os.sep)))
        else:
            if path == "-" and "-" in out:
                errors().write(f"{command}: - (stdin) can be given only once\n")
                raise ArgumentError(path)
            out.append(path)
    return out


def _limit_setting(text: str) -> str:
    """An argparse type: a ``NAME=VALUE`` limit setting (kept as text; the
    parser folds the settings into ``args.limits``)."""
    try:
        parse_limit(text)
    except LimitError as e:
        raise argparse.ArgumentTypeError(visible(str(e))) from None
    return text


def add_extends_option(parser: Parser) -> None:
    """--allow-extends DIR and --limit NAME=VALUE (both repeatable), on
    validate, check, claims and render: what a design may reach and how
    large it may be.  After parsing, ``args.limits`` holds the
    :class:`~verify.limits.Limits` to load with."""
    parser.add_argument("--allow-extends", action="append", default=[], metavar="DIR",
                        help="let `extends:` also reach files in DIR (repeatable); by default only "
                             "files in the extending file's own folder or below it")
    parser.add_argument("--limit", action="append", default=[], metavar="NAME=VALUE", type=_limit_setting,
                        help="raise (or lower) a limit on the designs read (repeatable), e.g. --limit "
                             "file-size=64Mi; names: " + ", ".join(NAMES) + " (docs/limits.md); "
                             "also read from VERIFY_LIMITS")


def load_design(path: str, stdin: io.BufferedIOBase | None = None,
                allow: Sequence[str] = (), limits: Limits = DEFAULT) -> Regime:
    """:func:`verify.load.load`, and ``-``: the design read from stdin, named
    ``<stdin>`` in messages, its ``extends`` resolved from the working
    directory (and confined to it, as a file's are to its folder).  ``allow``:
    more folders ``extends`` may reach (``--allow-extends``); ``limits``:
    how large a design may be (``--limit``)."""
    from verify.load import load
    from verify.load.extends import read_bounded

    if path != "-":
        return load(path, allow=tuple(allow), limits=limits)
    raw = read_bounded(stdin or sys.stdin.buffer, limits.file_size, STDIN)
    return _load_bytes(raw, tuple(allow), limits)


def recalled(path: str, cache: Cache, allow: Sequence[str] = (), limits: Limits = DEFAULT) -> Regime:
    """:func:`load_design` through ``cache``: the model it keeps for this
    file, if the bytes are the same; patched, after a one-line edit
    (:func:`verify.load.patch.reload`, the same model a full load gives);
    else loaded whole.  What was loaded is kept for the next run, with the
    texts its key is hashed from (a re-check as a process spent half its
    time loading and hashing a 1,000-actor design again: issue 14)."""
    from verify.load.patch import Snapshot, reload

    name = repr(("design", os.path.normpath(path), limits))
    last = cache.recall(name)
    regime, now = reload(path, last if isinstance(last, Snapshot) else None, allow, limits)
    if now is not None and now is not last:
        cache.digest(regime)
        cache.keep(name, now)
    return regime


def _load_bytes(raw: bytes, allow: tuple[str, ...] = (), limits: Limits = DEFAULT) -> Regime:
    """A design from bytes: what :func:`verify.load.load` does for a file,
    with the file's bytes given (the same parse, merge, checks and hash)."""
    from verify.gcpause import gc_paused
    from verify.load.build import build
    from verify.load.extends import _merge, read, read_bounded, resolve_base
    from verify.load.validate import diagnose
    from verify.load.yamlsrc import parse

    @gc_paused
    def go() -> Regime:
        try:
            text = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8").read()
        except UnicodeDecodeError as e:
            raise YAMLSyntaxError([Diagnostic("E005", f"cannot read the file: {e}", Location(STDIN, 1, 1))]) from None
        data = parse(text, STDIN, limits)
        if "remove" in data and "extends" not in data:
            raise ExtendsError([Diagnostic("E032", "remove: this file extends no base", data.key_at["remove"],
                                           expected="`extends: BASE` naming the file whose elements are removed")])
        digest = hashlib.sha256(raw)
        bases: tuple[str, ...] = ()
        base_name = data.get("extends")
        if isinstance(base_name, str):
            base_path = resolve_base(base_name, "", data.value_at["extends"], allow)
            if not os.path.isfile(base_path):
                raise ExtendsError([Diagnostic("E030", f"extends: no such file {base_path!r}",
                                               data.value_at["extends"],
                                               expected="a path relative to the working directory "
                                                        "(the design was read from stdin)")])
            base, more, _ = read(base_path, allow, limits, nodes_before=data.nodes,
                                 elements_before=data.elements, bases_before=1)
            bases = (base_path, *more)
            for p in bases:
                with open(p, "rb") as fh:
                    digest.update(read_bounded(fh, limits.file_size, p))
            data = _merge(base, data)
        problems = diagnose(data, STDIN)
        if problems:
            from verify.errors import InvalidRegimeError

            raise InvalidRegimeError(problems)
        return build(data, STDIN, bases, digest.hexdigest())

    result: Regime = go()
    return result


# ---------------------------------------------------------------- colour

_CODES = {"HOLDS": "32", "UPHELD": "32", "FAILS": "31", "REFUTED": "31", "UNKNOWN": "33",
          "error": "31", "warning": "33"}


def use_colour(stream: TextIO, environ: dict[str, str] | None = None) -> bool:
    """Colour only on a terminal, never into a file or a pipe, and never when
    NO_COLOR is set to anything non-empty (https://no-color.org) or TERM is
    ``dumb``."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):  # a closed stream
        return False


_VERDICT = re.compile(r"(?m)(?<=: )(HOLDS|FAILS|UNKNOWN)$|^(UPHELD|REFUTED|UNKNOWN)(?=: )")
_SEVERITY = re.compile(r"(?m)^([^\n]*?:\d+:\d*:? |[^\n]*?: )(error|warning)(?=:)")


def paint(text: str, on: bool) -> str:
    """Verdict words (and the severity of diagnostic lines) in colour, if ``on``.

    A file's heading (``== FILE: TITLE``) is never painted: its title is the
    design's own words, and one ending in ``: HOLDS`` must not be coloured
    as if it were a verdict."""
    if not on:
        return text

    def word(w: str) -> str:
        return f"\033[1;{_CODES[w]}m{w}\033[0m"

    def line(text: str) -> str:
        if text.startswith("== "):
            return text
        text = _VERDICT.sub(lambda m: word(m.group(0)), text)
        return _SEVERITY.sub(lambda m: m.group(1) + word(m.group(2)), text)

    return "".join(line(x) for x in text.splitlines(keepends=True))


# ---------------------------------------------------------------- reports

def add_report_options(parser: Parser, formats: Sequence[str], output: bool = True) -> None:
    """--format, -o, -q and -v, the same on validate, check and claims."""
    parser.add_argument("--format", choices=tuple(formats), default="text",
                        help="the report's format (default text); sarif, junit and github are for CI")
    if output:
        parser.add_argument("-o", "--output", metavar="FILE",
                            help="write the report to FILE (whole or not at all) instead of stdout")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="text: print only the summary; no 'wrote FILE' or progress lines")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print progress (each file as loaded, each question with its time) on stderr")


def deliver(text: str, args: argparse.Namespace, stream: TextIO, prog: str) -> int | None:
    """Write the report to ``-o FILE`` or to ``stream`` (verdicts coloured on a
    terminal, for the text format); None on success, else the exit status.

    The text and GitHub reports are made visible here, once more, whatever
    made them (only their line breaks are kept): the last point before a
    terminal, which a report added later cannot bypass.  JSON, SARIF and
    JUnit escape in their own syntax (:mod:`verify.report`)."""
    if args.format in ("text", "github"):
        text = visible_lines(text)
    output = getattr(args, "output", None)
    if output:
        if refuse_output(output, args, prog):
            return EXIT_INVALID
        try:
            write_atomically(output, text)
        except OSError as e:
            errors().write(f"{prog}: cannot write {visible(output)}: {e.strerror}\n")
            return EXIT_INVALID
        if not args.quiet:
            errors().write(f"wrote {visible(output)}\n")
        return None
    stream.write(paint(text, args.format == "text" and use_colour(stream)))
    return None


def refuse_output(output: str, args: argparse.Namespace, prog: str) -> bool:
    """Say so on the error stream and return True if ``-o OUTPUT`` may not be
    written: it is one of the command's input files (``args.files`` or
    ``args.file``), or it exists and is not a regular file (a folder, a FIFO,
    a device).  Nothing is opened, nothing written."""
    inputs = list(getattr(args, "files", None) or ())
    if getattr(args, "file", None):
        inputs.append(args.file)
    why = output_refusal(output, inputs)
    if why is None:
        return False
    errors().write(f"{prog}: error: -o {visible(output)}: {why}; nothing written\n")
    return True


def progress(args: argparse.Namespace, message: str) -> None:
    if getattr(args, "verbose", False) and not getattr(args, "quiet", False):
        errors().write(f"{message}\n")


def load_designs(paths: Sequence[str], args: argparse.Namespace, command: str,
                 stream: TextIO, cache: Cache | None = None) -> tuple[list[Regime], int | None]:
    """Load every design of a ``check`` or ``claims`` run.  If any does not
    load, its diagnostics go to stderr (and, in a CI format, into the report,
    so that a code-scanning or test view shows why nothing was checked), and
    the status to end with is returned instead of None.  With a ``cache``, a
    file is first patched into the model last loaded from it
    (:func:`recalled`)."""
    regimes: list[Regime] = []
    broken: list[Suite] = []
    for path in paths:
        try:
            regimes.append(recalled(path, cache, args.allow_extends, args.limits)
                           if cache is not None and path != "-" else
                           load_design(path, allow=args.allow_extends, limits=args.limits))
            progress(args, f"verify {command}: loaded {visible(regimes[-1].path or '')}")
        except RegimeError as e:
            report_regime_error(e)
            from verify.report.cases import Suite

            broken.append(Suite(path="<stdin>" if path == "-" else path, name=path,
                                diagnostics=list(e.diagnostics)))
    # The designs live until the command ends: the cyclic collector need not
    # walk their objects at every later collection (two or three walks of a
    # million objects at 10,000 actors).  Freezing keeps nothing alive:
    # reference counting frees these objects as before; verify.cli.main
    # unfreezes when the command ends.
    gc.freeze()
    if not broken:
        return regimes, None
    from verify.report import to_ci

    if args.format in ("sarif", "junit", "github"):
        n = sum(len(s.diagnostics) for s in broken)
        failed = deliver(to_ci(broken, args.format, command, f"{n} error{'s' if n != 1 else ''}"), args, stream,
                         f"verify {command}")
        if failed is not None:
            return regimes, failed
    return regimes, EXIT_INVALID
