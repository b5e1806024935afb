"""The export menu (`x`): pick a report, its period and where the CSV goes; it is written in a thread.

Keyboard only: Tab / Shift+Tab move between the fields, Ctrl+S (anywhere) or Enter in a
text box (or on Export) writes the report, Enter on a list opens it, Escape closes. The
report is built and written by core/reports.py — the same code as `tonertrack export` — in a
worker thread that never touches widgets: it posts `ExportScreen.Finished` and the handler
shows where the file went (the absolute path), or what went wrong.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import getters, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from ..app import TonerTrackApp
from ..core.config import display_path
from ..core.inventory.history import History
from ..core.inventory.importers import backup_bytes
from ..core.inventory.store import UnknownPrinter
from ..core.reports.build import (
    PERIOD_REPORTS,
    BadMonth,
    ReportError,
    build_report,
    check_period,
    default_path,
    parse_month,
    vanishing_note,
    write_file,
    write_report,
)
from ..core.util.textsafe import safe_text
from ..keys import bindings

REPORT_OPTIONS = [
    ("Monthly pages, every printer", "monthly"),
    ("Usage of one printer", "usage"),
    ("Supplies to order", "supplies"),
    ("Active alerts", "alerts"),
    ("Inventory (CSV)", "inventory"),
    ("Inventory backup (JSON)", "backup"),
]
HINTS = {  # one line at 80 columns
    "monthly": "Pages per printer and month; totals per location and fleet.",
    "usage": "One printer's pages per month, and per day for the last 60 days.",
    "supplies": "Supplies low or running out soon (forecast), with part numbers.",
    "alerts": "Every active problem across the fleet, worst first.",
    "inventory": "Address, name, location, model, serial, status, pages; no secrets.",
    "backup": "Every setting and SNMP secret (file 0600); import restores it.",
}
# Enter on a list (Report, Printer) opens it, so it cannot also export: the hint says which Enter exports.
KEYS_HINT = "^s export (Enter too, in a text box) · Tab next field · Esc close"


class ExportScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    ExportScreen {
        align: center middle;
    }
    ExportScreen #export-dialog {
        width: 78;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $accent;
        background: $panel;
        padding: 0 1;
    }
    ExportScreen #export-title {
        height: 1;
        text-style: bold;
    }
    ExportScreen .row {
        height: 1;
        margin-top: 1;
    }
    ExportScreen .field-label {
        width: 10;
        color: $text-muted;
    }
    ExportScreen .row Input {
        width: 1fr;
    }
    ExportScreen .row Input:focus, ExportScreen .row Select:focus > SelectCurrent {
        background: $accent 35%;
    }
    ExportScreen #report {
        width: 34;
    }
    ExportScreen #printer {
        width: 1fr;
    }
    ExportScreen #start, ExportScreen #end {
        width: 11;
    }
    ExportScreen .gap-label {
        width: auto;
        margin: 0 1 0 2;
        color: $text-muted;
    }
    ExportScreen #hint {
        height: auto;
        color: $text-muted;
        padding-left: 10;
    }
    ExportScreen #export-status {
        height: auto;
        margin-top: 1;
    }
    ExportScreen #export-status.-error {
        color: $error;
        text-style: bold;
    }
    ExportScreen #export-buttons {
        height: 1;
        margin-top: 1;
        align-horizontal: right;
    }
    ExportScreen #export-buttons Button {
        width: auto;
        min-width: 0;
        margin-left: 2;
        padding: 0 1;
    }
    """

    BINDINGS = bindings("export")
    app = getters.app(TonerTrackApp)

    class Finished(Message):
        """From the worker thread: the file written (and its rows), or the problem."""

        def __init__(self, path: Path | None, rows: int, problem: str | None) -> None:
            super().__init__()
            self.path = path
            self.rows = rows
            self.problem = problem

    def __init__(self, printer_id: str | None = None) -> None:
        super().__init__()
        self.printer_id = printer_id
        self.running = False
        self._auto_destination = ""

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        printer_id = self.printer_id or self._selected_printer()
        options = self._printer_options()
        if printer_id not in {value for _, value in options}:
            printer_id = None
        with Vertical(id="export-dialog"):
            yield Static(Text("Export a report or the inventory", style="bold"), id="export-title")
            with Horizontal(classes="row"):
                yield Label("Report", classes="field-label")
                yield Select(REPORT_OPTIONS, value="monthly", allow_blank=False, compact=True, id="report")
            yield Static(HINTS["monthly"], id="hint", markup=False)
            with Horizontal(classes="row", id="printer-row"):
                yield Label("Printer", classes="field-label")
                yield Select(options, prompt="choose a printer (type its address or name)", compact=True,
                             value=printer_id if printer_id else Select.BLANK, id="printer")
            with Horizontal(classes="row", id="period-row"):
                yield Label("From", classes="field-label")
                yield Input(placeholder="YYYY-MM", max_length=7, compact=True, id="start")
                yield Label("to", classes="gap-label")
                yield Input(placeholder="YYYY-MM", max_length=7, compact=True, id="end")
                yield Label("blank: all months with data", classes="gap-label")
            with Horizontal(classes="row"):
                yield Label("Save to", classes="field-label")
                yield Input(compact=True, id="destination", select_on_focus=False)
            yield Static("", id="export-status", markup=False)
            with Horizontal(id="export-buttons"):
                yield Button("Export ^s", id="run", variant="primary", compact=True)
                yield Button("Close esc", id="close", compact=True)

    def on_mount(self) -> None:
        self._report_changed()
        self.query_one("#report", Select).focus()

    # -- what the menu starts from -----------------------------------------------------------

    def _selected_printer(self) -> str | None:
        """The printer the user was looking at: the details screen's, or the list's cursor row."""
        for screen in reversed(self.app.screen_stack):
            if screen is self:
                continue
            printer_id = getattr(screen, "printer_id", None)
            if isinstance(printer_id, str):
                return printer_id
            table = getattr(screen, "table", None)
            selected = getattr(table, "selected_id", None)
            if isinstance(selected, str):
                return selected
            break
        return None

    def _printer_options(self) -> list[tuple[Text, str]]:
        rows = sorted(self.app.all_rows(), key=lambda r: (r.address, r.name))
        return [(Text(f"{r.address}  {r.name}".rstrip(), no_wrap=True, overflow="ellipsis"), r.id) for r in rows]

    @property
    def report_kind(self) -> str:
        return str(self.query_one("#report", Select).value)

    def _today(self) -> date:
        return self.app.now().astimezone().date()

    def _default_destination(self) -> str:
        config = self.app.config
        if config is None:
            return ""
        subject = ""
        if self.report_kind == "usage":
            printer = self.app.printer(str(self.query_one("#printer", Select).value))
            subject = printer.address if printer else ""
        kind = self.report_kind
        if kind == "backup":
            return display_path(default_path(config, "inventory-backup", self._today(), suffix=".json"))
        return display_path(default_path(config, kind, self._today(), subject))

    def _refresh_destination(self) -> None:
        """Follow the report (and printer) with the dated default, unless the user typed a path."""
        box = self.query_one("#destination", Input)
        new = self._default_destination()
        if box.value in ("", self._auto_destination):
            box.value = new
            box.cursor_position = len(new)
        self._auto_destination = new

    @on(Select.Changed, "#report")
    def _report_changed(self) -> None:
        kind = self.report_kind
        self.query_one("#printer-row").display = kind == "usage"
        self.query_one("#period-row").display = kind in PERIOD_REPORTS
        self.query_one("#hint", Static).update(HINTS[kind])
        self._refresh_destination()
        self._show("")

    @on(Select.Changed, "#printer")
    def _printer_changed(self) -> None:
        self._refresh_destination()

    # -- running -------------------------------------------------------------------------------

    def _problem(self) -> tuple[str | None, Any]:
        """(what is wrong, the widget to fix it in), or (None, None)."""
        kind = self.report_kind
        if kind == "usage" and self.query_one("#printer", Select).is_blank():
            return "Choose the printer for the usage report.", self.query_one("#printer")
        if kind in PERIOD_REPORTS:
            for field, what in (("start", "From"), ("end", "To")):
                text = self.query_one(f"#{field}", Input).value.strip()
                if text:
                    try:
                        parse_month(text)
                    except BadMonth:
                        return f"{what}: {text!r} is not a month; write YYYY-MM, e.g. 2026-01.", \
                            self.query_one(f"#{field}")
            try:
                check_period(self._month("start"), self._month("end"))
            except ReportError as exc:
                return str(exc).replace("--from", "From").replace("--to", "To") + ".", self.query_one("#start")
        destination = self.query_one("#destination", Input).value.strip()
        if not destination:
            return "Say where to save the file.", self.query_one("#destination")
        if destination == "-":
            return "Standard output is for the command line: give a file name here.", \
                self.query_one("#destination")
        return None, None

    def _month(self, field: str) -> str | None:
        return self.query_one(f"#{field}", Input).value.strip() or None

    @on(Input.Submitted)
    @on(Button.Pressed, "#run")
    def action_export(self) -> None:
        if self.running:
            return
        problem, widget = self._problem()
        if problem:
            self._show(problem, error=True)
            if widget is not None:
                widget.focus()
            return
        kind = self.report_kind
        config = self.app.config
        typed = self.query_one("#destination", Input).value.strip()
        destination = Path(typed).expanduser()
        create_dir = config is not None and destination.parent == Path(config.export_dir).expanduser()
        # the dated default keeps an earlier export of the same day (name-2.csv); a name typed is replaced
        dated = typed == self._auto_destination
        printers = self.app.fleet.snapshot()
        chosen = self.query_one("#printer", Select).value if kind == "usage" else None
        printer = chosen if isinstance(chosen, str) else None  # _problem() makes sure one is chosen
        start, end = (self._month("start"), self._month("end")) if kind in PERIOD_REPORTS else (None, None)
        history = self._history()
        now = self.app.now()
        self.running = True
        self.query_one("#run", Button).disabled = True
        self._show(f"Writing the {kind} report…")

        def work() -> None:
            try:
                if kind == "backup":
                    path = write_file(backup_bytes(printers), destination, create_dir=create_dir, keep_existing=dated)
                    rows = len(printers)
                else:
                    report = build_report(kind, printers, history, config, printer=printer, start=start, end=end,
                                          now=now)
                    path = write_report(report, destination, create_dir=create_dir, keep_existing=dated)
                    rows = len(report.rows)
            except (ReportError, UnknownPrinter) as exc:
                self.post_message(self.Finished(None, 0, str(exc)))
            except Exception as exc:  # a report must never take the app down
                self.post_message(self.Finished(None, 0, f"{type(exc).__name__}: {exc}"))
            else:
                self.post_message(self.Finished(path, rows, None))

        self.run_worker(work, thread=True, group="export", exit_on_error=False)

    def _history(self) -> History | None:
        poller = self.app.poller
        return poller.history if poller is not None else self.app.history()

    def on_export_screen_finished(self, message: Finished) -> None:
        self.running = False
        self.query_one("#run", Button).disabled = False
        if message.problem:
            self._show(f"✖ {message.problem}", error=True)
            return
        rows = f"{message.rows:,} row{'s' if message.rows != 1 else ''}"
        note = vanishing_note(message.path) if message.path else ""
        if self.report_kind == "backup":
            rows = f"{message.rows:,} printer{'s' if message.rows != 1 else ''} (with SNMP secrets, mode 0600)"
        self._show(f"✔ Wrote {rows} to {message.path}" + (f"\n⚠ {note}" if note else ""))

    def _show(self, text: str, *, error: bool = False) -> None:
        """A result or problem in the status line; with nothing to say, the keys."""
        status = self.query_one("#export-status", Static)
        status.set_class(error, "-error")
        if not text:
            status.update(Text(KEYS_HINT, style="dim"))
            return
        status.update(Text(safe_text(text, limit=None)))

    @on(Button.Pressed, "#close")
    def action_back(self) -> None:
        self.dismiss(None)
