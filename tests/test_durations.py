"""Durations as a treaty writes them (issue 9): whole days rather than weeks,
half days with decimals, hours below a day, never a long count of hours."""

from __future__ import annotations

import pytest

from verify.durations import format_duration, parse_duration


@pytest.mark.parametrize(("written", "printed"), [
    ("14d", "14d"), ("2w", "14d"), ("30d", "30d"), ("1y", "1y"), ("730d", "2y"), ("364d", "364d"),
    ("36h", "1.5d"), ("1116h", "46.5d"), ("1.25d", "1.25d"), ("1117h", "46d 13h"), ("12h", "12h"),
    ("90min", "1h 30min"), ("3s", "3s"), ("0", "0"),
])
def test_durations_are_printed_in_days(written, printed):
    assert format_duration(parse_duration(written)) == printed


@pytest.mark.parametrize("seconds", [1, 59, 61, 3599, 3601, 86399, 86401, 90061, 86400 * 46 + 3600 * 13,
                                     86400 * 3 // 2, 86400 * 5 // 4, 86400 * 7, 86400 * 365 * 3])
def test_what_is_printed_reads_back_exactly(seconds):
    assert parse_duration(format_duration(seconds)) == seconds


def test_no_duration_is_forever_or_never():
    assert format_duration(None) == "forever"
    assert format_duration(None, none="never") == "never"
