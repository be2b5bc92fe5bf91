"""The ``verify`` command line: one module per subcommand.

Each subcommand module has ``main(argv, stream) -> int`` so that tests call it
directly, without a subprocess.  Exit status: 0 all hold (or success),
1 some property fails, 2 invalid input, 3 some result unknown and none fails,
4 an internal error of the tool; 130 / 143 stopped by SIGINT / SIGTERM (only
through :func:`run`, the console entry point).

Reports go to ``stream`` (stdout); diagnostics and usage errors to the error
stream (stderr), see :mod:`verify.cli._common`.
"""

from __future__ import annotations

import gc
import importlib
import io
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Sequence
from types import FrameType
from typing import NoReturn, TextIO

__all__ = ["main", "run", "COMMANDS", "EXIT_INTERNAL", "EXIT_PIPE", "EXIT_SIGINT", "EXIT_SIGTERM", "completion"]

#: subcommand -> (module, one-line help).  A plain table, read only here.
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("verify.cli.validate", "check that regime files are well-formed"),
    "check": ("verify.cli.check", "prove or refute a regime's properties"),
    "claims": ("verify.cli.claims", "report each drafter's claim as upheld or refuted"),
    "render": ("verify.cli.render", "draw a regime with Graphviz"),
    "report": ("verify.cli.report", "write a report to circulate: md, html, json or csv"),
    "diff": ("verify.cli.diff", "what changed between two designs, and whether it got worse"),
    "optimise": ("verify.cli.optimise", "the cheapest design that holds, or what could be dropped"),
    "solve": ("verify.cli.solve", "the value of a parameter at which a property starts to hold"),
    "schema": ("verify.cli.schema", "print the JSON Schema of the regime format"),
    "new": ("verify.cli.new", "write a small commented starter regime"),
    "watch": ("verify.cli.watch", "re-check a design each time it is saved, and say what changed"),
}

#: Not a module of its own: ``verify completion SHELL`` prints a completion script.
COMPLETION_HELP = "print a shell completion script: bash, zsh or fish"
SHELLS = ("bash", "zsh", "fish")

USAGE = "usage: verify COMMAND [ARGS...]\n       verify -V | --version\n\ncommands:\n" + "".join(
    f"  {name:<10} {text}\n" for name, (_, text) in [*COMMANDS.items(), ("completion", ("", COMPLETION_HELP))]
) + "\nRun 'verify COMMAND --help' for a command's options.\n"


