"""How old the stored data is, for a session that does not poll itself (a viewer, read-only)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from ..inventory.printer import Printer
from ..util.timeutil import ago_text, parse_time

STALE_AFTER_INTERVALS = 2  # the daemon polls every interval: twice that without a new poll is late


def newest_poll(printers: Iterable[Printer]) -> datetime | None:
    """When anyone last polled any printer (good or not), from what is stored."""
    times = (parse_time(p.last_poll_at) for p in printers)
    return max((t for t in times if t is not None), default=None)


def stale_note(printers: Iterable[Printer], now: datetime, interval_s: int | float) -> str | None:
    """A sentence when the newest stored poll is older than twice the auto-poll interval (None when
    it is fresh, when there are no printers, or when auto-poll is off and nothing is expected)."""
    printers = list(printers)
    if not printers:
        return None
    newest = newest_poll(printers)
    if newest is None:
        return ("No poll stored yet: this session does not poll; start `tonertrack daemon` "
                "(or poll from a TonerTrack that may) to fill it.")
    if not interval_s or interval_s <= 0:
        return None
    if now - newest <= timedelta(seconds=STALE_AFTER_INTERVALS * interval_s):
        return None
    minutes = max(1, round(interval_s / 60))
    return (f"Data is old: the newest poll stored is from {ago_text(newest, now)} "
            f"({newest.astimezone().strftime('%Y-%m-%d %H:%M')}), polls are due every {minutes} min. "
            "Is `tonertrack daemon` running?")
