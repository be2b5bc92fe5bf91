"""Loading a design again after a one-line edit, from the last load.

``verify watch`` re-checks a design each time it is saved, and most saves
change one value on one line: a flow's latency, a mechanism's cost, the
title.  Loading the whole design again (reading, validating, building) was
most of a watch round at 1,000 actors (issue 14: 0.2 of 0.4 s), so the
watch first asks :func:`patched` for the new model, built from the last one
with that line's element made again, and loads the whole file only when it
gets None.

None is the answer whenever the patch could differ from a full load in any
way: more than one line changed, or the line count; a design that extends
another; carriage returns; a line that is not one item of ``mechanisms`` or
``flows`` written as ``{key: value, ...}`` on one line (or the top-level
``title`` or ``description``); a key added, removed, reordered, or one
outside :data:`FIELDS`; anything the schema or the number checks refuse; a
NaN; a limit.  So every diagnostic still comes from a full load, and a
patched model equals the full load's, field for field and location for
location: tests/test_patch.py compares the two on random one-line edits.

:data:`FIELDS` are the fields of an item that no check reads beyond the
item itself (no reference, no vote, no count against other elements), so
that the item's own schema and number checks are all the validation that
can differ.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from verify.errors import RegimeError
from verify.limits import DEFAULT, Limits
from verify.model import Regime

# The reader, the checks and the builder are imported when an edit is
# patched, not with this module: a re-check of an unchanged file
# (``verify check --cache``) unpickles a Snapshot and needs none of them.

__all__ = ["FIELDS", "Snapshot", "patched", "reload"]

#: Per section, the keys whose value a one-line edit may change.
FIELDS: dict[str, frozenset[str]] = {
    "mechanisms": frozenset({"name", "description", "latency", "period", "notice", "cost", "intrusiveness"}),
    "flows": frozenset({"name", "description", "latency", "period", "cost", "intrusiveness"}),
}

#: Top-level prose a one-line edit may change (free text, a string).
PROSE = ("title", "description")


@dataclass(frozen=True)
class Snapshot:
    """A design as last loaded: its model, and the text it was loaded from
    (``raw``: the file's bytes) under ``limits``.  ``keys``: the line each
    top-level key is written on, read from ``raw`` when a prose edit first
    needs it; a snapshot patched from this one may share it (one line
    changed, not a key's: every key is where it was)."""

    regime: Regime
    raw: bytes
    limits: Limits = DEFAULT
    keys: dict[str, int] = field(default_factory=dict, compare=False)


def patched(before: Snapshot, raw: bytes) -> Regime | None:
    """The model of ``raw`` (the design file's new bytes) made from
    ``before``, or None if it cannot be shown to equal a full load's."""
    regime = before.regime
    if regime.extends or regime.path is None or b"\r" in raw or len(raw) > before.limits.file_size:
        return None
    try:
        text, old_text = raw.decode("utf-8"), before.raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    new_lines, old_lines = text.split("\n"), old_text.split("\n")
    if len(new_lines) != len(old_lines):
        return None
    changed = [i for i, (a, b) in enumerate(zip(old_lines, new_lines)) if a != b]
    if len(changed) != 1:
        return None
    i = changed[0]
    old, new = old_lines[i], new_lines[i]
    sha256 = hashlib.sha256(raw).hexdigest()
    if not old.startswith((" ", "-")):
        return _prose(before, i, old, new, sha256)
    return _item(regime, i, old, new, sha256, before.limits)


def _prose(before: Snapshot, i: int, old: str, new: str, sha256: str) -> Regime | None:
    from verify.load.quickyaml import scan
    from verify.load.yamlsrc import parse

    regime, limits = before.regime, before.limits
    key = old.partition(":")[0]
    if key not in PROSE or new.partition(":")[0] != key:
        return None
    # The line must be where the document writes that key, not a line of
    # some other value that happens to read "title: ..." (a quoted text
    # running over several lines).
    if not before.keys:
        try:
            root = parse(before.raw.decode("utf-8"), regime.path or "", limits)
        except RegimeError:
            return None
        before.keys.update((k, at.line) for k, at in root.key_at.items())
    if before.keys.get(key) != i + 1:
        return None
    got = [scan(line + "\n", regime.path or "", limits) for line in (old, new)]
    if got[0] is None or got[1] is None or list(got[0]) != [key] or list(got[1]) != [key]:
        return None
    was, now = got[0][key], got[1][key]
    # The old line must be what the model holds (not the first line of a
    # value that goes on below it).
    if getattr(regime, key) != was or type(now) is not str:
        return None
    changes: dict[str, Any] = {key: now, "sha256": sha256}
    return dataclasses.replace(regime, **changes)


def _item(regime: Regime, i: int, old: str, new: str, sha256: str, limits: Limits) -> Regime | None:
    from verify.load.build import ITEM
    from verify.load.quickyaml import flat_item
    from verify.load.validate import item_numbers_valid, item_valid

    file = regime.path or ""
    found = [(section, n) for section in FIELDS for n, el in enumerate(getattr(regime, section))
             if el.where is not None and el.where.line == i + 1 and el.where.file == file]
    if len(found) != 1:
        return None
    section, n = found[0]
    column = old.find("{")
    if column < 0 or new[:column + 1] != old[:column + 1]:
        return None
    was, now = flat_item(old, i, file, limits), flat_item(new, i, file, limits)
    if was is None or now is None:
        return None
    if list(was) != list(now) or {k for k in now if now[k] != was[k]} - FIELDS[section]:
        return None
    element = getattr(regime, section)[n]
    build = ITEM[section]
    # The old line must be the element the model holds.
    if build(was) != element or element.where != was.where:
        return None
    if not item_valid(section, now) or not item_numbers_valid(section, now):
        return None
    items = list(getattr(regime, section))
    items[n] = build(now)
    changes: dict[str, Any] = {section: tuple(items), "sha256": sha256}
    return dataclasses.replace(regime, **changes)


def reload(file: str, last: Snapshot | None, allow: Sequence[str] = (),
           limits: Limits = DEFAULT) -> tuple[Regime, Snapshot | None]:
    """The design in ``file`` now, and the snapshot to patch its next version
    into: the same bytes as ``last`` give its model (a design extending none
    is a function of its bytes, its path and the limits), a one-line edit is
    patched into it (:func:`patched`: the same model a full load gives, or
    no patch); anything else, or a file that cannot be read now, is loaded
    whole (raising RegimeError)."""
    raw = _bytes(file)
    if last is not None and raw is not None and last.limits == limits and last.regime.path == os.path.normpath(file):
        if raw == last.raw and not last.regime.extends:
            return last.regime, last
        regime = patched(last, raw)
        if regime is not None:
            return regime, Snapshot(regime, raw, limits, last.keys)
    from verify.load import load

    regime = load(file, allow=tuple(allow), limits=limits)
    raw = _bytes(file)
    # Kept only when the bytes read are the ones loaded (a save between the
    # two reads leaves no snapshot: the next version loads whole).
    keep = raw is not None and hashlib.sha256(raw).hexdigest() == regime.sha256
    return regime, Snapshot(regime, raw, limits) if keep and raw is not None else None


def _bytes(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return None
