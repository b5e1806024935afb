"""Print-server sync sources set up from the TUI (`o` on the sync screen).

The list of `[[sync.sources]]` with what each reads; `n` adds one, `e`/Enter edits, `d` removes,
space turns one on or off, `t` reads one now and says how many queues it lists (nothing is
changed in the inventory: that is the sync screen's plan). What is saved goes to the
app-owned settings.toml through the App (Config.save_settings, checked as a whole before
anything is written); the user's config.toml is never touched. Sources read from
config.toml are shown and, once saved here, kept in settings.toml (which then wins).
The checks and the words are core's: config.check_sync_source and the sync readers' own
KIND_FIELDS / missing_field / credential_problem.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from rich.text import Text
from textual import getters, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Checkbox, DataTable, Footer, Input, Label, Select, Static

from ..app import TonerTrackApp
from ..core.config import ConfigError, SyncSource, check_sync_source, display_path, sync_source_table
from ..core.sync.plan import KIND_FIELDS, SyncSourceError, credential_problem, missing_field, read_source
from ..core.util.textsafe import safe_text
from ..keys import bindings
from .confirm import ConfirmScreen
from .unsaved import field_values, leave_or_ask

KIND_OPTIONS = [
    ("Windows export file (Get-Printer CSV/JSON)", "windows-export"),
    ("Windows print server (rpcclient)", "windows-rpc"),
    ("CUPS server (lpstat)", "cups"),
    ("CSV file: address,name[,location]", "csv"),
]
FIELDS: tuple[tuple[str, str, str], ...] = (  # (field, label, placeholder)
    ("server", "Server", "host or host:port"),
    ("path", "File", "the exported file, e.g. /srv/exports/printers.csv"),
    ("ports_path", "Ports file", "optional: Get-PrinterPort export, for host addresses"),
    ("username", "User", "optional"),
    ("domain", "Domain", "optional"),
    ("credentials_file", "Credentials", "a Samba auth file (username=, password=)"),
    ("password_env", "Password env", "or: the environment variable holding the password"),
    ("location", "Location", "optional: the location new printers get"),
    ("timeout_s", "Timeout (s)", "30"),
)


def where_text(source: SyncSource) -> str:
    """What a source reads, for the list: its server or its file."""
    return source.server or source.path or "–"


def describe_listing(queues: int, with_address: int, problems: int) -> str:
    text = f"✔ {queues} queue{'s' if queues != 1 else ''} listed, {with_address} with a printer address"
    return text + (f"; {problems} problem{'s' if problems != 1 else ''}" if problems else "")


async def try_source(source: SyncSource) -> tuple[bool, str]:
    """Read the source in a thread: (worked, what to say). Nothing is written anywhere."""
    try:
        listing = await asyncio.to_thread(read_source, source)
    except SyncSourceError as exc:
        return False, f"✖ {exc}"
    except Exception as exc:  # a broken export must not end the app
        return False, f"✖ {type(exc).__name__}: {exc}"
    with_address = sum(1 for q in listing.queues if q.address)
    return True, describe_listing(len(listing.queues), with_address, len(listing.problems))


class SyncSourceForm(ModalScreen[SyncSource | None]):
    """Add (`source=None`) or edit one source; dismisses with the checked source, or None."""

    DEFAULT_CSS = """
    SyncSourceForm { align: center middle; }
    SyncSourceForm #dialog {
        width: 78; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $panel; padding: 0 1;
    }
    SyncSourceForm #title { height: 1; text-style: bold; }
    SyncSourceForm #fields { height: auto; }
    SyncSourceForm .row { height: 1; }
    SyncSourceForm .row.-hidden { display: none; }
    SyncSourceForm .field-label { width: 14; color: $text-muted; }
    SyncSourceForm .row Input { width: 1fr; }
    SyncSourceForm .row Select { width: 1fr; }
    SyncSourceForm .row Input:focus, SyncSourceForm .row Select:focus > SelectCurrent {
        background: $accent 35%;
    }
    SyncSourceForm #result { height: auto; margin-top: 1; }
    SyncSourceForm #result.-error { color: $error; text-style: bold; }
    SyncSourceForm #buttons { height: 1; margin-top: 1; }
    SyncSourceForm #buttons Button { width: auto; min-width: 0; margin-left: 2; padding: 0 1; }
    """

    BINDINGS = bindings("form")
    app = getters.app(TonerTrackApp)

    class Tested(Message):
        def __init__(self, worked: bool, text: str) -> None:
            super().__init__()
            self.worked = worked
            self.text = text

    def __init__(self, source: SyncSource | None, others: list[SyncSource]) -> None:
        super().__init__()
        self.source = source
        self.others = others
        self._initial: dict[str, object] | None = None

    def compose(self) -> ComposeResult:
        src = self.source
        with Vertical(id="dialog"):
            title = Text("Edit sync source  " if src else "Add a print-server sync source", style="bold")
            if src:
                title.append(safe_text(src.name, limit=40), style="")
            yield Static(title, id="title")
            with VerticalScroll(id="fields", can_focus=False):
                with Horizontal(classes="row"):
                    yield Label("Name", classes="field-label")
                    yield Input(src.name if src else "", placeholder="e.g. print01", id="name", compact=True,
                                select_on_focus=False)
                with Horizontal(classes="row"):
                    yield Label("Kind", classes="field-label")
                    yield Select(KIND_OPTIONS, value=src.kind if src else "windows-export", allow_blank=False,
                                 compact=True, id="kind")
                for field, label, placeholder in FIELDS:
                    value = getattr(src, field) if src else ""
                    if field == "timeout_s":
                        value = f"{value:g}" if src else ""
                    with Horizontal(classes="row", id=f"{field}-row"):
                        yield Label(label, classes="field-label")
                        yield Input(str(value), placeholder=placeholder, id=field, compact=True,
                                    select_on_focus=False)
                with Horizontal(classes="row"):
                    yield Label("", classes="field-label")
                    yield Checkbox("Enabled (sync reads it)", src.enabled if src else True, compact=True,
                                   id="enabled")
            yield Static(Text("^s save · ^t test (reads it, changes nothing) · Esc cancel", style="dim"),
                         id="result")
            with Horizontal(id="buttons"):
                yield Button("Test ^t", id="test", compact=True)
                yield Button("Save ^s", id="save", variant="primary", compact=True)
                yield Button("Cancel esc", id="cancel", compact=True)

    def on_mount(self) -> None:
        self._show_kind_fields()
        self.query_one("#name", Input).focus()
        self._initial = field_values(self)

    @property
    def kind(self) -> str:
        return str(self.query_one("#kind", Select).value)

    @on(Select.Changed, "#kind")
    def _show_kind_fields(self) -> None:
        shown = KIND_FIELDS.get(self.kind, ())
        for field, _, _ in FIELDS:
            self.query_one(f"#{field}-row").set_class(field not in shown, "-hidden")

    def _table(self) -> dict[str, Any]:
        """The visible fields that hold something (a hidden field of another kind is not saved)."""
        table: dict[str, Any] = {"name": self.query_one("#name", Input).value.strip(), "kind": self.kind}
        for field in KIND_FIELDS.get(self.kind, ()):
            text = self.query_one(f"#{field}", Input).value.strip()
            if not text:
                continue
            if field == "timeout_s":
                try:
                    table[field] = float(text)
                except ValueError:
                    table[field] = text  # check_sync_source says what is wrong with it
            else:
                table[field] = text
        table["enabled"] = self.query_one("#enabled", Checkbox).value
        return table

    def _checked(self) -> SyncSource | None:
        """The source on the form, or None after showing what is wrong (and focusing that field)."""
        others = [o for o in self.others if self.source is None or o.name != self.source.name]
        try:
            source = check_sync_source(self._table(), others)
        except ConfigError as exc:
            field, _, what = str(exc).partition(": ")
            self._fail(field, f"{field}: {what}")
            return None
        problem = missing_field(source) or credential_problem(source)
        if problem:
            self._fail(*problem)
            return None
        return source

    def _fail(self, field: str, text: str) -> None:
        self._say(f"✖ {text}", error=True)
        widgets = self.query(f"#{field}")
        if widgets:
            widgets.first().focus()

    def _say(self, text: str, *, error: bool = False) -> None:
        result = self.query_one("#result", Static)
        result.set_class(error, "-error")
        result.update(Text(safe_text(text, limit=400)))

    @on(Button.Pressed, "#save")
    @on(Input.Submitted)
    def action_save(self) -> None:
        source = self._checked()
        if source is not None:
            self.dismiss(source)

    @on(Button.Pressed, "#test")
    def action_test(self) -> None:
        source = self._checked()
        if source is None:
            return
        self._say(f"Reading {where_text(source)}…")

        async def run() -> None:
            worked, text = await try_source(source)
            self.post_message(self.Tested(worked, text))

        self.run_worker(run(), group="source-test", exclusive=True, exit_on_error=False)

    def on_sync_source_form_tested(self, message: Tested) -> None:
        self._say(message.text, error=not message.worked)

    @on(Button.Pressed, "#cancel")
    def action_back(self) -> None:
        leave_or_ask(self, self._initial, lambda: self.dismiss(None), "this source")


class SyncSourcesScreen(Screen[None]):
    """The sources the sync reads: add, edit, remove, turn on/off, test."""

    DEFAULT_CSS = """
    SyncSourcesScreen #sources-summary { height: auto; max-height: 4; padding: 0 1; background: $boost; }
    SyncSourcesScreen #sources-table { height: 1fr; }
    SyncSourcesScreen #sources-status { height: auto; max-height: 3; padding: 0 1; }
    """

    BINDINGS = bindings("sync_sources")
    app = getters.app(TonerTrackApp)

    def __init__(self) -> None:
        super().__init__()
        self.sources: list[SyncSource] = []
        self.tests: dict[str, str] = {}
        self.saving = False

    def compose(self) -> ComposeResult:
        yield Static("", id="sources-summary", markup=False)
        yield DataTable(id="sources-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="sources-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("On", key="on", width=3)
        table.add_column("Name", key="name", width=14)
        table.add_column("Kind", key="kind", width=14)
        table.add_column("Reads", key="reads", width=28)
        table.add_column("Last test", key="test")
        self.sources = list(self.app.config.sync.sources) if self.app.config else []
        self._refresh()
        table.focus()

    def _origin(self) -> str:
        config = self.app.config
        origin = config.source_of("sync.sources") if config else "default"
        return "none set up yet" if origin == "default" else f"from {display_path(origin)}"

    def _refresh(self, select: str | None = None) -> None:
        summary = f"Print-server sync sources ({self._origin()})"
        if not self.sources:
            summary += "\nNo source yet: press n to add one (a Windows export, a print server, CUPS or a CSV)."
        self.query_one("#sources-summary", Static).update(summary)
        table = self.query_one(DataTable)
        table.clear()
        for src in self.sources:
            table.add_row(Text("✔" if src.enabled else "–", style="green" if src.enabled else "dim"),
                          Text(safe_text(src.name, limit=40)), Text(src.kind),
                          Text(safe_text(where_text(src), limit=200)),
                          Text(safe_text(self.tests.get(src.name, ""), limit=200)), key=src.name)
        if select is not None and select in {s.name for s in self.sources}:
            table.move_cursor(row=[s.name for s in self.sources].index(select))

    def _selected(self) -> SyncSource | None:
        table = self.query_one(DataTable)
        if not self.sources or table.cursor_row < 0 or table.cursor_row >= len(self.sources):
            return None
        return self.sources[table.cursor_row]

    def _status(self, text: str) -> None:
        self.query_one("#sources-status", Static).update(Text(safe_text(text, limit=400)))

    async def _save(self, sources: list[SyncSource], what: str, select: str | None = None) -> None:
        """Write the whole list to settings.toml through the App; on failure nothing changes here either."""
        if self.saving:
            return
        self.saving = True
        try:
            await self.app.save_settings({"sync.sources": [sync_source_table(s) for s in sources]})
        except (ConfigError, OSError) as exc:
            self.notify(safe_text(str(exc), limit=300), title="Sources not saved", severity="error", markup=False)
            return
        finally:
            self.saving = False
        self.sources = sources
        self._refresh(select)
        config = self.app.config
        where = display_path(config.paths.settings_file) if config and config.paths else "settings.toml"
        self._status(f"{what}; saved to {where}.")

    def _save_later(self, sources: list[SyncSource], what: str, select: str | None = None) -> None:
        self.run_worker(self._save(sources, what, select), group="sources-save", exclusive=True,
                        exit_on_error=False)

    def action_new(self) -> None:
        def done(source: SyncSource | None) -> None:
            if source is not None:
                self._save_later([*self.sources, source], f"Added {source.name}", source.name)

        self.app.push_screen(SyncSourceForm(None, self.sources), done)

    def action_edit(self) -> None:
        current = self._selected()
        if current is None:
            self.action_new()
            return

        def done(source: SyncSource | None) -> None:
            if source is not None:
                sources = [source if s.name == current.name else s for s in self.sources]
                self.tests.pop(current.name, None)
                self._save_later(sources, f"Saved {source.name}", source.name)

        self.app.push_screen(SyncSourceForm(current, self.sources), done)

    def action_delete(self) -> None:
        current = self._selected()
        if current is None:
            return

        def answered(ok: bool | None) -> None:
            if ok:
                self._save_later([s for s in self.sources if s.name != current.name], f"Removed {current.name}")

        self.app.push_screen(ConfirmScreen(f"Remove the sync source {safe_text(current.name, limit=40)}?",
                                           "Its printers stay in the inventory; sync stops reading it.",
                                           "Remove"), answered)

    def action_switch(self) -> None:
        current = self._selected()
        if current is None:
            return
        changed = replace(current, enabled=not current.enabled)
        self._save_later([changed if s.name == current.name else s for s in self.sources],
                         f"{current.name} {'on' if changed.enabled else 'off'}", current.name)

    def action_read_now(self) -> None:
        """Read the selected source (changes nothing; not a printer poll, so viewers may too)."""
        current = self._selected()
        if current is None:
            return
        self._status(f"Reading {current.name} ({where_text(current)})…")

        async def run() -> None:
            _, text = await try_source(current)
            self.tests[current.name] = text
            self._refresh(current.name)
            self._status(f"{current.name}: {text}")

        self.run_worker(run(), group="sources-test", exclusive=True, exit_on_error=False)

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_edit()

    def action_back(self) -> None:
        self.dismiss(None)
