"""Every active problem across the fleet, worst first; enter opens the printer."""

from __future__ import annotations

import asyncio
from datetime import datetime

from rich.text import Text
from textual import getters
from textual.app import ComposeResult
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Static

from ..app import TonerTrackApp
from ..core.util.textsafe import safe_text
from ..core.util.timeutil import age_text
from ..core.views.fleet import FleetProblem, problems
from ..keys import bindings
from ..widgets.status_badge import STATUS_STYLE, mono_safe
from ..widgets.status_badge import WIDTH as STATUS_WIDTH

TICK_S = 10.0
# Poll-all lands results every 0.25 s; over 1,000 printers problems() costs ~60 ms, so it runs
# in a thread, at most this often, and the table is redrawn once per batch.
REFRESH_DELAY_S = 0.5
EMPTY = "No problems — all printers OK"
# (key, label, width); the problem column takes what is left. Narrow screens drop the address.
COLUMNS = [("severity", "Severity", STATUS_WIDTH), ("printer", "Printer", 20), ("address", "Address", 17),
           ("problem", "Problem", 0), ("since", "Since", 5)]
MIN_PROBLEM = 24
NARROW = 100  # below this width the address column goes, the printer column narrows


def _problem_text(item: FleetProblem) -> Text:
    """Our words, then the device's own in dim (one physical problem, however it reported it)."""
    text = Text(item.problem, no_wrap=True, overflow="ellipsis")
    if item.detail:
        text.append(f" — {item.detail}", style="dim")
    return text


def _key(item: FleetProblem, seen: dict[str, int]) -> str:
    base = f"{item.printer_id}\x1f{item.problem}"
    seen[base] = seen.get(base, 0) + 1
    return base if seen[base] == 1 else f"{base}\x1f{seen[base]}"


