"""Every key binding of the monitor, with the id `[ui.keys]` remaps it by.

One table for the whole UI: the App, each screen and the printer table build their
bindings from it (tonertrack_tui/keys.py), the config check accepts exactly these ids
and lists them, and the help screen and the README read the same words. An id means
one thing wherever it appears ("back" leaves any screen), so remapping it once
changes it everywhere.

Keys use Textual's names: "q", "P", "slash", "question_mark,f1", "ctrl+s", "escape".
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class KeyDef:
    id: str
    keys: str  # the default, comma-separated
    action: str
    description: str
    scope: str  # "app" (everywhere but dialogs), a screen's name, or "table"
    show: bool = True  # in the footer
    key_display: str | None = None
    priority: bool = False  # fires even when an input has focus


def _field_keys(scope: str) -> tuple[KeyDef, ...]:
    return (KeyDef("next_field", "tab", "app.focus_next", "Next field", scope, show=False, priority=True),
            KeyDef("previous_field", "shift+tab", "app.focus_previous", "Previous field", scope, show=False,
                   priority=True))


def _status_filters() -> tuple[KeyDef, ...]:
    return tuple(KeyDef(f"filter_{status.lower()}", str(n), f"toggle_status('{status}')", f"Only {status}",
                        "printers", show=False)
                 for n, status in enumerate(("OK", "Warning", "Error", "Offline", "Unknown"), start=1))


_MOVES = ("cursor_down", "j", "Down"), ("cursor_up", "k", "Up"), ("top", "g", "Top"), ("bottom", "G", "Bottom")


def _scroll_keys(scope: str, action: str) -> tuple[KeyDef, ...]:
    where = {"cursor_down": "down", "cursor_up": "up", "top": "home", "bottom": "end"}
    if action == "cursor":
        where = {"cursor_down": "down", "cursor_up": "up", "top": "top", "bottom": "bottom"}
    return tuple(KeyDef(kid, key, f"{action}('{where[kid]}')", text, scope, show=False) for kid, key, text in _MOVES)


KEYMAP: tuple[KeyDef, ...] = (
    # everywhere (but under a dialog)
    KeyDef("help", "question_mark,f1", "help", "Help", "app", key_display="?"),
    KeyDef("quit", "q", "quit", "Quit", "app"),
    KeyDef("poll_all", "P", "poll_all", "Poll all", "app"),
    KeyDef("alerts", "A", "alerts", "Alerts", "app"),
    KeyDef("export", "x", "export", "Export", "app"),
    KeyDef("settings", "comma", "settings", "Settings", "app", key_display=","),
    KeyDef("sync", "Y", "sync", "Sync", "app", show=False),
    KeyDef("discover", "D", "discover", "Discover", "app", show=False),
    KeyDef("import_inventory", "I", "import_inventory", "Import printers", "app", show=False),
    # the printer list
    KeyDef("filter", "slash", "filter", "Filter", "printers", key_display="/"),
    KeyDef("clear_filter", "escape", "clear_filter", "Clear filter", "printers", show=False),
    KeyDef("sort", "s", "sort", "Sort", "printers"),
    KeyDef("sort_reverse", "S", "sort_reverse", "Reverse", "printers", show=False),
    KeyDef("view", "v", "view", "View", "printers", show=False),
    KeyDef("view_back", "V", "view(True)", "Previous view", "printers", show=False),
    KeyDef("add", "a", "add", "Add", "printers"),
    # edit and delete stay out of the list's footer: at 80 columns it has room for the keys
    # that matter first (filter, sort, add, poll, help, quit, poll all, alerts); ? lists them all
    KeyDef("edit", "e", "edit", "Edit", "printers", show=False),
    KeyDef("delete", "d", "delete", "Delete", "printers", show=False),
    KeyDef("poll", "p", "poll_one", "Poll", "printers"),
    KeyDef("details", "enter", "details", "Details", "printers", show=False),
    *_status_filters(),
    KeyDef("cursor_down", "j", "cursor_down", "Down", "table", show=False),
    KeyDef("cursor_up", "k", "cursor_up", "Up", "table", show=False),
    KeyDef("top", "g", "scroll_top", "Top", "table", show=False),
    KeyDef("bottom", "G", "scroll_bottom", "Bottom", "table", show=False),
    # one printer
    KeyDef("poll", "p", "poll", "Poll now", "details"),
    KeyDef("edit", "e", "edit", "Edit", "details"),
    KeyDef("back", "escape,q", "back", "Back", "details"),
    *_scroll_keys("details", "scroll"),
    # every problem
    KeyDef("details", "enter", "details", "Details", "alerts"),
    KeyDef("back", "escape,q", "back", "Back", "alerts"),
    *_scroll_keys("alerts", "cursor"),
    # help
    KeyDef("back", "escape,q", "back", "Close", "help"),
    KeyDef("help", "question_mark,f1", "back", "Close", "help", show=False),
    *_scroll_keys("help", "scroll"),
    # dialogs and forms. Typed ahead in one burst (a fast typist over SSH, a paste of keys), keys
    # must land where they would one by one: Tab moves the focus when it arrives (priority), so
    # the letters after it go to the next field; Save and Test are not priority, so they run
    # after the letters before them reached their field, never on half an address.
    *_field_keys("form"),
    KeyDef("save", "ctrl+s", "save", "Save", "form"),
    KeyDef("test", "ctrl+t", "test", "Test", "form"),
    KeyDef("back", "escape,q", "back", "Cancel", "form"),
    *_field_keys("settings"),
    KeyDef("save", "ctrl+s", "save", "Save", "settings"),
    KeyDef("back", "escape,q", "back", "Back", "settings"),
    *_field_keys("export"),
    KeyDef("run_export", "ctrl+s", "export", "Export", "export"),
    KeyDef("back", "escape,q", "back", "Close", "export"),
    KeyDef("confirm_yes", "y", "confirm", "Yes", "confirm"),
    KeyDef("confirm_no", "n,escape", "cancel", "No", "confirm"),
    KeyDef("confirm_left", "left", "app.focus_previous", "Previous", "confirm", show=False),
    KeyDef("confirm_right", "right", "app.focus_next", "Next", "confirm", show=False),
    KeyDef("sync_apply", "y", "apply", "Apply", "sync"),
    KeyDef("sync_refresh", "r", "refresh", "Re-read", "sync"),
    KeyDef("sync_sources", "o", "sources", "Sources", "sync"),
    KeyDef("back", "escape,q", "back", "Back", "sync"),
    KeyDef("source_new", "n", "new", "New", "sync_sources"),
    KeyDef("source_edit", "e", "edit", "Edit", "sync_sources"),
    KeyDef("source_delete", "d", "delete", "Remove", "sync_sources"),
    KeyDef("source_toggle", "space", "switch", "On/off", "sync_sources"),
    KeyDef("source_test", "t", "read_now", "Test", "sync_sources"),
    KeyDef("back", "escape,q", "back", "Back", "sync_sources"),
    KeyDef("discover_add", "a", "add_checked", "Add checked", "discover"),
    KeyDef("back", "escape,q", "back", "Back", "discover"),
    KeyDef("import_run", "ctrl+s", "run_import", "Import", "import"),
    KeyDef("back", "escape", "back", "Back", "import"),
    KeyDef("quit", "q", "quit", "Quit", "load_error"),
    KeyDef("move_aside", "m", "move_aside", "Move the file aside", "load_error"),
    KeyDef("confirm_yes", "y", "confirm", "Yes, move it", "load_error"),
    KeyDef("confirm_no", "n,escape", "cancel", "No", "load_error"),
)

BINDING_IDS: tuple[str, ...] = tuple(dict.fromkeys(k.id for k in KEYMAP))
DEFAULT_KEYS: dict[str, str] = {}
for _k in KEYMAP:
    DEFAULT_KEYS.setdefault(_k.id, _k.keys)


def scope(name: str) -> tuple[KeyDef, ...]:
    """The bindings of one screen (or "app", "table")."""
    return tuple(k for k in KEYMAP if k.scope == name)


def describe_ids() -> str:
    """The valid ids for an error message: "quit, help, poll_all, …"."""
    return ", ".join(BINDING_IDS)
