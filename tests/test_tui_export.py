"""The export menu driven by keyboard through the real app factory, and the forecast on the details screen."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from textual.widgets import Input, Select, Static

from tonertrack_tui.app import create_app
from tonertrack_tui.core.inventory.history import History, Sample
from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.inventory.store import Store
from tonertrack_tui.core.printer.model import Identity, PollResult, Supply
from tonertrack_tui.core.printer.status import evaluate
from tonertrack_tui.screens.details import DetailsScreen
from tonertrack_tui.screens.export import ExportScreen
from tonertrack_tui.screens.printers import PrintersScreen
from tonertrack_tui.widgets.printer_table import PrinterTable

FIXED = datetime(2025, 4, 10, 12, 0, tzinfo=UTC)
SIZE = (80, 24)


def clock() -> datetime:
    return FIXED


def supply(index, description, kind, color, pct, cls="consumed") -> Supply:
    return Supply(index, description, kind, kind, cls, "percent", color, pct, 100, pct, None)


@pytest.fixture
def setup(tmp_path):
    """Two printers, page history over three months, a toner with 20 days of falling levels."""
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[polling]\ninterval_s = 3600\ntimeout_s = 0.2\nretries = 0\n'
                      f'[export]\ndirectory = "{tmp_path / "exports"}"\n')
    data = tmp_path / "data"
    store = Store(data)
    ids = []
    for n, (name, location) in enumerate([("Büro Nord", "Zürich"), ("=Lab", "B1")]):
        address = f"10.0.0.{n + 1}"
        record = store.add(Printer.new(address, name=name, location=location))
        result = evaluate(PollResult(
            target=address, reachable=True, polled_at="2025-04-10T11:50:00Z", duration_ms=10, requests=2,
            identity=Identity(name=name, model="Laser"), device_status="running", printer_status="idle",
            page_count=3000, supplies=[supply("1.1", "Black Toner CF410A", "toner", "black", 40),
                                       supply("1.2", "Waste Toner Box", "waste", None, 90, "receptacle")]))
        store.record_poll([(record.id, result)])
        ids.append(record.id)
    history = History(data)
    samples = [Sample(ids[0], FIXED - timedelta(days=d), 3000 - 10 * d,
                      {"1.1": {"level": 40 + 2 * d, "max": 100, "remaining_pct": 40 + 2 * d,
                               "description": "Black Toner CF410A", "kind": "toner"}})
               for d in range(20, -1, -1)]
    samples += [Sample(ids[1], datetime(2025, m, 15, tzinfo=UTC), 1000 * m) for m in (1, 2, 3)]
    history.append(samples, today=FIXED.date())
    app = create_app(config_path=str(config), data_dir=str(data), clock=clock, auto_poll=False,
                     watch_store=False, check_tty=False)
    return app, ids, tmp_path


def screen_text(app) -> str:
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


async def settle(app, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def choose_report(pilot, moves: list[str]) -> None:
    """With the report list focused: open it, move, pick."""
    await pilot.press("enter")
    await pilot.pause()
    for key in moves:
        await pilot.press(key)
    await pilot.press("enter")
    await pilot.pause()


async def test_monthly_export_by_keyboard(setup):
    app, ids, tmp_path = setup
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ExportScreen)
        assert app.focused is screen.query_one("#report", Select)
        await choose_report(pilot, ["down", "down", "down"])
        assert screen.report_kind == "alerts"
        assert not screen.query_one("#period-row").display
        await choose_report(pilot, ["up", "up", "up"])
        assert screen.report_kind == "monthly"
        assert screen.query_one("#period-row").display and not screen.query_one("#printer-row").display
        destination = screen.query_one("#destination", Input)
        assert destination.value.endswith("exports/monthly-2025-04-10.csv")
        # tab order: report, from, to, destination, export, close
        for expected in ("start", "end", "destination", "run", "close"):
            await pilot.press("tab")
            assert app.focused.id == expected
        for _ in range(3):
            await pilot.press("shift+tab")
        assert app.focused.id == "end"
        await pilot.press(*"2025-02")
        await pilot.press("tab", "enter")  # enter in the destination field writes the report
        await settle(app, pilot)
        status = str(screen.query_one("#export-status", Static).render())
        text = screen_text(app)
        lines = text.splitlines()
    path = tmp_path / "exports" / "monthly-2025-04-10.csv"
    assert "✔ Wrote" in status and "monthly-2025-04-10.csv" in status
    assert len(lines) == 24 and all(len(line) <= 80 for line in lines)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["address", "name", "location", "model", "serial", "month", "pages", "start_count",
                       "end_count", "note", "mono_pages", "color_pages"]
    body = [r for r in rows[1:] if r[0] == "10.0.0.2"]
    # "to 2025-02": March is left out; the name is injection-safe
    assert [(r[1], r[5], r[6]) for r in body] == [("'=Lab", "2025-01", "0"), ("'=Lab", "2025-02", "1000")]


async def test_unwritable_destination_shows_the_error(setup):
    app, ids, tmp_path = setup
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        screen = app.screen
        for _ in range(3):
            await pilot.press("tab")
        assert app.focused.id == "destination"
        await pilot.press("ctrl+u")
        await pilot.press(*f"{blocker}/monthly.csv")
        await pilot.press("enter")
        await settle(app, pilot)
        status = screen.query_one("#export-status", Static)
        shown = str(status.render())
        assert status.has_class("-error")
        assert f"cannot write {blocker}/monthly.csv: Not a directory" in shown
        # a bad month is caught before anything runs, and the field gets the focus
        await pilot.press("shift+tab", "shift+tab")
        assert app.focused.id == "start"
        await pilot.press(*"2026-13", "enter")
        await pilot.pause()
        assert "'2026-13' is not a month" in str(status.render())
        assert app.focused.id == "start"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PrintersScreen)
    assert not (tmp_path / "exports").exists()
    assert blocker.read_text() == "not a directory"


async def test_usage_defaults_to_the_selected_printer(setup):
    app, ids, tmp_path = setup
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.screen.query_one(PrinterTable).select_id(ids[1])
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        screen = app.screen
        await choose_report(pilot, ["down"])
        assert screen.report_kind == "usage"
        assert screen.query_one("#printer", Select).value == ids[1]
        assert screen.query_one("#destination", Input).value.endswith("usage-10.0.0.2-2025-04-10.csv")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "✔ Wrote 64 rows" in str(screen.query_one("#export-status", Static).render())
    # 3 months, their total, 60 days
    rows = (tmp_path / "exports" / "usage-10.0.0.2-2025-04-10.csv").read_text("utf-8-sig").splitlines()
    assert rows[1].split(",")[5:8] == ["month", "2025-01", "0"]


async def test_details_show_the_forecast(setup):
    app, ids, tmp_path = setup
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        app.show_details(ids[0])
        await settle(app, pilot)
        assert isinstance(app.screen, DetailsScreen)
        text = str(app.screen.query_one("#det-forecast", Static).render())
    # 40 % left, falling 2 %/day: 20 days; the waste box has no level history yet
    assert "Black Toner CF410A ~20 days left" in text  # the device's name for it: it carries the part number
    # in words, once (it read "Forecast forecast unknown: Waste Toner Box", issue 15)
    assert "not yet for Waste Toner Box: no level readings yet" in text and "forecast unknown" not in text


async def test_export_keys_hint_is_true_and_a_second_export_keeps_the_first(setup):
    """Issue 15 #15: the hint said "Enter or ^s export" while Enter on the report list opens it.
    Reports: the status gives the absolute path; an export of the same day is not replaced."""
    app, ids, tmp_path = setup
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        screen = app.screen
        hint = str(screen.query_one("#export-status", Static).render())
        assert "Enter or ^s" not in hint and "^s export" in hint and "in a text box" in hint
        assert app.focused is screen.query_one("#report", Select)
        await pilot.press("ctrl+s")  # on the list, ^s exports
        await settle(app, pilot)
        first = str(screen.query_one("#export-status", Static).render())
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        second = str(screen.query_one("#export-status", Static).render())
    exports = tmp_path / "exports"
    assert f"to {exports / 'monthly-2025-04-10.csv'}" in first
    assert f"to {exports / 'monthly-2025-04-10-2.csv'}" in second
    assert sorted(p.name for p in exports.iterdir()) == ["monthly-2025-04-10-2.csv", "monthly-2025-04-10.csv"]


async def test_inventory_csv_and_backup_from_the_export_menu(setup):
    """Issue 15: the inventory (CSV) and its JSON backup are exported from inside the TUI, as the CLI does."""
    import json
    import stat

    _, ids, tmp_path = setup
    store = Store(tmp_path / "data")
    store.update(ids[0], snmp={"version": "2c", "community": "s3cret-community"})
    app = create_app(config_path=str(tmp_path / "config" / "config.toml"), data_dir=str(tmp_path / "data"),
                     clock=clock, auto_poll=False, watch_store=False, check_tty=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        screen = app.screen
        await choose_report(pilot, ["down"] * 4)
        assert screen.report_kind == "inventory"
        destination = screen.query_one("#destination", Input)
        assert destination.value.endswith("exports/inventory-2025-04-10.csv")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        first = str(screen.query_one("#export-status", Static).render())
        await choose_report(pilot, ["down"])
        assert screen.report_kind == "backup"
        assert destination.value.endswith("exports/inventory-backup-2025-04-10.json")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        second = str(screen.query_one("#export-status", Static).render())
    csv_path = tmp_path / "exports" / "inventory-2025-04-10.csv"
    json_path = tmp_path / "exports" / "inventory-backup-2025-04-10.json"
    assert "✔ Wrote 2 rows" in first and str(csv_path) in first
    assert "✔ Wrote 2 printers (with SNMP secrets, mode 0600)" in second and str(json_path) in second
    rows = list(csv.reader(io.StringIO(csv_path.read_bytes().decode("utf-8-sig"), newline="")))
    assert rows[0] == ["address", "name", "location", "model", "serial", "status", "last_poll_at", "page_count"]
    assert sorted((r[0], r[1], r[7]) for r in rows[1:]) == [("10.0.0.1", "Büro Nord", "3000"),
                                                          ("10.0.0.2", "'=Lab", "3000")]
    assert b"s3cret" not in csv_path.read_bytes()
    for path in (csv_path, json_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    backup = json.loads(json_path.read_text())
    assert "s3cret-community" in json.dumps(backup)  # a backup restores everything, secrets included
    # the backup is what `tonertrack import` restores
    from tonertrack_tui.core.inventory.importers import plan_import, read_import
    restored = Store(tmp_path / "restored")
    fmt, import_rows, warnings = read_import(json_path)
    plan = plan_import(fmt, str(json_path), import_rows, restored.load(), warnings=warnings)
    assert fmt == "json" and sorted(row.address for row, in [(r,) for r in plan.add]) == ["10.0.0.1", "10.0.0.2"]