class AlertsScreen(Screen[None]):
    DEFAULT_CSS = """
    AlertsScreen #alerts-summary {
        height: 1;
        padding: 0 1;
        background: $boost;
    }
    AlertsScreen #alerts-table {
        height: 1fr;
    }
    AlertsScreen #alerts-empty {
        height: 1fr;
        content-align: center middle;
        color: $success;
        text-style: bold;
        display: none;
    }
    AlertsScreen.-empty #alerts-empty {
        display: block;
    }
    AlertsScreen.-empty #alerts-table {
        display: none;
    }
    """

    BINDINGS = bindings("alerts")
    app = getters.app(TonerTrackApp)

    def __init__(self) -> None:
        super().__init__()
        self._items: dict[str, FleetProblem] = {}
        self._order: list[str] = []
        self._cells: dict[str, dict[str, Text]] = {}
        self._columns: tuple[str, ...] = ()
        self._problem_width = 0
        self._latest: list[FleetProblem] = []
        self._pending: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="alerts-summary", markup=False)
        yield DataTable(id="alerts-table", cursor_type="row", zebra_stripes=False)
        yield Static(EMPTY, id="alerts-empty", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.app.fleet_changed.subscribe(self, self._on_fleet_changed)
        self.set_interval(TICK_S, self._refresh_soon)
        self.refresh_alerts()
        self.table.focus()

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#alerts-table", DataTable)

    # -- rendering ----------------------------------------------------------------------------------

    def _on_fleet_changed(self, _changed: set[str] | None) -> None:
        self._refresh_soon()

    def on_resize(self) -> None:
        if self._columns:  # after the first _show (on mount): re-lay out the columns for the new width
            self._show(self._latest)

    def on_screen_resume(self) -> None:
        self._refresh_soon()

    def _refresh_soon(self) -> None:
        if self._pending is None:
            self._pending = self.set_timer(REFRESH_DELAY_S, self._refresh_in_background)

    def _refresh_in_background(self) -> None:
        self._pending = None
        self.run_worker(self._compute(), group="alerts", exclusive=True, exit_on_error=False)

    async def _compute(self) -> None:
        printers = list(self.app.fleet.printers.values())  # a snapshot: the dict changes as polls land
        items = await asyncio.to_thread(problems, printers)
        if self.is_attached:
            self._show(items)

    def refresh_alerts(self) -> None:
        """Recompute now, on the main thread (on mount, so the first frame is complete)."""
        self._show(problems(list(self.app.fleet.printers.values())))

    def _ensure_columns(self) -> bool:
        width = self.size.width or 80
        widths = {key: w for key, _, w in COLUMNS}
        if width < NARROW:
            del widths["address"]
            widths["printer"] = 16
        fixed = sum(w + 2 for k, w in widths.items() if k != "problem") + 2 + 1  # cell padding, scrollbar
        problem_width = max(MIN_PROBLEM, width - fixed)
        wanted = list(widths)
        if tuple(wanted) == self._columns and problem_width == self._problem_width:
            return False
        table = self.table
        table.clear(columns=True)
        for key, label, _ in COLUMNS:
            if key in widths:
                table.add_column(label, key=key, width=problem_width if key == "problem" else widths[key])
        self._columns, self._problem_width = tuple(wanted), problem_width
        self._order, self._cells = [], {}
        return True

    def _cells_for(self, item: FleetProblem, now: datetime) -> dict[str, Text]:
        symbol, style = STATUS_STYLE.get(item.severity, ("?", "dim"))
        style = mono_safe(style, bool(getattr(self.app, "no_color", False)))
        return {
            "severity": Text(f"{symbol} {item.severity}", style=style, no_wrap=True),
            "printer": Text(item.printer, no_wrap=True, overflow="ellipsis"),
            "address": Text(safe_text(item.address, limit=80), style="dim", no_wrap=True, overflow="ellipsis"),
            "problem": _problem_text(item),
            "since": Text(age_text(item.since, now) if item.since else "—", style="dim",
                          justify="right"),
        }

    def _show(self, items: list[FleetProblem]) -> None:
        self._latest = items
        now = self.app.now()
        seen: dict[str, int] = {}
        keyed = [(_key(item, seen), item) for item in items]
        self._items = dict(keyed)
        self._update_summary(items)
        self.set_class(not items, "-empty")
        table = self.table
        selected = self.selected_key
        self._ensure_columns()
        order = [k for k, _ in keyed]
        with self.app.batch_update():
            if order != self._order:
                table.clear()
                self._cells = {}
                for key, item in keyed:
                    cells = self._cells[key] = self._cells_for(item, now)
                    table.add_row(*(cells[c] for c in self._columns), key=key)
                self._order = order
                if selected in self._items:
                    table.move_cursor(row=order.index(selected), animate=False)
            else:
                for key, item in keyed:
                    cells = self._cells_for(item, now)
                    old = self._cells.get(key, {})
                    for column in self._columns:
                        if old.get(column) is None or old[column].plain != cells[column].plain \
                                or old[column].style != cells[column].style:
                            table.update_cell(key, column, cells[column])
                    self._cells[key] = cells

    def _update_summary(self, items: list[FleetProblem]) -> None:
        text = Text()
        if not items:
            text.append("Alerts", style="bold")
            text.append(" │ nothing needs attention", style="dim")
        else:
            printers = len({i.printer_id for i in items})
            text.append(f"{len(items)} problem{'s' if len(items) != 1 else ''} on {printers} "
                        f"printer{'s' if printers != 1 else ''}", style="bold")
            for severity in ("Error", "Offline", "Warning"):
                count = sum(1 for i in items if i.severity == severity)
                if count:
                    symbol, style = STATUS_STYLE[severity]
                    style = mono_safe(style, bool(getattr(self.app, "no_color", False)))
                    text.append("  ")
                    text.append(f"{symbol} {severity} {count}", style=style)
            text.append(" │ enter opens", style="dim")
        self.query_one("#alerts-summary", Static).update(text)

    # -- actions ------------------------------------------------------------------------------------

    @property
    def selected_key(self) -> str | None:
        table = self.table
        if not table.row_count:
            return None
        try:
            return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:
            return None

    def _open(self, key: str | None) -> None:
        item = self._items.get(key or "")
        if item is not None and item.printer_id in self.app.fleet:
            self.app.show_details(item.printer_id)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self._open(event.row_key.value)

    def action_details(self) -> None:
        self._open(self.selected_key)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_cursor(self, where: str) -> None:
        table = self.table
        if where == "down":
            table.action_cursor_down()
        elif where == "up":
            table.action_cursor_up()
        elif where == "top":
            table.move_cursor(row=0)
        else:
            table.move_cursor(row=max(0, table.row_count - 1))
