"""Leaving a form or the settings with typed changes asks first: nothing typed is dropped silently."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.screen import Screen
from textual.widgets import Checkbox, Input, Select


def field_values(screen: Screen[Any]) -> dict[str, object]:
    """What the screen's fields hold now (inputs, choices, check boxes), by widget id."""
    values: dict[str, object] = {}
    for widget in screen.query("Input, Select, Checkbox"):
        if widget.id and isinstance(widget, (Input, Select, Checkbox)) and not widget.has_class("-view-only"):
            values[widget.id] = widget.value
    return values


def leave_or_ask(screen: Screen[Any], initial: dict[str, object] | None, leave: Callable[[], object],
                 what: str = "your changes") -> None:
    """Call `leave` when nothing changed since `initial`; otherwise ask whether to discard."""
    if initial is None or field_values(screen) == initial:
        leave()
        return
    from .confirm import ConfirmScreen

    def answered(discard: bool | None) -> None:
        if discard:
            leave()

    screen.app.push_screen(ConfirmScreen(f"Discard {what}?", "Nothing has been saved yet. n keeps editing.",
                                         confirm_label="Discard"), answered)
