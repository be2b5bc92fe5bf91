"""``verify watch FILE``: re-check a design each time it is saved, and say
what changed.

Each time the file's bytes change (or a file it extends), the design is
loaded again and its properties checked through the result cache
(:mod:`verify.cache`), so a one-field edit re-solves only the questions it
touched.  Each round prints one line per result and, after the first, the
verdicts that changed.  A design that does not load prints its diagnostics
and the watch waits for the next save.  Ctrl-C ends it.

The cache is ``--cache DIR``, else ``$VERIFY_CACHE``, else ``verify`` under
``$XDG_CACHE_HOME`` (``~/.cache``); safe to delete.
"""

from __future__ import annotations

import hashlib
import os
import time
from typing import TYPE_CHECKING, TextIO

from verify.cli._common import (
    EXIT_OK,
    ArgumentError,
    Parser,
    add_extends_option,
    errors,
    report_regime_error,
    seconds,
)
from verify.errors import RegimeError
from verify.safety import visible

if TYPE_CHECKING:  # imported when a round runs: `verify watch --help` stays quick
    from verify.cache import Cache
    from verify.load.patch import Snapshot
    from verify.model import Regime

__all__ = ["main", "default_cache"]


def default_cache() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.environ.get("VERIFY_CACHE") or os.path.join(base, "verify")


def _fingerprint(paths: list[str]) -> str:
    """What the files hold now (their bytes, not their times: a save within
    one clock tick still counts)."""
    digest = hashlib.sha256()
    for p in paths:
        try:
            with open(p, "rb") as fh:
                digest.update(fh.read())
        except OSError:
            digest.update(b"\0missing")
        digest.update(b"\0")
    return digest.hexdigest()


def main(argv: list[str], stream: TextIO) -> int:
    parser = Parser(prog="verify watch", stream=stream,
                    description="Re-check a design each time it is saved, answering unchanged questions from "
                                "the result cache, and print what changed. Ctrl-C ends it.")
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--cache", metavar="DIR", default=None,
                        help="the result cache (default: $VERIFY_CACHE, else ~/.cache/verify); safe to delete")
    parser.add_argument("--interval", type=seconds, default=0.2, help="seconds between looks at the file "
                                                                      "(default 0.2)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="stop after this many checks (default: until Ctrl-C)")
    parser.add_argument("--timeout", type=seconds, default=60.0, help="seconds per solver call (default 60)")
    add_extends_option(parser)
    try:
        args = parser.parse_args(argv)
    except ArgumentError as e:
        return e.status
    from verify.cache import Cache
    from verify.load.patch import reload

    cache = Cache(args.cache or default_cache())
    watched = [args.file]
    seen: str | None = None
    before: dict[str, str] | None = None
    last: Snapshot | None = None
    rounds = 0
    while args.rounds is None or rounds < args.rounds:
        now = _fingerprint(watched)
        if now == seen:
            time.sleep(args.interval)
            continue
        seen = now
        rounds += 1
        started = time.perf_counter()
        try:
            regime, last = reload(args.file, last, args.allow_extends, args.limits)
        except RegimeError as e:
            last = None
            report_regime_error(e)
            errors().write(f"verify watch: {visible(args.file)} does not load; waiting for the next save\n")
            stream.flush()
            continue
        watched = [args.file, *regime.extends]
        seen = _fingerprint(watched)
        before = _round(regime, cache, args.timeout, before, stream, rounds, started)
        stream.flush()
    return EXIT_OK


def _round(regime: Regime, cache: Cache, timeout: float, before: dict[str, str] | None, stream: TextIO,
           rounds: int, started: float) -> dict[str, str]:
    """Check ``regime``'s properties through ``cache`` and print the round:
    every verdict the first time, after that what changed since ``before``."""
    from functools import partial

    from verify.analyses.properties import run
    from verify.cache import answered
    from verify.explain import params_text
    from verify.model import effective

    hits = cache.hits
    regime, _ = effective(regime)
    verdicts: dict[str, str] = {}
    for spec in regime.properties:
        for r in answered(cache, regime, spec, partial(run, regime, spec, timeout=timeout)):
            verdicts[f"{r.property}({params_text(r)})"] = r.verdict.value.upper()
    took = time.perf_counter() - started
    counts = {v: sum(1 for x in verdicts.values() if x == v) for v in ("HOLDS", "FAILS", "UNKNOWN")}
    stream.write(f"round {rounds}: {visible(regime.path or '')}: {counts['HOLDS']} hold, {counts['FAILS']} fail, "
                 f"{counts['UNKNOWN']} unknown ({took:.2f} s, {cache.hits - hits} answered from the cache)\n")
    if before is None:
        for name, v in verdicts.items():
            stream.write(f"  {name}: {v}\n")
        return verdicts
    changed = [(n, before.get(n), v) for n, v in verdicts.items() if before.get(n) != v]
    gone = [n for n in before if n not in verdicts]
    for name, was, v in changed:
        stream.write(f"  {name}: {v}" + (f" (was {was})\n" if was else " (new)\n"))
    for name in gone:
        stream.write(f"  {name}: no longer checked\n")
    if not changed and not gone:
        stream.write("  no verdict changed\n")
    return verdicts
