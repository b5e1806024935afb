"""core.trends: daily pages and supply-level series, from a history written with History.append."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime

import pytest

from tonertrack_tui.core.analysis.trends import daily_pages, known, level_series
from tonertrack_tui.core.inventory.history import COUNTER32, History, Sample

PID = "a" * 32
TODAY = date(2025, 3, 5)


def at(day: int, hour: int = 12, month: int = 3) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=UTC)


def toner(pct: int | None, level: int | None = None, *, index: str = "1.1", kind: str = "toner",
          description: str = "Black Toner") -> dict:
    return {index: {"level": pct if level is None else level, "max": 100, "remaining_pct": pct,
                    "description": description, "kind": kind}}


@pytest.fixture
def history(tmp_path) -> History:
    return History(tmp_path, sample_interval_s=3600)


def write(history: History, *samples: tuple) -> None:
    for when, count, *rest in samples:
        history.append([Sample(PID, when, count, rest[0] if rest else {})], today=TODAY)


# ------------------------------------------------------------------ daily_pages


def test_daily_pages_counts_each_day_and_leaves_gaps(history):
    write(history,
          (at(1, 10), 1000), (at(1, 18), 1100),
          (at(2, 9), 1300),
          (at(4, 12), 1600))
    assert daily_pages(history, PID, days=5, today=TODAY) == [100, 200, None, 300, None]


def test_daily_pages_uses_the_reading_before_the_window(history):
    write(history, (at(1), 500), (at(3), 800), (at(4), 810))
    # window is 2..5: day 3 counts from the day-1 reading
    assert daily_pages(history, PID, days=4, today=TODAY) == [None, 300, 10, None]


def test_daily_pages_first_reading_alone_is_a_gap(history):
    write(history, (at(5, 8), 42))
    assert daily_pages(history, PID, days=3, today=TODAY) == [None, None, None]


def test_daily_pages_counter_reset_counts_only_after_the_reset(history):
    write(history, (at(3, 10), 50_000), (at(4, 10), 200), (at(4, 14), 300))
    assert daily_pages(history, PID, days=3, today=TODAY) == [None, 100, None]


def test_daily_pages_bridges_a_counter32_wrap(history):
    write(history, (at(3), COUNTER32 - 100), (at(4), 50))
    assert daily_pages(history, PID, days=3, today=TODAY) == [None, 150, None]


def test_daily_pages_ignores_samples_after_today(history):
    write(history, (at(4), 100), (at(5), 150), (at(6), 400))
    assert daily_pages(history, PID, days=2, today=TODAY) == [None, 50]


def test_daily_pages_spans_a_month_boundary(history):
    write(history, (at(28, month=2), 10), (at(1), 30), (at(2), 70))
    assert daily_pages(history, PID, days=7, today=TODAY) == [None, None, 20, 40, None, None, None]


def test_daily_pages_of_a_printer_without_history(history):
    assert daily_pages(history, PID, days=2, today=TODAY) == [None, None]


def test_daily_pages_rejects_an_empty_window(history):
    with pytest.raises(ValueError):
        daily_pages(history, PID, days=0, today=TODAY)


# ------------------------------------------------------------------ level_series


def test_level_series_takes_the_last_level_of_each_day(history):
    write(history,
          (at(1, 9), 1, toner(80)),
          (at(1, 20), 2, toner(75)),
          (at(3, 9), 3, toner(60)),
          (at(5, 9), 4, toner(58)))
    assert level_series(history, PID, "1.1", days=5, today=TODAY) == [75, None, 60, None, 58]


def test_level_series_states_are_gaps_not_zero(history):
    write(history, (at(4), 1, toner(None, level=-3)), (at(5), 2, toner(40)))
    assert level_series(history, PID, "1.1", days=2, today=TODAY) == [None, 40]


def test_level_series_of_a_receptacle_is_percent_full(history):
    waste = {"1.9": {"level": 5, "max": 100, "remaining_pct": 5, "description": "Waste Toner Box", "kind": "waste"}}
    write(history, (at(5), 1, {**toner(50), **waste}))
    assert level_series(history, PID, "1.9", days=1, today=TODAY, receptacle=True) == [95]
    assert level_series(history, PID, "1.9", days=1, today=TODAY) == [5]


def test_level_series_unknown_supply_and_window_start(history):
    write(history, (at(1), 1, toner(90)), (at(5), 2, toner(85)))
    assert level_series(history, PID, "1.1", days=3, today=TODAY) == [None, None, 85]
    assert level_series(history, PID, "9.9", days=3, today=TODAY) == [None, None, None]


def test_known_drops_gaps():
    assert known([None, 3, None, 0]) == [3, 0]


def test_trends_imports_no_ui():
    code = ("import sys, tonertrack_tui.core.analysis.trends; "
            "sys.exit(1 if {'textual', 'rich'} & set(sys.modules) else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
