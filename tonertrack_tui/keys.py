"""Textual bindings built from the one keymap (core/keymap.py), so every binding has a remappable id."""

from __future__ import annotations

from textual.binding import Binding

from .core.keymap import scope

# the type Textual declares for BINDINGS (a class attribute a subclass replaces)
BindingList = list[Binding | tuple[str, str] | tuple[str, str, str]]


def bindings(name: str) -> BindingList:
    """The bindings of a screen, the App ("app") or the printer table ("table")."""
    return [Binding(k.keys, k.action, k.description, show=k.show, key_display=k.key_display,
                    priority=k.priority, id=k.id) for k in scope(name)]
