"""Import printers from inside the TUI (issue 15, what v2 users had): `I`, a path, a preview, ctrl+s."""

from __future__ import annotations

from pathlib import Path

from pilot_wait import until

from tonertrack_tui.app import create_app
from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.inventory.store import Store
from tonertrack_tui.screens.import_inventory import ImportScreen
from tonertrack_tui.screens.printers import PrintersScreen


def make_app(home: Path):
    config = home / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[polling]\ninterval_s = 3600\n")
    return create_app(str(config), str(home / "data"), auto_poll=False, watch_store=False, check_tty=False)


def status_text(app) -> str:
    return str(app.screen.query_one("#import-status").render())


async def test_import_previews_then_adds_in_one_go(tmp_path, key_burst):
    store = Store(tmp_path / "data")
    store.add(Printer.new("10.0.0.1", name="Already here"))
    csv = tmp_path / "printers.csv"
    csv.write_text("address,name,location\n10.0.0.1,Again,B1\n10.0.0.2,Reception,B1\n10.0.0.3,=cmd|calc,B2\n")
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        key_burst(app, ["I", *str(csv), "enter"])  # typed fast: every key lands in the path box
        await until(pilot, lambda: isinstance(app.screen, ImportScreen) and "to add" in status_text(app),
                    "the preview")
        assert "2 to add, 0 to update, 1 skipped" in status_text(app)
        assert len(store.load()) == 1  # a preview writes nothing
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, PrintersScreen), "the list again")
        names = sorted(p.name for p in store.load())
        assert names == ["=cmd|calc", "Already here", "Reception"]  # stored as text; CSV exports guard it
        assert len(app.fleet.printers) == 3  # the App's own fleet, without a reload


async def test_a_file_with_problems_lists_them_and_imports_nothing(tmp_path):
    bad = tmp_path / "printers.json"
    bad.write_text('{"printers": [')
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("I")
        await until(pilot, lambda: isinstance(app.screen, ImportScreen), "the import screen")
        app.screen.query_one("#import-path").value = str(bad)
        await pilot.press("enter")
        await until(pilot, lambda: "Nothing to import" in status_text(app), "the problems")
        assert "JSON" in str(app.screen.query_one("#import-lines").render())  # which format was assumed, and why
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ImportScreen) and Store(tmp_path / "data").load() == []
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, PrintersScreen), "the list again")
