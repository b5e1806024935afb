"""core/fleetview.py: what the fleet list shows — ages, sort keys, filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.util.timeutil import age_changes_at, age_text
from tonertrack_tui.core.views.fleet import matches, row_for, select_rows

NOW = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "now"), (59, "now"), (60, "1m"), (3599, "59m"), (3600, "1h"), (86399, "23h"), (86400, "1d"),
    (10 * 86400, "10d"), (-30, "now"),  # a clock slightly ahead of ours is "now", not negative
])
def test_age_text(seconds, text):
    assert age_text(NOW - timedelta(seconds=seconds), NOW) == text


def test_never_polled():
    assert age_text(None, NOW) == "—"
    assert age_changes_at(None, NOW) > NOW + timedelta(days=365 * 100)


@pytest.mark.parametrize("seconds", [0, 1, 59, 60, 61, 3599, 3600, 3601, 86399, 86400, 90000, -30])
def test_age_changes_exactly_when_its_text_does(seconds):
    when = NOW - timedelta(seconds=seconds)
    change = age_changes_at(when, NOW)
    assert change > NOW
    assert age_text(when, change - timedelta(microseconds=1)) == age_text(when, NOW)
    assert age_text(when, change) != age_text(when, NOW)


def rows(*specs):
    out = []
    for i, (address, name, location) in enumerate(specs):
        record = Printer.new(address, name=name, location=location)
        record.id = f"p{i}"
        out.append(row_for(record))
    return out


def test_sorts_use_the_keys_worked_out_once_per_row():
    r = rows(("10.0.0.10", "", "B2"), ("10.0.0.9", "beta", "B1"), ("printer.example", "Alpha", ""),
             ("10.0.0.9:1161", "", "b1"))
    assert [x.id for x in select_rows(r, sort="address")] == ["p1", "p3", "p0", "p2"]  # numeric, then names
    assert [x.id for x in select_rows(r, sort="name")] == ["p0", "p3", "p2", "p1"]  # unnamed by address text
    # casefolded, empty location last, ties by name
    assert [x.id for x in select_rows(r, sort="location")] == ["p3", "p1", "p0", "p2"]
    assert [x.id for x in select_rows(r, sort="location", reverse=True)] == ["p2", "p0", "p1", "p3"]


def test_filter_words_match_anywhere_casefolded():
    r = rows(("10.0.0.1", "Reception MFP", "HQ – 1st floor"), ("10.0.0.2", "Lab", "B2"))
    assert [x.id for x in select_rows(r, query="hq RECEP")] == ["p0"]
    assert [x.id for x in select_rows(r, query="10.0.0")] == ["p1", "p0"]  # status, then name
    assert matches(r[1], "  ") and not matches(r[1], "lab hq")


def test_ago_text_reads_as_a_sentence():
    from tonertrack_tui.core.util.timeutil import ago_text

    assert ago_text(NOW - timedelta(seconds=20), NOW) == "just now"
    assert ago_text(NOW - timedelta(minutes=5), NOW) == "5m ago"
