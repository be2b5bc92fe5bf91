"""What every test runs under, so that the suite gives the same answers
wherever, by whomever and in whatever order it is run.

* The working directory is a fresh empty folder: a test that names a file by
  a relative path ("designs/...", "tests/data/...") fails at once, whatever
  directory pytest was started from.  Files of the repository are reached from
  ``ROOT`` (the ``root`` fixture, or ``Path(__file__).resolve().parents[1]``).
  Nothing a test writes by mistake lands in the checkout, nor in the user's
  home: XDG_DATA_HOME is a fresh folder too.
* The umask is 0o022, whatever the user's: a test that expects a written file
  to be readable by others then gets the same answer under a private umask
  (0o077) or a group-writable one (0o002).  Tests about permissions set the
  umask they are about themselves.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: The umask every test starts with.
TEST_UMASK = 0o022


@pytest.fixture
def root() -> Path:
    """The repository's top folder."""
    return ROOT


@pytest.fixture(autouse=True)
def _anywhere(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    # `verify new` and `verify schema --install` write to the user's data
    # folder: a test's stays in its own temporary one.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("data")))
    old = os.umask(TEST_UMASK)
    try:
        yield
    finally:
        os.umask(old)
