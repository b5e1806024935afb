"""Import: TonerTrack v2 printers.json, CSV, and our own JSON backup; all or nothing."""

import json
import os
import stat

import pytest

from tonertrack_tui.core.inventory.history import NOTE_V2, History, MonthlyPages
from tonertrack_tui.core.inventory.importers import (
    ImportFileError,
    apply_import,
    backup_bytes,
    plan_import,
    read_import,
)
from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.inventory.store import Store
from tonertrack_tui.core.snmp.credentials import SnmpSettings

V2 = {
    "10.11.83.81": {
        "name": "HR LaserJet", "ip": "10.11.83.81", "community": "hr-secret", "location": "B2",
        "user_overridden": True,
        "pages_history": {"2025-10": 1520, "2025-11": "880", "2025-12": "N/A", "13-2025": 5},
        "last_total_pages": 45210, "model": "HP LaserJet M607", "serial": "N/A", "status": "OK",
        "timestamp": "2025-12-03 08:18:37", "toner_cartridges": {"Black": "45%"}, "drum_units": {},
        "other": {}, "errors": {}, "total_pages": "45210", "offline_attempts": 0,
    },
    "10.11.80.120": {
        "name": "Reception", "ip": "10.11.80.120", "community": "public", "model": "N/A", "serial": "N/A",
        "status": "Unknown", "timestamp": "Never", "toner_cartridges": {}, "drum_units": {}, "other": {},
        "errors": {}, "total_pages": "N/A",
    },
    "printer-3.example.org": {"name": "Lab", "view": "B1", "snmp_version": "1",
                              "pages_history": [{"month": "2025-09", "pages": 12}, {"date": "2025-09-30", "count": 999}]},
}


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "data")


def run_import(store, path, fmt=None, update=False, history=None):
    fmt, rows, warnings = read_import(path, fmt, default_snmp=SnmpSettings())
    plan = plan_import(fmt, str(path), rows, store.load(), update=update, warnings=warnings)
    result = apply_import(plan, store, history or History(store.data_dir))
    return plan, result


def test_v2_import(store, tmp_path):
    path = tmp_path / "printers.json"
    path.write_text(json.dumps(V2))
    fmt, rows, warnings = read_import(path, "v2")
    assert fmt == "v2" and [r.address for r in rows] == ["10.11.83.81", "10.11.80.120", "printer-3.example.org"]
    assert any("'N/A' is not a page count" in w and w.startswith("10.11.83.81") for w in warnings)
    assert any("'13-2025' is not YYYY-MM" in w for w in warnings)
    assert any("10.11.80.120: total_pages is 'N/A'" in w for w in warnings)

    history = History(store.data_dir)
    plan, result = run_import(store, path, "v2", history=history)
    assert result == {"added": 3, "updated": 0, "skipped": 0}
    by = {r.address: r for r in store.load()}
    hr = by["10.11.83.81"]
    assert (hr.name, hr.user_overridden, hr.location) == ("HR LaserJet", True, "B2")
    assert hr.snmp == {"community": "hr-secret"}
    assert (hr.model, hr.serial, hr.status) == ("HP LaserJet M607", None, "Unknown")
    assert by["10.11.80.120"].user_overridden is False
    lab = by["printer-3.example.org"]
    assert (lab.location, lab.snmp) == ("B1", {"version": "1"})

    assert history.monthly_pages(hr.id) == [
        MonthlyPages("2025-10", 1520, None, None, NOTE_V2),
        MonthlyPages("2025-11", 880, None, None, NOTE_V2),
        MonthlyPages("2025-12", 0, 45210, 45210, None),  # the last counter reading seeds the history
    ]
    assert [c for _, c in history.page_counts(hr.id)] == [45210]
    assert history.monthly_pages(lab.id)[0] == MonthlyPages("2025-09", 12, 0 + 999, 999, "includes TonerTrack v2")

    audit = [json.loads(x) for x in store.audit_path.read_text().splitlines()]
    assert [a["action"] for a in audit] == ["import"] * 3
    assert "hr-secret" not in store.audit_path.read_text()

    # importing again changes nothing: every printer is already there
    plan, result = run_import(store, path, "v2")
    assert result == {"added": 0, "updated": 0, "skipped": 3}
    assert all("already in the inventory" in why for _, why in plan.skip)
    assert len(store.load()) == 3


def test_v2_list_and_wrapped_shapes(tmp_path):
    path = tmp_path / "v2.json"
    path.write_text(json.dumps({"printers": [{"address": "10.0.0.1", "name": "a"}, {"host": "10.0.0.2:1161"}]}))
    _, rows, _ = read_import(path, "v2")
    assert [r.address for r in rows] == ["10.0.0.1", "10.0.0.2:1161"]


