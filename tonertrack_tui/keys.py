"""Textual bindings built from the one keymap (core/keymap.py), so every binding has a remappable id."""

from __future__ import annotations

from textual.binding import Binding

from .core.keymap import scope


def bindings(name: str) -> list[Binding]:
    """The bindings of a screen, the App ("app") or the printer table ("table")."""
    return [Binding(k.keys, k.action, k.description, show=k.show, key_display=k.key_display,
                    priority=k.priority, id=k.id) for k in scope(name)]
