"""The alerts screen: every problem in the fleet, worst first; enter opens the right printer."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.widgets import DataTable

from tonertrack_tui.app import create_app
from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.inventory.store import Store
from tonertrack_tui.core.printer.model import Alert, Identity, PollResult, Supply
from tonertrack_tui.core.printer.status import evaluate
from tonertrack_tui.screens.alerts import EMPTY, AlertsScreen
from tonertrack_tui.screens.details import DetailsScreen
from tonertrack_tui.screens.printers import PrintersScreen

FIXED = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def result(address: str, name: str, toner_pct: int, *, alerts=(), flags=(), ago=timedelta(minutes=5)) -> PollResult:
    return evaluate(PollResult(
        target=address, reachable=True, polled_at=iso(FIXED - ago), duration_ms=10, requests=2,
        identity=Identity(name=name), device_status="running", printer_status="idle", page_count=100,
        error_state=list(flags), alerts=list(alerts),
        supplies=[Supply("1.1", "Black Toner", "toner", "toner", "consumed", "percent", "black", toner_pct, 100,
                         toner_pct, None)]))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[polling]\ninterval_s = 3600\ntimeout_s = 0.3\nretries = 0\n")
    return Store(tmp_path / "data")


def add(store: Store, address: str, res: PollResult | None, **fields) -> str:
    record = store.add(Printer.new(address, **fields))
    if res is not None:
        store.record_poll([(record.id, res)])
    return record.id


def make_app(tmp_path: Path):
    return create_app(config_path=str(tmp_path / "config" / "config.toml"), data_dir=str(tmp_path / "data"),
                      clock=lambda: FIXED, auto_poll=False, watch_store=False, check_tty=False)


def fleet(store: Store) -> dict[str, str]:
    ids = {}
    ids["ok"] = add(store, "10.0.0.1", result("10.0.0.1", "Reception", 90))
    ids["warn"] = add(store, "10.0.0.2", result("10.0.0.2", "Accounting", 15))
    ids["err"] = add(store, "10.0.0.3", result(
        "10.0.0.3", "Lab", 50, flags=["jammed"], ago=timedelta(hours=2),
        alerts=[Alert("1", "critical", "field", "mediaPath", 8, "jam", "Paper jam in tray 2")]))
    ids["bad"] = add(store, "10.0.0.4", result("10.0.0.4", "Basement", 4))
    ids["off"] = add(store, "10.0.0.5", result("10.0.0.5", "Warehouse", 60, ago=timedelta(days=2)))
    for minutes in (30, 20, 10):
        store.record_poll([(ids["off"], PollResult(target="10.0.0.5", reachable=False,
                                                   polled_at=iso(FIXED - timedelta(minutes=minutes))))])
    return ids


def rows(screen: AlertsScreen) -> list[tuple[str, ...]]:
    table = screen.query_one(DataTable)
    return [tuple(cell.plain for cell in table.get_row_at(i)) for i in range(table.row_count)]


async def open_alerts(app, pilot) -> AlertsScreen:
    await pilot.pause()
    await pilot.press("A")
    await pilot.pause()
    assert isinstance(app.screen, AlertsScreen)
    return app.screen


async def test_problems_worst_first_with_printer_address_and_age(store, tmp_path):
    fleet(store)
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_alerts(app, pilot)
        shown = rows(screen)
        summary = str(screen.query_one("#alerts-summary").render())
    assert shown == [
        ("✖ Error", "Basement", "10.0.0.4", "Black toner 4 %", "5m"),
        ("✖ Error", "Lab", "10.0.0.3", "Paper jam — Paper jam in tray 2", "2h"),  # the bit and the alert: one jam
        ("○ Offline", "Warehouse", "10.0.0.5", "No reply to the last 3 polls", "2d"),
        ("▲ Warning", "Accounting", "10.0.0.2", "Black toner 15 %", "5m"),
    ]
    assert "4 problems on 4 printers" in summary
    assert "Reception" not in " ".join(" ".join(r) for r in shown)


async def test_narrow_terminal_drops_the_address_not_the_problem(store, tmp_path):
    fleet(store)
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_alerts(app, pilot)
        first = rows(screen)[0]
    assert first == ("✖ Error", "Basement", "Black toner 4 %", "5m")


@pytest.mark.parametrize("key, moves, expected", [("enter", 0, "bad"), ("enter", 2, "off"), ("enter", 3, "warn")])
async def test_enter_opens_the_printer_of_the_selected_problem(store, tmp_path, key, moves, expected):
    ids = fleet(store)
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_alerts(app, pilot)
        for _ in range(moves):
            await pilot.press("j")
        await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, DetailsScreen)
        assert app.screen.printer_id == ids[expected]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, AlertsScreen)  # back where we came from, cursor kept
        assert app.screen.query_one(DataTable).cursor_row == moves


async def test_live_refresh_keeps_the_cursor_on_the_same_problem(store, tmp_path):
    ids = fleet(store)
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_alerts(app, pilot)
        await pilot.press("j", "j", "j")  # Accounting
        assert rows(screen)[screen.query_one(DataTable).cursor_row][1] == "Accounting"
        # another process fixes the basement printer
        Store(tmp_path / "data").record_poll([(ids["bad"], result("10.0.0.4", "Basement", 80))])
        await app.reload()
        # the screen redraws at most twice a second, in a worker: wait for it (bounded), not a fixed time
        deadline = time.monotonic() + 60
        while [r[1] for r in rows(screen)] != ["Lab", "Warehouse", "Accounting"] and time.monotonic() < deadline:
            await pilot.pause(0.05)
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = rows(screen)
        assert [r[1] for r in shown] == ["Lab", "Warehouse", "Accounting"]
        assert shown[screen.query_one(DataTable).cursor_row][1] == "Accounting"


async def test_no_problems_shows_the_empty_state(store, tmp_path):
    add(store, "10.0.0.1", result("10.0.0.1", "Reception", 90))
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_alerts(app, pilot)
        assert screen.has_class("-empty")
        assert screen.query_one("#alerts-empty").display
        assert not screen.query_one(DataTable).display
        assert EMPTY == "No problems — all printers OK"
        svg = app.export_screenshot()
        await pilot.press("enter")  # nothing to open
        await pilot.pause()
        assert isinstance(app.screen, AlertsScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PrintersScreen)
    assert "No&#160;problems&#160;—&#160;all&#160;printers&#160;OK" in svg or "No problems" in svg


async def test_hostile_names_and_problems_render_literally(store, tmp_path):
    add(store, "10.0.0.9", result("10.0.0.9", "x", 50, alerts=[
        Alert("1", "warning", None, None, 9, None, "[bold]Toner[/] \x1b]52;c;ZXZpbA==\x07low")]),
        name="[red]Lab[/] \x1b[2J")
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_alerts(app, pilot)
        [row] = rows(screen)
        svg = app.export_screenshot()
        assert app.is_running
    assert row[1] == "[red]Lab[/]"
    assert row[3] == "Toner low — [bold]Toner[/] low"  # our words, then the device's, literally
    assert "\x1b" not in svg and "\x07" not in svg
