"""The TUI on the hostile fleet (pilot): nothing styled or run from device text, no crash."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tonertrack_tui.app import create_app
from tonertrack_tui.core.config import load_config, resolve_paths
from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.inventory.store import Store
from tonertrack_tui.core.polling.fleet import FleetPoller
from tonertrack_tui.screens.details import DetailsScreen
from tonertrack_tui.widgets.printer_table import PrinterTable

from .hostile import FORBIDDEN_CHARS, HOSTILE, tally

LITERALS = ("[b]user[/b]", "[@click=app.quit]x[/]")


@pytest.fixture
def hostile_data(tmp_path: Path, hostile_fleet):
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[polling]\ninterval_s = 3600\ntimeout_s = 3\nretries = 0\n")
    store = Store(tmp_path / "data")
    for i, community in enumerate(("adv_text", "adv_types", "adv_rows", "adv_count_hi")):
        store.add(Printer.new(hostile_fleet.address(i), snmp={"community": community}))
    store.add(Printer.new("127.0.0.1:9", name="[b]user[/b] [@click=app.quit]q[/] [link=https://evil]l[/link]",
                         snmp={"timeout": 0.2, "retries": 0}))
    paths = resolve_paths(config, tmp_path / "data")
    poller = FleetPoller(store, load_config(paths))

    async def go():
        try:
            await poller.poll_all(by="test")
        finally:
            poller.close()

    asyncio.run(go())
    return tmp_path


def make_app(tmp_path: Path):
    return create_app(str(tmp_path / "config" / "config.toml"), str(tmp_path / "data"),
                      auto_poll=False, watch_store=False, check_tty=False)


def screen_segments(app):
    """Every segment the screen would draw now."""
    update = app.screen._compositor.render_full_update()
    app.screen.refresh()  # the full update above cleared the dirty regions
    for line in update.strips:
        for strip in line:
            yield from strip


def assert_screen_safe(app, where: str) -> str:
    svg = app.export_screenshot()
    assert "\x1b" not in svg, where
    text = "".join(seg.text for seg in screen_segments(app))
    assert not {c for c in text if c in FORBIDDEN_CHARS}, (where, sorted({c for c in text if c in FORBIDDEN_CHARS}))
    for seg in screen_segments(app):
        style = seg.style
        if style is None:
            continue
        assert not (style.link and "evil" in style.link), (where, seg.text)
        meta = style.meta or {}
        click = str(meta.get("@click", ""))
        assert "app.quit" not in click or seg.text.strip() in ("q", "Quit", "^q", "q Quit"), (where, seg)
    assert app.is_running, where
    return text


async def test_hostile_fleet_on_every_screen(hostile_data):
    app = make_app(hostile_data)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        text = assert_screen_safe(app, "printers")
        for literal in LITERALS:
            assert literal in text, literal  # shown as typed, not parsed as markup
        table = app.screen.query_one(PrinterTable)
        rows = table.row_count
        assert rows == 5
        screens = 1
        found_literal = False
        for row in range(rows):
            table.move_cursor(row=row)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, DetailsScreen)
            for _ in range(3):  # scroll through supplies, trays and alerts
                await pilot.press("pagedown")
            await pilot.pause()
            details = assert_screen_safe(app, f"details {row}")
            found_literal = found_literal or "[red]Lab[/]" in details
            await pilot.press("escape")
            await pilot.pause()
            screens += 1
        assert found_literal, "a supply named [red]Lab[/] is shown as typed"
        await pilot.press("A")
        await pilot.pause()
        assert_screen_safe(app, "alerts")
        await pilot.press("escape")
        await pilot.press("slash")
        for ch in "[@click=app.quit]":
            await pilot.press(ch if ch not in "[]=." else {"[": "left_square_bracket", "]": "right_square_bracket",
                                                          "=": "equals_sign", ".": "full_stop"}[ch])
        await pilot.pause()
        assert_screen_safe(app, "filter")
        await pilot.press("escape")
        await pilot.pause()
        # clicking every visible cell never runs an action hidden in a name
        for y in range(1, 7):
            for x in (3, 24):  # status, and the name (where the markup is)
                await pilot.click(offset=(x, y))
                if isinstance(app.screen, DetailsScreen) or app.screen.is_modal:
                    await pilot.press("escape")
                assert app.is_running, (x, y)
        await pilot.pause()
        assert app.is_running and app.return_code is None
        tally("tui screens", screens + 2)
        tally("tui clicks", 6 * 2)
        tally("tui hostile strings", len(HOSTILE) * 3)
