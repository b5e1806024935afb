"""Times as TonerTrack writes them: ISO 8601 UTC with a "Z", to the second.

Every file and JSON field (printers.json, audit, history, poll results) uses this form;
`parse_time` reads it back (and any other ISO 8601 time, naive ones taken as UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_z(when: datetime) -> str:
    """ "2026-12-02T15:32:07Z" for an aware time (a naive one is taken as UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def utc_now_iso() -> str:
    return iso_z(utc_now())


def parse_time(text: str | None) -> datetime | None:
    """An aware datetime from ISO 8601 text; None for None, "" or text that is not a time."""
    if not text or not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# ---------------------------------------------------------------------- ages, as people read them

def age_text(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "—"  # never polled
    seconds = max(0, int((now - when).total_seconds()))
    if seconds < 60:
        # not "17s": a column of seconds ticking on every freshly polled row is noise (and a
        # redraw of each of those rows every second) for a fleet polled every few minutes
        return "now"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def ago_text(when: datetime, now: datetime) -> str:
    """An age in a sentence: "just now", "5m ago"."""
    age = age_text(when, now)
    return "just now" if age == "now" else f"{age} ago"


def age_changes_at(when: datetime | None, now: datetime) -> datetime:
    """When `age_text(when, …)` will next read differently from what it reads at `now`."""
    if when is None:
        return datetime.max.replace(tzinfo=UTC)
    seconds = max(0, int((now - when).total_seconds()))
    step = 60 if seconds < 3600 else 3600 if seconds < 86400 else 86400
    return when + timedelta(seconds=(seconds // step + 1) * step)
