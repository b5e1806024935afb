"""Pilot tests of the add/edit form, the connectivity test and delete with confirmation."""

from __future__ import annotations

import json
import socket
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.widgets import Input, Select, Static

from tonertrack_tui.app import create_app
from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.inventory.store import Store
from tonertrack_tui.demo.simulator import SimFleet
from tonertrack_tui.screens.confirm import ConfirmScreen
from tonertrack_tui.screens.printer_form import PrinterFormScreen
from tonertrack_tui.screens.printers import PrintersScreen

DATA = Path(__file__).resolve().parent / "data"

SIZE = (80, 24)
FIXED_NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


def fixed_clock() -> datetime:
    return FIXED_NOW


@pytest.fixture(autouse=True)
def private_dirs(tmp_path, monkeypatch):
    """Never the developer's own config or data."""
    monkeypatch.setenv("TONERTRACK_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("TONERTRACK_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir) -> Store:
    return Store(data_dir)


@pytest.fixture
def make_app(tmp_path, data_dir):
    def make(config_text: str | None = None):
        config = tmp_path / "config.toml"
        if config_text is not None:
            config.write_text(config_text)
        return create_app(config_path=str(config), data_dir=str(data_dir), clock=fixed_clock,
                          auto_poll=False, watch_store=False, check_tty=False)
    return make


def printers(data_dir: Path) -> list[dict]:
    path = data_dir / "printers.json"
    if not path.exists():
        return []
    return json.loads(path.read_text())["printers"]


def audit(data_dir: Path) -> list[dict]:
    path = data_dir / "printers_audit.log"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).content)


def error_of(screen, field: str) -> str:
    label = screen.query_one(f"#{field}-error", Static)
    return str(label.content) if label.has_class("-shown") else ""


async def type_into(pilot, field: str, text: str, *, keys: bool = False) -> None:
    """Focus a field and replace its text: key by key, or (faster) as a paste would."""
    box = pilot.app.screen.query_one(f"#{field}", Input)
    box.focus()
    await pilot.pause()
    if keys:
        await pilot.press("ctrl+a", "ctrl+k")  # home, delete to the end
        await pilot.press(*text)
    else:
        box.value = text  # posts Input.Changed with its validation, like typing does
    await pilot.pause()


async def choose(pilot, field: str, value: str) -> None:
    """Pick a Select option with the keyboard: open, move to it, enter."""
    select = pilot.app.screen.query_one(f"#{field}", Select)
    select.focus()
    await pilot.pause()
    values = [v for _, v in select._options]
    await pilot.press("enter")
    await pilot.pause()
    steps = values.index(value) - values.index(select.value)
    await pilot.press(*(["down"] * steps if steps > 0 else ["up"] * -steps), "enter")
    await pilot.pause()
    assert select.value == value


async def save_and_settle(pilot) -> None:
    await pilot.press("ctrl+s")
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_add_form(pilot) -> PrinterFormScreen:
    await pilot.press("a")
    await pilot.pause()
    form = pilot.app.screen
    assert isinstance(form, PrinterFormScreen)
    return form


# -- add --------------------------------------------------------------------------------------------


async def test_add_with_invalid_address_then_valid(make_app, data_dir):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_add_form(pilot)
        assert app.focused is form.query_one("#address", Input)

        await pilot.press(*"10.0.0.300")
        await pilot.pause()
        assert "not a valid IP address" in error_of(form, "address")  # shown as the user types
        await type_into(pilot, "community", "office")
        await save_and_settle(pilot)
        assert app.screen is form, "an invalid address must not close the form"
        assert "fix the red fields" in text_of(form, "#form-status")
        assert app.focused is form.query_one("#address", Input)
        assert printers(data_dir) == []

        await type_into(pilot, "address", "10.0.0.30:1161", keys=True)
        assert error_of(form, "address") == ""
        await type_into(pilot, "name", "Lab [red]A[/] printer")
        await type_into(pilot, "location", "2nd floor")
        await save_and_settle(pilot)

        assert isinstance(app.screen, PrintersScreen)
        saved = printers(data_dir)
        assert len(saved) == 1
        record = saved[0]
        assert record["address"] == "10.0.0.30:1161"
        assert record["name"] == "Lab [red]A[/] printer"
        assert record["user_overridden"] is True
        assert record["location"] == "2nd floor" and record["location_user_set"] is True
        assert record["snmp"]["community"] == "office"
        assert record["snmp"]["version"] == "2c"
        assert record["thresholds"]["warning_pct"] is None and record["thresholds"]["error_pct"] is None
        assert record["id"] in app.fleet
        assert [e["action"] for e in audit(data_dir)] == ["add"]
        assert "office" not in (data_dir / "printers_audit.log").read_text(), "secrets are masked in the audit"


