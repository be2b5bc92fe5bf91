"""Writing output files all or nothing: a failure never leaves a partial
report or drawing, and a reader never sees a half-written one."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable

__all__ = ["write_atomically", "output_refusal"]


def write_atomically(path: str | os.PathLike[str], data: str | bytes, durable: bool = True) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder.

    Raises OSError (the folder is missing, not writable, ...); the target is
    then untouched.  ``durable``: flushed to the disk before it replaces the
    target; a cache, where a file lost in a crash is only a miss, need not
    wait for that (a fifth of a re-check's writing, issue 14).
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(raw)
            out.flush()
            if durable:
                os.fsync(out.fileno())
            # mkstemp makes the file private (0600); reports and drawings are
            # for sharing, and replacing a file should not change who may read
            # it: keep the old file's mode, else an ordinary new file's.
            try:
                mode = os.stat(path).st_mode & 0o777
            except FileNotFoundError:
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o666 & ~umask
            os.fchmod(out.fileno(), mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def output_refusal(path: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]] = ()) -> str | None:
    """Why ``path`` may not be written as an output, or None if it may.

    A new path, or an existing regular file that is none of ``inputs``, may
    be written.  Refused: one of the input files (the same file by
    :func:`os.path.samefile`: same device and inode, through any name or
    link), and anything that exists but is not a regular file (a folder, a
    FIFO, a device, a socket), which replacing would destroy.  Only
    :func:`os.stat` is used: nothing is opened."""
    path = os.fspath(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as e:
        return e.strerror or str(e)
    if stat.S_ISDIR(st.st_mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(st.st_mode):
        kind = ("a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device" if stat.S_ISCHR(st.st_mode)
                or stat.S_ISBLK(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
        return f"is {kind}; only a regular file or a new path can be written"
    for given in inputs:
        given = os.fspath(given)
        if given == "-":
            continue
        try:
            other = os.stat(given)
        except OSError:
            continue
        if stat.S_ISDIR(other.st_mode):
            # a folder given as input stands for the designs under it
            real, folder = os.path.realpath(path), os.path.realpath(given)
            if real.endswith((".yaml", ".yml")) and os.path.commonpath([real, folder]) == folder:
                return "is an input design file (in the folder given); writing the report there would destroy it"
            continue
        if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
            return "is an input design file; writing the report there would destroy it"
    return None
