"""``verify new NAME``: write a small, commented starter regime.

The starter validates and checks as written, so a new user sees every section
working before changing anything.  Its first line points an editor at the
schema by an absolute path that resolves on this machine, wherever the file
is: the per-user copy ``verify schema --install`` writes (installed or
brought up to date here), or, if that folder cannot be written, the
package's own file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TextIO

from verify.cli._common import EXIT_INVALID, ArgumentError, Parser, errors, write_atomically
from verify.schema import install, package_schema_path, schema_reference

__all__ = ["main", "STARTER"]

STARTER = """\
# yaml-language-server: $schema={schema}
# A starter regime: one state hosts a lab that might train a prohibited model;
# an inspectorate watches through chip-level logging and an on-site inspection
# that a council can order.  Check it with:  verify check {file}
regime: {name}
title: {title}
description: >
  Replace this with what the regime is for.  See docs/format.md for every field.

actors:
  - id: state-a                 # a state party
    kind: state
  - id: lab-a                   # a frontier lab; its state can compel it
    kind: lab
    controlled_by: state-a
  - id: chip-firm
    kind: chip-firm
  - id: inspectorate
    kind: inspectorate
  - id: state-b
    kind: state
  - id: state-c
    kind: state

assets:
  - id: datacentre-a
    host: state-a               # whose territory: its consent opens the door
    owner: lab-a

signatures:                     # kinds of trace a violation leaves
  - id: compute
    unit: FLOP
  - id: power
    unit: MW

violations:
  - id: covert-training
    perpetrator: lab-a          # or a list: each is checked in turn
    at: datacentre-a
    signatures:
      - signature: compute
        magnitude: 1e26
        persists: 180d          # how long the trace can be seen
      - signature: power
        magnitude: 50
        conceal: 2d             # how long a warned host needs to hide it

mechanisms:
  - id: chip-logging
    kind: logging
    operator: chip-firm
    observes:
      - signature: compute
        threshold: 1e25         # sees only runs above this
    tamper_evident: true        # sealed logs: can be withheld, not altered
    period: 7d
  - id: on-site-inspection
    kind: inspection
    operator: inspectorate
    observes: [power]
    at: [datacentre-a]
    requires_access: host       # the host state must let inspectors in
    mandatory: true             # refusing them is itself a breach
    triggered_by: council       # runs once evidence reaches the council
    notice: 1d
    latency: 3d

flows:
  - id: logs-to-inspectorate
    from: chip-firm
    to: inspectorate
    latency: 1d
    mandatory: true             # a missing report is noticed
    authenticated: true
  - id: inspectorate-to-council
    from: inspectorate
    to: council
    latency: 2d

bodies:
  - id: council
    members: [state-a, state-b, state-c]
    approve: 2                  # yes votes needed
    recused: perpetrator        # the accused may not vote on its own case
    latency: 7d

verifiers: [inspectorate, council]

threat_model:
  max: 1                        # the treaty claims to withstand one accomplice

properties:
  - property: detectability
  - property: non-circumventability
    k: 1
  - property: timeliness
    T: 30d
    k: 0

claims:
  - id: caught-within-a-month
    text: "A lab acting alone cannot hide a covert training run from the inspectorate for more than 30 days."
    property: timeliness
    T: 30d
    k: 0
    expect: holds
"""


def _schema_file() -> Path:
    """The per-user copy of the schema, installed or refreshed if needed; the
    package's own file when the user's data folder cannot be written."""
    try:
        return install()
    except OSError:
        return package_schema_path()


def main(argv: list[str], stream: TextIO) -> int:
    parser = Parser(prog="verify new", stream=stream, description="Write a small commented starter regime.")
    parser.add_argument("name", help="the regime's id; the file is NAME.yaml unless -o is given")
    parser.add_argument("-o", "--output", help="where to write it")
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    try:
        args = parser.parse_args(argv)
    except ArgumentError as e:
        return e.status
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", args.name):
        errors().write(f"verify new: {args.name!r} is not a valid id (a letter or _, then letters, digits, _ . -)\n")
        return EXIT_INVALID
    path = args.output or f"{args.name}.yaml"
    if os.path.exists(path) and not args.force:
        errors().write(f"verify new: {path} exists; use --force to overwrite\n")
        return EXIT_INVALID
    schema = schema_reference(_schema_file())
    try:
        write_atomically(path, STARTER.format(name=args.name, title=args.name.replace("-", " ").capitalize(),
                                              file=path, schema=schema))
    except OSError as e:
        errors().write(f"verify new: cannot write {path}: {e.strerror}\n")
        return EXIT_INVALID
    errors().write(f"wrote {path}\n")
    return 0