async def test_blank_community_follows_the_config_default_and_thresholds_checked(make_app, data_dir):
    """Issue 15 #10: the config has a default community (the CLI uses it): the form does not ask for one."""
    app = make_app('[snmp]\ncommunity = "s3cret-default"\n')
    async with app.run_test(size=SIZE) as pilot:
        form = await open_add_form(pilot)
        community = form.query_one("#community", Input)
        assert community.placeholder == "•••••• (blank: the default from Settings)"
        assert "s3cret-default" not in community.placeholder, "the default is a secret: masked"
        await type_into(pilot, "address", "10.0.0.31")
        await type_into(pilot, "warning_pct", "101")
        assert "0 to 100" in error_of(form, "warning_pct")
        await type_into(pilot, "warning_pct", "15")
        await type_into(pilot, "error_pct", "15")
        assert "must be below the warning level" in error_of(form, "error_pct")
        await save_and_settle(pilot)
        assert app.screen is form
        assert error_of(form, "community") == ""
        assert printers(data_dir) == []

        await type_into(pilot, "error_pct", "5")
        assert error_of(form, "error_pct") == ""
        await save_and_settle(pilot)
        assert isinstance(app.screen, PrintersScreen)
        (record,) = printers(data_dir)
        assert record["thresholds"]["warning_pct"] == 15 and record["thresholds"]["error_pct"] == 5
        assert "community" not in record["snmp"], "a blank community follows the config's default"
        printer = app.printer(record["id"])
        assert printer.snmp_settings(app.config.default_snmp()).community == "s3cret-default"


async def test_duplicate_address_refused(make_app, store, data_dir):
    store.add(Printer.new("10.0.0.5", name="Front desk", snmp={"community": "public"}))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_add_form(pilot)
        await pilot.press(*"10.0.0.5:161")  # the same printer, written differently
        await pilot.pause()
        assert "already in the inventory" in error_of(form, "address")
        await type_into(pilot, "community", "public")
        await save_and_settle(pilot)
        assert app.screen is form
        assert len(printers(data_dir)) == 1

        # another process adds a printer the app has not seen yet: the store refuses, the form says so
        store.add(Printer.new("10.0.0.6", snmp={"community": "public"}))
        await type_into(pilot, "address", "10.0.0.6")
        assert error_of(form, "address") == ""
        await save_and_settle(pilot)
        assert app.screen is form, "a DuplicatePrinter from the store must not crash or close the form"
        assert "already in the inventory" in error_of(form, "address")
        assert "Not saved" in text_of(form, "#form-status")
        assert len(printers(data_dir)) == 2


async def test_v3_fields_only_for_v3(make_app, data_dir):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_add_form(pilot)
        v3 = form.query_one("#v3")
        community_row = form.query_one("#community-row")
        assert not v3.display and community_row.display
        focusable = [w.id for w in form.focus_chain]
        assert "v3_user" not in focusable and "community" in focusable

        await choose(pilot, "version", "3")
        assert v3.display and not community_row.display
        focusable = [w.id for w in form.focus_chain]
        assert focusable.index("v3_user") < focusable.index("v3_auth_key") < focusable.index("v3_priv_key")
        assert "community" not in focusable

        await type_into(pilot, "address", "printer-7.example.org")
        await type_into(pilot, "v3_auth_key", "short")
        assert "must be at least 8 characters" in error_of(form, "v3_auth_key")
        await save_and_settle(pilot)
        assert app.screen is form
        assert "needs a user name" in error_of(form, "v3_user")

        await type_into(pilot, "v3_user", "monitor")
        await type_into(pilot, "v3_auth_key", "authpass1")
        await type_into(pilot, "v3_priv_key", "privpass1")
        await save_and_settle(pilot)
        assert isinstance(app.screen, PrintersScreen)
        (record,) = printers(data_dir)
        snmp = record["snmp"]
        assert snmp["version"] == "3" and snmp["v3_user"] == "monitor"
        assert snmp["v3_auth_proto"] == "SHA" and snmp["v3_auth_key"] == "authpass1"
        assert snmp["v3_priv_proto"] == "AES" and snmp["v3_priv_key"] == "privpass1"
        assert "community" not in snmp

        # back to v2c: the v3 fields go away again
        form = await open_add_form(pilot)
        await choose(pilot, "version", "3")
        await choose(pilot, "version", "2c")
        assert not form.query_one("#v3").display


