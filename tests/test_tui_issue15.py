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
