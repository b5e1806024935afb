"""Day-by-day series from the history, for the sparklines on the details screen.

Both functions return one value per UTC day, oldest first, ending with `today`
(so `days=30` covers today and the 29 days before it). A day without a stored
sample is `None`: a gap, never a zero, so a printer that was switched off for a
week does not look like one that printed nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from ..inventory.history import page_delta


def _window(days: int, today: date | None) -> tuple[date, date, datetime]:
    if days < 1:
        raise ValueError("days must be at least 1")
    today = today or datetime.now(UTC).date()
    first = today - timedelta(days=days - 1)
    end = datetime.combine(today + timedelta(days=1), time.min, tzinfo=UTC)
    return first, today, end


def _day(t: datetime) -> date:
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(UTC).date()


def daily_pages(history: Any, printer_id: str, days: int = 30, today: date | None = None) -> list[int | None]:
    """Pages printed on each of the last `days` UTC days.

    A day's pages are the increase of the lifetime counter from the reading before the
    day's first sample to the day's last reading; each step between two readings counts
    for the day of the later one, as the monthly totals do (history.page_delta: a
    Counter32 wrap is bridged, pages before a reset are unknowable and not counted).
    The very first reading of a printer has nothing before it: a day with only that
    reading is `None`.
    """
    first, today, end = _window(days, today)
    pages: dict[date, int] = {}
    previous: int | None = None
    for when, count in history.page_counts(printer_id, end=end):
        day = _day(when)
        if previous is not None and day >= first:
            delta, _note = page_delta(previous, count)
            pages[day] = pages.get(day, 0) + delta
        previous = count
    return [pages.get(first + timedelta(days=i)) for i in range(days)]


def level_series(history: Any, printer_id: str, supply_index: str, days: int = 30,
                 today: date | None = None, *, receptacle: bool = False) -> list[int | None]:
    """The last stored remaining percentage of one supply on each of the last `days` UTC days.

    With `receptacle=True` the values are "% full" (100 − space left), the way a waste
    box is shown to people. A day whose level was a state (unknown, some remaining) or
    that has no sample is `None`.
    """
    first, today, end = _window(days, today)
    start = datetime.combine(first, time.min, tzinfo=UTC)
    last: dict[date, int | None] = {}
    for sample in history.supply_levels(printer_id, supply_index, start=start, end=end):
        pct = sample.remaining_pct
        if pct is not None:
            pct = max(0, min(100, pct))
            if receptacle:
                pct = 100 - pct
        last[_day(sample.time)] = pct
    return [last.get(first + timedelta(days=i)) for i in range(days)]


def known(values: Iterable[int | None]) -> list[int]:
    """The values of a series that are not gaps."""
    return [v for v in values if v is not None]
