"""Import printers from a file (TonerTrack v2's printers.json, a CSV, a JSON backup): preview, then import.

Enter in the path field reads the file and shows what the import would do (the same plan and
words as `tonertrack import --dry-run`); ctrl+s imports it in one transaction. Nothing is written
before ctrl+s, and a file with problems lists all of them and imports nothing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.text import Text
from textual import getters, on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Checkbox, Footer, Input, Static

from ..app import TonerTrackApp
from ..core.inventory.importers import ImportFileError, ImportPlan, plan_import, read_import
from ..core.snmp.credentials import SnmpSettings
from ..core.util.textsafe import safe_text
from ..keys import bindings


class ImportScreen(Screen[None]):
    DEFAULT_CSS = """
    ImportScreen #import-form { height: 3; }
    ImportScreen #import-path { width: 1fr; }
    ImportScreen #import-update { width: auto; }
    ImportScreen #import-status { height: auto; padding: 0 1; background: $boost; }
    ImportScreen #import-plan { height: 1fr; padding: 0 1; }
    """

    BINDINGS = bindings("import")
    app = getters.app(TonerTrackApp)

    def __init__(self) -> None:
        super().__init__()
        self.plan: ImportPlan | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        with Horizontal(id="import-form"):
            yield Input(placeholder="file: v2 printers.json, a CSV or a TonerTrack backup", id="import-path")
            yield Checkbox("Update printers already there", id="import-update")
        yield Static(Text("Type a file's path and press Enter to see what the import would do."), id="import-status")
        with VerticalScroll(id="import-plan"):
            yield Static(id="import-lines")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#import-path", Input).focus()

    def _say(self, text: str) -> None:
        self.query_one("#import-status", Static).update(Text(text))

    @on(Input.Submitted)
    @on(Checkbox.Changed)
    def preview(self) -> None:
        path = self.query_one("#import-path", Input).value.strip()
        if not path or self.busy:
            return
        self.run_worker(self._preview(Path(path).expanduser()), group="import", exclusive=True, exit_on_error=False)

    async def _preview(self, path: Path) -> None:
        self.plan = None
        update = self.query_one("#import-update", Checkbox).value
        defaults = self.app.config.default_snmp() if self.app.config else SnmpSettings()
        existing = list(self.app.fleet.printers.values())
        lines = self.query_one("#import-lines", Static)
        try:
            fmt, rows, warnings = await asyncio.to_thread(read_import, path, None, default_snmp=defaults)
        except (ImportFileError, OSError) as exc:
            self._say(f"Nothing to import from {safe_text(str(path), limit=120)}:")
            problems = [safe_text(line, limit=300) for line in str(exc).splitlines()[:200]]
            lines.update(Text("\n".join(problems), style="red"))
            return
        plan = plan_import(fmt, str(path), rows, existing, update=update, warnings=warnings)
        self.plan = plan
        text = Text()
        for line in plan.describe():
            text.append(safe_text(line, limit=300) + "\n")
        for warning in plan.warnings:
            text.append("warning: " + safe_text(warning, limit=300) + "\n", style="yellow")
        lines.update(text)
        changes = len(plan.add) + len(plan.update)
        self._say(f"{fmt} file: {len(plan.add)} to add, {len(plan.update)} to update, {len(plan.skip)} skipped"
                  + (" · ctrl+s imports" if changes else " · nothing to import"))

    def action_run_import(self) -> None:
        if self.plan is None:
            self.notify("Press Enter in the path field first: the import is shown before it is done.")
            return
        if not self.plan.add and not self.plan.update:
            self.notify("Nothing to import.")
            return
        self.run_worker(self._import(self.plan), group="import", exclusive=True, exit_on_error=False)

    async def _import(self, plan: ImportPlan) -> None:
        self.busy = True
        try:
            counts = await self.app.import_inventory(plan)
        except Exception as exc:  # the store says why (a duplicate added meanwhile, a write error)
            self.notify(safe_text(str(exc), limit=300), title="Not imported", severity="error", markup=False)
            return
        finally:
            self.busy = False
        summary = ", ".join(f"{n} {what}" for what, n in counts.items())
        self.notify(f"Imported: {summary}.", title="Import", markup=False)
        self.app.pop_screen()

    def action_back(self) -> None:
        self.app.pop_screen()
