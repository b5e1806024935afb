"""Everything known about one printer, most urgent first, updated live as polls land."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, TypeAlias

from rich.table import Table
from rich.text import Text
from textual import getters
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from ..app import TonerTrackApp
from ..core.analysis.forecast import Forecast, forecast_supplies
from ..core.analysis.trends import daily_pages, known, level_series
from ..core.inventory.history import History
from ..core.inventory.printer import DEFAULT_SITE, Printer
from ..core.printer.model import PollResult
from ..core.printer.problems import find_problems
from ..core.printer.status import worst_supply
from ..core.printer.words import ERROR_FLAGS, WARNING_FLAGS, alert_extra_words, pages_text, split_text
from ..core.util.textsafe import safe_text
from ..core.util.timeutil import ago_text, parse_time
from ..core.views.fleet import PrinterRow, supply_view
from ..keys import bindings
from ..widgets.sparkline import sparkline_text
from ..widgets.status_badge import STATUS_STYLE, mono_safe, status_text
from ..widgets.supply_list import SupplyList

TREND_DAYS = 30
# (pages per day, the worst supply's label, its level per day): the page-count sparklines
Trends: TypeAlias = tuple[list[int | None], str, list[int | None]]
TICK_S = 10.0  # "3m ago" moves on with the clock
ALERT_STYLE = {"critical": ("✖", "bold red"), "warning": ("▲", "yellow"),
               "warning_binary": ("▲", "yellow"), "other": ("·", "dim")}
REASON_STYLE = {"error": ("✖", "bold red"), "warning": ("▲", "yellow"), "offline": ("○", "magenta")}


def when_text(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    return f"{when.astimezone().strftime('%Y-%m-%d %H:%M')} ({ago_text(when, now)})"


def uptime_text(seconds: int | None) -> str:
    if seconds is None or seconds < 0:
        return "—"
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def cell(value: Any, style: str = "") -> Text:
    return Text(safe_text(value) if value not in (None, "") else "—", style=style if value else "dim",
                no_wrap=True, overflow="ellipsis")


class DetailsScreen(Screen[None]):
    DEFAULT_CSS = """
    DetailsScreen #details-body {
        padding: 0 1;
        scrollbar-size-vertical: 1;
    }
    DetailsScreen #det-head {
        background: $boost;
        padding: 0 1;
    }
    DetailsScreen #det-stale {
        background: $warning 25%;
        padding: 0 1;
        margin: 0 -1;
        display: none;
    }
    DetailsScreen #det-stale.-visible {
        display: block;
    }
    DetailsScreen .section {
        margin-top: 1;
        text-style: bold;
        color: $accent;
    }
    DetailsScreen.-roomy #det-reasons {
        margin-top: 1;
    }
    """

    BINDINGS = bindings("details")
    app = getters.app(TonerTrackApp)

    def __init__(self, printer_id: str) -> None:
        super().__init__()
        self.printer_id = printer_id
        self._gone = False
        self._left = False
        self._trend_key: Any = object()
        self._trends: Trends | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="det-head", markup=False)
        with VerticalScroll(id="details-body"):
            yield Static(id="det-stale", markup=False)
            yield Static(id="det-reasons", markup=False)
            yield Static(id="det-identity", markup=False)
            yield Static("Supplies", classes="section", markup=False)
            yield SupplyList(id="det-supplies")
            yield Static(id="det-forecast", markup=False)
            yield Static(f"Pages and trends, last {TREND_DAYS} days", classes="section", markup=False)
            yield Static(id="det-pages", markup=False)
            yield Static("Alerts and error state", classes="section", markup=False)
            yield Static(id="det-alerts", markup=False)
            yield Static("Paper trays", classes="section", markup=False)
            yield SupplyList(id="det-trays", empty="No input trays reported.")
            yield Static("Last poll", classes="section", markup=False)
            yield Static(id="det-poll", markup=False)
            yield Static("SNMP settings", classes="section", markup=False)
            yield Static(id="det-snmp", markup=False)
        yield Footer()

    def on_resize(self) -> None:
        self.set_class(self.size.height >= 32, "-roomy")

    def on_mount(self) -> None:
        self.app.fleet_changed.subscribe(self, self._on_fleet_changed)
        self.set_interval(TICK_S, self._refresh)
        self._refresh()
        self.query_one("#details-body").focus()

    # -- data ------------------------------------------------------------------------------------

    def tone(self, style: str) -> str:
        return mono_safe(style, bool(getattr(self.app, "no_color", False)))

    @property
    def printer(self) -> Printer | None:
        return self.app.printer(self.printer_id)

    def _on_fleet_changed(self, changed: set[str] | None) -> None:
        if changed is None or self.printer_id in changed:
            self._refresh()

    def on_screen_resume(self) -> None:
        if self._gone or self.printer is None:
            self._leave()
        else:
            self._refresh()

    def _leave(self) -> None:
        """The printer is gone: leave now if this screen is on top, else as soon as it is again."""
        self._gone = True
        if self.is_current and not self._left:
            self._left = True
            self.app.pop_screen()
            self.app.notify("The printer was deleted (here or by another TonerTrack); back to the list.",
                            title="Printer gone", severity="warning")

    def _refresh(self) -> None:
        printer = self.printer
        row = self.app.row(self.printer_id)
        if printer is None or row is None:
            self._leave()
            return
        result = printer.last_poll
        now = self.app.now()
        self.query_one("#det-head", Static).update(self._head(row))
        stale = self.query_one("#det-stale", Static)
        stale_text = self._stale(printer, now)
        stale.set_class(stale_text is not None, "-visible")
        stale.update(stale_text or "")
        reasons = self._reasons(row, printer, result)
        box = self.query_one("#det-reasons", Static)
        box.display = bool(reasons.plain)
        box.update(reasons)
        self.query_one("#det-identity", Static).update(self._identity(row, result))
        supplies = self.query_one("#det-supplies", SupplyList)
        supplies.set_supplies(result.supplies if result else [])
        self.query_one("#det-alerts", Static).update(self._alerts(result))
        self.query_one("#det-trays", SupplyList).set_trays(result.trays if result else [])
        self.query_one("#det-poll", Static).update(self._poll(printer, result, now))
        self.query_one("#det-snmp", Static).update(self._snmp(printer))
        self._update_pages(result, None)
        key = (result.polled_at if result else None, now.date())
        if key != self._trend_key:
            self._trend_key = key
            self.run_worker(self._load_trends(result, now), group="trends", exclusive=True, exit_on_error=False)
            self.run_worker(self._load_forecasts(result, now), group="forecast", exclusive=True,
                            exit_on_error=False)

    # -- sections ----------------------------------------------------------------------------------

    def _head(self, row: PrinterRow) -> Table:
        grid = Table.grid(expand=True)
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        grid.add_column(justify="right", no_wrap=True)
        left = Text(no_wrap=True, overflow="ellipsis")
        left.append(row.name or row.address, style="bold")
        if row.name:
            left.append(f"  {row.address}", style="dim")
        badge = status_text(row.status, stale=row.stale)
        badge.style = self.tone(str(badge.style))
        grid.add_row(left, badge)
        return grid

    def _stale(self, printer: Printer, now: datetime) -> Text | None:
        failures = printer.consecutive_failures
        if not printer.stale and not failures:
            return None
        good = parse_time(printer.last_good_poll_at)
        text = Text()
        if good is not None:
            text.append(f"○ Last good data from {when_text(good, now)}, the printer did not answer since",
                        style="bold")
        else:
            text.append("○ The printer has never answered", style="bold")
        text.append(f" ({failures} failed poll{'s' if failures != 1 else ''} in a row).")
        return text

    def _reasons(self, row: PrinterRow, printer: Printer, result: PollResult | None) -> Text:
        severities = {safe_text(p.reason, limit=200): p.severity for p in find_problems(result)} if result else {}
        text = Text()
        lines: list[tuple[str, str]] = []
        # Offline: the line above (_stale) already says since when and how many polls failed
        for reason in row.reasons:
            if row.status == "Offline" and reason.startswith("no reply to the last"):
                continue
            lines.append((severities.get(reason, "warning"), reason))
        if not lines and row.status == "Offline":
            return text  # nothing more than the line above says
        if not lines:
            symbol, style = STATUS_STYLE.get(row.status, ("?", "dim"))
            if row.status == "OK":
                return Text(f"{symbol} Nothing needs attention.", style=self.tone(style))
            if result is None:
                return Text("? Not polled successfully yet: press p to poll now.", style="dim")
            return Text(f"{symbol} {row.status}", style=self.tone(style))
        for i, (severity, reason) in enumerate(lines):
            symbol, style = REASON_STYLE.get(severity, ("▲", "yellow"))
            style = self.tone(style)
            if i:
                text.append("\n")
            text.append(f"{symbol} ", style=style)
            text.append(reason, style=style if severity == "error" else "")
        return text

    def _identity(self, row: PrinterRow, result: PollResult | None) -> Table:
        ident = result.identity if result else None
        grid = Table.grid(expand=True, padding=(0, 1))
        grid.add_column(style="dim", no_wrap=True, width=9)
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        grid.add_column(style="dim", no_wrap=True, width=9)
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        device = " · ".join(safe_text(x) for x in (result.device_status if result else None,
                                                    result.printer_status if result else None) if x)
        grid.add_row("Address", cell(row.address), "Location", cell(row.location or (ident.location if ident else "")))
        grid.add_row("Model", cell(row.model), "Serial", cell(row.serial or (ident.serial if ident else "")))
        grid.add_row("Uptime", cell(uptime_text(ident.uptime_s) if ident and ident.uptime_s is not None else None),
                     "Device", cell(device))
        if ident and (ident.contact or ident.description):
            grid.add_row("Contact", cell(ident.contact), "Device ID" if result and result.protocol == "ipp"
                         else "sysDescr", cell(ident.description))
        printer = self.printer
        if printer is not None and printer.protocol_text() != "SNMP":  # said only when it is not the usual
            grid.add_row("Protocol", cell(printer.protocol_text()))
        if printer is not None and row.site != DEFAULT_SITE:  # said only where sites are named
            grid.add_row("Site", cell(row.site))
        if printer is not None and printer.notes:
            grid.add_row("Notes", cell(printer.notes))
        return grid

    def _alerts(self, result: PollResult | None) -> Text:
        text = Text()
        if result is None:
            return Text("No data yet.", style="dim")
        if result.alerts:
            for i, alert in enumerate(result.alerts):
                symbol, style = ALERT_STYLE.get(alert.severity, ("·", "dim"))
                style = self.tone(style)
                if i:
                    text.append("\n")
                text.append(f"{symbol} ", style=style)
                text.append(safe_text(alert.description, limit=200) or "(no description)",
                            style=style if alert.severity == "critical" else "")
                extra = alert_extra_words(alert.severity, alert.group, alert.code_name, alert.training)
                if extra:
                    text.append(f"  {' · '.join(extra)}", style="dim")
        else:
            text.append("No active alerts.", style="dim")
        text.append("\n")
        text.append("Error state: ", style="dim")
        if not result.error_state:
            text.append("no flags set", style="dim")
        for i, flag in enumerate(result.error_state):
            if i:
                text.append(" · ", style="dim")
            if flag in ERROR_FLAGS:
                text.append(ERROR_FLAGS[flag], style=self.tone("bold red"))
            elif flag in WARNING_FLAGS:
                text.append(WARNING_FLAGS[flag], style=self.tone("yellow"))
            else:
                text.append(safe_text(flag, limit=40))
            text.append(f" ({safe_text(flag, limit=40)})", style="dim")
        return text

    def _update_pages(self, result: PollResult | None, trends: Trends | None) -> None:
        grid = Table.grid(padding=(0, 1), expand=True)
        grid.add_column(style="dim", no_wrap=True, width=13)
        grid.add_column(no_wrap=True, width=TREND_DAYS)
        grid.add_column(no_wrap=True, overflow="ellipsis", style="dim", ratio=1)
        pages = pages_text(result.page_count, None) if result else "—"
        grid.add_row("Page count", Text(pages, style="bold"), split_text(result.counters) if result else "")
        if trends is None:
            trends = self._trends
        else:
            self._trends = trends
        if trends is not None:
            daily, worst_label, levels = trends
            days = known(daily)
            if days:
                grid.add_row("Pages per day", sparkline_text(daily, style="cyan"),
                             f"peak {max(days):,} · latest {days[-1]:,}")
            else:
                grid.add_row("Pages per day", Text("no history yet", style="dim"), "")
            if worst_label:
                if known(levels):
                    grid.add_row("Worst supply", sparkline_text(levels, maximum=100, style="yellow"),
                                 worst_label)
                else:
                    grid.add_row("Worst supply", Text("no level history yet", style="dim"), worst_label)
        self.query_one("#det-pages", Static).update(grid)

    async def _load_trends(self, result: PollResult | None, now: datetime) -> None:
        history = self._history()
        supplies = result.supplies if result else []
        worst = worst_supply(supplies) if result else None
        today = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(UTC).date()

        def compute() -> Trends:
            if history is None:
                return [], "", []
            daily = daily_pages(history, self.printer_id, TREND_DAYS, today)
            if worst is None:
                return daily, "", []
            label = supply_view(worst, supplies).label
            suffix = ", % full" if worst.is_receptacle else ""
            levels = level_series(history, self.printer_id, worst.index, TREND_DAYS, today,
                                  receptacle=worst.is_receptacle)
            return daily, label + suffix, levels

        trends = await asyncio.to_thread(compute)
        if self.is_attached and not self._gone:
            self._update_pages(result, trends)

    async def _load_forecasts(self, result: PollResult | None, now: datetime) -> None:
        """'~N days left' per supply with a level, from its history (core/forecast.py), off the UI thread."""
        all_supplies = result.supplies if result else []
        supplies = [s for s in all_supplies if s.remaining_pct is not None]
        history = self._history()
        forecasts: dict[str, Forecast] = {}
        if supplies and history is not None:
            forecasts = await asyncio.to_thread(forecast_supplies, history, self.printer_id, supplies, now=now)
        if not self.is_attached or self._gone:
            return
        box = self.query_one("#det-forecast", Static)
        box.display = bool(supplies)
        if not supplies:
            return
        text = Text("Forecast ", style="dim")
        known_ones = sorted((days, supply_view(s, all_supplies).label, f) for s in supplies
                            if (f := forecasts.get(s.index)) is not None and (days := f.days_left) is not None)
        horizon = self.app.config.export.forecast_horizon_days if self.app.config else 30
        for i, (days, label, forecast) in enumerate(known_ones):
            if i:
                text.append(" · ", style="dim")
            text.append(f"{safe_text(label, limit=40)} ")
            text.append(forecast.short(), style=self.tone("bold yellow" if days <= horizon else ""))
        unknown = [(safe_text(supply_view(s, all_supplies).label, limit=40),
                    (f.reason if (f := forecasts.get(s.index)) is not None else None) or "no level history")
                   for s in supplies if not (forecasts.get(s.index) and forecasts[s.index].known)]
        if unknown:
            text.append(" · " if known_ones else "", style="dim")
            reasons = {reason for _, reason in unknown}
            names = ", ".join(name for name, _ in unknown)
            # one reason for all: say it once ("not yet for Black toner, Drum unit: 2 days of readings; needs 3")
            why = f": {safe_text(next(iter(reasons)), limit=80)}" if len(reasons) == 1 else ""
            text.append(f"not yet for {names}{why}", style="dim")
        box.update(text)

    def _history(self) -> History | None:
        poller = self.app.poller
        return poller.history if poller is not None else self.app.history()

    def _poll(self, printer: Printer, result: PollResult | None, now: datetime) -> Text:
        text = Text()
        last_try = parse_time(printer.last_poll_at)
        good = parse_time(printer.last_good_poll_at)
        if last_try is None:
            return Text("Never polled.", style="dim")
        if good is None and printer.consecutive_failures:  # never answered: no poll to speak of
            text.append(f"Last attempt {when_text(last_try, now)}: no answer", style="yellow")
        elif printer.stale or (good is not None and last_try != good):
            text.append(f"Last attempt {when_text(last_try, now)}: no answer\n", style="yellow")
            text.append(f"Last good poll {when_text(good, now)}")
        else:
            text.append(f"Polled {when_text(last_try, now)}")
        if result is not None:
            text.append(f" · {result.duration_ms:.0f} ms · {result.requests} SNMP request"
                        f"{'s' if result.requests != 1 else ''}", style="dim")
        return text

    def _snmp(self, printer: Printer) -> Text:
        config = self.app.config
        if config is None:
            return Text("—", style="dim")
        settings = printer.snmp_settings(config.default_snmp())
        shown = settings.masked_json()  # never the community or the keys themselves
        own = {k for k, v in printer.snmp.items() if v not in (None, "")}

        def value(key: str, label: str, fmt: str = "{}") -> Text:
            raw = shown.get(key)
            out = Text(f"{label} ", style="dim")
            out.append(safe_text(fmt.format(raw), limit=60) if raw not in (None, "") else "(not set)")
            if key not in own:
                out.append("*", style="dim")
            return out

        parts = [value("version", "version")]
        if shown.get("version") == "3":
            parts += [value("v3_user", "user"), value("v3_auth_proto", "auth"), value("v3_auth_key", "auth key"),
                      value("v3_priv_proto", "privacy"), value("v3_priv_key", "privacy key")]
        else:
            parts.append(value("community", "community"))
        parts += [value("timeout", "timeout", "{} s"), value("retries", "retries")]
        text = Text(" · ", style="dim").join(parts)
        if printer.invert_receptacles:
            text.append("\nwaste boxes: their level read as how full they are (inverted for this printer)")
        if any(k not in own for k in ("version", "community", "timeout", "retries")):
            text.append("\n* from the config's defaults", style="dim")
        return text

    # -- actions -------------------------------------------------------------------------------------

    def action_poll(self) -> None:
        row = self.app.row(self.printer_id)
        if row is None:
            return
        self.app.poll_printer(self.printer_id)
        self.notify(f"Polling {row.name or row.address}…", markup=False, timeout=2)

    def action_edit(self) -> None:
        try:
            from .printer_form import PrinterFormScreen
        except ImportError:
            self.notify("Editing is not available in this build.", severity="warning")
            return
        self.app.push_screen(PrinterFormScreen(self.printer_id), self._after_form)

    def _after_form(self, saved_id: str | None) -> None:
        if saved_id:
            self._refresh()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_scroll(self, where: str) -> None:
        body = self.query_one("#details-body", VerticalScroll)
        {"down": body.scroll_down, "up": body.scroll_up, "home": body.scroll_home, "end": body.scroll_end}[where]()
