"""Discover printers on a range: range and community in, a checklist out, add the checked ones.

Enter in a field scans; space checks a printer in the list; `a` adds the checked ones.
Printers already in the inventory are listed but cannot be checked.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rich.text import Text
from textual import getters, on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Input, SelectionList, Static
from textual.widgets.selection_list import Selection

from ..app import TonerTrackApp
from ..core.polling.discover import CONFIRM_ABOVE, Found, RangeError, expand_range, range_size
from ..core.snmp.credentials import SnmpSettings
from ..core.util.textsafe import safe_text
from ..keys import bindings


class DiscoverScreen(Screen[None]):
    DEFAULT_CSS = """
    DiscoverScreen #discover-form { height: 3; }
    DiscoverScreen #discover-range { width: 2fr; }
    DiscoverScreen #discover-community { width: 1fr; }
    DiscoverScreen #discover-port { width: 12; }
    DiscoverScreen #discover-status { height: 1; padding: 0 1; background: $boost; }
    DiscoverScreen #discover-list { height: 1fr; }
    """

    BINDINGS = bindings("discover")
    app = getters.app(TonerTrackApp)

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, Found] = {}
        self.scanning = False

    def compose(self) -> ComposeResult:
        with Horizontal(id="discover-form"):
            yield Input(placeholder="range: 10.1.2.0/24 or 10.1.2.1-254", id="discover-range")
            yield Input(placeholder="community (default from config)", id="discover-community", password=True)
            yield Input(placeholder="port 161", id="discover-port", type="integer")
        yield Static(Text("Enter a range and press Enter."), id="discover-status")
        yield SelectionList(id="discover-list")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#discover-range", Input).focus()

    def _say(self, text: str) -> None:
        self.query_one("#discover-status", Static).update(Text(text))

    @on(Input.Submitted)
    def start_scan(self) -> None:
        if self.scanning:
            return
        text = self.query_one("#discover-range", Input).value.strip()
        try:
            size = range_size(text)
            if size > CONFIRM_ABOVE:
                raise RangeError(f"{size:,} addresses: more than {CONFIRM_ABOVE:,}; use `tonertrack discover --yes`")
            addresses = expand_range(text)
            port = int(self.query_one("#discover-port", Input).value or 161)
            if not 1 <= port <= 65535:
                raise RangeError(f"port {port} out of range 1–65535")
        except (RangeError, ValueError) as exc:
            self._say(safe_text(str(exc), limit=200))
            return
        self.run_worker(self._scan(addresses, port), group="discover", exclusive=True, exit_on_error=False)

    def _settings(self) -> SnmpSettings:
        settings = self.app.config.default_snmp() if self.app.config else SnmpSettings()
        community = self.query_one("#discover-community", Input).value
        if community:
            settings = replace(settings, community=community)
        return settings

    async def _scan(self, addresses: list[str], port: int) -> None:
        self.scanning = True
        settings = self._settings()
        known = {p.address for p in self.app.fleet.printers.values()}

        def progress(done: int, total: int, found: object) -> None:
            if done % 16 == 0 or done == total:
                self.app.call_from_thread(self._say, f"Probed {done}/{total}…")

        try:
            result = await self.app.discover(addresses, settings, port=port, known=known, progress=progress)
        except Exception as exc:
            self._say(safe_text(f"Discovery failed: {exc}", limit=200))
            return
        finally:
            self.scanning = False
        listing = self.query_one(SelectionList)
        listing.clear_options()
        self.found = {f.address: f for f in result.printers}
        for f in result.printers:
            label = Text(f"{safe_text(f.address, limit=22):<22} {safe_text(f.name, limit=20) or '-':<20} "
                         f"{safe_text(f.model, limit=24) or '-'}" + ("  (in inventory)" if f.in_inventory else ""))
            listing.add_option(Selection(label, f.address, not f.in_inventory, disabled=f.in_inventory))
        new = sum(1 for f in result.printers if not f.in_inventory)
        self._say(f"{len(addresses)} probed in {result.seconds:.1f} s: {len(result.printers)} printers, {new} new"
                  + (" · space toggles, a adds the checked ones" if new else ""))
        if result.printers:
            listing.highlighted = 0
            listing.focus()

    def action_add_checked(self) -> None:
        listing = self.query_one(SelectionList)
        chosen = [self.found[a] for a in listing.selected if a in self.found]
        if not chosen:
            self.notify("Nothing checked.")
            return
        community = self.query_one("#discover-community", Input).value
        self.run_worker(self._add(chosen, {"community": community} if community else {}), group="discover-add",
                        exclusive=True, exit_on_error=False)

    async def _add(self, chosen: list[Found], snmp: dict[str, Any]) -> None:
        try:
            added = await self.app.add_found(chosen, snmp)
        except Exception as exc:
            self.notify(safe_text(str(exc), limit=300), title="Not added", severity="error", markup=False)
            return
        self.notify(f"Added {len(added)} printers.", title="Discover", markup=False)
        listing = self.query_one(SelectionList)
        for printer in added:
            listing.deselect(printer.address)
            listing.disable_option(printer.address)

    def action_back(self) -> None:
        self.app.pop_screen()
