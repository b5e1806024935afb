"""One validation module (core/inventory/validate.py): the same bad input gets the same message from
the TUI form, `printers add`, the CSV importer and print-server sync."""

from __future__ import annotations

import csv
import io
import json
import threading
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from tonertrack_tui.app import create_app
from tonertrack_tui.cli import main
from tonertrack_tui.core.config import SyncSource
from tonertrack_tui.core.inventory import validate
from tonertrack_tui.core.inventory.importers import ImportFileError, read_import
from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.inventory.store import Store
from tonertrack_tui.core.snmp.credentials import SnmpSettings
from tonertrack_tui.core.sync.plan import plan_sync, read_source
from tonertrack_tui.screens.printer_form import PrinterFormScreen

CONTROL = "must not contain control characters: "

# (field, typed value, the message every surface gives)
TEXT_CASES = [
    ("name", "\u202eevil", f"name {CONTROL}U+202E (right-to-left override)"),
    ("name", "red\x1b[31mtext", f"name {CONTROL}U+001B (escape)"),
    ("name", "zero\u200bwidth", f"name {CONTROL}U+200B (zero width space)"),
    ("name", "bom\ufeff", f"name {CONTROL}U+FEFF (zero width no-break space)"),
    ("name", "c1\x9b31m", f"name {CONTROL}U+009B (control sequence introducer)"),
    ("name", "x" * 201, "name must be at most 200 characters (this one has 201)"),
    ("location", "\u2066iso", f"location {CONTROL}U+2066 (left-to-right isolate)"),
    ("location", "tab\there", f"location {CONTROL}U+0009 (tab)"),
    ("notes", "bell\x07", f"notes {CONTROL}U+0007 (bell)"),
    ("notes", "n" * 1001, "notes must be at most 1000 characters (this one has 1001)"),
]
ADDRESS_CASES = [
    ("10.0.0.300", "'10.0.0.300' is not a valid IP address or host name"),
    ("printer:70000", "port 70000 out of range 1–65535"),
    ("[::1", "'[::1': missing ']' after the IPv6 address"),
    ("010.0.0.1", "'010.0.0.1' is ambiguous: leading zeros in an IP address"),
]
DUPLICATE = ("10.0.0.5:161", "10.0.0.5 is already in the inventory (Front desk)")
# (form field, CLI option, value as typed, message)
SNMP_CASES = [
    ("community", "--community", "pub\x01lic", f"community {CONTROL}U+0001 (a C0 control)"),
    ("timeout", "--timeout", "0.01", "timeout must be a number of seconds from 0.05 to 60, not 0.01"),
    ("retries", "--retries", "11", "retries must be a whole number from 0 to 10, not 11"),
]


@pytest.fixture(autouse=True)
def dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("TONERTRACK_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("TONERTRACK_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


@pytest.fixture
def store(tmp_path) -> Store:
    store = Store(tmp_path / "data")
    store.add(Printer.new("10.0.0.5", name="Front desk"))
    return store


def cli_error(capsys, *argv: str) -> str:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 2, (argv, out, err)
    assert err.startswith("tonertrack: error: ") and err.count("\n") == 1, err
    return err.removeprefix("tonertrack: error: ").rstrip("\n")


def csv_import_errors(tmp_path: Path, header: list[str], row: list[str]) -> list[str]:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerow(row)
    path = tmp_path / "in.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    with pytest.raises(ImportFileError) as info:
        read_import(path, default_snmp=SnmpSettings())
    return str(info.value).splitlines()[1:]


def sync_problems(tmp_path: Path, queue: str, location: str = "B2") -> list[str]:
    path = tmp_path / "dc3.csv"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([["Name", "PortName"], [queue, "IP_10.0.0.77"]])
    path.write_text(buf.getvalue(), encoding="utf-8")
    source = SyncSource(name="dc3", kind="windows-export", path=str(path), location=location)
    return plan_sync([read_source(source)], []).problems


async def form_messages(tmp_path: Path, cases: list[tuple[str, str]]) -> list[str]:
    """What the Add form shows under each field for each (field, value) typed (pasted) into it."""
    app = create_app(config_path=str(tmp_path / "config.toml"), data_dir=str(tmp_path / "data"),
                     auto_poll=False, watch_store=False, check_tty=False)
    shown = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, PrinterFormScreen)
        for field, value in cases:
            box = form.query_one(f"#{field}", Input)
            box.focus()
            box.value = value
            await pilot.pause()
            label = form.query_one(f"#{field}-error", Static)
            shown.append(str(label.content) if label.has_class("-shown") else "")
            box.value = ""
            await pilot.pause()
    return shown


