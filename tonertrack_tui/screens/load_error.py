"""A corrupt printers.json or a broken config: say which file and what is wrong, save nothing.

For printers.json the user may move the bad file aside (Store.quarantine) after a
confirmation; the app then starts on an empty inventory without a restart.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import getters
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from ..app import TonerTrackApp
from ..core.util.textsafe import safe_text
from ..keys import bindings


class LoadErrorScreen(ModalScreen[None]):
    """Modal, so that none of the app's keys (poll all, alerts, settings …) work without an inventory."""

    DEFAULT_CSS = """
    LoadErrorScreen {
        align: center middle;
        background: $background;
    }
    LoadErrorScreen #load-error-box {
        width: 100%;
        max-width: 96;
        height: auto;
        max-height: 1fr;
        border: heavy $error;
        border-title-color: $error;
        border-title-style: bold;
        padding: 0 1;
        scrollbar-size-vertical: 1;
    }
    LoadErrorScreen #load-error-confirm {
        display: none;
        margin-top: 1;
        padding: 0 1;
        background: $warning 30%;
    }
    LoadErrorScreen.-confirming #load-error-confirm {
        display: block;
    }
    """

    BINDINGS = bindings("load_error")
    app = getters.app(TonerTrackApp)

    def __init__(self, message: str, file: str | Path | None) -> None:
        super().__init__()
        self.message = message
        self.file = Path(file) if file else None
        self.confirming = False

    @property
    def is_inventory(self) -> bool:
        store = getattr(self.app, "store", None)
        return store is not None and self.file is not None and Path(store.path) == self.file

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="load-error-box"):
            yield Static(id="load-error-text", markup=False)
            yield Static(id="load-error-confirm", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        box = self.query_one("#load-error-box")
        box.border_title = "TonerTrack cannot start"
        self.query_one("#load-error-text", Static).update(self._text())
        if self.file is not None:
            self.query_one("#load-error-confirm", Static).update(Text(
                f"Rename {self.file.name} to {self.file.name}.corrupt-<time> in the same folder and "
                "start with an empty inventory? Nothing is deleted.\n  y  yes, move it      n  no"))
        box.focus()

    def _text(self) -> Group:
        file = safe_text(self.file, limit=None) if self.file else "(unknown file)"
        what = "inventory" if self.is_inventory else "configuration"
        facts = Table.grid(padding=(0, 1))
        facts.add_column(style="dim", no_wrap=True)
        facts.add_column(ratio=1, overflow="fold")  # a long path wraps, it is never cut
        facts.add_row("File", Text(file, overflow="fold"))
        facts.add_row("Problem", Text(safe_text(self.message, limit=2000), style="bold", overflow="fold"))
        steps = Table.grid(padding=(0, 1))
        steps.add_column(no_wrap=True)
        steps.add_column(ratio=1)
        if self.is_inventory:
            steps.add_row("•", Text("Fix the file in an editor (it is JSON: {\"schema\": 1, \"printers\": [...]}) "
                                    "or restore it from a backup, then start TonerTrack again; or"))
            steps.add_row("•", Text.assemble("press ", ("m", "bold"), " to move it aside and start with an empty "
                                             "inventory (`tonertrack import` can bring it back later); or"))
        else:
            steps.add_row("•", Text("Fix the setting named above (config.example.toml lists every key with its "
                                    "default), or move the file aside to run on defaults; or"))
            steps.add_row("•", Text("start with another config: tonertrack --config PATH (or TONERTRACK_CONFIG); or"))
        steps.add_row("•", Text.assemble("press ", ("q", "bold"), " to quit."))
        return Group(
            Text(f"The {what} file cannot be read.", style="bold red"),
            Text(),
            facts,
            Text(),
            Text("Nothing was changed: TonerTrack has not written to this file and will not save over it "
                 "while it cannot be read."),
            Text(),
            Text("What to do", style="bold"),
            steps,
        )

    # -- actions --------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "move_aside":
            return self.is_inventory and not self.confirming
        if action in ("confirm", "cancel"):
            return self.confirming
        return True

    def _set_confirming(self, value: bool) -> None:
        self.confirming = value
        self.set_class(value, "-confirming")
        self.refresh_bindings()

    def action_move_aside(self) -> None:
        if self.is_inventory:
            self._set_confirming(True)
            self.query_one("#load-error-box").scroll_end(animate=False)

    def action_cancel(self) -> None:
        self._set_confirming(False)

    def action_quit(self) -> None:
        self.app.exit(return_code=1)

    def action_confirm(self) -> None:
        self._set_confirming(False)
        store = self.app.store
        if store is None:  # no inventory file to move aside (not shown that way; but say so, not crash)
            self.notify("There is no inventory file to move.", title="Not moved", severity="error", timeout=15)
            return
        try:
            moved = store.quarantine()
        except OSError as exc:
            self.notify(f"Could not move it: {exc.strerror or exc}", title="Not moved", severity="error",
                        markup=False, timeout=15)
            return
        self._reload(moved)

    def _reload(self, moved: Path) -> None:
        """Start on the now empty inventory in this process; if that fails, exit and say so."""
        app = self.app
        note = f"{safe_text(self.file, limit=None)} was moved to {safe_text(moved, limit=None)}."
        try:
            from ..services import build_services

            old = app.services
            services = build_services(str(old.paths.config_file), str(old.paths.data_dir), clock=old.clock)
            if services.load_error:
                raise RuntimeError(services.load_error)
            app.services = services
            app.pop_screen()
            app.fleet.replace_all(services.printers)
            app.start()  # the first mount stopped at the error screen: start the fleet screens now
        except Exception:
            app.exit(return_code=1, message=f"{note} Start tonertrack again to continue with an empty inventory.")
            return
        app.notify(note, title="Inventory moved aside", markup=False, timeout=15)
