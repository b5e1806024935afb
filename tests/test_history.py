"""History: monthly pages from the lifetime counter, bounded samples, torn lines, compaction."""

import json
import os
import stat
from datetime import UTC, date, datetime, timedelta

import pytest

from tonertrack_tui.core.inventory.history import (
    COUNTER32,
    NOTE_RESET,
    NOTE_V2,
    NOTE_WRAP,
    History,
    MonthlyPages,
    Sample,
    page_delta,
)

PID = "0123456789abcdef0123456789abcdef"


def t(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=UTC)


def supplies(level: int, desc: str = "Black Toner") -> dict:
    return {"1.1": {"level": level, "max": 100, "remaining_pct": level, "description": desc, "kind": "toner"}}


@pytest.fixture
def hist(tmp_path) -> History:
    return History(tmp_path / "data", sample_interval_s=3600, raw_days=31)


def test_page_delta():
    assert page_delta(100, 150) == (50, None)
    assert page_delta(COUNTER32 - 100, 400) == (500, NOTE_WRAP)
    assert page_delta(5000, 10) == (0, NOTE_RESET)
    assert page_delta(COUNTER32 - 100, 5_000_000) == (0, NOTE_RESET)  # not small enough to be a wrap


def test_monthly_pages_across_months(hist):
    hist.append([Sample(PID, t("2025-01-03T10:00:00"), 1000), Sample(PID, t("2025-01-20T10:00:00"), 1500)])
    hist.append([Sample(PID, t("2025-02-02T10:00:00"), 1700)])
    hist.append([Sample(PID, t("2025-02-27T10:00:00"), 2000)])
    assert hist.monthly_pages(PID) == [
        MonthlyPages("2025-01", 500, 1000, 1500, None),
        MonthlyPages("2025-02", 500, 1500, 2000, None),
    ]
    assert hist.monthly_pages("f" * 32) == []


def test_counter_reset_counts_from_the_new_base(hist):
    hist.append([Sample(PID, t("2025-03-01T10:00:00"), 2000), Sample(PID, t("2025-03-02T10:00:00"), 2300),
                 Sample(PID, t("2025-03-03T10:00:00"), 50), Sample(PID, t("2025-03-04T10:00:00"), 150)])
    assert hist.monthly_pages(PID) == [MonthlyPages("2025-03", 400, 2000, 150, NOTE_RESET)]


def test_counter32_wrap(hist):
    hist.append([Sample(PID, t("2025-04-01T10:00:00"), COUNTER32 - 300),
                 Sample(PID, t("2025-04-02T10:00:00"), 200)])
    [row] = hist.monthly_pages(PID)
    assert (row.pages, row.note) == (500, NOTE_WRAP)


def test_out_of_order_and_missing_counts_are_ignored(hist):
    hist.append([Sample(PID, t("2025-05-01T10:00:00"), 100), Sample(PID, t("2025-05-02T10:00:00"), None)])
    hist.append([Sample(PID, t("2025-05-03T10:00:00"), 300)])
    hist.append([Sample(PID, t("2025-05-02T12:00:00"), 50)])  # late arrival from a slower process
    assert hist.monthly_pages(PID) == [MonthlyPages("2025-05", 200, 100, 300, None)]


