"""The home screen: the whole fleet at a glance, live."""

from __future__ import annotations

from rich.text import Text
from textual import events, getters
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Label, ProgressBar, Static

from ..app import TonerTrackApp
from ..core.inventory.store import StoreError
from ..core.views.fleet import SORT_COLUMNS, View, empty_text, next_view, select_rows, summarize
from ..keys import bindings
from ..widgets.printer_table import PrinterTable
from ..widgets.status_badge import STATUS_STYLE, mono_safe


class PrintersScreen(Screen[None]):
    BINDINGS = bindings("printers")
    app = getters.app(TonerTrackApp)

    def __init__(self) -> None:
        super().__init__()
        self.query_text = ""
        self.statuses: set[str] = set()
        self.sort_column = "status"
        self.view: View | None = None  # one location or print server (v cycles), None: the whole fleet
        self._shown_lines: dict[str, str] = {}
        self.sort_reverse = False

    def compose(self) -> ComposeResult:
        yield Static(id="summary", markup=False)
        with Horizontal(id="progress-row"):
            yield ProgressBar(total=1, show_eta=False, id="poll-progress")
            yield Label("", id="poll-label", markup=False)
        yield Static(id="banner", markup=False)
        yield Input(placeholder="Filter: name, address, location, model, serial — Esc clears", id="filter")
        yield PrinterTable(id="printers")
        yield Static(id="empty", markup=False)
        yield Static(id="why", markup=False)
        yield Footer(id="list-footer")

    def on_resize(self) -> None:
        # below 100 columns the footer keeps to the keys themselves (the palette, ^p, is in ? help):
        # at 80, filter, sort, add, poll, ?, quit, poll all, alerts and export all fit
        footer = self.query_one("#list-footer", Footer)
        footer.show_command_palette = self.size.width >= 100

    def on_mount(self) -> None:
        self.app.fleet_changed.subscribe(self, self._on_fleet_changed)
        self.app.poll_state_changed.subscribe(self, self._on_poll_state)
        self.set_interval(1.0, self._tick)
        self.refresh_table()
        self._on_poll_state(None)
        self.query_one(PrinterTable).focus()

    # -- rendering -------------------------------------------------------------------------------

    def refresh_table(self) -> None:
        every = self.app.all_rows()
        rows = select_rows(every, query=self.query_text, statuses=frozenset(self.statuses),
                           sort=self.sort_column, reverse=self.sort_reverse, view=self.view)
        table = self.query_one(PrinterTable)
        table.mark_sort(self.sort_column, self.sort_reverse)
        table.show(rows, self.app.now())
        empty = "" if rows else empty_text(len(every), query=self.query_text, statuses=self.statuses,
                                           view=self.view)
        self.set_class(bool(empty), "-empty")
        if empty != self._shown_lines.get("#empty"):
            self._shown_lines["#empty"] = empty
            self.query_one("#empty", Static).update(empty)
        self._update_summary()
        self._update_why()

    def _update_why(self) -> None:
        """The highlighted printer's reasons, in words, under the table."""
        selected = self.query_one(PrinterTable).selected_id
        row = self.app.row(selected) if selected else None
        text = Text(no_wrap=True, overflow="ellipsis")
        if row is not None:
            symbol, style = STATUS_STYLE.get(row.status, ("?", "dim"))
            text.append(f"{symbol} {row.name or row.address}: ", style=mono_safe(style, self.app.no_color))
            text.append(" · ".join(row.reasons) if row.reasons else
                        ("all good" if row.status == "OK" else "not polled yet"))
            if row.stale:
                text.append("  (last good data: no reply since)", style="dim")
        self._set_line("#why", text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._update_why()

    def _on_fleet_changed(self, changed: set[str] | None) -> None:
        self.refresh_table()

    def _tick(self) -> None:
        """Ages ("3m") move on with the clock; the diff only touches cells that changed."""
        self.refresh_table()

    def _update_summary(self) -> None:
        app = self.app
        view = self.view
        counts = summarize(r for r in app.all_rows() if view is None or view.shows(r))
        text = Text(no_wrap=True, overflow="ellipsis")
        if app.role.label:  # first, so that 80 columns never cut it off
            text.append(f" {app.role.label} ", style="reverse bold")
            text.append(" ")
        narrow = self.size.width < 110
        for status in ("OK", "Warning", "Error", "Offline", "Unknown"):
            symbol, style = STATUS_STYLE[status]
            style = mono_safe(style, self.app.no_color)
            mark = "▸" if status in self.statuses else ""
            word = "" if narrow else f" {status}"
            text.append(f"{mark}{symbol}{word} {counts.get(status, 0)}", style=style)
            text.append("  ")
        direction = "↑" if self.sort_reverse else "↓"
        text.append(f"│ sort {self.sort_column} {direction}", style="dim")
        if self.sort_column not in self.table.sort_keys_shown:  # the window got narrower since
            text.append(" (column not shown: s)", style="dim")
        if self.view is not None:
            text.append(" │ ", style="dim")
            text.append(self.view.label, style="bold")
        if self.query_text:
            text.append(" │ filter: ", style="dim")
            text.append(self.query_text)
        state = app.poll_state
        if state.last_finished is not None:
            text.append(f" │ last poll {state.last_finished.astimezone().strftime('%H:%M')}", style="dim")
        if state.next_at is not None and not state.running:
            text.append(f" │ next {state.next_at.astimezone().strftime('%H:%M')}", style="dim")
        self._set_line("#summary", text)

    def _set_line(self, selector: str, text: Text) -> None:
        """Update a one-line bar, only when it reads differently: its size is fixed (CSS), so
        no layout pass — during a poll these change several times a second."""
        if self._shown_lines.get(selector) != text.markup:
            self._shown_lines[selector] = text.markup
            self.query_one(selector, Static).update(text, layout=False)

    def _on_poll_state(self, _: None) -> None:
        state = self.app.poll_state
        row = self.query_one("#progress-row")
        row.set_class(state.running, "-polling")
        if state.running:
            bar = self.query_one("#poll-progress", ProgressBar)
            bar.update(total=max(1, state.total), progress=state.done)
            self.query_one("#poll-label", Label).update(f" polling {state.done}/{state.total}", layout=False)
        banner = self.query_one("#banner", Static)
        banner.set_class(bool(state.elsewhere or state.stale), "-visible")
        if state.elsewhere:
            banner.update(f"{state.elsewhere[:1].upper()}{state.elsewhere[1:]}: "
                          "its results appear here as they are saved.")
        elif state.stale:
            banner.update(state.stale)
        self._update_summary()

    # -- selection helpers --------------------------------------------------------------------------

    @property
    def table(self) -> PrinterTable:
        return self.query_one(PrinterTable)

    def _selected(self) -> str | None:
        selected = self.table.selected_id
        if selected is None:
            self.notify("No printer selected.")
        return selected

    # -- actions -----------------------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.add_class("-visible")
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if box.has_class("-visible") or self.query_text or self.statuses or self.view is not None:
            box.value = ""
            box.remove_class("-visible")
            self.query_text = ""
            self.statuses.clear()
            self.view = None
            self.refresh_table()
            self.table.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.query_text = event.value
            self.refresh_table()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            if not event.value:
                event.input.remove_class("-visible")
            self.table.focus()

    def on_key(self, event: events.Key) -> None:
        box = self.query_one("#filter", Input)
        if event.key == "escape" and box.has_focus:
            event.stop()
            self.action_clear_filter()

    def action_sort(self) -> None:
        """The next column on screen: never a column the window is too narrow to show."""
        shown = [c for c in SORT_COLUMNS if c in self.table.sort_keys_shown]
        i = shown.index(self.sort_column) if self.sort_column in shown else -1
        self.sort_column = shown[(i + 1) % len(shown)]
        self.refresh_table()

    def action_view(self, backwards: bool = False) -> None:
        """The next site, location or print server (core/views/fleet.next_view); after the last, the whole fleet."""
        self.view = next_view(self.view, self.app.all_rows(), backwards=backwards)
        self.refresh_table()

    def action_sort_reverse(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self.refresh_table()

    def action_toggle_status(self, status: str) -> None:
        self.statuses ^= {status}
        self.refresh_table()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            self.app.show_details(event.row_key.value)

    def action_details(self) -> None:
        selected = self._selected()
        if selected:
            self.app.show_details(selected)

    def action_poll_one(self) -> None:
        selected = self._selected()
        if selected:
            self.app.poll_printer(selected)

    def action_add(self) -> None:
        self._open_form(None)

    def action_edit(self) -> None:
        selected = self._selected()
        if selected:
            self._open_form(selected)

    def _open_form(self, printer_id: str | None) -> None:
        from .printer_form import PrinterFormScreen

        self.app.push_screen(PrinterFormScreen(printer_id), self._after_form)

    def _after_form(self, saved_id: str | None) -> None:
        if saved_id:
            self.refresh_table()
            self.table.select_id(saved_id)

    def action_delete(self) -> None:
        selected = self._selected()
        if not selected:
            return
        from .confirm import ConfirmScreen

        row = self.app.row(selected)
        label = row.name or row.address if row else selected

        def done(confirmed: bool | None) -> None:
            if confirmed:
                self.run_worker(self._delete(selected), exit_on_error=False)

        self.app.push_screen(ConfirmScreen(f"Delete printer {label} ({row.address if row else ''})?",
                                           "Its history is kept; the audit log records the deletion.",
                                           confirm_label="Delete"), done)

    async def _delete(self, printer_id: str) -> None:
        try:
            await self.app.delete_printer(printer_id)
        except StoreError as exc:
            self.notify(str(exc), title="Not deleted", severity="error", markup=False)
            return
        self.notify("Printer deleted.")
