"""Every key of the app and its screens (as currently mapped), and what the symbols mean.

The keys are read from the binding objects themselves and the app's active keymap, so
a binding added to a screen, or remapped in the config's [ui.keys], shows up here as is.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from ..core.printer.words import LEVEL_NOTE_WORDS
from ..keys import bindings
from ..widgets.status_badge import STATUS_STYLE, mono_safe

# (title, "module:Class") — screens that are missing from this build are skipped.
SECTIONS = [
    ("Printer list", ["tonertrack_tui.screens.printers:PrintersScreen",
                      "tonertrack_tui.widgets.printer_table:PrinterTable"]),
    ("Printer details", ["tonertrack_tui.screens.details:DetailsScreen"]),
    ("Alerts", ["tonertrack_tui.screens.alerts:AlertsScreen"]),
    ("Add / edit printer", ["tonertrack_tui.screens.printer_form:PrinterFormScreen"]),
    ("Export", ["tonertrack_tui.screens.export:ExportScreen"]),
    ("Settings", ["tonertrack_tui.screens.settings:SettingsScreen"]),
    ("Print-server sync", ["tonertrack_tui.screens.sync:SyncScreen"]),
    ("Sync sources", ["tonertrack_tui.screens.sync_sources:SyncSourcesScreen"]),
    ("Help", ["tonertrack_tui.screens.help:HelpScreen"]),
]
KEY_NAMES = {"⏎": "enter"}
# Longer words than a footer has room for, by binding id; the rest use the binding's description.
DESCRIPTIONS = {
    "quit": "Quit TonerTrack",
    "help": "This help",
    "poll_all": "Poll every printer now (in the background)",
    "alerts": "Alerts: every problem, worst first",
    "export": "Export a report or the inventory (CSV, backup)",
    "discover": "Discover printers on a network (SNMP and IPP)",
    "sync": "Sync printers from the print servers",
    "filter": "Filter (name, address, location, model …)",
    "clear_filter": "Clear the filter and status filters",
    "sort": "Sort by the next column",
    "sort_reverse": "Reverse the sort",
    "view": "Next site, location or print server (Esc: all)",
    "view_back": "Previous view",
    "add": "Add a printer",
    "edit": "Edit the printer",
    "delete": "Delete the printer (asks first)",
    "poll": "Poll the printer now",
    "poll_one": "Poll the selected printer now",
    "details": "Open the printer's details",
    "back": "Back to the previous screen",
    "close_help": "Close the help",
    "sync_apply": "Apply the plan shown (asks first)",
    "sync_refresh": "Read the sources again",
    "sync_sources": "Set up the print-server sources",
    "source_new": "Add a sync source",
    "source_edit": "Edit the sync source",
    "source_delete": "Remove the sync source (asks first)",
    "source_toggle": "Turn the source on or off",
    "source_test": "Read the source now (changes nothing)",
}
DESCRIPTIONS.update({f"filter_{s.lower()}": f"Show {s} printers (toggle; several combine)"
                     for s in ("OK", "Warning", "Error", "Offline", "Unknown")})
KEY_WIDTH = 16


def _load(path: str) -> type | None:
    module, _, name = path.partition(":")
    try:
        found = getattr(importlib.import_module(module), name)
    except Exception:  # a screen another part of the app has not shipped yet
        return None
    return found if isinstance(found, type) else None


def own_bindings(cls: type) -> list[Binding]:
    """The bindings a class declares itself (not Textual's inherited focus/copy keys)."""
    return list(Binding.make_bindings(cls.__dict__.get("BINDINGS", [])))


class HelpScreen(Screen[None]):
    DEFAULT_CSS = """
    HelpScreen #help-body {
        padding: 0 1;
        scrollbar-size-vertical: 1;
    }
    HelpScreen #help-title {
        background: $boost;
        padding: 0 1;
        margin: 0 -1;
        text-style: bold;
    }
    HelpScreen .section {
        margin-top: 1;
        text-style: bold;
        color: $accent;
    }
    """

    BINDINGS = bindings("help")

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(Text("TonerTrack help — esc closes, ↑↓ PgUp PgDn scroll"), id="help-title")
            role = getattr(self.app, "role", None)
            if role is not None and role.label:
                yield Static(Text(f"{role.label} session: " + (
                    "it looks and never changes anything (no add, edit, delete, settings, sync, import, "
                    "discover, export to a file) and never polls; it shows what the daemon or another "
                    "TonerTrack last stored." if role.read_only else
                    "it never polls; it shows what the daemon or another TonerTrack last stored.")),
                    id="help-role")
            yield Static("Everywhere", classes="section", markup=False)
            yield Static(self._keys_table([type(self.app)], extra=self._app_extras()))
            for title, paths in SECTIONS:
                classes = [c for c in (_load(p) for p in paths) if c is not None]
                if not classes or not any(own_bindings(c) for c in classes):
                    continue
                yield Static(title, classes="section", markup=False)
                yield Static(self._keys_table(classes))
            yield Static("Status and symbols", classes="section", markup=False)
            yield Static(self._legend())
            yield Static("Terminal", classes="section", markup=False)
            yield Static(self._terminal())
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    # -- keys ------------------------------------------------------------------------------------

    def _keymap(self) -> dict[str, str]:
        # Textual keeps the active keymap (set_keymap) here; there is no public getter in v8.
        keymap = getattr(self.app, "_keymap", None)
        if keymap:
            return dict(keymap)
        config = getattr(self.app, "config", None)
        return dict(config.ui.keys) if config is not None else {}

    def key_display(self, key: str) -> str:
        shown = self.app.get_key_display(Binding(key.strip(), ""))
        shown = KEY_NAMES.get(shown, shown)
        if shown.startswith("^") and len(shown) > 1:
            shown = "ctrl+" + shown[1:]
        if len(shown) in (2, 3) and shown[0] == "f" and shown[1:].isdigit():
            shown = shown.upper()
        return shown

    def keys_of(self, bindings: Iterable[Binding]) -> list[tuple[list[str], str, str]]:
        """[(keys as shown, description, binding id)] with the keymap applied, one entry per action."""
        keymap = self._keymap()
        groups: dict[str, tuple[list[str], str, str]] = {}
        for binding in bindings:
            group = binding.id or binding.action
            if binding.id and binding.id in keymap:
                keys = [k for k in keymap[binding.id].split(",") if k.strip()]
            else:
                keys = [binding.key]
            if group not in groups:
                description = DESCRIPTIONS.get(binding.id or "", binding.description or binding.action)
                groups[group] = ([], description, binding.id or "")
            for key in keys:
                shown = self.key_display(key)
                if shown not in groups[group][0]:
                    groups[group][0].append(shown)
        return list(groups.values())

    def _app_extras(self) -> list[tuple[list[str], str, str]]:
        palette = getattr(self.app, "COMMAND_PALETTE_BINDING", "ctrl+p")
        extras = []
        if getattr(self.app, "ENABLE_COMMAND_PALETTE", False):
            extras.append(([self.key_display(palette)], "Command palette", ""))
        extras.append((["tab", "shift+tab"], "Move between fields and panes", ""))
        return extras

    def _keys_table(self, classes: list[type], extra: list[tuple[list[str], str, str]] | None = None) -> Table:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True, width=KEY_WIDTH)
        # ids line up across sections: the description column has one width for all
        description_width = max(24, min(50, (self.app.size.width or 80) - KEY_WIDTH - 21))
        grid.add_column(width=description_width, overflow="ellipsis", no_wrap=True)
        grid.add_column(no_wrap=True, style="dim")
        refusal = getattr(self.app, "refusal", None)  # a read-only or viewer session lists what it may do
        bindings = [b for cls in classes for b in own_bindings(cls) if refusal is None or refusal(b.action) is None]
        for keys, description, binding_id in self.keys_of(bindings) + (extra or []):
            grid.add_row(Text(" ".join(keys) or "(unbound)", style="bold"), Text(description),
                         Text(binding_id))
        return grid

    # -- legend ------------------------------------------------------------------------------------

    def _legend(self) -> Table:
        config = getattr(self.app, "config", None)
        warning = config.thresholds.warning_pct if config else 20
        error = config.thresholds.error_pct if config else 10
        offline_after = config.polling.offline_after if config else 3
        meanings = {
            "OK": "answers; no alert, no error flag, every supply above its thresholds",
            "Warning": f"a supply below {warning} %, a warning alert, or toner/paper low, service requested …",
            "Error": f"a supply below {error} %, a critical alert, or out of toner/paper, jammed, door open",
            "Offline": f"no answer to {offline_after} polls in a row",
            "Unknown": "not polled successfully yet, or answers SNMP but reports no printer",
        }
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True, width=KEY_WIDTH)
        grid.add_column(ratio=1)
        for status, meaning in meanings.items():
            symbol, style = STATUS_STYLE[status]
            style = mono_safe(style, bool(getattr(self.app, "no_color", False)))
            grid.add_row(Text(f"{symbol} {status}", style=style), Text(meaning))
        rows = [
            ("*", "after a status: stale — the last poll failed, values are from the last good poll"),
            ("▕███▌    ▏ 45 %", "supply remaining (thresholds per printer and kind in the config)"),
            ("95 % full", "a receptacle (waste toner box): the bar fills as the box fills"),
            ("~45 %", "an estimate: the printer gave no maximum, the unit says percent"),
            (LEVEL_NOTE_WORDS["some_remaining"], "a level state, never a number: the printer says some is left"),
            (LEVEL_NOTE_WORDS["unknown"], "… the printer does not know the level"),
            (LEVEL_NOTE_WORDS["unrestricted"], "… the supply has no limit to track"),
            (LEVEL_NOTE_WORDS["max_unknown"], "… no maximum, so no percentage"),
            ("▁▃▅▇ ·", "sparklines, one cell per day; · is a day without data"),
            ("3m  2h  4d", "age: time since the printer last answered (— never), or since a problem started"),
        ]
        for key, meaning in rows:
            grid.add_row(Text(key, style="bold"), Text(meaning))
        return grid

    def _terminal(self) -> Table:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True, width=KEY_WIDTH)
        grid.add_column(ratio=1)
        rows = [
            ("--no-mouse", "`tonertrack --no-mouse` turns mouse tracking off: the terminal's own text "
                           "selection works, and SSH clients that mangle mouse reports behave; every "
                           "action has a key"),
            ("NO_COLOR", "with NO_COLOR=1 set there is no colour: every status also has a symbol and a word"),
            ("[ui.keys]", "remap any key in config.toml by the binding id shown in the right-hand "
                          "column, e.g. poll_all = \"ctrl+r\""),
        ]
        for key, meaning in rows:
            grid.add_row(Text(key, style="bold"), Text(meaning))
        return grid

    # -- actions --------------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_scroll(self, where: str) -> None:
        body = self.query_one("#help-body", VerticalScroll)
        {"down": body.scroll_down, "up": body.scroll_up, "home": body.scroll_home, "end": body.scroll_end}[where]()