# ---------------------------------------------------------------- the same message from every surface


async def test_text_rules_give_the_same_message_on_every_surface(tmp_path, store, capsys):
    form = await form_messages(tmp_path, [(field, value) for field, value, _ in TEXT_CASES])
    for (field, value, message), in_form in zip(TEXT_CASES, form, strict=True):
        assert validate.check_text(field, value) == message
        assert in_form == message, ("form", field, value)
        assert cli_error(capsys, "printers", "add", "10.0.0.9", f"--{field}", value) == message, ("cli", value)
        row = {"name": "", "location": "", "notes": "", field: value}
        errors = csv_import_errors(tmp_path, ["address", *row], ["10.0.0.9", *row.values()])
        assert errors == [f"  line 2: {message}"], ("import", value)
        if field == "name":
            assert f"dc3: queue {value}: {message} (the name is not taken)" in sync_problems(tmp_path, value)
        if field == "location":
            assert f"dc3: queue Q1: {message} (the location is not taken)" in sync_problems(tmp_path, "Q1", value)
    assert [p.address for p in store.load()] == ["10.0.0.5"], "nothing bad was stored"


async def test_address_rules_give_the_same_message_on_every_surface(tmp_path, store, capsys):
    cases = [*ADDRESS_CASES, DUPLICATE]
    form = await form_messages(tmp_path, [("address", value) for value, _ in cases])
    for (value, message), in_form in zip(cases, form, strict=True):
        assert in_form == message, ("form", value)
        assert cli_error(capsys, "printers", "add", value) == message, ("cli", value)
        if (value, message) != DUPLICATE:  # import skips what the inventory has: run twice, harmless
            assert csv_import_errors(tmp_path, ["address", "name"], [value, "x"]) == [f"  line 2: {message}"]
    # edit --address to another printer's address: the same words
    assert main(["printers", "add", "10.0.0.6"]) == 0
    capsys.readouterr()
    assert cli_error(capsys, "printers", "edit", "10.0.0.6", "--address", "10.0.0.5") == DUPLICATE[1]


async def test_snmp_rules_give_the_same_message_on_every_surface(tmp_path, store, capsys):
    form = await form_messages(tmp_path, [(field, value) for field, _, value, _ in SNMP_CASES])
    for (field, option, value, message), in_form in zip(SNMP_CASES, form, strict=True):
        assert in_form == message, ("form", field)
        assert cli_error(capsys, "printers", "add", "10.0.0.9", option, value) == message, ("cli", field)
    errors = csv_import_errors(tmp_path, ["address", "name", "community"], ["10.0.0.9", "x", "pub\x01lic"])
    assert errors == [f"  line 2: {SNMP_CASES[0][3]}"]
    assert cli_error(capsys, "printers", "add", "10.0.0.9", "--snmp-version", "3", "--v3-user", "ops",
                     "--v3-auth-proto", "SHA", "--v3-auth-key", "short") == \
        "SNMPv3 auth key must be at least 8 characters"
    assert validate.check_v3_key("v3_auth_key", "short", proto="SHA") == \
        "SNMPv3 auth key must be at least 8 characters"


