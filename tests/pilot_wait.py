"""Waiting in Textual pilot tests: on a real condition, with a generous bound (no speed is tested)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


async def until(pilot: Any, condition: Callable[[], object], what: str, timeout: float = 60.0) -> None:
    """Wait until `condition()` is true; a widget not yet mounted (NoMatches) is "not yet"."""
    from textual.css.query import NoMatches

    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return
        except NoMatches:
            pass
        assert time.monotonic() < deadline, f"still waiting for {what} after {timeout} s"
        await pilot.pause(0.05)
