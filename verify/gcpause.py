"""Pause Python's cyclic garbage collector around allocation-heavy steps.

Loading a 10,000-actor regime or compiling its rules allocates hundreds of
thousands of small objects that all stay alive; each automatic collection
then walks them all again, which nearly doubled those steps' time.  None of
these objects form reference cycles that need collecting, so the collector is
paused for the step and restored afterwards (it is process-wide state, so it
is always put back as it was).
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

__all__ = ["gc_paused"]

P = ParamSpec("P")
R = TypeVar("R")


def gc_paused(fn: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        was = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if was:
                gc.enable()

    return wrapper