@pytest.mark.parametrize(
    "content, message",
    [
        ("this is not json", "not JSON: line 1, column 1"),
        ("", "the file is empty"),
        ("{}", "no printers found"),
        ("[]", "no printers found"),
        ("42", "not a TonerTrack v2 printers.json"),
        ('{"10.0.0.300": {"name": "x"}}', "entry '10.0.0.300': '10.0.0.300' is not a valid IP address"),
        ('[{"name": "no address"}]', "entry #1: no ip/address"),
        ('{"a": {"ip": "10.0.0.1"}, "b": {"ip": "10.0.0.1:161"}}', "address 10.0.0.1 already given at entry 'a'"),
    ],
)
def test_bad_v2_files_are_refused(store, tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ImportFileError) as info:
        read_import(path, "v2")
    assert str(path) in str(info.value) and message in str(info.value)


def test_csv_import_with_bom_and_optional_columns(store, tmp_path):
    path = tmp_path / "printers.csv"
    path.write_bytes("\ufeffAddress,Name,Location,Community,snmp_version\n"
                     "10.1.0.1,Front desk,B1,,\n"
                     "# a comment\n\n"
                     "10.1.0.2:1161,,B2,s3cret,1\n".encode("utf-8"))
    plan, result = run_import(store, path)  # format guessed from .csv
    assert plan.fmt == "csv" and result["added"] == 2
    by = {r.address: r for r in store.load()}
    assert (by["10.1.0.1"].name, by["10.1.0.1"].user_overridden, by["10.1.0.1"].snmp) == ("Front desk", True, {})
    second = by["10.1.0.2:1161"]
    assert (second.name, second.user_overridden, second.location_user_set) == ("", False, True)
    assert second.snmp == {"community": "s3cret", "version": "1"}


def test_csv_bad_rows_are_all_reported_and_nothing_is_written(store, tmp_path):
    store.add(Printer.new("10.9.9.9"))
    before = store.path.read_bytes()
    path = tmp_path / "bad.csv"
    path.write_text("address,name,snmp_version\n"
                    "10.1.0.1,ok,\n"
                    "10.0.0.300,bad ip,\n"
                    "10.1.0.2,too,many,fields\n"
                    ",empty,\n"
                    "10.1.0.3,bad version,7\n"
                    "host:70000,bad port,\n")
    with pytest.raises(ImportFileError) as info:
        read_import(path, "csv")
    message = str(info.value)
    assert message.startswith(f"{path}: 5 problems, nothing imported:")
    for expected in ("line 3: '10.0.0.300' is not a valid IP address or host name",
                     "line 4: expected 3 fields", "line 5: address must not be empty",
                     "line 6: SNMP version must be 1, 2c or 3", "line 7: port 70000 out of range 1–65535"):
        assert expected in message
    assert store.path.read_bytes() == before


@pytest.mark.parametrize(
    "content, message",
    [
        ("ip,location\n10.0.0.1,B1\n", "line 1: missing column 'name'"),
        ("name,location\nx,B1\n", "line 1: missing column 'address'"),
        ("10.0.0.1,printer\n", "missing column 'address'"),
        ("", "the file is empty"),
        ("address,name,name\n10.0.0.1,a,b\n", "column 'name' appears twice"),
        ("address,name\n10.0.0.1,a\n10.0.0.1:161,b\n", "line 3: address 10.0.0.1 already given at line 2"),
    ],
)
def test_csv_header_problems(tmp_path, content, message):
    path = tmp_path / "x.csv"
    path.write_text(content)
    with pytest.raises(ImportFileError) as info:
        read_import(path, "csv")
    assert message in str(info.value)


def test_json_backup_restores_identical_records(tmp_path):
    source = Store(tmp_path / "a")
    source.add(Printer.new("10.1.2.3", name="One", location="B1",
                           snmp={"version": "3", "v3_user": "ops", "v3_auth_proto": "SHA",
                                 "v3_auth_key": "authkey-123"}))
    source.add(Printer.new("10.1.2.4:1161", snmp={"community": "c0mm"}, status="Warning", consecutive_failures=2,
                           stale=True, notes="by the stairs"))
    backup = tmp_path / "backup.json"
    backup.write_bytes(backup_bytes(source.load()))

    target = Store(tmp_path / "b")
    plan, result = run_import(target, backup)  # format guessed: a TonerTrack backup
    assert plan.fmt == "json" and result["added"] == 2
    assert target.load() == source.load()
    assert "authkey-123" not in target.audit_path.read_text()

    # restoring over itself skips everything; --update puts the backup's state back
    target.update("10.1.2.3", name="Renamed")
    plan, result = run_import(target, backup)
    assert result == {"added": 0, "updated": 0, "skipped": 2}
    plan, result = run_import(target, backup, update=True)
    assert result["updated"] == 2
    assert target.load() == source.load()