async def test_secrets_masked_with_show_toggle(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_add_form(pilot)
        community = form.query_one("#community", Input)
        assert community.password
        form.query_one("#show-secrets").focus()
        await pilot.press("space")
        await pilot.pause()
        assert not community.password and not form.query_one("#v3_auth_key", Input).password
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PrintersScreen)


# -- edit -------------------------------------------------------------------------------------------


def _polled_printer(store: Store) -> dict:
    """A printer named by its sysName (not by the user), with its own community."""
    return store.add(Printer.new("10.0.0.5", name="PRN-0042", user_overridden=False, location="HQ",
                                 location_user_set=False, snmp={"version": "2c", "community": "s3cret"})).to_json()


async def test_edit_name_sets_user_overridden_and_blank_community_keeps_it(make_app, store, data_dir):
    record = _polled_printer(store)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, PrinterFormScreen) and form.printer_id == record["id"]
        assert form.query_one("#address", Input).value == "10.0.0.5"
        assert form.query_one("#name", Input).value == "PRN-0042"
        assert form.query_one("#community", Input).value == "", "a secret is never prefilled"
        assert "s3cret" not in form.query_one("#community", Input).placeholder

        await type_into(pilot, "name", "Reception")
        await save_and_settle(pilot)
        assert isinstance(app.screen, PrintersScreen)

    (saved,) = printers(data_dir)
    assert saved["id"] == record["id"]
    assert saved["name"] == "Reception" and saved["user_overridden"] is True
    assert saved["location"] == "HQ" and saved["location_user_set"] is False, "an untouched location stays the sync's"
    assert saved["snmp"]["community"] == "s3cret", "blank community keeps the old one"
    assert saved["snmp"] == record["snmp"]
    edits = [e for e in audit(data_dir) if e["action"] == "edit"]
    assert len(edits) == 1 and edits[0]["changes"]["name"] == ["PRN-0042", "Reception"]
    assert "snmp.community" not in edits[0]["changes"]


async def test_edit_location_and_community(make_app, store, data_dir):
    _polled_printer(store)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await pilot.pause()
        await type_into(pilot, "location", "Annex")
        await type_into(pilot, "community", "n3w-secret")
        await save_and_settle(pilot)
        assert isinstance(app.screen, PrintersScreen)
    (saved,) = printers(data_dir)
    assert saved["name"] == "PRN-0042" and saved["user_overridden"] is False
    assert saved["location"] == "Annex" and saved["location_user_set"] is True
    assert saved["snmp"]["community"] == "n3w-secret"
    log = (data_dir / "printers_audit.log").read_text()
    assert "n3w-secret" not in log and "s3cret" not in log