def main(argv: Sequence[str] | None = None, stream: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run one command.  Reports go to ``stream`` (default stdout), diagnostics
    to ``err``: by default stderr, or, when only ``stream`` is given, ``stream``
    too (a transcript in order, for callers that capture one stream)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if err is None and stream is None:
        err = sys.stderr
    elif err is None:
        err = stream
    stream = sys.stdout if stream is None else stream
    if argv and argv[0] in ("-h", "--help"):
        # Before anything else is imported: `verify --help` is what a new
        # user waits for first (issue 14: under 150 ms as a process).
        stream.write(USAGE)
        return 0
    from verify.cli._common import error_stream

    with error_stream(err):
        try:
            return _dispatch(argv, stream)
        finally:
            # load_designs froze what was loaded for the collector (see
            # there); a caller that goes on after the command (a test, a
            # notebook) gets every object back into its collections, so no
            # garbage frozen with them outlives the command.
            gc.unfreeze()


def _dispatch(argv: list[str], stream: TextIO) -> int:
    from verify.cli._common import errors

    if not argv or argv[0] in ("-h", "--help"):
        (stream if argv else errors()).write(USAGE)
        return 0 if argv else 2
    if argv[0] in ("--version", "-V"):
        from verify import __version__

        stream.write(f"verify {__version__}\n")
        return 0
    name, rest = argv[0], argv[1:]
    if name == "completion":
        return _completion_command(rest, stream)
    if name not in COMMANDS:
        import difflib

        close = difflib.get_close_matches(name, [*COMMANDS, "completion"], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        errors().write(f"verify: unknown command {name!r}{hint}\n{USAGE}")
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    status: int = module.main(rest, stream)
    return status


# ---------------------------------------------------------------- completion

def _completion_command(argv: list[str], stream: TextIO) -> int:
    from verify.cli._common import ArgumentError, Parser

    parser = Parser(prog="verify completion", stream=stream,
                    description="Print a shell completion script. bash: eval \"$(verify completion bash)\" "
                                "in ~/.bashrc; zsh: verify completion zsh > ~/.zfunc/_verify (a folder on "
                                "$fpath); fish: verify completion fish > ~/.config/fish/completions/verify.fish")
    parser.add_argument("shell", choices=SHELLS)
    try:
        args = parser.parse_args(argv)
    except ArgumentError as e:
        return e.status
    stream.write(completion(args.shell))
    return 0


class _Option:
    def __init__(self, flags: list[str], help_: str, takes_value: bool, choices: list[str], is_file: bool):
        self.flags, self.help, self.takes_value, self.choices, self.is_file = flags, help_, takes_value, choices, \
            is_file


def _spec() -> dict[str, tuple[str, list[_Option], bool]]:
    """command -> (help, options, takes files), read from each command's own
    argparse parser (so the script never drifts from the options)."""
    from verify.cli._common import Captured, capture_parser, error_stream

    out: dict[str, tuple[str, list[_Option], bool]] = {}
    for name, (module_name, text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        try:
            with capture_parser(), error_stream(io.StringIO()):
                module.main([], io.StringIO())
        except Captured as c:
            parser = c.parser
        else:  # pragma: no cover - every command parses its arguments first
            continue
        options, files = [], False
        for action in parser._actions:
            if not action.option_strings:
                files = files or action.dest in ("files", "file")
                continue
            takes = action.nargs != 0
            choices = [str(c) for c in action.choices] if action.choices else []
            is_file = action.dest in ("output", "install")
            options.append(_Option(list(action.option_strings), action.help or "", takes, choices, is_file))
        out[name] = (text, options, files)
    out["completion"] = (COMPLETION_HELP, [_Option(["-h", "--help"], "show this help message and exit",
                                                   False, [], False)], False)
    return out


def _plain(text: str) -> str:
    """Help text safe inside single quotes and zsh's [...] descriptions."""
    return re.sub(r"[\[\]:'\\`$\"]", "", " ".join(text.split()))[:80]


def completion(shell: str) -> str:
    """A completion script for ``shell`` (bash, zsh or fish)."""
    spec = _spec()
    if shell == "bash":
        return _bash(spec)
    if shell == "zsh":
        return _zsh(spec)
    return _fish(spec)


def _bash(spec: dict[str, tuple[str, list[_Option], bool]]) -> str:
    lines = ["# bash completion for verify; load with: eval \"$(verify completion bash)\"",
             "_verify() {",
             "    local cur prev cmd",
             "    cur=\"${COMP_WORDS[COMP_CWORD]}\"",
             "    prev=\"${COMP_WORDS[COMP_CWORD-1]}\"",
             "    if [ \"$COMP_CWORD\" -eq 1 ]; then",
             f"        COMPREPLY=( $(compgen -W \"{' '.join(spec)} -V --version -h --help\" -- \"$cur\") )",
             "        return",
             "    fi",
             "    cmd=\"${COMP_WORDS[1]}\"",
             "    case \"$cmd\" in"]
    for name, (_, options, files) in spec.items():
        lines.append(f"        {name})")
        lines.append("            case \"$prev\" in")
        if name == "completion":
            lines.append(f"                completion) COMPREPLY=( $(compgen -W \"{' '.join(SHELLS)}\" -- \"$cur\") ); "
                         "return;;")
        for o in options:
            if not o.takes_value:
                continue
            pattern = "|".join(o.flags)
            if o.choices:
                lines.append(f"                {pattern}) COMPREPLY=( $(compgen -W \"{' '.join(o.choices)}\" "
                             "-- \"$cur\") ); return;;")
            elif o.is_file:
                lines.append(f"                {pattern}) COMPREPLY=( $(compgen -f -- \"$cur\") ); return;;")
            else:
                lines.append(f"                {pattern}) return;;")
        lines.append("            esac")
        flags = " ".join(f for o in options for f in o.flags)
        lines.append("            if [[ \"$cur\" == -* ]]; then")
        lines.append(f"                COMPREPLY=( $(compgen -W \"{flags}\" -- \"$cur\") )")
        if files:
            lines.append("            else")
            lines.append("                COMPREPLY=( $(compgen -f -- \"$cur\") )")
        lines.append("            fi")
        lines.append("            ;;")
    lines += ["    esac", "}", "complete -o filenames -o bashdefault -F _verify verify", ""]
    return "\n".join(lines)


def _zsh(spec: dict[str, tuple[str, list[_Option], bool]]) -> str:
    lines = ["#compdef verify",
             "# zsh completion for verify; save as _verify in a folder on $fpath",
             "_verify() {",
             "    local -a commands",
             "    commands=("]
    for name, (text, _, _) in spec.items():
        lines.append(f"        '{name}:{_plain(text)}'")
    lines += ["    )",
              "    if (( CURRENT == 2 )); then",
              "        _describe 'command' commands",
              "        return",
              "    fi",
              "    local cmd=$words[2]",
              "    shift words",
              "    (( CURRENT-- ))",
              "    case $cmd in"]
    for name, (_, options, files) in spec.items():
        args = []
        for o in options:
            action = ""
            if o.takes_value:
                if o.choices:
                    action = f":value:({' '.join(o.choices)})"
                elif o.is_file:
                    action = ":file:_files"
                else:
                    action = ":value: "
            desc = _plain(o.help)
            if len(o.flags) == 1:
                args.append(f"'{o.flags[0]}[{desc}]{action}'")
            else:
                excl = " ".join(o.flags)
                args.append(f"'({excl})'{{{','.join(o.flags)}}}'[{desc}]{action}'")
        if files:
            args.append("'*:file:_files'")
        if name == "completion":
            args.append(f"'1:shell:({' '.join(SHELLS)})'")
        lines.append(f"        {name})")
        lines.append("            _arguments \\")
        lines.extend(f"                {a} \\" for a in args)
        lines.append("            ;;")
    lines += ["    esac", "}", "", "if [ \"$funcstack[1]\" = \"_verify\" ]; then", "    _verify \"$@\"", "else",
              "    compdef _verify verify", "fi", ""]
    return "\n".join(lines)


def _fish(spec: dict[str, tuple[str, list[_Option], bool]]) -> str:
    lines = ["# fish completion for verify; save as ~/.config/fish/completions/verify.fish",
             "complete -c verify -f",
             "complete -c verify -n __fish_use_subcommand -s V -l version -d 'print the version'"]
    for name, (text, options, files) in spec.items():
        lines.append(f"complete -c verify -n '__fish_use_subcommand' -a {name} -d '{_plain(text)}'")
        cond = f"-n '__fish_seen_subcommand_from {name}'"
        for o in options:
            parts = []
            for f in o.flags:
                if f.startswith("--"):
                    parts.append(f"-l {f[2:]}")
                elif len(f) == 2:
                    parts.append(f"-s {f[1]}")
                else:
                    parts.append(f"-o {f[1:]}")
            if o.takes_value:
                parts.append("-r")
                if o.choices:
                    parts.append(f"-a '{' '.join(o.choices)}'")
                elif o.is_file:
                    parts.append("-F")
            lines.append(f"complete -c verify {cond} {' '.join(parts)} -d '{_plain(o.help)}'")
        if files:
            lines.append(f"complete -c verify {cond} -F")
        if name == "completion":
            lines.append(f"complete -c verify {cond} -a '{' '.join(SHELLS)}'")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- entry point

#: Exit status for a fault of the tool itself: never 1, which means "fails".
EXIT_INTERNAL = 4
#: Exit status when the reader of the output went away (``| head -1``): what
#: a shell reports for a process ended by SIGPIPE (128 + 13).
EXIT_PIPE = 141


#: Exit statuses for a run stopped by a signal: what a shell reports for a
#: process ended by SIGINT (Ctrl-C) or SIGTERM (128 + the signal's number).
EXIT_SIGINT = 128 + signal.SIGINT
EXIT_SIGTERM = 128 + signal.SIGTERM
#: Seconds a stopped run has to unwind (removing a temporary output file)
#: before it is ended regardless: a solver call does not return to Python
#: until it is done, which may be minutes.
STOP_GRACE = 1.0

#: The exit status of the first stopping signal received, once there is one.
_stopping: list[int] = []


def _stop(signum: int, frame: FrameType | None) -> None:
    """SIGINT and SIGTERM: stop cleanly, as for Ctrl-C (KeyboardInterrupt).

    A second signal while the first stop unwinds is ignored, so that it
    cannot break off the clean-up."""
    if _stopping:
        return
    _stopping.append(128 + signum)
    # The stop may land inside a constructor (z3.Context() half made), whose
    # finaliser then fails while the stop unwinds; Python would print that
    # as "Exception ignored ... Traceback" on the way out.  Once stopping,
    # such noise says nothing about the run.
    sys.unraisablehook = _ignore
    raise KeyboardInterrupt


def _ignore(unraisable: object) -> None:
    return None


def _watch(fd: int) -> None:
    """Runs in a thread: ends the process when a stopping signal arrives and
    the main thread has not ended within STOP_GRACE seconds.

    Python runs a signal handler only between bytecodes of the main thread;
    inside a z3 call (seconds to minutes) it cannot, but the C-level handler
    writes the signal's number to the wakeup fd at once.  Inside a solver
    call nothing is being written (outputs are written at the end, each
    through a temporary file), so ending the process there writes nothing and
    leaves nothing behind; Python code, including that write, is stopped by
    the handler above within the grace period."""
    while True:
        try:
            data = os.read(fd, 1)
        except OSError:
            return
        if not data:
            return
        if data[0] in (signal.SIGINT, signal.SIGTERM):
            break
    time.sleep(STOP_GRACE)
    os._exit(_stopping[0] if _stopping else 128 + data[0])


def _install_stop_handlers() -> None:
    """Route SIGINT and SIGTERM to :func:`_stop`, with :func:`_watch` as the
    backstop.  Only for the console command: tests call :func:`main` in the
    same process as pytest, whose signals are its own."""
    try:
        read_fd, write_fd = os.pipe()
        os.set_blocking(write_fd, False)
        signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    except (OSError, ValueError):
        read_fd = -1
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    if read_fd >= 0:
        threading.Thread(target=_watch, args=(read_fd,), name="verify-stop", daemon=True).start()


def run() -> None:
    """Console-script entry point."""
    try:
        _install_stop_handlers()
        status = main()
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        # The reader closed the pipe (``verify validate designs/*.yaml | head
        # -1``): end quietly, as the Python docs advise for SIGPIPE: point
        # stdout at devnull so that the interpreter's final flush does not
        # raise again, and do not restore SIGPIPE's default action (which
        # would kill the process on any closed socket, too).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(EXIT_PIPE)
    except KeyboardInterrupt:
        # Ctrl-C or SIGTERM (see _stop): no verdict, no report, no traceback;
        # an output file being written was removed with its temporary file.
        status = _stopping[0] if _stopping else EXIT_SIGINT
    except Exception as e:  # noqa: BLE001 - the last line of defence
        if _stopping:
            # The stop arrived inside a call that wraps what it raises (ctypes
            # turns the KeyboardInterrupt raised while it converts z3's
            # arguments into an ArgumentError): still a stop, not a bug.
            status = _stopping[0]
        else:
            # A crash must never read as a verdict (1 means "some property
            # fails"), nor dump a traceback on a drafter.
            # The exception's text may quote the design (an id, a value): it is
            # shown escaped and cut, as every untrusted text is.
            from verify.safety import visible

            text = visible(str(e))
            text = text if len(text) <= 500 else text[:500] + "..."
            sys.stderr.write(f"verify: internal error: {type(e).__name__}: {text}\n"
                             "this is a bug in verify, not in your regime; please report it with the file\n")
            status = EXIT_INTERNAL
    else:
        _hard_exit(status)
    sys.exit(status)


def _hard_exit(status: int) -> NoReturn:
    """End the process at once after a command that returned normally, its
    output flushed: the interpreter's teardown (freeing every module and a
    kept model object by object) was 11 ms of a 1,000-actor re-check as a
    process, a tenth of it (issue 14).  Nothing is left to finish: every
    file the command writes is written and closed before it returns, the
    only thread is the daemon stop watcher, and nothing is registered with
    atexit.  mypy ends the same way (mypy.util.hard_exit).  A run that
    stopped or crashed ends through sys.exit as before."""
    os._exit(status)