def test_backup_with_bad_records_is_refused(tmp_path):
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"format": "tonertrack-inventory", "schema": 1,
                                "printers": [{"id": "x", "address": "10.0.0.1"}, {"id": "a" * 32}]}))
    with pytest.raises(ImportFileError) as info:
        read_import(path, "json")
    assert "printer #1 (10.0.0.1): id 'x' is not a 32-digit hex id" in str(info.value)
    assert "printer #2: no address" in str(info.value)


def test_update_takes_settings_from_the_file(store, tmp_path):
    store.add(Printer.new("10.1.0.1", name="Old"))
    path = tmp_path / "p.csv"
    path.write_text("address,name,location\n10.1.0.1,New,B9\n10.1.0.2,Other,\n")
    plan, result = run_import(store, path, update=True)
    assert result == {"added": 1, "updated": 1, "skipped": 0}
    by = {r.address: r for r in store.load()}
    assert (by["10.1.0.1"].name, by["10.1.0.1"].location) == ("New", "B9")
    assert "update  10.1.0.1" in "\n".join(plan.describe())


def test_backup_file_mode_is_private(tmp_path):
    from tonertrack_tui.core.util.fsutil import atomic_write_bytes

    out = tmp_path / "b.json"
    old = os.umask(0o022)
    try:
        atomic_write_bytes(out, backup_bytes([]))
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


# ---------------------------------------------------------------- issue 15 #11, #12


def test_a_broken_json_file_gets_a_json_error_that_says_why_json(tmp_path):
    path = tmp_path / "printers.json"
    path.write_text('{"10.1.1.1": {"name": "A", "community": "public"},\n "10.1.1.2": {"name": ')
    with pytest.raises(ImportFileError) as info:
        read_import(path)
    message = str(info.value)
    assert "missing column" not in message
    assert f"{path}: not JSON: line 2, column" in message
    assert "(read as TonerTrack v2 printers.json: the file starts with '{' like JSON" in message


def test_a_csv_named_json_is_read_as_csv_and_a_failure_says_so(tmp_path):
    path = tmp_path / "export.json"
    path.write_text("address,name\n10.1.1.1,A\n")
    fmt, rows, _ = read_import(path)
    assert fmt == "csv" and [r.address for r in rows] == ["10.1.1.1"]
    path.write_text("hello\n")
    with pytest.raises(ImportFileError) as info:
        read_import(path)
    assert "(read as CSV: the file does not start with '{' or '[' like JSON (although its name ends in .json)" \
        in str(info.value)


def test_with_format_given_no_guess_is_explained(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("{")
    with pytest.raises(ImportFileError) as info:
        read_import(path, "v2")
    assert "read as" not in str(info.value)


def test_every_problem_is_listed_at_once_duplicates_too(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("address,name,community\n"
                    "10.1.0.1,ok,\n"
                    "10.0.0.300,bad ip,\n"
                    "10.1.0.1:161,again,\n"
                    "10.1.0.4,\u202ebidi,pub\x01lic\n")
    with pytest.raises(ImportFileError) as info:
        read_import(path)
    assert str(info.value).splitlines() == [
        f"{path}: 4 problems, nothing imported:",
        "  line 3: '10.0.0.300' is not a valid IP address or host name",
        "  line 4: address 10.1.0.1 already given at line 2",
        "  line 5: community must not contain control characters: U+0001 (a C0 control)",
        "  line 5: name must not contain control characters: U+202E (right-to-left override)",
    ]


def test_v2_problems_and_duplicates_are_listed_together(tmp_path):
    path = tmp_path / "v2.json"
    path.write_text(json.dumps({"a": {"ip": "10.0.0.1"}, "b": {"ip": "10.0.0.300"}, "c": {"ip": "10.0.0.1:161"},
                                "d": {"ip": "10.0.0.4", "name": "x" * 201, "user_overridden": True}}))
    with pytest.raises(ImportFileError) as info:
        read_import(path)
    assert str(info.value).splitlines()[1:] == [
        "  entry 'b': '10.0.0.300' is not a valid IP address or host name",
        "  entry 'c': address 10.0.0.1 already given at entry 'a'",
        "  entry 'd': name must be at most 200 characters (this one has 201)",
    ]