async def test_notes_timeout_and_retries_are_added_shown_and_edited(make_app, data_dir):
    """v2 users had notes and per-printer timeout/retries in the form (the CLI has them)."""
    app = make_app("[polling]\ntimeout_s = 1.5\nretries = 2\n")
    async with app.run_test(size=SIZE) as pilot:
        form = await open_add_form(pilot)
        assert form.query_one("#timeout", Input).placeholder == "1.5", "blank shows the default it follows"
        assert form.query_one("#retries", Input).placeholder == "2"
        await type_into(pilot, "address", "10.0.0.40")
        await type_into(pilot, "notes", "Key to the cabinet at reception")
        await type_into(pilot, "timeout", "abc")
        assert error_of(form, "timeout") == "timeout must be a number of seconds from 0.05 to 60, not 'abc'"
        await type_into(pilot, "timeout", "3")
        await type_into(pilot, "retries", "0")
        await save_and_settle(pilot)
        assert isinstance(app.screen, PrintersScreen)
        (record,) = printers(data_dir)
        assert record["notes"] == "Key to the cabinet at reception"
        assert record["snmp"]["timeout"] == 3.0 and record["snmp"]["retries"] == 0

        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, PrinterFormScreen)
        assert form.query_one("#notes", Input).value == "Key to the cabinet at reception"
        assert form.query_one("#timeout", Input).value == "3"
        assert form.query_one("#retries", Input).value == "0"
        await type_into(pilot, "notes", "")
        await type_into(pilot, "timeout", "")  # blank: back to the config's default
        await save_and_settle(pilot)
        assert isinstance(app.screen, PrintersScreen)
    (record,) = printers(data_dir)
    assert record["notes"] == ""
    assert "timeout" not in record["snmp"] and record["snmp"]["retries"] == 0
    edit = [e for e in audit(data_dir) if e["action"] == "edit"][-1]
    assert edit["changes"]["notes"] == ["Key to the cabinet at reception", ""]


