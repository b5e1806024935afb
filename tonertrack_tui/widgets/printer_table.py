"""The fleet table: one keyed row per printer, updated by diff, cursor kept on the same printer."""

from __future__ import annotations

from datetime import datetime

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual._two_way_dict import TwoWayDict
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from ..core.fleetview import PrinterRow, age_text
from .status_badge import WIDTH as STATUS_WIDTH
from .status_badge import status_text
from .supply_gauge import gauge_text

# Layouts by terminal width: narrow terminals drop columns, never rows.
# (minimum table width, ((column key, label, width), ...))
LAYOUTS = [
    (150, (("status", "Status", STATUS_WIDTH + 1), ("name", "Name", 22), ("address", "Address", 17),
           ("location", "Location", 16), ("model", "Model", 24), ("supply", "Most urgent supply", 34),
           ("pages", "Pages", 9), ("age", "Polled", 6))),
    (118, (("status", "Status", STATUS_WIDTH + 1), ("name", "Name", 20), ("address", "Address", 16),
           ("location", "Location", 12), ("supply", "Most urgent supply", 28),
           ("pages", "Pages", 8), ("age", "Age", 4))),
    (96, (("status", "Status", STATUS_WIDTH + 1), ("name", "Name", 20), ("address", "Address", 16),
          ("supply", "Most urgent supply", 27), ("pages", "Pages", 8), ("age", "Age", 4))),
    (0, (("status", "Status", STATUS_WIDTH + 1), ("printer", "Printer", 22),
         ("supply", "Most urgent supply", 25), ("age", "Age", 4))),
]
FORGET_HIDDEN_AFTER = 5000  # cells of filtered-out rows kept for when they come back
RENDERED_CELLS = 2000  # a 60-row terminal × 8 columns, with and without the cursor, and some to scroll
SUPPLY_LABEL_WIDTH = {34: 18, 28: 11, 27: 10, 25: 8}