def test_backup_import_checks_typed_fields_and_thresholds(tmp_path):
    good = Printer.new("10.0.0.1", name="Typed\u202e", notes="ok").to_json()
    device = Printer.new("10.0.0.2").to_json()
    device["name"] = "\x1b[2Jfrom the device"  # a sysName: data, kept as it came
    thresholds = Printer.new("10.0.0.3").to_json()
    thresholds["thresholds"]["warning_pct"] = 150
    path = tmp_path / "backup.json"
    path.write_text(json.dumps({"format": "tonertrack-inventory", "schema": 1,
                                "printers": [good, device, thresholds]}))
    with pytest.raises(ImportFileError) as info:
        read_import(path)
    lines = str(info.value).splitlines()
    assert lines[1:] == [
        f"  printer #1 (10.0.0.1): name {CONTROL}U+202E (right-to-left override)",
        "  printer #3 (10.0.0.3): warning level must be a whole number from 0 to 100 (blank: the default), not 150",
    ]


# ---------------------------------------------------------------- the rule itself


@pytest.mark.parametrize("char, described", [
    ("\x00", "U+0000 (null)"), ("\x1b", "U+001B (escape)"), ("\x7f", "U+007F (delete)"),
    ("\x85", "U+0085 (next line)"), ("\u202a", "U+202A (left-to-right embedding)"),
    ("\u202d", "U+202D (left-to-right override)"), ("\u2069", "U+2069 (pop directional isolate)"),
    ("\u200c", "U+200C (zero width non-joiner)"), ("\u200d", "U+200D (zero width joiner)"),
    ("\u2028", "U+2028 (line separator)"),
])
def test_every_forbidden_character_is_refused_by_name(char, described):
    assert validate.forbidden_char(f"a{char}b") == char
    assert validate.check_name(f"a{char}b") == f"name {CONTROL}{described}"


@pytest.mark.parametrize("text", ["Büro 3.OG — Müller", "打印机", "[red]x[/]", "=SUM(A1)", "a\u00a0b", "x" * 200])
def test_ordinary_text_passes(text):
    assert validate.check_name(text) is None
    assert validate.clean_text("name", f"  {text}  ") == text


def test_next_line_in_a_csv_name_is_one_row_not_two(tmp_path):
    errors = csv_import_errors(tmp_path, ["address", "name"], ["10.0.0.9", "next\x85line"])
    assert errors == [f"  line 2: name {CONTROL}U+0085 (next line)"]


def test_next_line_in_a_synced_queue_name_is_one_row_not_two(tmp_path):
    """A Windows export read with str.splitlines() cut the row at U+0085: sync then named U+000A
    (line feed), not the character the form, the CLI and import name."""
    problems = sync_problems(tmp_path, "next\x85line")
    assert problems == [f"dc3: queue next\x85line: name {CONTROL}U+0085 (next line) (the name is not taken)"]


def test_community_may_be_blank_only_with_a_default():
    assert validate.check_community("", default="public") is None
    assert validate.check_community("", default="") == "community must not be empty (there is no default in the config)"
    assert validate.check_community("", default="", keeps_current=True) is None


def test_thresholds():
    assert validate.check_pct("warning", "") is None
    assert validate.check_pct("warning", "20") is None
    assert validate.check_pct("warning", "-1") == \
        "warning level must be a whole number from 0 to 100 (blank: the default), not -1"
    assert validate.check_thresholds(10, 10) == "error level (10 %) must be below the warning level (10 %)"


# ---------------------------------------------------------------- the same printer under another address


def fake_resolver(table: dict[str, list[str]]):
    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError("unknown host")
        return table[host]
    return resolve


def test_a_name_that_resolves_to_a_printer_already_there_is_warned_about():
    printers = [Printer.new("10.0.0.5:50623", name="Lab"), Printer.new("10.0.0.6:50623")]
    resolver = fake_resolver({"lab-printer.example.org": ["10.0.0.5"]})
    assert validate.same_printer_warnings("lab-printer.example.org:50623", printers, resolver=resolver) == [
        "lab-printer.example.org:50623 resolves to 10.0.0.5, like 10.0.0.5:50623 (Lab) already in the inventory: "
        "it may be the same printer"]
    assert validate.same_printer_warnings("lab-printer.example.org", printers, resolver=resolver) == [], \
        "another port is another device"
    assert validate.same_printer_warnings("unknown.example.org:50623", printers, resolver=resolver) == []
    # and the other way round: the inventory holds the name, an IP is added
    named = [Printer.new("lab-printer.example.org:50623", name="Lab")]
    assert validate.same_printer_warnings("10.0.0.5:50623", named, resolver=resolver)