async def test_form_refuses_a_pasted_escape_sequence_and_bidi_override(make_app, data_dir):
    """Issue 15 #9: the form stored ^[31m… and U+202E; it now refuses them as the CLI does."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_add_form(pilot)
        await type_into(pilot, "address", "10.0.0.41")
        await type_into(pilot, "name", "\x1b[31mred\x07")
        assert error_of(form, "name") == "name must not contain control characters: U+001B (escape)"
        await type_into(pilot, "location", "\u202eevil")
        assert error_of(form, "location") == \
            "location must not contain control characters: U+202E (right-to-left override)"
        await save_and_settle(pilot)
        assert app.screen is form and printers(data_dir) == []


# -- test button ------------------------------------------------------------------------------------


async def add_form_for(pilot, address: str, community: str):
    form = await open_add_form(pilot)
    await type_into(pilot, "address", address)
    await type_into(pilot, "community", community)
    return form


async def press_test(pilot, form) -> str:
    """Press Test and wait (up to 60 s: generous, no speed test) for what it found."""
    form.query_one("#test-result").update("")
    await pilot.press("ctrl+t")
    deadline = time.monotonic() + 60
    while "Reachable" not in text_of(form, "#test-result") and time.monotonic() < deadline:
        await pilot.pause(0.05)
    return text_of(form, "#test-result")


def _dead_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_test_button_reports_failure_within_timeout(make_app, data_dir):
    # a window long enough that "Testing" is still shown after the next pause, however loaded
    app = make_app("[polling]\ntimeout_s = 2\nretries = 1\n")
    port = _dead_udp_port()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_add_form(pilot)
        await type_into(pilot, "address", f"127.0.0.1:{port}")
        await type_into(pilot, "community", "public")
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert "Testing" in text_of(form, "#test-result")

        # the form stays usable while the device is being tried
        await type_into(pilot, "name", "Dead one")
        assert form.query_one("#name", Input).value == "Dead one"

        deadline = time.monotonic() + 60  # generous: the window used is said in the result
        while "Not reachable" not in text_of(form, "#test-result") and time.monotonic() < deadline:
            await pilot.pause(0.05)
        result = text_of(form, "#test-result")
        assert "Not reachable" in result
        assert "no reply within 4 s" in result  # the configured window (2 s x 2 tries), not another
        assert app.screen is form, "testing never saves or closes the form"
        assert printers(data_dir) == []


@pytest.fixture(scope="module")
def colour_mfp():
    with SimFleet([DATA / "colour_mfp.snmprec"]) as fleet:
        yield fleet.address(0)


async def test_test_button_shows_what_it_found_before_saving(make_app, colour_mfp, data_dir):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await add_form_for(pilot, colour_mfp, "colour_mfp")
        found = await press_test(pilot, form)
        assert "✔ Reachable" in found
        assert "MFP-B1-2F-01" in found and "RICOH IM C3000" in found and "3100R910442" in found
        assert "Error" in found and "Magenta toner 8 %" in found
        assert printers(data_dir) == [], "Test saves nothing"

        await save_and_settle(pilot)
        (record,) = printers(data_dir)
        assert record["address"] == colour_mfp and record["snmp"]["community"] == "colour_mfp"


async def test_inverted_waste_box_is_tested_and_saved_as_set(make_app, colour_mfp, data_dir):
    from textual.widgets import Checkbox

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await add_form_for(pilot, colour_mfp, "colour_mfp")
        # the bottle reports level 12 of 100: RFC 3805 reads it as 12 % space left, 88 % full
        assert "Waste Toner Bottle 88 % full" in await press_test(pilot, form)
        form.query_one("#invert-receptacles", Checkbox).value = True
        found = await press_test(pilot, form)
        assert "✔ Reachable" in found and "88 % full" not in found
        await save_and_settle(pilot)
        (record,) = printers(data_dir)
        assert record["invert_receptacles"] is True


async def test_test_button_refuses_invalid_address(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_add_form(pilot)
        await pilot.press(*"bad host")
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert "Cannot test" in text_of(form, "#test-result")


async def test_test_button_refuses_a_bad_timeout_by_the_field_rule(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_add_form(pilot)
        await type_into(pilot, "address", "10.0.0.42")
        await type_into(pilot, "timeout", "abc")
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert text_of(form, "#test-result") == "Cannot test: fix the SNMP settings marked in red."
        assert error_of(form, "timeout") == "timeout must be a number of seconds from 0.05 to 60, not 'abc'"


# -- delete -----------------------------------------------------------------------------------------


async def test_delete_with_confirmation(make_app, store, data_dir):
    keep = store.add(Printer.new("10.0.0.5", name="Keep me", snmp={"community": "public"})).to_json()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.table
        table.select_id(keep["id"])
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert app.focused.id == "cancel", "focus starts on Cancel"
        await pilot.press("n")
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert isinstance(app.screen, PrintersScreen)
        assert [r["id"] for r in printers(data_dir)] == [keep["id"]]

        await pilot.press("d")
        await pilot.pause()
        await pilot.press("enter")  # Enter presses the focused button: Cancel
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert isinstance(app.screen, PrintersScreen)
        assert len(printers(data_dir)) == 1

        await pilot.press("d")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PrintersScreen)
        assert len(printers(data_dir)) == 1

        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, PrintersScreen)
        assert printers(data_dir) == []
        assert keep["id"] not in app.fleet
        assert audit(data_dir)[-1]["action"] == "delete"


async def test_edit_shows_hostile_name_literally_and_saving_untouched_changes_nothing(make_app, store, data_dir):
    record = store.add(Printer.new("10.0.0.8", name="\x1b[2J[red]Lab[/] \x07", user_overridden=False,
                                   snmp={"community": "public"})).to_json()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, PrinterFormScreen)
        assert form.query_one("#name", Input).value == "[red]Lab[/]"
        assert "[red]Lab[/]" in str(form.query_one("#title", Static).content)
        await save_and_settle(pilot)
        assert isinstance(app.screen, PrintersScreen)
    (saved,) = printers(data_dir)
    assert saved["name"] == record["name"] and saved["user_overridden"] is False
    assert [e["action"] for e in audit(data_dir)] == ["add"]


async def test_keys_typed_ahead_in_one_burst_land_where_they_would_one_by_one(make_app, data_dir):
    """A fast typist over SSH (or keys pasted) sends `10.9.9.77<Tab>Lab<Tab>Floor 9<Tab>north^S`
    in one read: every key is queued before the first is handled. Tab must move the focus when it
    arrives, and Save must run after the letters before it reached their fields."""
    from textual import events

    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, PrinterFormScreen)
        burst = [*"10.9.9.77", "tab", *"Lab", "tab", *"Floor 9", "tab", *"north", "ctrl+s"]
        for key in burst:  # as the driver posts them: all at once, no waiting in between
            char = {"tab": "\t", "ctrl+s": "\x13"}.get(key, key)
            app.post_message(events.Key(key if len(key) > 1 else key if key != " " else "space", char))
        for _ in range(100):
            await pilot.pause(0.05)
            if printers(data_dir):
                break
    saved = printers(data_dir)
    assert [(p["address"], p["name"], p["location"], p["site"]) for p in saved] == [
        ("10.9.9.77", "Lab", "Floor 9", "north")]
