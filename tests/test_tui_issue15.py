"""Issue 15, the first hour of a sysadmin: NO_COLOR on 16 colours, the 80×24 list, empty states, ages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.color import ColorSystem, ColorType

from tonertrack_tui.app import create_app
from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.inventory.store import Store
from tonertrack_tui.core.printer.model import Identity, PollResult, Supply
from tonertrack_tui.core.printer.status import evaluate

FIXED = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def good(address: str, name: str, pct: int, ago: timedelta = timedelta(minutes=3)) -> PollResult:
    return evaluate(PollResult(
        target=address, reachable=True, polled_at=iso(FIXED - ago), duration_ms=5, requests=1,
        identity=Identity(name=name, model="Model X"), page_count=1000,
        supplies=[Supply("1.1", "Black Toner", "toner", "toner", "consumed", "percent", "black", pct, 100,
                         pct, None)]))


def failed(address: str, ago: timedelta) -> PollResult:
    return PollResult(target=address, reachable=False, polled_at=iso(FIXED - ago))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[polling]\ninterval_s = 3600\ntimeout_s = 0.3\nretries = 0\n")
    return tmp_path


def fill(home: Path) -> Store:
    store = Store(home / "data")
    ok = store.add(Printer.new("10.0.0.1", name="Reception", location="B1"))
    store.record_poll([(ok.id, good("10.0.0.1", "Reception", 90))])
    low = store.add(Printer.new("10.0.0.2", name="Accounts", location="B2"))
    store.record_poll([(low.id, good("10.0.0.2", "Accounts", 15))])
    gone = store.add(Printer.new("10.0.0.3", name="Cellar", location="B1"))
    store.record_poll([(gone.id, good("10.0.0.3", "Cellar", 50, ago=timedelta(days=2)))])
    for minutes in (30, 20, 10):
        store.record_poll([(gone.id, failed("10.0.0.3", timedelta(minutes=minutes)))])
    never = store.add(Printer.new("10.0.0.4", name="Never", location="B2"))
    store.record_poll([(never.id, failed("10.0.0.4", timedelta(minutes=1)))])
    return store


def make_app(home: Path):
    return create_app(str(home / "config" / "config.toml"), str(home / "data"), clock=lambda: FIXED,
                      auto_poll=False, watch_store=False, check_tty=False)


def screen_text(app) -> str:
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def standard(color) -> int | None:
    """The colour a 16-colour terminal gets (None: the terminal's default)."""
    if color is None or color.type == ColorType.DEFAULT:
        return None
    return color.downgrade(ColorSystem.STANDARD).number


async def test_no_color_on_16_colours_is_never_black_on_black(home, monkeypatch):
    """#6: NO_COLOR with TERM=xterm drew the status-count bar, the column header, the status line
    and the Add dialog's placeholder black on black."""
    fill(home)
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(home)
    async with app.run_test(size=(80, 24)) as pilot:
        app.use_terminal_palette()  # what start() does on a 16-colour terminal
        await pilot.pause()
        for screen in ("list", "add"):
            if screen == "add":
                await pilot.press("a")
                await pilot.pause()
                await pilot.pause()
            pairs = []
            for strip in app.screen._compositor.render_strips():
                for segment in strip:
                    if segment.style is None or not segment.text.strip():
                        continue
                    pairs.append((segment.text, standard(segment.style.color), standard(segment.style.bgcolor)))
            assert pairs
            same = [(text, fg, bg) for text, fg, bg in pairs if fg is not None and fg == bg]
            assert same == [], f"{screen}: text in the colour of its background: {same[:5]}"
            coloured = [(text, fg, bg) for text, fg, bg in pairs if fg is not None or bg is not None]
            assert coloured == [], f"{screen}: NO_COLOR but coloured: {coloured[:5]}"
        text = screen_text(app)
        assert "Address" in text


def table_rows(app) -> list[tuple[str, ...]]:
    from tonertrack_tui.widgets.printer_table import PrinterTable

    table = app.screen.query_one(PrinterTable)
    return [tuple(getattr(cell, "plain", str(cell)) for cell in table.get_row_at(i)) for i in range(table.row_count)]


def header(app) -> list[str]:
    from tonertrack_tui.widgets.printer_table import PrinterTable

    table = app.screen.query_one(PrinterTable)
    return [column.label.plain for column in table.columns.values()]


async def test_age_is_the_last_answer_offline_and_never_answered_are_not_now(home):
    """An Offline printer's Age said "now" (its last failed poll); so did a never-answered Unknown one."""
    fill(home)
    app = make_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        ages = {row[1]: row[-1] for row in table_rows(app)}
    assert ages == {"Reception": "3m", "Accounts": "3m", "Cellar": "2d", "Never": "—"}


async def test_80_columns_show_location_readable_supply_names_and_the_sort_column(home):
    fill(home)
    app = make_app(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert header(app) == ["Status ↓", "Printer", "Location", "Most urgent supply", "Age"]
        rows = {row[1]: row for row in table_rows(app)}
        assert rows["Accounts"][2] == "B2"
        assert rows["Accounts"][3].startswith("Black toner ")  # not "Black t…"
        screen = app.screen
        seen = []
        for _ in range(6):  # s cycles the columns on screen only
            await pilot.press("s")
            await pilot.pause()
            seen.append(screen.sort_column)
        assert seen == ["name", "location", "supply", "age", "status", "name"]
        assert header(app)[1] == "Printer ↓"
        await pilot.press("S")
        await pilot.pause()
        assert header(app)[1] == "Printer ↑"
        # a sort chosen on a wide window stays when it narrows, and the summary says it is not shown
        screen.sort_column = "pages"
        screen.refresh_table()
        await pilot.pause()
        summary = str(screen.query_one("#summary").render())
        assert "sort pages ↑ (column not shown: s)" in summary


async def test_empty_inventory_says_how_to_add_printers(home):
    app = make_app(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
    assert "No printers yet." in text and "Press a to add one" in text and "tonertrack import" in text


async def test_a_filter_without_a_match_says_so(home):
    fill(home)
    app = make_app(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("/", *"zzz")
        await pilot.pause()
        text = screen_text(app)
        assert "Nothing to show with the filter “zzz” (4 printers in all)." in text
        assert "Esc clears it." in text
        await pilot.press("escape")
        await pilot.pause()
        assert "Nothing to show" not in screen_text(app) and len(table_rows(app)) == 4


async def test_v_cycles_locations_and_print_servers(home):
    """TonerTrack v2 grouped printers by location per print server: v shows one at a time."""
    from tonertrack_tui.core.inventory.printer import SourceRef

    store = fill(home)
    synced = store.add(Printer.new("10.0.0.9", name="Synced", location="B1", source=SourceRef("cups-main", "q9")))
    store.record_poll([(synced.id, good("10.0.0.9", "Synced", 70))])
    app = make_app(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        shown = []
        for _ in range(6):
            await pilot.press("v")
            await pilot.pause()
            summary = str(app.screen.query_one("#summary").render())
            shown.append((summary.split("│")[-1].strip(), sorted(row[1] for row in table_rows(app))))
        assert shown == [
            ("location B1", ["Cellar", "Reception", "Synced"]),
            ("location B2", ["Accounts", "Never"]),
            ("print server cups-main", ["Synced"]),
            ("printers added by hand", ["Accounts", "Cellar", "Never", "Reception"]),
            ("sort status ↓", ["Accounts", "Cellar", "Never", "Reception", "Synced"]),  # the whole fleet again
            ("location B1", ["Cellar", "Reception", "Synced"]),
        ]
        await pilot.press("escape")
        await pilot.pause()
        assert len(table_rows(app)) == 5


async def test_details_write_alerts_for_people(home):
    """`markerWasteTonerReceptacleAlmostFull · untrained` read like a MIB dump."""
    from tonertrack_tui.core.printer.model import Alert
    from tonertrack_tui.screens.details import DetailsScreen

    store = Store(home / "data")
    record = store.add(Printer.new("10.0.0.7", name="Waste"))
    result = evaluate(PollResult(
        target="10.0.0.7", reachable=True, polled_at=iso(FIXED - timedelta(minutes=3)), duration_ms=5, requests=1,
        identity=Identity(name="Waste"), page_count=10,
        alerts=[Alert("1", "warning", "untrained", "markerSupplies", 1503, "markerWasteTonerReceptacleAlmostFull",
                      "Waste toner box nearly full")]))
    store.record_poll([(record.id, result)])
    app = make_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.show_details(record.id)
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, DetailsScreen)
        text = str(app.screen.query_one("#det-alerts").render())
    assert "Waste toner box nearly full  warning · supplies · waste toner box almost full · anyone can fix it" in text
    assert "marker" not in text and "untrained" not in text


async def test_80_column_footer_shows_the_keys_that_matter_and_help(home):
    fill(home)
    app = make_app(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        footer = screen_text(app).splitlines()[-1]
    for key in ("/ Filter", "s Sort", "a Add", "p Poll", "? Help", "q Quit", "P Poll all", "A Alerts", "x Export"):
        assert key in footer, (key, footer)


async def test_help_names_discover_sync_views_and_csv_only_export(home):
    """Discover and sync were only in the command palette; help said 'Export reports (CSV, JSON)'."""
    app = make_app(home)
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        body = app.screen.query_one("#help-body")
        body.scroll_end(animate=False)
        text = screen_text(app)
        await pilot.pause()
        text += screen_text(app)
    assert "Export reports (CSV, JSON)" not in text
    assert "Export a report or the inventory (CSV, backup)" in text  # both are in the menu
    assert "Discover printers on a network (SNMP and IPP)" in text and "Sync printers from the print servers" in text
    assert "Next site, location or print server (Esc: all)" in text
