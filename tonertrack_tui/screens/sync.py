"""Print-server sync: the plan of every enabled source, applied on confirmation.

The sources are read in a thread (files, lpstat, rpcclient may take seconds); nothing is
written until the user confirms, and the plan is re-checked inside the transaction.
"""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual import getters
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ..app import TonerTrackApp
from ..core.sync.plan import CHANGE_KINDS, SourceListing, SyncPlan, plan_sync, read_sources, select_sources
from ..core.util.textsafe import safe_text
from ..keys import bindings
from .confirm import ConfirmScreen


class SyncScreen(Screen[None]):
    DEFAULT_CSS = """
    SyncScreen #sync-summary { height: auto; max-height: 4; padding: 0 1; background: $boost; }
    SyncScreen #sync-table { height: 1fr; }
    """

    BINDINGS = bindings("sync")
    app = getters.app(TonerTrackApp)

    def __init__(self) -> None:
        super().__init__()
        self.plan: SyncPlan | None = None
        self.listings: list[SourceListing] = []
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Static(Text("Reading the sync sources…"), id="sync-summary")
        yield DataTable(id="sync-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Change", key="change", width=9)
        table.add_column("Source", key="source", width=8)
        table.add_column("Queue", key="queue", width=16)
        table.add_column("Address", key="address", width=16)
        table.add_column("What", key="what")
        self.action_refresh()

    def _say(self, text: str) -> None:
        self.query_one("#sync-summary", Static).update(Text(text))

    def action_refresh(self) -> None:
        if not self.busy:
            self.run_worker(self._read(), group="sync-read", exclusive=True, exit_on_error=False)

    async def _read(self) -> None:
        app = self.app
        self.busy = True
        self._say("Reading the sync sources…")
        configured = list(app.config.sync.sources) if app.config else []
        if not any(s.enabled for s in configured):
            self.plan, self.listings = None, []
            self.query_one(DataTable).clear()
            self.busy = False
            self._say(("No print-server source is on." if configured else "No print-server source is set up yet.")
                      + " Press o to set one up (a Windows export, a print server, CUPS or a CSV file).")
            return
        try:
            sources = select_sources(configured)
            listings, errors = await asyncio.to_thread(read_sources, sources)
        except Exception as exc:  # a bad source must not end the app
            self._say(safe_text(str(exc), limit=300))
            return
        finally:
            self.busy = False
        plan = plan_sync(listings, app.fleet.snapshot())
        plan.failed = [e.source for e in errors]
        self.plan, self.listings = plan, listings
        self._show(plan, [safe_text(str(e), limit=200) for e in errors])

    def _show(self, plan: SyncPlan, errors: list[str]) -> None:
        counts = plan.counts()
        line = "  ".join(f"{k} {counts[k]}" for k in (*CHANGE_KINDS, "unchanged", "problems"))
        lines = [line]
        lines += [f"FAILED {e}" for e in errors]
        lines.append("y apply · r re-read · o sources · Esc back" if plan.changes else
                     "Nothing to change. o sources · Esc back")
        self._say("\n".join(lines))
        table = self.query_one(DataTable)
        table.clear()
        for i, c in enumerate(plan.changes):
            table.add_row(Text("+".join(c.kinds)), Text(safe_text(c.source, limit=20)),
                          Text(safe_text(c.queue, limit=40)), Text(safe_text(c.address, limit=45)),
                          Text(safe_text(c.describe(), limit=200)), key=f"c{i}")
        for i, p in enumerate(plan.problems):
            table.add_row(Text("problem", style="bold yellow"), Text(""), Text(""), Text(""),
                          Text(safe_text(p, limit=200)), key=f"p{i}")

    def action_apply(self) -> None:
        plan = self.plan
        if plan is None or plan.empty or self.busy:
            self.notify("Nothing to apply.")
            return
        counts = plan.counts()
        what = ", ".join(f"{counts[k]} {k}" for k in CHANGE_KINDS if counts[k])

        def answered(ok: bool | None) -> None:
            if ok:
                self.run_worker(self._apply(plan), group="sync-apply", exclusive=True, exit_on_error=False)

        self.app.push_screen(ConfirmScreen(f"Apply the sync plan ({what})?",
                                           "Printers are never deleted; names you set are kept.", "Apply"),
                             answered)

    async def _apply(self, plan: SyncPlan) -> None:
        self.busy = True
        try:
            applied = await self.app.apply_sync(plan, self.listings)
        except Exception as exc:
            self.notify(safe_text(str(exc), limit=300), title="Sync not applied", severity="error", markup=False)
            return
        finally:
            self.busy = False
        counts = applied.counts()
        self.notify(", ".join(f"{counts[k]} {k}" for k in CHANGE_KINDS if counts[k]) or "nothing",
                    title="Sync applied", markup=False)
        self.action_refresh()

    def action_sources(self) -> None:
        """Set up the sources; the plan is read again on return (they may have changed)."""
        from .sync_sources import SyncSourcesScreen

        self.app.push_screen(SyncSourcesScreen(), lambda _: self.action_refresh())

    def action_back(self) -> None:
        self.app.pop_screen()
