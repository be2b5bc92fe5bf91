"""Views of results: plain text for people, JSON for programs.

Both are deterministic byte for byte for the same input: no timestamps, no
timings, sorted where order is not meaningful.
"""

from verify.report.json import to_json
from verify.report.text import to_text

__all__ = ["to_text", "to_json"]
