"""Viewer sessions (issue 18; what every `tonertrack serve` session runs): they never poll, follow
what the daemon or another TonerTrack stores, and say when that is older than expected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from pilot_wait import until
from servetools import seed, stored_poll

from tonertrack_tui.app import create_app
from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.inventory.store import Store
from tonertrack_tui.core.role import Role
from tonertrack_tui.core.views.freshness import stale_note
from tonertrack_tui.screens.printers import PrintersScreen

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
VIEWER = Role(viewer=True)


def viewer_app(config: Path, data: Path, role: Role = VIEWER):
    # auto_poll=True as `tonertrack` would pass: the role turns it off
    return create_app(str(config), str(data), clock=lambda: NOW, auto_poll=True, watch_store=True,
                      check_tty=False, role=role)


def banner(app) -> str | None:
    widget = app.screen.query_one("#banner")
    return str(widget.render()) if widget.has_class("-visible") else None


def notices(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_a_viewer_never_polls_and_may_still_edit(tmp_path):
    config, data, ids = seed(tmp_path, polled_at=NOW - timedelta(hours=3), interval_s=300)  # a poll is overdue
    app = viewer_app(config, data)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, PrintersScreen), "the printer list")
        assert app.auto_poll is False and app.poll_state.next_at is None
        keys = {b.binding.description for b in app.screen.active_bindings.values()}
        assert "Add" in keys and not keys & {"Poll", "Poll all"}
        await pilot.press("P")
        await until(pilot, lambda: notices(app), "a notice")
        assert notices(app)[0].startswith("Viewer session: polling the fleet is off; it shows what the daemon")
        assert not app.poll_state.running
        await pilot.press("p")
        await until(pilot, lambda: len(notices(app)) == 2, "a second notice")
        assert str(app.screen.query_one("#summary").render()).startswith(" VIEWER ")
        # not read-only: a change still goes through the App
        await app.add_printer(Printer.new("10.9.0.9", name="Added by a viewer"))
    assert any(p.name == "Added by a viewer" for p in Store(data).load())
    assert all(p.last_poll_at == stored_poll("x", "x", 1, NOW - timedelta(hours=3)).polled_at
               for p in Store(data).load() if p.name != "Added by a viewer")


async def test_old_data_gets_a_banner_that_goes_when_the_daemon_stores_again(tmp_path):
    config, data, ids = seed(tmp_path, polled_at=NOW - timedelta(minutes=11), interval_s=300)
    app = viewer_app(config, data, role=Role(read_only=True))  # read-only sessions do not poll either
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: banner(app), "the banner")
        text = banner(app)
        assert text.startswith("Data is old: the newest poll stored is from 11m ago (")
        assert "polls are due every 5 min" in text
        # the daemon polls one printer: the newest poll is fresh again, the row and the banner follow
        Store(data).record_poll([(ids["Lab"], stored_poll("10.9.0.3", "Lab", 70, NOW - timedelta(seconds=30)))])
        await until(pilot, lambda: app.row(ids["Lab"]).status == "OK", "the daemon's poll to show")
        await until(pilot, lambda: banner(app) is None, "the banner to go")


async def test_fresh_data_has_no_banner(tmp_path):
    config, data, ids = seed(tmp_path, polled_at=NOW - timedelta(minutes=9), interval_s=300)  # < 2 intervals
    app = viewer_app(config, data)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, PrintersScreen), "the printer list")
        await pilot.pause()
        assert app.poll_state.stale is None and banner(app) is None


def test_stale_note_words():
    printer = Printer.new("10.9.0.1")
    assert stale_note([], NOW, 300) is None
    assert stale_note([printer], NOW, 300).startswith("No poll stored yet: this session does not poll")
    printer.last_poll_at = "2026-12-03T08:00:00Z"
    assert stale_note([printer], NOW, 0) is None  # auto-poll off: nothing is expected
    assert stale_note([printer], NOW, 1800) is None  # 60 min = 2 intervals: not late yet
    assert "from 1h ago" in stale_note([printer], NOW, 1799)


async def test_the_forms_test_button_is_refused_in_a_viewer_as_its_key_is(tmp_path):
    from textual.widgets import Button

    config, data, ids = seed(tmp_path, polled_at=NOW - timedelta(minutes=1), interval_s=300)
    app = viewer_app(config, data)
    async with app.run_test(size=(100, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, PrintersScreen), "the printer list")
        await pilot.press("a")
        await until(pilot, lambda: app.screen.query("#test"), "the form")
        await pilot.press(*"10.9.0.50")
        app.screen.query_one("#test", Button).press()
        await until(pilot, lambda: notices(app), "a notice")
        assert notices(app) == ["Viewer session: a connectivity test is off; it shows what the daemon or "
                                "another TonerTrack last stored."]
        await pilot.press("ctrl+t")
        await until(pilot, lambda: len(notices(app)) == 2, "the key's notice")
