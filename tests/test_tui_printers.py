"""The printers screen: filter, sort, status toggles, details, poll one, poll all with progress."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pilot_wait import until

from tonertrack_tui.app import create_app
from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.inventory.store import Store
from tonertrack_tui.core.printer.model import Identity, PollResult, Supply
from tonertrack_tui.core.printer.status import evaluate
from tonertrack_tui.screens.details import DetailsScreen
from tonertrack_tui.screens.printers import PrintersScreen
from tonertrack_tui.widgets.printer_table import PrinterTable

FIXED = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def snapshot(address: str, name: str, pct: int, model: str = "Model X") -> PollResult:
    return evaluate(PollResult(
        target=address, reachable=True, polled_at=iso(FIXED - timedelta(minutes=3)), duration_ms=5, requests=1,
        identity=Identity(name=name, model=model), page_count=1000,
        supplies=[Supply("1.1", "Black Toner", "toner", "toner", "consumed", "percent", "black", pct, 100,
                         pct, None)]))


@pytest.fixture
def data(tmp_path: Path, sim_fleet):
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    # generous for the live printer (snmpsim on a loaded machine); the made-up ones cost one window
    config.write_text("[polling]\ninterval_s = 3600\ntimeout_s = 1\nretries = 1\n")
    store = Store(tmp_path / "data")
    ids = {}
    for key, address, name, location, pct in (
        ("reception", "10.0.0.1", "Reception", "B1", 90),
        ("accounts", "10.0.0.2", "Accounts", "B2", 15),
        ("lab", "10.0.0.3", "Lab", "B1", 5),
    ):
        record = store.add(Printer.new(address, name=name, location=location))
        store.record_poll([(record.id, snapshot(address, name, pct))])
        ids[key] = record.id
    live = store.add(Printer.new(sim_fleet.address(0), location="B3", snmp={"community": "inkjet"}))
    ids["live"] = live.id
    return tmp_path, store, ids



def make_app(tmp_path: Path):
    return create_app(str(tmp_path / "config" / "config.toml"), str(tmp_path / "data"), clock=lambda: FIXED,
                      auto_poll=False, watch_store=False, check_tty=False)


def shown(app) -> list[str]:
    table = app.screen.query_one(PrinterTable)
    return [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(table.row_count)]


async def test_filter_sort_and_status_toggles(data):
    tmp_path, store, ids = data
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, PrintersScreen)
        # default sort: status, worst first (Error, Warning, Unknown, OK)
        assert shown(app) == [ids["lab"], ids["accounts"], ids["live"], ids["reception"]]
        await pilot.press("slash", "r", "e", "c")
        await pilot.pause()
        assert shown(app) == [ids["reception"]]
        await pilot.press("escape")
        await pilot.pause()
        assert len(shown(app)) == 4
        await pilot.press("slash", "b", "1", "enter")  # location words match too
        await pilot.pause()
        assert set(shown(app)) == {ids["lab"], ids["reception"]}
        await pilot.press("escape")
        await pilot.press("s")  # status -> name
        await pilot.pause()
        # unnamed printers sort by the address they show instead ("127.0.0.1:…" first)
        assert shown(app) == [ids["live"], ids["accounts"], ids["lab"], ids["reception"]]
        await pilot.press("S")
        await pilot.pause()
        assert shown(app) == [ids["reception"], ids["lab"], ids["accounts"], ids["live"]]
        await pilot.press("3")  # Error only
        await pilot.pause()
        assert shown(app) == [ids["lab"]]
        await pilot.press("2")  # + Warning
        await pilot.pause()
        assert set(shown(app)) == {ids["lab"], ids["accounts"]}


async def test_cursor_stays_on_the_same_printer_across_sort(data):
    tmp_path, store, ids = data
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(PrinterTable)
        table.select_id(ids["reception"])
        await pilot.press("s", "s", "S")
        await pilot.pause()
        assert table.selected_id == ids["reception"]


async def test_enter_opens_details_and_p_polls_the_selected(data):
    tmp_path, store, ids = data
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(PrinterTable)
        table.select_id(ids["live"])
        await pilot.press("p")
        await until(pilot, lambda: app.row(ids["live"]).status != "Unknown", "the poll")
        assert app.row(ids["live"]).status == "Warning"
        assert store.get(ids["live"]).name == "EPSON3A7F21"  # saved, sysName taken
        await until(pilot, lambda: "EPSON3A7F21" in str(app.screen.query_one("#why").render()), "the new name")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailsScreen)


async def test_poll_all_shows_progress_and_updates_rows(data):
    tmp_path, store, ids = data
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        progress_seen = []
        app.poll_state_changed.subscribe(app.screen, lambda _: progress_seen.append(
            (app.poll_state.running, app.poll_state.total)))
        await pilot.press("P")
        await until(pilot, lambda: not app.poll_state.running and app.poll_state.last_finished, "the poll-all")
        assert progress_seen[0] == (True, 4)
        assert app.poll_state.last_finished is not None
        # the three made-up addresses do not answer: still their last good state, marked stale
        for key in ("reception", "accounts", "lab"):
            assert app.row(ids[key]).stale is True
        assert app.row(ids["live"]).status == "Warning"
        assert store.get(ids["live"]).status == "Warning"


async def test_hostile_name_is_shown_literally(tmp_path):
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("")
    store = Store(tmp_path / "data")
    store.add(Printer.new("10.9.9.9", name="[red]Lab[/] \x1b[2J[@click=app.quit]x[/]"))
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        svg = app.export_screenshot()
        assert "[red]Lab[/]" in svg.replace("&#160;", " ")
        assert "\x1b" not in svg
        assert app.is_running


async def test_rows_that_move_keep_their_lines_and_clicks_select_what_is_shown(data):
    """The table reuses a row's rendered line when the row moves (a re-sort, a status change
    during a poll); the mouse metadata in it must follow the row, or a click would select
    the printer that used to be there."""
    tmp_path, store, ids = data
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(PrinterTable)

        def line_rows() -> list[tuple[str, set[int]]]:
            table._frame_style = table.rich_style
            try:
                lines = [table.render_line(y) for y in range(1, 1 + table.row_count)]
            finally:
                table._frame_style = None
            return [(line.text, {s.style.meta.get("row") for s in line if s.style and s.style.meta})
                    for line in lines]

        before = line_rows()
        for sort_keys in (("s",), ("S",), ("s", "s")):
            await pilot.press(*sort_keys)
            await pilot.pause()
            order = shown(app)
            for index, (text, rows) in enumerate(line_rows()):
                assert rows == {index}
                name = app.row(order[index]).name
                if name:
                    assert name in text
        assert [t for t, _ in line_rows()] != [t for t, _ in before]  # the order did change
        await pilot.press("s", "s", "s", "s", "s", "s")  # back to the status sort
        await pilot.pause()
        target = shown(app).index(ids["reception"])
        await pilot.click(PrinterTable, offset=(5, 1 + target))
        await pilot.pause()
        assert table.selected_id == ids["reception"]


async def test_a_changed_printer_gets_its_line_drawn_again(data):
    tmp_path, store, ids = data
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(PrinterTable)
        index = shown(app).index(ids["accounts"])
        table._frame_style = table.rich_style
        assert "15 %" in table.render_line(1 + index).text
        table._frame_style = None
        store.record_poll([(ids["accounts"], snapshot("10.0.0.2", "Accounts", 14))])
        await app.reload()
        await pilot.pause()
        index = shown(app).index(ids["accounts"])
        table._frame_style = table.rich_style
        assert "14 %" in table.render_line(1 + index).text
        table._frame_style = None
        # and the screen was repainted with it (not only the line if asked)
        screen_text = app.export_screenshot().replace("&#160;", " ")
        assert "14 %" in screen_text and "15 %" not in screen_text


async def test_full_collections_are_the_apps_own_while_it_runs(data):
    import gc

    tmp_path, store, ids = data
    before = gc.get_threshold()
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert gc.get_threshold()[:2] == before[:2]  # young generations as Python collects them
        assert gc.get_threshold()[2] >= 1 << 30  # no automatic full collection mid-poll
        app.poll_state.running = True
        app._gc_full_due_at = 0.0
        app._collect_garbage()
        assert app._gc_full_due_at == 0.0  # not while polling
        app.poll_state.running = False
        app._last_input = 0.0
        app._collect_garbage()
        assert app._gc_full_due_at is None  # ran once idle
    assert gc.get_threshold() == before


async def test_a_row_changed_off_screen_shows_its_new_values_when_scrolled_to(tmp_path):
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[polling]\ninterval_s = 3600\n")
    store = Store(tmp_path / "data")
    records = [Printer.new(f"10.0.1.{i}", name=f"P{i:02d}") for i in range(1, 61)]
    store.transact(lambda existing: existing.extend(records), audit=None)
    store.record_poll([(r.id, snapshot(r.address, r.name, 50)) for r in records])
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("s")  # by name: P60 is the last row, far below the screen
        await pilot.pause()
        table = app.screen.query_one(PrinterTable)
        last = records[-1]
        assert shown(app)[-1] == last.id and table.scroll_y == 0
        store.record_poll([(last.id, snapshot(last.address, last.name, 15))])
        await app.reload()
        await pilot.pause()
        await pilot.press("G")
        await pilot.pause()
        await pilot.pause()
        table._frame_style = table.rich_style
        y = 1 + shown(app).index(last.id) - int(table.scroll_y)
        text = table.render_line(y).text
        table._frame_style = None
        assert "P60" in text and "15 %" in text, text


async def test_keys_typed_in_a_burst_after_slash_land_in_the_filter(data, key_burst):
    from textual.widgets import Input

    tmp_path, store, ids = data
    polled: list[str] = []
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.poll_printer = polled.append  # what `p` would do on the list
        key_burst(app, "/lab")
        await until(pilot, lambda: app.screen.query_one("#filter", Input).value == "lab", "the filter")
        await pilot.pause()
        assert polled == [] and shown(app) == [ids["lab"]]


async def test_an_address_typed_in_a_burst_after_a_lands_in_the_add_form(data, key_burst):
    from textual.widgets import Input

    from tonertrack_tui.screens.printer_form import PrinterFormScreen

    tmp_path, store, ids = data
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        key_burst(app, "a10.1.1.1")
        await until(pilot, lambda: isinstance(app.screen, PrinterFormScreen)
                    and app.screen.query_one("#address", Input).value == "10.1.1.1", "the add form")
        assert isinstance(app.screen, PrinterFormScreen)
        assert app.screen.query_one("#address", Input).value == "10.1.1.1"
        app.screen.dismiss(None)
        await pilot.pause()
        assert app.screen.statuses == set()  # no `1` reached the list behind (the OK toggle)
