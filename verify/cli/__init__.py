"""The ``verify`` command line: one module per subcommand.

Each subcommand module has ``main(argv, stream) -> int`` so that tests call it
directly, without a subprocess.  Exit status: 0 all hold (or success),
1 some property fails, 2 invalid input, 3 some result unknown and none fails,
4 an internal error of the tool.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import TextIO

__all__ = ["main", "run", "COMMANDS", "EXIT_INTERNAL"]

#: subcommand -> (module, one-line help).  A plain table, read only here.
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("verify.cli.validate", "check that regime files are well-formed"),
    "check": ("verify.cli.check", "prove or refute a regime's properties"),
    "claims": ("verify.cli.claims", "report each drafter's claim as upheld or refuted"),
    "render": ("verify.cli.render", "draw a regime with Graphviz"),
    "schema": ("verify.cli.schema", "print the JSON Schema of the regime format"),
    "new": ("verify.cli.new", "write a small commented starter regime"),
}

USAGE = "usage: verify COMMAND [ARGS...]\n\ncommands:\n" + "".join(
    f"  {name:<10} {text}\n" for name, (_, text) in COMMANDS.items()
) + "\nRun 'verify COMMAND --help' for a command's options.\n"


def main(argv: Sequence[str] | None = None, stream: TextIO | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    stream = sys.stdout if stream is None else stream
    if not argv or argv[0] in ("-h", "--help"):
        stream.write(USAGE)
        return 0 if argv else 2
    if argv[0] == "--version":
        from verify import __version__

        stream.write(f"verify {__version__}\n")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        import difflib

        close = difflib.get_close_matches(name, COMMANDS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        stream.write(f"verify: unknown command {name!r}{hint}\n{USAGE}")
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    status: int = module.main(rest, stream)
    return status


#: Exit status for a fault of the tool itself: never 1, which means "fails".
EXIT_INTERNAL = 4


def run() -> None:
    """Console-script entry point."""
    try:
        status = main()
    except KeyboardInterrupt:
        status = 130
    except Exception as e:  # noqa: BLE001 - the last line of defence
        # A crash must never read as a verdict (1 means "some property
        # fails"), nor dump a traceback on a drafter.
        sys.stderr.write(f"verify: internal error: {type(e).__name__}: {e}\n"
                         "this is a bug in verify, not in your regime; please report it with the file\n")
        status = EXIT_INTERNAL
    sys.exit(status)
