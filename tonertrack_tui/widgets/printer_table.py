"""The fleet table: one keyed row per printer, updated by diff, cursor kept on the same printer."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

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
        self._values = {}
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
            return status_text(status, stale=stale)
        if key == "supply":
            return gauge_text(value, label_width=self._label_width)  # type: ignore[arg-type]
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
        shown = self._columns_shown
        with self.app.batch_update():
            if order != self._order:
                self.clear()
                self._values = {}
                for row in rows:
                    values = self._values_for(row, now)
                    self._values[row.id] = values
                    self.add_row(*(self._render(k, values[k]) for k in shown), key=row.id)
                self._order = order
                if selected is not None and selected in self._values:
                    self.move_cursor(row=order.index(selected), animate=False)
            else:
                for row in rows:
                    values = self._values_for(row, now)
                    old = self._values.get(row.id, {})
                    for key in shown:
                        if old.get(key) != values[key]:
                            self.update_cell(row.id, key, self._render(key, values[key]))
                    self._values[row.id] = values

    def select_id(self, printer_id: str) -> None:
        if printer_id in self._order:
            self.move_cursor(row=self._order.index(printer_id), animate=False)

    def action_scroll_top(self) -> None:
        self.move_cursor(row=0)

    def action_scroll_bottom(self) -> None:
        self.move_cursor(row=max(0, self.row_count - 1))
