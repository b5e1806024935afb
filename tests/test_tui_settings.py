"""Pilot tests of the settings screen: saved to settings.toml, applied at once, config.toml untouched."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.widgets import Input, Label, Static

from tonertrack_tui.app import create_app
from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.inventory.store import Store
from tonertrack_tui.screens.printers import PrintersScreen
from tonertrack_tui.screens.settings import SettingsScreen

SIZE = (80, 24)
FIXED_NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
HAND_WRITTEN = b"""# TonerTrack, edited by hand: comments must survive
[polling]
timeout_s = 0.5   # our LAN is fast

[thresholds]
error_pct = 5
"""


def fixed_clock() -> datetime:
    return FIXED_NOW


@pytest.fixture(autouse=True)
def private_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("TONERTRACK_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("TONERTRACK_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def config_file(tmp_path) -> Path:
    path = tmp_path / "config.toml"
    path.write_bytes(HAND_WRITTEN)
    return path


@pytest.fixture
def settings_file(tmp_path) -> Path:
    return tmp_path / "settings.toml"


@pytest.fixture
def make_app(tmp_path, config_file):
    def make(**kwargs):
        options = dict(clock=fixed_clock, auto_poll=False, watch_store=False, check_tty=False)
        options.update(kwargs)
        return create_app(config_path=str(config_file), data_dir=str(tmp_path / "data"), **options)
    return make


async def open_settings(pilot) -> SettingsScreen:
    await pilot.press("comma")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, SettingsScreen)
    return screen


async def set_field(pilot, widget_id: str, text: str) -> None:
    box = pilot.app.screen.query_one(f"#{widget_id}", Input)
    box.focus()
    await pilot.pause()
    await pilot.press("ctrl+a", "ctrl+k", *text)
    await pilot.pause()


async def save(pilot) -> None:
    await pilot.press("ctrl+s")
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def error_of(screen, widget_id: str) -> str:
    label = screen.query_one(f"#err-{widget_id}", Static)
    return str(label.content) if label.has_class("-shown") else ""


def source_of(screen, widget_id: str) -> str:
    return str(screen.query_one(f"#src-{widget_id}", Label).content)


async def test_save_interval_and_warning(make_app, config_file, settings_file):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        assert screen.query_one("#polling-interval_s", Input).value == "300"
        assert screen.query_one("#polling-timeout_s", Input).value == "0.5"
        assert source_of(screen, "polling-interval_s") == "default"
        assert source_of(screen, "polling-timeout_s") == "config.toml"
        assert source_of(screen, "thresholds-error_pct") == "config.toml"

        await set_field(pilot, "polling-interval_s", "600")
        await set_field(pilot, "thresholds-warning_pct", "30")
        await save(pilot)
        assert isinstance(app.screen, PrintersScreen)

        assert config_file.read_bytes() == HAND_WRITTEN, "the hand-written config.toml is never written"
        saved = tomllib.loads(settings_file.read_text())
        assert saved == {"polling": {"interval_s": 600}, "thresholds": {"warning_pct": 30}}, \
            "only the changed values go to settings.toml"
        assert app.config.polling.interval_s == 600
        assert app.config.thresholds.warning_pct == 30
        assert app.config.polling.timeout_s == 0.5 and app.config.thresholds.error_pct == 5
        assert app.poller.config is app.config

        screen = await open_settings(pilot)
        assert screen.query_one("#polling-interval_s", Input).value == "600"
        assert source_of(screen, "polling-interval_s") == "settings.toml (app)"
        assert source_of(screen, "thresholds-warning_pct") == "settings.toml (app)"
        assert source_of(screen, "polling-timeout_s") == "config.toml"
        assert source_of(screen, "polling-retries") == "default"


async def test_invalid_values_refused_with_a_message(make_app, config_file, settings_file):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        await set_field(pilot, "polling-interval_s", "5")
        assert "between 10 and 604800" in error_of(screen, "polling-interval_s")
        await set_field(pilot, "polling-retries", "x")
        assert "whole number" in error_of(screen, "polling-retries")
        await set_field(pilot, "thresholds-warning_pct", "4")
        assert "above the warning level" in error_of(screen, "thresholds-error_pct"), \
            "error 5 % (from config.toml) above warning 4 %"
        await save(pilot)
        assert app.screen is screen, "nothing valid to save: the screen stays"
        assert "fix the red fields" in str(screen.query_one("#settings-status", Static).content)
        assert app.focused is screen.query_one("#polling-interval_s", Input)
        assert not settings_file.exists()
        assert app.config.polling.interval_s == 300

        await set_field(pilot, "polling-interval_s", "60")
        await set_field(pilot, "polling-retries", "2")
        await set_field(pilot, "thresholds-warning_pct", "25")
        assert error_of(screen, "thresholds-error_pct") == ""
        await save(pilot)
        assert isinstance(app.screen, PrintersScreen)
        assert tomllib.loads(settings_file.read_text())["polling"] == {"interval_s": 60, "retries": 2}
    assert config_file.read_bytes() == HAND_WRITTEN


async def test_config_error_saves_nothing(make_app, config_file, settings_file):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        settings_file.write_text("this is [not toml\n")  # broken by hand after the app started
        screen = await open_settings(pilot)
        await set_field(pilot, "polling-interval_s", "900")
        await save(pilot)
        assert app.screen is screen
        assert str(screen.query_one("#settings-status", Static).content) == "Not saved."
        problem = str(screen.query_one("#settings-problem", Static).content)
        assert "Nothing was saved" in problem and "settings.toml" in problem and "invalid TOML" in problem
        assert settings_file.read_text() == "this is [not toml\n", "a broken settings.toml is never overwritten"
        assert app.config.polling.interval_s == 300


async def test_default_community_is_masked_and_blank_keeps_it(make_app, settings_file):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        community = screen.query_one("#snmp-community", Input)
        assert community.password and community.value == ""
        await set_field(pilot, "polling-concurrency", "32")
        await save(pilot)
        assert tomllib.loads(settings_file.read_text()) == {"polling": {"concurrency": 32}}
        assert app.config.snmp.community == "public"

        screen = await open_settings(pilot)
        await set_field(pilot, "snmp-community", "fleet-ro")
        await save(pilot)
        assert tomllib.loads(settings_file.read_text())["snmp"] == {"community": "fleet-ro"}
        assert app.config.default_snmp().community == "fleet-ro"


async def test_new_interval_reschedules_the_pending_poll(make_app, tmp_path):
    last_poll = FIXED_NOW - timedelta(seconds=100)
    Store(tmp_path / "data").add(Printer.new("127.0.0.1:9", snmp={"community": "public"},
                                            last_poll_at=last_poll.isoformat().replace("+00:00", "Z")))
    app = make_app(auto_poll=True)
    async with app.run_test(size=SIZE) as pilot:
        assert app.poll_state.next_at == last_poll + timedelta(seconds=300)
        await open_settings(pilot)
        await set_field(pilot, "polling-interval_s", "600")
        await save(pilot)
        assert app.config.polling.interval_s == 600
        assert app.poll_state.next_at == last_poll + timedelta(seconds=600)
