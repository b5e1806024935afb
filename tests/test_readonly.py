"""The read-only role (issue 18): every change and every poll is refused where the App changes
things, the keys are gone from footers and help, the screen says READ-ONLY, and the store's
files stay byte for byte what they were. Also the CLI's write commands under --read-only."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pilot_wait import until
from servetools import seed, snapshot_files, stored_poll

from tonertrack_tui.app import create_app
from tonertrack_tui.cli import main
from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.role import ReadOnlyError, Role
from tonertrack_tui.core.snmp.credentials import SnmpSettings
from tonertrack_tui.screens.details import DetailsScreen
from tonertrack_tui.screens.printers import PrintersScreen

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
READ_ONLY = Role(read_only=True)


@pytest.fixture
def fleet(tmp_path: Path):
    config, data, ids = seed(tmp_path, polled_at=NOW - timedelta(minutes=2))
    return config, data, ids


def make_app(config: Path, data: Path, role: Role = READ_ONLY, watch_store: bool = False):
    return create_app(str(config), str(data), clock=lambda: NOW, watch_store=watch_store, check_tty=False,
                      role=role)


def files(config: Path, data: Path) -> dict[str, bytes]:
    return {**snapshot_files(data), **{f"config/{k}": v for k, v in snapshot_files(config.parent).items()}}


def notices(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


def footer_keys(app) -> set[str]:
    return {b.binding.description for b in app.screen.active_bindings.values()}


# each write key of the printer list, and what the notice names
LIST_KEYS = [
    ("a", "adding a printer"),
    ("e", "editing a printer"),
    ("d", "deleting a printer"),
    ("p", "polling a printer"),
    ("P", "polling the fleet"),
    ("comma", "changing settings"),
    ("Y", "print-server sync"),
    ("D", "discovering printers"),
    ("I", "importing printers"),
    ("x", "exporting to a file"),
]


@pytest.mark.parametrize("key,what", LIST_KEYS, ids=[k for k, _ in LIST_KEYS])
async def test_each_write_key_of_the_list_is_refused(fleet, key, what):
    config, data, ids = fleet
    before = files(config, data)
    app = make_app(config, data)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, PrintersScreen), "the printer list")
        await pilot.press(key)
        await until(pilot, lambda: notices(app), f"a notice for {key}")
        assert isinstance(app.screen, PrintersScreen)  # nothing opened
        assert notices(app) == [f"Read-only session: {what} is off."] or (
            what.startswith("polling") and notices(app)[0].startswith(f"Read-only session: {what} is off;"))
        await app.workers.wait_for_complete()
    assert files(config, data) == before


@pytest.mark.parametrize("key,what", [("p", "polling a printer"), ("e", "editing a printer")])
async def test_each_write_key_of_the_details_is_refused(fleet, key, what):
    config, data, ids = fleet
    before = files(config, data)
    app = make_app(config, data)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, PrintersScreen), "the printer list")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailsScreen), "the details")
        await pilot.press(key)
        await until(pilot, lambda: notices(app), f"a notice for {key}")
        assert isinstance(app.screen, DetailsScreen)
        assert notices(app)[0].startswith(f"Read-only session: {what} is off")
        await app.workers.wait_for_complete()
    assert files(config, data) == before


async def test_the_app_itself_refuses_every_change_and_poll(fleet):
    """Below the keys: a screen (or the palette) that asked anyway gets ReadOnlyError."""
    config, data, ids = fleet
    before = files(config, data)
    app = make_app(config, data)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, PrintersScreen), "the printer list")
        some = ids["Lab"]
        attempts = {
            "add": lambda: app.add_printer(Printer.new("10.9.9.9", name="New")),
            "edit": lambda: app.update_printer(some, name="Renamed"),
            "delete": lambda: app.delete_printer(some),
            "settings": lambda: app.save_settings({"polling": {"interval_s": 60}}),
            "import": lambda: app.import_inventory(None),  # type: ignore[arg-type]
            "sync": lambda: app.apply_sync(None, []),  # type: ignore[arg-type]
            "discover-add": lambda: app.add_found([], {}),
            "discover": lambda: app.discover(["10.9.9.9"], SnmpSettings(), port=161, known=set(),
                                             progress=lambda *a: None),
            "test": lambda: app.test_connection("10.9.9.9", SnmpSettings(), None),
        }
        for attempt in attempts.values():
            with pytest.raises(ReadOnlyError, match="Read-only session"):
                await attempt()
        app.start_poll_all()
        app.poll_printer(some)
        await app.workers.wait_for_complete()
        assert not app.poll_state.running
        await until(pilot, lambda: sum("polling" in n for n in notices(app)) == 2, "two notices")
        # the palette's own commands are not offered (their methods refuse too)
        offered = {c.title for c in app.get_system_commands(app.screen)}
        assert not offered & {"Print-server sync", "Discover printers", "Import printers", "Save screenshot"}
    assert files(config, data) == before


async def test_footer_and_help_leave_out_what_is_refused_and_the_screen_says_read_only(fleet):
    config, data, ids = fleet
    app = make_app(config, data)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, PrintersScreen), "the printer list")
        keys = footer_keys(app)
        assert {"Filter", "Sort", "Help", "Quit", "Alerts"} <= keys
        assert not keys & {"Add", "Poll", "Poll all", "Edit", "Delete", "Settings", "Export", "Sync", "Discover"}
        summary = str(app.screen.query_one("#summary").render())
        assert summary.startswith(" READ-ONLY ")
        await pilot.press("question_mark")
        await until(pilot, lambda: type(app.screen).__name__ == "HelpScreen", "help")
        await pilot.resize_terminal(120, 150)  # the whole help on one screen
        await pilot.pause()
        strips = app.screen._compositor.render_strips()
        text = "\n".join("".join(segment.text for segment in strip) for strip in strips)
        assert "READ-ONLY session" in text
        assert "Filter (name, address" in text
        for refused in ("Add a printer", "Poll every printer now", "Delete the printer", "Poll the printer now"):
            assert refused not in text
    # a full session still offers them (the filter above is the role's, not a bug)
    app = make_app(config, data, role=Role(), watch_store=False)
    app.auto_poll = False
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, PrintersScreen), "the printer list")
        assert {"Add", "Poll", "Poll all"} <= footer_keys(app)
        assert not str(app.screen.query_one("#summary").render()).startswith(" READ-ONLY")


async def test_read_only_follows_what_another_process_stores(fleet):
    """It looks: a change saved by someone else (the daemon, the CLI) appears live."""
    config, data, ids = fleet
    app = make_app(config, data, watch_store=True)
    from tonertrack_tui.core.inventory.store import Store

    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, PrintersScreen), "the printer list")
        assert app.row(ids["Lab"]).status == "Error"
        Store(data).record_poll([(ids["Lab"], stored_poll("10.9.0.3", "Lab", 80, NOW))])
        await until(pilot, lambda: app.row(ids["Lab"]).status == "OK", "the daemon's poll to show")


# -- the command line --------------------------------------------------------------------------

WRITES = [
    ["printers", "add", "10.9.9.9"],
    ["printers", "edit", "10.9.0.1", "--name", "X"],
    ["printers", "remove", "10.9.0.1", "--yes"],
    ["sync", "--yes"],
    ["discover", "127.0.0.1/32", "--add"],
    ["poll", "--all"],
    ["daemon", "--once"],
    ["storage", "init"],
    ["storage", "copy", "--from", "json", "--to", "postgresql"],
]


@pytest.mark.parametrize("argv", WRITES, ids=[" ".join(a[:2]) for a in WRITES])
@pytest.mark.parametrize("where", ["before", "after"])
def test_cli_write_commands_are_refused(fleet, capsys, argv, where):
    config, data, ids = fleet
    before = files(config, data)
    full = (["--read-only", *argv] if where == "before" else [*argv, "--read-only"])
    assert main(["--config", str(config), "--data-dir", str(data), *full]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tonertrack: read-only: `")
    assert files(config, data) == before


def test_cli_import_refused_unless_dry_run_and_reads_still_work(fleet, capsys, tmp_path):
    config, data, ids = fleet
    source = tmp_path / "in.csv"
    source.write_text("address,name\n10.9.9.9,New\n")
    before = files(config, data)
    base = ["--config", str(config), "--data-dir", str(data)]
    assert main([*base, "--read-only", "import", str(source)]) == 2
    assert main([*base, "--read-only", "import", str(source), "--dry-run"]) == 0
    assert main([*base, "printers", "list", "--read-only"]) == 0
    assert "Reception" in capsys.readouterr().out
    assert files(config, data) == before


def test_env_turns_read_only_on(fleet, monkeypatch, capsys):
    config, data, ids = fleet
    monkeypatch.setenv("TONERTRACK_READ_ONLY", "1")
    assert main(["--config", str(config), "--data-dir", str(data), "printers", "remove", "10.9.0.1", "--yes"]) == 2
    assert "read-only" in capsys.readouterr().err


def test_help_lists_read_only():
    out = subprocess.run([sys.executable, "-m", "tonertrack_tui", "--help"], capture_output=True, text=True,
                         check=True).stdout
    assert "--read-only" in out and "TONERTRACK_READ_ONLY" in out


async def test_a_corrupt_inventory_is_not_moved_aside_read_only(tmp_path):
    config, data, ids = seed(tmp_path, polled_at=NOW)
    broken = b'{"schema": 1, "printers": [\n{"id": "x"'
    (data / "printers.json").write_bytes(broken)
    before = files(config, data)
    app = make_app(config, data)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: type(app.screen).__name__ == "LoadErrorScreen", "the load-error screen")
        await pilot.press("m")
        await until(pilot, lambda: notices(app), "a notice")
        assert notices(app) == ["Read-only session: moving the inventory file aside is off."]
        await pilot.press("y")
        await pilot.pause()
        assert type(app.screen).__name__ == "LoadErrorScreen"
    assert files(config, data) == before


# Every coroutine the App offers screens, by what it does. A new one must be put in one list:
# a change (or a poll) gets `self._check_role(...)` first and a line in the test above.
APP_CHANGES = {"add_printer", "update_printer", "delete_printer", "apply_sync", "add_found", "import_inventory",
               "save_settings", "discover", "test_connection"}
APP_READS = {"reload", "run_action"}


def test_every_app_coroutine_is_known_to_change_or_to_read():
    import inspect

    from tonertrack_tui.app import TonerTrackApp

    offered = {name for name, member in vars(TonerTrackApp).items()
               if inspect.iscoroutinefunction(member) and not name.startswith("_") and not name.startswith("on_")}
    unknown = offered - APP_CHANGES - APP_READS
    assert not unknown, (f"TonerTrackApp.{sorted(unknown)}: does it change the store, the settings or poll? "
                         "Then call self._check_role(...) in it and add it to APP_CHANGES (and to "
                         "test_the_app_itself_refuses_every_change_and_poll); else to APP_READS")
    for name in APP_CHANGES:  # store writes go through _write, which checks the role; the rest check it
        source = inspect.getsource(getattr(TonerTrackApp, name))
        assert "self._write(" in source or "self._check_role(" in source, name