def test_a_name_that_never_resolves_does_not_hold_the_caller():
    release = threading.Event()

    def stuck(host: str, port: int) -> list[str]:
        release.wait(30)  # a DNS server that never answers
        return ["10.0.0.5"]

    try:
        warnings = validate.same_printer_warnings("slow.example.org", [Printer.new("10.0.0.5")], timeout=0.05,
                                                  resolver=stuck)
        assert warnings == []  # not resolved in time: not compared
    finally:
        release.set()


def test_cli_add_warns_when_localhost_is_a_printer_already_there(capsys):
    assert main(["printers", "add", "127.0.0.1:50623", "--name", "Sim"]) == 0
    capsys.readouterr()
    assert main(["printers", "add", "localhost:50623"]) == 0  # a warning, not a refusal
    _, err = capsys.readouterr()
    assert "tonertrack: warning: localhost:50623 resolves to 127.0.0.1, like 127.0.0.1:50623 (Sim) already in " \
           "the inventory: it may be the same printer" in err


async def test_form_warns_when_localhost_is_a_printer_already_there(tmp_path):
    Store(tmp_path / "data").add(Printer.new("127.0.0.1:50623", name="Sim"))
    app = create_app(config_path=str(tmp_path / "config.toml"), data_dir=str(tmp_path / "data"),
                     auto_poll=False, watch_store=False, check_tty=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a")
        await pilot.pause()
        form = app.screen
        await pilot.press(*"localhost:50623", "tab")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        warning = form.query_one("#address-warning", Static)
        assert warning.has_class("-shown")
        assert str(warning.content) == ("Warning: localhost:50623 resolves to 127.0.0.1, like 127.0.0.1:50623 (Sim) "
                                        "already in the inventory: it may be the same printer")
        assert form.query_one("#address-error", Static).has_class("-shown") is False, "a warning, not an error"


async def test_form_warns_when_saved_without_leaving_the_address(tmp_path):
    """A fast typist saves straight from the address field (no blur, so no check ran): the warning
    still comes, as a notification, and the printer is saved (a warning, not a refusal)."""
    Store(tmp_path / "data").add(Printer.new("127.0.0.1:50623", name="Sim"))
    app = create_app(config_path=str(tmp_path / "config.toml"), data_dir=str(tmp_path / "data"),
                     auto_poll=False, watch_store=False, check_tty=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a")
        await pilot.pause()
        await pilot.press(*"localhost:50623", "ctrl+s")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, PrinterFormScreen)
        shown = [n.message for n in app._notifications]
        assert ("localhost:50623 resolves to 127.0.0.1, like 127.0.0.1:50623 (Sim) already in the inventory: "
                "it may be the same printer") in shown, shown
    assert sorted(p.address for p in Store(tmp_path / "data").load()) == ["127.0.0.1:50623", "localhost:50623"]


def test_import_warns_about_a_row_that_is_a_printer_already_there(tmp_path, capsys):
    assert main(["printers", "add", "127.0.0.1:50623", "--name", "Sim"]) == 0
    path = tmp_path / "in.csv"
    path.write_text("address,name\nlocalhost:50623,Again\n10.0.0.9,Other\n")
    capsys.readouterr()
    assert main(["import", str(path)]) == 0
    _, err = capsys.readouterr()
    assert err.splitlines() == ["tonertrack: warning: localhost:50623 resolves to 127.0.0.1, like 127.0.0.1:50623 "
                                "(Sim) already in the inventory: it may be the same printer"]


def test_many_new_addresses_are_resolved_once_each():
    calls: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        calls.append(host)
        return {"a.example": ["10.0.0.5"], "b.example": ["10.0.0.6"]}.get(host, [])

    printers = [Printer.new("10.0.0.5"), Printer.new("10.0.0.6"), Printer.new("c.example")]
    found = validate.same_printer_warnings_for(["a.example", "b.example", "10.0.0.7"], printers, resolver=resolver)
    assert sorted(found) == ["a.example", "b.example"]
    assert sorted(calls) == ["a.example", "b.example", "c.example"]
