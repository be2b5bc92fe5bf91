r"""Diagnostics: what went wrong, where, and what was expected.

Codes are stable: tests and users' scripts may match on them.  docs/errors.md
lists every code with an example.  A diagnostic prints as gcc prints one,
``file:line:column: error: E015 message`` then indented detail lines, which
the stock gcc problem matcher (``^(.*?):(\d+):(\d*):?\s+(?:fatal\s+)?(warning|error):\s+(.*)$``)
matches.

The file name, message, found and expected values and hint often quote the
design (an unknown key, a misspelt id, a value): each is printed through
:func:`verify.safety.visible`, so a diagnostic keeps its one-line-per-field
shape and carries no control or bidirectional character raw (docs/cli.md,
"Untrusted text").  The fields themselves keep what was found, for programs.
"""

from __future__ import annotations

from dataclasses import dataclass

from verify.model import Location
from verify.safety import visible

__all__ = ["Diagnostic", "CODES"]

#: code -> one-line meaning.  Never renumber; retire a code instead.
CODES: dict[str, str] = {
    "E001": "YAML syntax error",
    "E002": "YAML tag that would build an object (only plain data is accepted)",
    "E003": "aliases expand beyond the size budget (an alias bomb)",
    "E004": "duplicate key in a mapping",
    "E005": "the file cannot be read",
    "E006": "the document is empty or not a mapping",
    "E007": "the design exceeds a limit (size, nodes, scalar size, extends depth)",
    "E010": "unknown field",
    "E011": "wrong type",
    "E012": "missing required field",
    "E013": "value out of range",
    "E014": "malformed duration",
    "E015": "value not among the allowed ones",
    "E016": "malformed value",
    "E017": "list has too few items or repeats an item",
    "E020": "reference to an unknown id",
    "E021": "duplicate id",
    "E022": "cycle in controlled_by",
    "E023": "vote threshold larger than the body",
    "E024": "reference to an element of the wrong kind",
    "E025": "a violation's signature is not declared with its mechanism's",
    "E026": "property or parameter unknown",
    "E030": "extends: file not found",
    "E031": "extends: cycle",
    "E032": "extends: removal of an id the base does not have",
    "E033": "extends: a base outside the design's folder, or not a regular file",
    "E040": "a selector selects no actor",
    "E041": "except: names an actor the selector does not select",
    "E042": "cycle in groups",
    "E043": "a flow's decision is not one of its receiver's",
    "E044": "a body without a voting rule of its own is named where a vote is taken",
}


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    where: Location
    expected: str | None = None
    found: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        # gcc's shape, so stock problem matchers and editors pick it up:
        # FILE:LINE:COLUMN: error: CODE message
        text = f"{visible(str(self.where))}: error: {self.code} {visible(self.message)}"
        if self.found is not None:
            text += f"\n    found:    {visible(self.found)}"
        if self.expected is not None:
            text += f"\n    expected: {visible(self.expected)}"
        if self.hint is not None:
            text += f"\n    {visible(self.hint)}"
        return text