class PrinterTable(DataTable):
    """Call `show(rows, now)`; it works out the smallest change to the screen."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="cursor_down"),
        Binding("k", "cursor_up", "Up", show=False, id="cursor_up"),
        Binding("g", "scroll_top", "Top", show=False, id="top"),
        Binding("G", "scroll_bottom", "Bottom", show=False, id="bottom"),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._order: list[str] = []
        self._positions: dict[str, int] = {}
        self._cells: dict[str, dict[str, object]] = {}
        self._rendered_cells: LRUCache = LRUCache(RENDERED_CELLS)
        self._values: dict[str, dict[str, object]] = {}
        self._columns_shown: tuple[str, ...] = ()
        self._rows: list[PrinterRow] = []
        self._now: datetime | None = None
        self._label_width = 18

    # -- columns ----------------------------------------------------------------------------

    def _layout_for_width(self, width: int):
        # each cell has one column of padding on either side; keep 2 for the scrollbar
        for _, columns in LAYOUTS:
            if sum(w + 2 for _, _, w in columns) + 2 <= width:
                return columns
        return LAYOUTS[-1][1]

    def _ensure_columns(self) -> bool:
        layout = self._layout_for_width(self.size.width or 120)
        wanted = tuple(key for key, _, _ in layout)
        if wanted == self._columns_shown:
            return False
        self.clear(columns=True)
        for key, label, width in layout:
            self.add_column(label, key=key, width=width)
            if key == "supply":
                self._label_width = SUPPLY_LABEL_WIDTH.get(width, 10)
        self._columns_shown = wanted
        self._order = []
        self._positions = {}
        self._values = {}
        self._cells = {}
        return True

    def on_resize(self) -> None:
        if self._ensure_columns() and self._now is not None:
            self.show(self._rows, self._now)

    # -- rows -------------------------------------------------------------------------------

    def _values_for(self, row: PrinterRow, now: datetime) -> dict[str, object]:
        return {
            "status": (row.status, row.stale),
            "name": row.name,
            "printer": row.name or row.address,
            "address": row.address,
            "location": row.location,
            "model": row.model,
            "supply": row.supply,
            "pages": row.pages,
            "age": age_text(row.last_poll_at, now),
        }

    def _render(self, key: str, value: object):
        if key == "status":
            status, stale = value  # type: ignore[misc]
            return status_text(status, stale=stale, mono=self.app.no_color)
        if key == "supply":
            return gauge_text(value, label_width=self._label_width, mono=self.app.no_color)  # type: ignore[arg-type]
        if key == "pages":
            return Text("—" if value is None else f"{value:,}", justify="right")
        return Text(str(value), no_wrap=True, overflow="ellipsis")

    @property
    def selected_id(self) -> str | None:
        if not self.row_count:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:
            return None

    def show(self, rows: list[PrinterRow], now: datetime) -> None:
        self._rows, self._now = rows, now
        self._ensure_columns()
        selected = self.selected_id
        order = [r.id for r in rows]
        with self.app.batch_update():
            for row in rows:
                shown = row.id in self._positions
                for key, cell in self._refresh_cells(row, now).items():
                    if shown:
                        self.update_cell(row.id, key, cell)
            if order != self._order:
                self._reorder(order)
            if selected is not None and selected in self._positions:
                index = self._positions[selected]
                if index != self.cursor_row:
                    self.move_cursor(row=index, animate=False)

    def _refresh_cells(self, row: PrinterRow, now: datetime) -> dict[str, object]:
        """Bring the row's cells up to date; returns the ones that changed.

        Cells are kept for rows a filter hides too, so that they come back as the same
        objects (and so from the render cache) when the filter is cleared."""
        values = self._values_for(row, now)
        old = self._values.get(row.id)
        cells = self._cells.setdefault(row.id, {})
        changed = {}
        for key in self._columns_shown:
            if old is None or old.get(key) != values[key] or key not in cells:
                cells[key] = changed[key] = self._render(key, values[key])
        self._values[row.id] = values
        return changed

    def _reorder(self, order: list[str]) -> None:
        """Show the rows in `order`: drop the ones filtered out, append new ones, reorder all at once.

        DataTable.remove_row is O(rows) per row and clear() + add_row renders and measures
        every cell again: with 1,000 printers a filter keystroke took 0.3-0.5 s and a poll-all,
        whose statuses reorder the table at every refresh, stalled the event loop for a second.
        Kept rows keep their cells; the new order is set the way DataTable.sort() sets it.
        """
        keep = set(order)
        gone = [key for key in self._order if key not in keep]
        if gone:
            for key in gone:
                row_key = RowKey(key)
                self.rows.pop(row_key, None)
                self._data.pop(row_key, None)
            remaining = [key for key in self._order if key in keep]
            self._row_locations = TwoWayDict({RowKey(key): i for i, key in enumerate(remaining)})
        shown = self._columns_shown
        for key in order:
            if key not in self._positions:
                cells = self._cells[key]
                self.add_row(*(cells[column] for column in shown), key=key)
        self._row_locations = TwoWayDict({RowKey(key): i for i, key in enumerate(order)})
        self._order = order
        self._positions = {key: i for i, key in enumerate(order)}
        if len(self._cells) > len(order) + FORGET_HIDDEN_AFTER:  # printers deleted meanwhile
            for key in [k for k in self._cells if k not in self._positions]:
                del self._cells[key], self._values[key]
        self._update_count += 1
        self._require_update_dimensions = True
        self.cursor_coordinate = self.cursor_coordinate  # clamped to the new row count
        self.refresh(layout=True)
        self.check_idle()

    def _render_cell(self, row_index: int, column_index: int, base_style, width: int,
                     cursor: bool = False, hover: bool = False):
        """DataTable renders every visible cell again whenever any cell changes or a row moves
        (its caches are keyed on an update counter and the row index): with a poll-all or a
        filter on 1,000 printers that is 40-70 ms a refresh. Keep a cell's rendering for as
        long as it is the same cell object; a row that moved only gets its mouse metadata
        (which row a click selects) re-tagged."""
        if row_index < 0 or column_index < 0:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        cell = self._data[row_key][column_key]
        key = (row_key, column_key, base_style, width, cursor, hover, self._show_hover_cursor,
               self._pseudo_class_state, self.app.theme)
        cached = self._rendered_cells.get(key)
        if cached is not None and cached[0] is cell:
            if cached[1] == row_index:
                return cached[2]
            meta = Style.from_meta({"row": row_index, "column": column_index})
            lines = [[Segment(text, style + meta if style else meta, control) for text, style, control in line]
                     for line in cached[2]]
        else:
            lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        self._rendered_cells[key] = (cell, row_index, lines)
        return lines

    def _update_dimensions(self, new_rows) -> None:
        """Only size the table: every column has a fixed width and every row is one line, so
        DataTable's measuring of each new cell (~30 µs a cell, 0.3 s for 1,000 rows) changes nothing."""
        if any(column.auto_width for column in self.columns.values()) or self._labelled_row_exists:
            super()._update_dimensions(new_rows)
            return
        header = self.header_height if self.show_header else 0
        width = sum(column.get_render_width(self) for column in self.columns.values())
        self.virtual_size = Size(width + self._row_label_column_width, self._total_row_height + header)

    def select_id(self, printer_id: str) -> None:
        if printer_id in self._positions:
            self.move_cursor(row=self._positions[printer_id], animate=False)

    def action_scroll_top(self) -> None:
        self.move_cursor(row=0)

    def action_scroll_bottom(self) -> None:
        self.move_cursor(row=max(0, self.row_count - 1))