def test_samples_are_rate_limited_but_pages_count_every_poll(hist):
    start = t("2025-06-10T08:00:00")
    for i in range(36):  # three hours of 5-minute polls
        hist.append([Sample(PID, start + timedelta(minutes=5 * i), 1000 + 10 * i, supplies(80 - i // 12))])
    counts = list(hist.page_counts(PID))
    assert [c for _, c in counts] == [1000, 1120, 1240]  # one per hour
    assert hist.monthly_pages(PID) == [MonthlyPages("2025-06", 350, 1000, 1350, None)]
    levels = list(hist.supply_levels(PID, "1.1"))
    assert [(s.level, s.description, s.kind) for s in levels] == [(80, "Black Toner", "toner"),
                                                                  (79, "Black Toner", "toner"),
                                                                  (78, "Black Toner", "toner")]
    # a counter drop is always stored, as evidence of the reset
    hist.append([Sample(PID, start + timedelta(minutes=181), 5)])
    assert list(hist.page_counts(PID))[-1][1] == 5
    lo, hi = t("2025-06-10T08:30:00"), t("2025-06-10T10:30:00")
    assert [c for _, c in hist.page_counts(PID, lo, hi)] == [1120, 1240]


def test_unchanged_supplies_are_not_repeated(hist):
    hist.append([Sample(PID, t("2025-06-10T08:00:00"), 1, supplies(50))])
    hist.append([Sample(PID, t("2025-06-10T09:00:00"), 2, supplies(50))])
    hist.append([Sample(PID, t("2025-06-10T10:00:00"), 3, supplies(49, "Black Cartridge"))])
    lines = [json.loads(x) for x in hist.file_of(PID).read_text().splitlines()]
    assert ["s" in x for x in lines] == [True, False, True]
    assert ["m" in x for x in lines] == [True, False, True]
    assert [s.description for s in hist.supply_levels(PID, "1.1")] == ["Black Toner", "Black Cartridge"]


def test_torn_last_line_is_skipped_and_fenced(hist):
    hist.append([Sample(PID, t("2025-07-01T10:00:00"), 100)])
    with open(hist.file_of(PID), "ab") as f:
        f.write(b'{"t":"2025-07-01T11:00:00Z","c":1')  # kill -9 mid-write
    assert [c for _, c in hist.page_counts(PID)] == [100]
    hist.append([Sample(PID, t("2025-07-01T12:00:00"), 300)])
    assert [c for _, c in hist.page_counts(PID)] == [100, 300]
    assert hist.monthly_pages(PID) == [MonthlyPages("2025-07", 200, 100, 300, None)]


def test_lost_index_is_rebuilt_from_the_samples(hist):
    hist.append([Sample(PID, t("2025-08-01T10:00:00"), 100), Sample(PID, t("2025-08-02T10:00:00"), 400),
                 Sample(PID, t("2025-09-01T10:00:00"), 10)])
    hist.import_months(PID, {"2025-06": 77})
    expected = hist.monthly_pages(PID)
    hist.index_path.unlink()
    assert hist.monthly_pages(PID) == expected
    hist.index_path.write_text("{garbage")
    assert hist.monthly_pages(PID) == expected


def test_v2_months_appear_in_monthly_reports(hist):
    hist.import_months(PID, {"2024-11": 1520, "2024-12": 900, "bogus": 5, "2025-01": 10})
    hist.append([Sample(PID, t("2025-01-10T10:00:00"), 5000), Sample(PID, t("2025-01-20T10:00:00"), 5100)])
    assert hist.monthly_pages(PID) == [
        MonthlyPages("2024-11", 1520, None, None, NOTE_V2),
        MonthlyPages("2024-12", 900, None, None, NOTE_V2),
        MonthlyPages("2025-01", 110, 5000, 5100, "includes TonerTrack v2"),
    ]
    assert hist.monthly_pages_all() == {PID: hist.monthly_pages(PID)}


def test_compaction_keeps_one_line_per_day(tmp_path):
    hist = History(tmp_path / "data", sample_interval_s=3600, raw_days=5)
    start = t("2025-01-01T00:30:00")
    for h in range(10 * 24):  # ten days, hourly
        hist.append([Sample(PID, start + timedelta(hours=h), 1000 + h, supplies(100 - h // 24))],
                    today=date(2025, 1, 1))
    before_pages = hist.monthly_pages(PID)
    assert len(list(hist.page_counts(PID))) == 240
    assert hist.compact(today=date(2025, 1, 11)) == 1
    counts = list(hist.page_counts(PID))
    old = [c for when, c in counts if when < t("2025-01-06T00:00:00")]
    assert old == [1000 + 24 * d + 23 for d in range(5)]  # each old day: its last count
    assert len(counts) == 5 + 5 * 24
    assert hist.monthly_pages(PID) == before_pages  # reports do not change
    levels = list(hist.supply_levels(PID, "1.1"))
    assert levels[0].description == "Black Toner" and levels[-1].level == 91
    # retention drops old daily lines
    hist = History(tmp_path / "data", sample_interval_s=3600, raw_days=5, retention_days=7)
    hist.compact(today=date(2025, 1, 12))
    assert min(when for when, _ in hist.page_counts(PID)) >= t("2025-01-05T00:00:00")


def test_mono_and_colour_pages_are_counted_apart(hist):
    """Issue 16: each count has its own months; a reset of one leaves the others alone."""
    hist.append([Sample(PID, t("2025-08-01T10:00:00"), 1000, mono=700, color=300),
                 Sample(PID, t("2025-08-15T10:00:00"), 1500, mono=1000, color=500),
                 Sample(PID, t("2025-09-02T10:00:00"), 1600, mono=1080, color=20),  # colour counter reset
                 Sample(PID, t("2025-09-03T10:00:00"), 1700, mono=1150, color=50),
                 Sample(PID, t("2025-10-01T10:00:00"), 1800)])  # the vendor counters went quiet
    rows = hist.monthly_pages(PID)
    assert [(r.month, r.pages, r.mono_pages, r.color_pages) for r in rows] == [
        ("2025-08", 500, 300, 200),
        ("2025-09", 200, 150, 30),  # colour: the pages before the reset are unknowable (as for the total)
        ("2025-10", 100, None, None),
    ]
    assert rows[0].mono_pages + rows[0].color_pages == rows[0].pages
    lines = [json.loads(x) for x in hist.file_of(PID).read_text().splitlines()]
    assert (lines[0]["cm"], lines[0]["cc"]) == (700, 300)
    assert "cm" not in lines[-1] and "cc" not in lines[-1]
    # the index is derived data: rebuilt from the samples, the split comes back the same
    hist.index_path.unlink()
    assert hist.monthly_pages(PID) == rows


def test_v2_months_have_no_split(hist):
    hist.import_months(PID, {"2025-01": 10})
    hist.append([Sample(PID, t("2025-01-10T10:00:00"), 5000, mono=4000, color=1000),
                 Sample(PID, t("2025-01-20T10:00:00"), 5100, mono=4060, color=1040)])
    (row,) = hist.monthly_pages(PID)
    assert (row.pages, row.mono_pages, row.color_pages) == (110, None, None)  # v2 kept totals only


def test_compaction_keeps_the_split(tmp_path):
    hist = History(tmp_path / "data", sample_interval_s=3600, raw_days=2)
    start = t("2025-01-01T00:30:00")
    for h in range(5 * 24):
        hist.append([Sample(PID, start + timedelta(hours=h), 1000 + 2 * h, mono=1000 + h, color=h)],
                    today=date(2025, 1, 1))
    before = hist.monthly_pages(PID)
    hist.compact(today=date(2025, 1, 6))
    lines = [json.loads(x) for x in hist.file_of(PID).read_text().splitlines()]
    assert (lines[0]["c"], lines[0]["cm"], lines[0]["cc"]) == (1046, 1023, 23)  # day 1's last reading
    assert hist.monthly_pages(PID) == before


def test_bad_ids_are_refused(hist):
    with pytest.raises(ValueError):
        hist.append([Sample("../../etc/passwd", t("2025-01-01T00:00:00"), 1)])


def test_history_files_are_private(hist):
    old = os.umask(0o022)
    try:
        hist.append([Sample(PID, t("2025-01-01T00:00:00"), 1)])
    finally:
        os.umask(old)
    assert stat.S_IMODE(hist.dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(hist.file_of(PID).stat().st_mode) == 0o600
    assert stat.S_IMODE(hist.index_path.stat().st_mode) == 0o600


def test_monthly_report_over_1000_printers_and_a_year(tmp_path):
    # how fast: benchmarks/suite_figures.py (a figure, not a wall-clock assert here)
    hist = History(tmp_path / "data")
    ids = [f"{i:032x}" for i in range(1000)]
    for month in range(1, 13):
        for day in (1, 15):
            when = t(f"2025-{month:02d}-{day:02d}T12:00:00")
            hist.append([Sample(pid, when, 1000 * month + day + i) for i, pid in enumerate(ids)],
                        today=date(2025, month, day))
    report = hist.monthly_pages_all()
    assert len(report) == 1000 and all(len(rows) == 12 for rows in report.values())
    assert report[ids[7]][1] == MonthlyPages("2025-02", 1000, 1015 + 7, 2015 + 7, None)
