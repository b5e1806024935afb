"""Messages from the App's background work to the App, and the poll state screens show.

The SNMP thread never touches widgets or the App's fleet: it posts these, and the App's
handlers apply them on the UI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from textual.message import Message

from .core.printer.model import PollResult


class PollResultsArrived(Message):
    """Poll results since the last such message: (printer id, result) in the order they came."""

    def __init__(self, results: list[tuple[str, PollResult]]) -> None:
        super().__init__()
        self.results = results


class PollProgress(Message):
    """How far the running poll-all is; a burst of them is one redraw."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done = done
        self.total = total

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, PollProgress)


@dataclass(slots=True)
class PollState:
    """Everything screens show about polling, in one object owned by the App."""

    running: bool = False
    done: int = 0
    total: int = 0
    elsewhere: str | None = None  # "the fleet is being polled by …" (another process holds the poll lock)
    last_finished: datetime | None = None
    next_at: datetime | None = None
    stale: str | None = None  # a session that does not poll: "Data is old: …" (core/views/freshness.py)
