"""Reports from a generated history (months, a gap, a counter reset, a cartridge swap), CSV safety,
the v2 import feeding the monthly report, and the failure cases of `tonertrack export`."""

from __future__ import annotations

import csv
import errno
import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tonertrack_tui.cli import main
from tonertrack_tui.core.config import Config
from tonertrack_tui.core.inventory.history import History, Sample
from tonertrack_tui.core.inventory.printer import KindThreshold, Printer, PrinterThresholds
from tonertrack_tui.core.inventory.store import Store, UnknownPrinter
from tonertrack_tui.core.printer.model import Identity, PollResult, Supply
from tonertrack_tui.core.printer.status import evaluate
from tonertrack_tui.core.reports.build import (
    BOM,
    BadMonth,
    BadPeriod,
    Report,
    ReportWriteError,
    _cell,
    alerts_report,
    build_report,
    default_file_name,
    monthly_report,
    parse_month,
    part_number,
    supplies_report,
    usage_report,
    write_report,
)
from tonertrack_tui.core.util import fsutil

TODAY = date(2025, 4, 10)
NOW = datetime(2025, 4, 10, 12, 0, tzinfo=UTC)
HOSTILE_NAME = '=HYPERLINK("http://evil.example/","click")'


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def supply(index, description, kind, color, pct, *, level=None, cls="consumed", note=None) -> Supply:
    return Supply(index, description, kind, kind, cls, "percent", color, pct if level is None else level, 100,
                  pct, note)


def poll(address: str, supplies=(), error_state=(), pages=None) -> PollResult:
    return evaluate(PollResult(target=address, reachable=True, polled_at="2025-04-10T11:55:00Z", duration_ms=9,
                               requests=2, identity=Identity(name="sysname"), device_status="running",
                               printer_status="idle", error_state=list(error_state), page_count=pages,
                               supplies=list(supplies)))


# Printer B's supplies, day d = 0 … 40 from 2025-03-01 (d = 40 is today)
def black(d):  # the cartridge runs down to 2 %, is swapped on day 15, then falls 2 %/day
    return 30 - 2 * d if d < 15 else 100 - 2 * (d - 15)


def waste_space_left(d):
    return 100 - 2 * d


def drum(d):  # reported in 10 % steps
    return int(round((90 - 0.5 * d) / 10)) * 10


B_DAYS = 41


def level(value, description, kind):
    pct = None if value < 0 else value
    return {"level": value, "max": 100, "remaining_pct": pct, "description": description, "kind": kind}


def b_state(d):
    return {
        "1.1": level(black(d), "Black Cartridge HP CF410A", "toner"),
        "1.2": level(15, "Cyan Cartridge HP CF411A", "toner"),
        "1.3": level(-3, "Magenta Toner TN-2420", "toner"),  # "some remaining": a state, no number
        "1.4": level(80, "Yellow Toner (106R03533)", "toner"),
        "1.5": level(waste_space_left(d), "Waste Toner Box", "waste"),
        "1.6": level(drum(d), "Drum Unit DR-2400", "drum"),
    }


A_READINGS = [  # printer A: a month without readings (February), a counter reset on 15 March, a gap in April
    ("2025-01-05", 10000), ("2025-01-20", 10500), ("2025-01-31", 11000),
    ("2025-03-03", 12000), ("2025-03-10", 12400), ("2025-03-15", 100), ("2025-03-20", 600), ("2025-03-31", 900),
    ("2025-04-01", 950), ("2025-04-02", 1000), ("2025-04-03", 1050), ("2025-04-04", 1100),
    ("2025-04-07", 1300), ("2025-04-08", 1350), ("2025-04-09", 1400), ("2025-04-10", 1450),
]


@pytest.fixture
def fleet(tmp_path):
    """Store and history of printers A (Zürich, non-ASCII), B (hostile text, supplies), C, E (offline)."""
    data = tmp_path / "data"
    store = Store(data)
    history = History(data, sample_interval_s=3600, raw_days=31)
    ids = {}

    def add(key, address, result=None, **fields):
        printer = store.add(Printer.new(address, **fields))
        if result is not None:
            store.record_poll([(printer.id, result)])
        ids[key] = printer.id

    add("A", "10.0.0.1", poll("10.0.0.1", [supply("1.1", "Black Toner", "toner", "black", 60)], ["doorOpen"], 1450),
        name="Büro 3.OG — Müller", location="Zürich", model="HP LaserJet M507", serial="CNB1")
    b_supplies = [supply(i, s["description"], s["kind"], c, s["remaining_pct"], level=s["level"],
                         cls="receptacle" if s["kind"] == "waste" else "consumed",
                         note="some_remaining" if s["level"] == -3 else None)
                  for (i, s), c in zip(b_state(40).items(), ["black", "cyan", "magenta", "yellow", None, None], strict=False)]
    add("B", "10.0.0.2", poll("10.0.0.2", b_supplies, pages=9000), name=HOSTILE_NAME, location="+Lab",
        model="@SUM(1+1)", serial="-123")
    add("C", "10.0.0.3", poll("10.0.0.3", [supply("1.1", "Toner TK-5240K", "toner", "black", 35)]), name="-2+3",
        location="Zürich", thresholds=PrinterThresholds(kinds={"toner": KindThreshold(warning_pct=40)}))
    add("E", "10.0.0.5", name="Cellar", location="Keller", status="Offline", consecutive_failures=3)

    history.append([Sample(ids["A"], at(d), c) for d, c in A_READINGS], today=TODAY)
    history.append([Sample(ids["B"], at("2025-03-01", 12) + timedelta(days=d), 5000 + 100 * d, b_state(d))
                    for d in range(B_DAYS)], today=TODAY)
    return store, history, ids


def rows_of(report: Report) -> list[dict]:
    return [dict(zip(report.columns, row, strict=False)) for row in report.rows]


def parse_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# ---------------------------------------------------------------- monthly


def test_monthly_report_exact_figures_and_notes(fleet):
    store, history, ids = fleet
    report = monthly_report(store.load(), history)
    data = [(r["address"], r["month"], r["pages"], r["start_count"], r["end_count"], r["note"])
            for r in rows_of(report) if r["address"] != "TOTAL"]
    assert data == [
        # "+Lab" sorts before "Zürich"
        ("10.0.0.2", "2025-03", 3000, 5000, 8000, "partial: counting starts at the first reading"),
        ("10.0.0.2", "2025-04", 1000, 8000, 9000, ""),
        ("10.0.0.1", "2025-01", 1000, 10000, 11000, "partial: counting starts at the first reading"),
        ("10.0.0.1", "2025-02", None, None, None, "no readings (pages counted in 2025-03)"),
        ("10.0.0.1", "2025-03", 2200, 11000, 900,
         "estimate: includes pages of 2025-02 (no readings then); "
         "estimate: counter reset, pages around it not counted"),
        ("10.0.0.1", "2025-04", 550, 900, 1450, ""),
    ]
    a = next(r for r in rows_of(report) if r["address"] == "10.0.0.1")
    assert (a["name"], a["location"], a["model"], a["serial"]) == \
        ("Büro 3.OG — Müller", "Zürich", "HP LaserJet M507", "CNB1")
    totals = [(r["name"], r["location"], r["month"], r["pages"], r["note"])
              for r in rows_of(report) if r["address"] == "TOTAL"]
    assert totals == [
        ("location total", "+Lab", "2025-03", 3000, "1 printer; includes 1 estimated figure"),
        ("location total", "+Lab", "2025-04", 1000, "1 printer"),
        ("location total", "+Lab", "2025-01 to 2025-04", 4000, "1 printer; includes 1 estimated figure"),
        ("location total", "Zürich", "2025-01", 1000, "1 printer; includes 1 estimated figure"),
        ("location total", "Zürich", "2025-02", 0, "1 printer; includes 1 estimated figure"),
        ("location total", "Zürich", "2025-03", 2200, "1 printer; includes 1 estimated figure"),
        ("location total", "Zürich", "2025-04", 550, "1 printer"),
        ("location total", "Zürich", "2025-01 to 2025-04", 3750, "1 printer; includes 3 estimated figures"),
        ("fleet total", "", "2025-01", 1000, "1 printer; includes 1 estimated figure"),
        ("fleet total", "", "2025-02", 0, "1 printer; includes 1 estimated figure"),
        ("fleet total", "", "2025-03", 5200, "2 printers; includes 2 estimated figures"),
        ("fleet total", "", "2025-04", 1550, "2 printers"),
        ("fleet total", "", "2025-01 to 2025-04", 7750, "2 printers; includes 4 estimated figures"),
    ]


def test_monthly_report_period(fleet):
    store, history, _ = fleet
    report = monthly_report(store.load(), history, start="2025-03", end="2025-03")
    months = {(r["address"], r["month"]) for r in rows_of(report)}
    assert months == {("10.0.0.2", "2025-03"), ("10.0.0.1", "2025-03"), ("TOTAL", "2025-03")}
    fleet_total = [r for r in rows_of(report) if r["name"] == "fleet total"]
    assert [r["pages"] for r in fleet_total] == [5200]  # the month is the period: one total row (issue 15 #2)
    # the gap before the period still marks March as an estimate
    a = next(r for r in rows_of(report) if r["address"] == "10.0.0.1")
    assert a["note"].startswith("estimate: includes pages of 2025-02")


# ---------------------------------------------------------------- usage


def test_usage_report_months_total_and_days(fleet):
    store, history, _ = fleet
    report = usage_report(store.load(), history, "10.0.0.1", today=TODAY)
    rows = rows_of(report)
    months = [(r["period"], r["pages"], r["start_count"], r["end_count"]) for r in rows if r["unit"] == "month"]
    assert months == [("2025-01", 1000, 10000, 11000), ("2025-02", None, None, None),
                      ("2025-03", 2200, 11000, 900), ("2025-04", 550, 900, 1450)]
    total = next(r for r in rows if r["unit"] == "total")
    assert (total["period"], total["pages"], total["start_count"], total["end_count"], total["note"]) == \
        ("2025-01 to 2025-04", 3750, 10000, 1450, "includes 3 estimated months")
    days = {r["period"]: (r["pages"], r["start_count"], r["end_count"], r["note"]) for r in rows if r["unit"] == "day"}
    assert len(days) == 60 and min(days) == "2025-02-10" and max(days) == "2025-04-10"
    assert days["2025-02-10"] == (None, None, None, "no readings")
    assert days["2025-03-03"] == (1000, 11000, 12000, "estimate: includes pages since 2025-01-31 (no readings between)")
    assert days["2025-03-15"] == (0, 12400, 100, "estimate: includes pages since 2025-03-10 (no readings between); "
                                                 "estimate: counter reset, pages around it not counted")
    assert days["2025-04-02"] == (50, 950, 1000, "")
    assert days["2025-04-05"] == (None, None, None, "no readings")
    assert days["2025-04-07"] == (200, 1100, 1300, "estimate: includes pages since 2025-04-04 (no readings between)")
    assert days["2025-04-10"] == (50, 1400, 1450, "")
    assert sum(r["pages"] or 0 for r in rows if r["unit"] == "day" and r["period"] >= "2025-04") == 550


def test_usage_report_period_limits_months_and_days(fleet):
    store, history, _ = fleet
    report = usage_report(store.load(), history, "10.0.0.1", start="2025-03", end="2025-03", today=TODAY)
    rows = rows_of(report)
    assert [r["period"] for r in rows if r["unit"] == "month"] == ["2025-03"]
    days = [r["period"] for r in rows if r["unit"] == "day"]
    assert days[0] == "2025-03-01" and days[-1] == "2025-03-31" and len(days) == 31


def test_usage_report_unknown_printer(fleet):
    store, history, _ = fleet
    with pytest.raises(UnknownPrinter):
        usage_report(store.load(), history, "10.9.9.9", today=TODAY)


# ---------------------------------------------------------------- supplies


def test_supplies_report_order_list(fleet):
    store, history, _ = fleet
    report = supplies_report(store.load(), history, Config(), now=NOW)
    rows = [(r["address"], r["supply"], r["kind"], r["colour"], r["remaining_pct"], r["level"], r["days_left"],
             r["part_number"], r["why"]) for r in rows_of(report)]
    assert rows == [
        # warnings first (by days left, unknown last), then the forecasts
        ("10.0.0.2", "Cyan Cartridge HP CF411A", "toner", "cyan", 15, "15 %", None, "CF411A",
         "remaining below the warning threshold (20 %)"),
        ("10.0.0.3", "Toner TK-5240K", "toner", "black", 35, "35 %", None, "TK-5240K",
         "remaining below the warning threshold (40 %)"),  # the printer's own toner threshold
        ("10.0.0.2", "Waste Toner Box", "waste", "", 20, "80 % full", 10, "", "forecast: ~10 days until full"),
        ("10.0.0.2", "Black Cartridge HP CF410A", "toner", "black", 50, "50 %", 25, "CF410A",
         "forecast: ~25 days left"),
    ]
    by_supply = {r["supply"]: r for r in rows_of(report)}
    assert by_supply["Black Cartridge HP CF410A"]["forecast"] == "26 readings over 26 days since 2025-03-16"
    assert by_supply["Cyan Cartridge HP CF411A"]["forecast"] == "unknown: no measurable decrease"
    assert by_supply["Toner TK-5240K"]["forecast"].startswith("unknown: no level readings yet")
    assert by_supply["Black Cartridge HP CF410A"]["printer"] == HOSTILE_NAME
    assert by_supply["Black Cartridge HP CF410A"]["location"] == "+Lab"


def test_supplies_horizon(fleet):
    store, history, _ = fleet
    report = supplies_report(store.load(), history, Config(), now=NOW, horizon_days=20)
    assert "Black Cartridge HP CF410A" not in {r["supply"] for r in rows_of(report)}  # 25 days > 20
    report = supplies_report(store.load(), history, Config(), now=NOW, horizon_days=200)
    assert "Drum Unit DR-2400" in {r["supply"] for r in rows_of(report)}  # steps of 10 %: ~140 days


@pytest.mark.parametrize("description, expected", [
    ("Black Cartridge HP CF410A", "CF410A"),
    ("Black Toner Cartridge HP CE285A", "CE285A"),
    ("HP 26X Black Toner Q2612A", "Q2612A"),
    ("Black Cartridge W2030X", "W2030X"),
    ("TN-2420", "TN-2420"),
    ("Black Toner TN-243CMYK", "TN-243CMYK"),
    ("Drum Unit DR-2400", "DR-2400"),
    ("Toner TK-5240K", "TK-5240K"),
    ("Maintenance Kit MK-1150", "MK-1150"),
    ("Samsung MLT-D111S Black", "MLT-D111S"),
    ("Canon CRG-045H Cyan", "CRG-045H"),
    ("Black Toner Cartridge 106R03533", "106R03533"),
    ("Yellow Toner (106R03533)", "106R03533"),
    ("Black Ink Cartridge C13T7911", "C13T7911"),
    ("Black Cartridge, PN 50F2H00", "50F2H00"),
    ("Lexmark 71B20K0 Black", "71B20K0"),
    ("Print Cartridge Black; P/N 841817", "841817"),
    ("Part No. 44469803 Toner", "44469803"),
    # no part number: words, quantities, voltages, paper sizes, models, serials
    ("Black", None), ("Black Toner", None), ("Imaging Unit 4000 pages", None), ("Waste Toner Box", None),
    ("Fuser Kit 220V", None), ("Transfer Kit 110V", None), ("Toner A4 80g", None), ("LaserJet M507", None),
    ("MP C3004 Toner", None), ("Drum 12K", None), ("ISO/IEC 19752 yield", None), ("SN-12345 drum", None),
    ("Color LaserJet Pro MFP M479fdw", None), ("Tray 2", None), ("", None), (None, None),
    ("PN: none", None), ("Black Toner 10000 Pages", None), ("UTF-8 text", None),
])
def test_part_number(description, expected):
    assert part_number(description) == expected


# ---------------------------------------------------------------- alerts


def test_alerts_report_worst_first(fleet):
    store, _, _ = fleet
    rows = rows_of(alerts_report(store.load()))
    assert [(r["severity"], r["printer"], r["address"], r["problem"]) for r in rows] == [
        ("Error", "Büro 3.OG — Müller", "10.0.0.1", "Door open"),
        ("Offline", "Cellar", "10.0.0.5", "No reply to the last 3 polls"),
        # a description with a part number is what people order by (core/printer/words.supply_name)
        ("Warning", HOSTILE_NAME, "10.0.0.2", "Cyan Cartridge HP CF411A 15 %"),
    ]
    assert rows[0]["location"] == "Zürich" and rows[0]["since"] == "2025-04-10T11:55:00Z"


# ---------------------------------------------------------------- CSV


def test_csv_bom_non_ascii_and_injection(fleet, tmp_path):
    store, history, _ = fleet
    path = write_report(monthly_report(store.load(), history), tmp_path / "out" / "m.csv", create_dir=True)
    data = path.read_bytes()
    assert data.startswith(BOM) and b"\r\n" in data
    rows = parse_csv(data)
    assert rows[0] == ["address", "name", "location", "model", "serial", "month", "pages", "start_count",
                       "end_count", "note", "mono_pages", "color_pages"]
    a = next(r for r in rows if r[0] == "10.0.0.1")
    assert a[1] == "Büro 3.OG — Müller" and a[2] == "Zürich"
    b = next(r for r in rows if r[0] == "10.0.0.2")
    assert b[1] == "'" + HOSTILE_NAME
    assert (b[2], b[3], b[4]) == ("'+Lab", "'@SUM(1+1)", "'-123")
    # no cell a spreadsheet would run
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert oct(path.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("value, expected", [
    ("=1+2", "'=1+2"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"),
    ("\t=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),  # the tab goes, the formula is still neutralised
    ("\r@x", "'@x"), ("\x1b[2J=evil", "'=evil"), ("plain", "plain"), ("a=b", "a=b"),
    (-5, -5), (3.5, 3.5), (None, ""), (True, "yes"),
])
def test_cells(value, expected):
    assert _cell(value) == expected


def test_a_raw_tab_or_cr_in_a_report_cell_never_leads(tmp_path):
    report = Report("alerts", ("severity", "printer"), [["Error", "\tTAB"], ["Error", "\r\n=CR"]])
    rows = parse_csv(report.csv_bytes())
    assert rows[1:] == [["Error", "TAB"], ["Error", "'=CR"]]


# ---------------------------------------------------------------- writing safely


def test_unwritable_destination_leaves_nothing(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(ReportWriteError) as info:
        write_report(Report("alerts", ("a",), [["b"]]), blocker / "alerts.csv")
    assert str(blocker / "alerts.csv") in str(info.value) and "nothing was written" in str(info.value)
    directory = tmp_path / "dir.csv"
    directory.mkdir()
    with pytest.raises(ReportWriteError, match="is a directory"):
        write_report(Report("alerts", ("a",), [["b"]]), directory)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.csv", "not-a-dir"]


def test_full_disk_leaves_no_partial_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    target = tmp_path / "monthly.csv"
    target.write_bytes(b"old report")

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fsutil.os, "write", full)
    with pytest.raises(ReportWriteError, match="No space left on device") as info:
        write_report(Report("monthly", ("a",), [["b"] for _ in range(1000)]), target)
    monkeypatch.undo()
    assert str(target) in str(info.value)
    assert target.read_bytes() == b"old report"
    assert [p.name for p in tmp_path.iterdir()] == ["monthly.csv"]


# ---------------------------------------------------------------- months


@pytest.mark.parametrize("text", ["2026-13", "26-01", "2026-1", "text", "2026-00", "2026-01-05", "", " 2026/01"])
def test_bad_months(text):
    with pytest.raises(BadMonth):
        parse_month(text)


def test_good_month_and_empty_period(fleet):
    assert parse_month("2026-01") == "2026-01"
    store, history, _ = fleet
    with pytest.raises(BadPeriod, match="after"):
        monthly_report(store.load(), history, start="2025-05", end="2025-04")


def test_default_file_names():
    assert default_file_name("monthly", date(2026, 11, 26)) == "monthly-2026-11-26.csv"
    assert default_file_name("usage", date(2026, 11, 26), "[fe80::1]:1161") == "usage-fe80_1_1161-2026-11-26.csv"


# ---------------------------------------------------------------- through `tonertrack export`


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write_config(tmp_path: Path, text: str) -> None:
    config = tmp_path / "config" / "config.toml"  # where conftest points TONERTRACK_CONFIG
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text)


def test_cli_stdout_and_default_file(fleet, tmp_path, capsys):
    write_config(tmp_path, f'[export]\ndirectory = "{tmp_path / "exports"}"\n')
    code, out, err = run(capsys, "export", "monthly", "-o", "-")
    assert code == 0 and err == ""
    assert out.startswith("address,name,location") and not out.startswith("\ufeff")
    assert "10.0.0.1,Büro 3.OG — Müller,Zürich" in out

    code, out, err = run(capsys, "export", "alerts")
    expected = tmp_path / "exports" / f"alerts-{date.today().isoformat()}.csv"
    assert code == 0 and out == "" and str(expected) in err
    assert parse_csv(expected.read_bytes())[1][:3] == ["Error", "Büro 3.OG — Müller", "10.0.0.1"]

    code, out, err = run(capsys, "export", "usage", "10.0.0.1", "--from", "2025-03", "--to", "2025-03",
                         "-o", str(tmp_path / "u.csv"))
    assert code == 0 and "(1 row)" in err  # one month, no total repeating it (2025 is not in the last 60 days)
    rows = parse_csv((tmp_path / "u.csv").read_bytes())
    assert rows[1][5:10] == ["month", "2025-03", "2200", "11000", "900"]

    code, out, err = run(capsys, "export", "supplies", "-o", "-")
    assert code == 0 and out.splitlines()[0] == ",".join(
        ["printer", "address", "location", "model", "supply", "kind", "colour", "remaining_pct", "level",
         "days_left", "part_number", "why", "forecast"])


def test_cli_usage_errors(fleet, capsys):
    code, out, err = run(capsys, "export", "usage", "10.9.9.9", "-o", "-")
    assert code == 2 and out == "" and err == "tonertrack: error: no printer '10.9.9.9' in the inventory\n"
    for bad in ("2026-13", "26-01", "text"):
        with pytest.raises(SystemExit) as info:
            main(["export", "monthly", "--from", bad, "-o", "-"])
        out, err = capsys.readouterr()
        assert info.value.code == 2 and out == ""
        assert len(err.strip().splitlines()) == 1 and f"'{bad}' is not a month" in err
    code, out, err = run(capsys, "export", "monthly", "--from", "2025-05", "--to", "2025-04", "-o", "-")
    assert code == 2 and "after --to" in err and len(err.splitlines()) == 1


def test_cli_write_failures_exit_1_and_leave_nothing(fleet, tmp_path, capsys, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, out, err = run(capsys, "export", "monthly", "-o", str(blocker / "m.csv"))
    assert code == 1 and err.startswith(f"tonertrack: error: cannot write {blocker / 'm.csv'}: Not a directory")

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    out_dir = tmp_path / "reports"
    out_dir.mkdir()
    monkeypatch.setattr(fsutil.os, "write", full)
    code, out, err = run(capsys, "export", "monthly", "-o", str(out_dir / "m.csv"))
    monkeypatch.undo()
    assert code == 1 and "No space left on device" in err and str(out_dir / "m.csv") in err
    assert list(out_dir.iterdir()) == []


def test_v2_import_feeds_the_monthly_report(tmp_path, capsys):
    v2 = {
        "10.9.9.9": {"name": "Altbau Drucker", "ip": "10.9.9.9", "community": "public", "location": "Keller",
                     "pages_history": {"2024-11": 1520, "2024-12": "1300"}, "model": "HP LaserJet 4250",
                     "serial": "N/A", "status": "OK"},
        "10.9.9.10": {"name": "=cmd|' /C calc'!A0", "pages_history": [{"month": "2024-12", "pages": 7}]},
    }
    path = tmp_path / "printers.json"
    path.write_text(json.dumps(v2))
    code, out, err = run(capsys, "import", str(path), "--format", "v2")
    assert code == 0, err
    code, out, err = run(capsys, "export", "monthly", "-o", "-")
    rows = list(csv.reader(io.StringIO(out, newline="")))
    body = [r for r in rows[1:] if r[0] != "TOTAL"]
    assert body == [
        ["10.9.9.9", "Altbau Drucker", "Keller", "HP LaserJet 4250", "", "2024-11", "1520", "", "",
         "imported from TonerTrack v2", "", ""],
        ["10.9.9.9", "Altbau Drucker", "Keller", "HP LaserJet 4250", "", "2024-12", "1300", "", "",
         "imported from TonerTrack v2", "", ""],
        ["10.9.9.10", "'=cmd|' /C calc'!A0", "", "", "", "2024-12", "7", "", "", "imported from TonerTrack v2", "", ""],
    ]
    fleet_period = next(r for r in rows if r[1] == "fleet total" and r[5] == "2024-11 to 2024-12")
    assert fleet_period[6] == "2827"
    code, out, err = run(capsys, "export", "monthly", "--from", "2024-12", "-o", "-")
    assert "2024-11" not in out and "2024-12" in out


def test_build_report_names(fleet):
    store, history, _ = fleet
    for kind in ("usage", "monthly", "supplies", "alerts"):
        report = build_report(kind, store.load(), history, Config(), printer="10.0.0.1", now=NOW)
        assert report.kind == kind and report.rows


# ---------------------------------------------------------------- mono / colour (issue 16)


def test_monthly_and_usage_reports_split_mono_and_colour(tmp_path):
    store = Store(tmp_path / "data")
    history = History(tmp_path / "data")
    colour = Printer.new("10.0.0.1", name="Colour MFP", location="HQ")
    mono = Printer.new("10.0.0.2", name="Mono laser", location="HQ")
    store.transact(lambda printers: printers.extend([colour, mono]), audit=None)
    history.append([Sample(colour.id, at("2026-03-01"), 1000, mono=800, color=200),
                    Sample(colour.id, at("2026-03-20"), 1600, mono=1200, color=400),
                    Sample(mono.id, at("2026-03-01"), 5000),
                    Sample(mono.id, at("2026-03-20"), 5300)])
    rows = parse_csv(monthly_report(store.load(), history).csv_bytes())
    header = rows[0]
    col = {name: header.index(name) for name in ("pages", "mono_pages", "color_pages", "note")}
    by_name = {r[1]: r for r in rows[1:] if r[0] != "TOTAL"}
    assert [by_name["Colour MFP"][col[c]] for c in ("pages", "mono_pages", "color_pages")] == ["600", "400", "200"]
    assert [by_name["Mono laser"][col[c]] for c in ("pages", "mono_pages", "color_pages")] == ["300", "", ""]
    fleet = next(r for r in rows if r[1] == "fleet total" and r[5] == "2026-03")
    assert (fleet[col["pages"]], fleet[col["mono_pages"]], fleet[col["color_pages"]]) == ("900", "400", "200")
    assert "mono/colour from the 1 figure with a split" in fleet[col["note"]]  # never a guessed split
    usage = parse_csv(usage_report(store.load(), history, "10.0.0.1", today=date(2026, 3, 20)).csv_bytes())
    month = next(r for r in usage if r[5] == "month")
    assert month[-2:] == ["400", "200"]


# ---------------------------------------------------------------- issue 15: reports that add up and agree


def test_monthly_totals_add_up_and_no_row_repeats_with_one_month(tmp_path):
    """#2: with one month of data the period total repeated every month total (the pages column tripled)."""
    store = Store(tmp_path / "data")
    history = History(tmp_path / "data")
    a = Printer.new("10.0.0.1", name="A", location="HQ")
    b = Printer.new("10.0.0.2", name="B", location="HQ")
    c = Printer.new("10.0.0.3", name="C", location="Lab")
    store.transact(lambda printers: printers.extend([a, b, c]), audit=None)
    history.append([Sample(a.id, at("2026-12-01"), 1000), Sample(a.id, at("2026-12-02"), 1100),
                    Sample(b.id, at("2026-12-01"), 50), Sample(b.id, at("2026-12-02"), 80),
                    Sample(c.id, at("2026-12-01"), 7), Sample(c.id, at("2026-12-02"), 12)], today=date(2026, 12, 2))
    for start, end in ((None, None), ("2026-12", "2026-12")):
        rows = rows_of(monthly_report(store.load(), history, start=start, end=end))
        as_tuples = [tuple(r.values()) for r in rows]
        assert len(as_tuples) == len(set(as_tuples)), "a row repeats"
        printers = [r for r in rows if r["address"] != "TOTAL"]
        totals = [r for r in rows if r["address"] == "TOTAL"]
        by_location = {(r["location"], r["month"]): r["pages"] for r in totals if r["name"] == "location total"}
        fleet_rows = [r for r in totals if r["name"] == "fleet total"]
        assert by_location == {("HQ", "2026-12"): 130, ("Lab", "2026-12"): 5}
        assert [(r["month"], r["pages"]) for r in fleet_rows] == [("2026-12", 135)]
        assert sum(r["pages"] for r in printers) == 135
        for (location, _), pages in by_location.items():
            assert sum(r["pages"] for r in printers if r["location"] == location) == pages
        # what someone summing the pages column of the printers and one fleet row gets
        assert sum(r["pages"] for r in rows) == 3 * 135  # printers + location totals + fleet total


def test_monthly_totals_add_up_over_several_months(fleet):
    store, history, _ = fleet
    rows = rows_of(monthly_report(store.load(), history))
    as_tuples = [tuple(r.values()) for r in rows]
    assert len(as_tuples) == len(set(as_tuples))
    printers = [r for r in rows if r["address"] != "TOTAL"]
    for r in rows:
        if r["name"] == "fleet total" and " to " not in r["month"]:
            assert r["pages"] == sum(p["pages"] or 0 for p in printers if p["month"] == r["month"])
        if r["name"] == "fleet total" and " to " in r["month"]:
            assert r["pages"] == sum(p["pages"] or 0 for p in printers)


def test_usage_day_rows_agree_with_the_month_row_for_today(tmp_path):
    """#3: polls between stored samples (one an hour) counted in the month but not in today's row."""
    store = Store(tmp_path / "data")
    history = History(tmp_path / "data", sample_interval_s=3600)
    printer = Printer.new("10.0.0.1", name="A")
    store.transact(lambda printers: printers.append(printer), audit=None)
    today = date(2026, 12, 2)
    first = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    for minute, count in ((0, 233410), (5, 233412), (10, 233415)):  # one stored sample, three polls
        history.append([Sample(printer.id, first + timedelta(minutes=minute), count)], today=today)
    rows = rows_of(usage_report(store.load(), history, "10.0.0.1", today=today))
    month = [(r["period"], r["pages"], r["start_count"], r["end_count"]) for r in rows if r["unit"] == "month"]
    day = {r["period"]: (r["pages"], r["start_count"], r["end_count"]) for r in rows if r["unit"] == "day"}
    assert month == [("2026-12", 5, 233410, 233415)]
    assert day == {"2026-12-02": (5, 233410, 233415)}
    assert [r for r in rows if r["unit"] == "total"] == []  # one month: its total would only repeat it


def test_usage_day_rows_agree_after_earlier_days(tmp_path):
    store = Store(tmp_path / "data")
    history = History(tmp_path / "data", sample_interval_s=3600)
    printer = Printer.new("10.0.0.1", name="A")
    store.transact(lambda printers: printers.append(printer), audit=None)
    today = date(2026, 12, 3)
    day1 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    readings = [(day1, 100), (day1 + timedelta(minutes=30), 140), (day1 + timedelta(days=1), 200),
                (day1 + timedelta(days=2), 260), (day1 + timedelta(days=2, minutes=20), 300)]
    for when, count in readings:
        history.append([Sample(printer.id, when, count)], today=today)
    rows = rows_of(usage_report(store.load(), history, "10.0.0.1", today=today))
    month = next(r for r in rows if r["unit"] == "month")
    days = [r for r in rows if r["unit"] == "day"]
    assert (month["pages"], month["end_count"]) == (200, 300)
    assert sum(r["pages"] for r in days) == month["pages"]
    assert days[-1]["end_count"] == month["end_count"]


def test_alerts_since_is_when_first_seen_and_detail_is_the_devices_words(tmp_path):
    """#4: since = first seen, kept across polls (not the last poll); Offline since its last answer; detail."""
    from tonertrack_tui.core.printer.model import Alert

    store = Store(tmp_path / "data")
    jam = Printer.new("10.0.0.1", name="Jammed")
    off = Printer.new("10.0.0.2", name="Gone")
    store.transact(lambda printers: printers.extend([jam, off]), audit=None)

    def jammed(t: str) -> PollResult:
        return evaluate(PollResult(target="10.0.0.1", reachable=True, polled_at=t, duration_ms=9, requests=2,
                                   identity=Identity(), device_status="running", printer_status="idle",
                                   error_state=["jammed"], page_count=5,
                                   alerts=[Alert("1", "critical", None, "mediaPath", 8, "jam",
                                                 "13.A2.D2 Paper jam in tray 2 area")]))

    store.record_poll([(jam.id, jammed("2026-12-02T15:32:00Z")),
                       (off.id, poll("10.0.0.2", [supply("1.1", "Black Toner", "toner", "black", 60)], pages=3))])
    store.record_poll([(jam.id, jammed("2026-12-02T15:38:00Z"))])
    for minute in (40, 45, 50):
        store.record_poll([(off.id, PollResult(target="10.0.0.2", reachable=False,
                                               polled_at=f"2026-12-02T15:{minute}:00Z"))])
    report = alerts_report(store.load())
    assert report.columns[-1] == "detail"
    rows = {r["printer"]: r for r in rows_of(report)}
    assert rows["Jammed"]["since"] == "2026-12-02T15:32:00Z"
    assert rows["Jammed"]["problem"] == "Paper jam"
    assert "13.A2.D2 Paper jam in tray 2 area" in rows["Jammed"]["detail"]
    assert rows["Gone"]["severity"] == "Offline"
    assert rows["Gone"]["since"] == "2025-04-10T11:55:00Z"  # its last answer


def test_cli_reports_say_the_absolute_path_keep_earlier_exports_and_offer_no_bom(fleet, tmp_path, capsys,
                                                                                   monkeypatch):
    """Issue 15 reports: the full path; a second export of the day does not replace the first; --no-bom."""
    write_config(tmp_path, '[export]\ndirectory = "exports"\n')  # relative: the message still says where
    monkeypatch.chdir(tmp_path)
    day = date.today().isoformat()
    first = tmp_path / "exports" / f"alerts-{day}.csv"
    code, out, err = run(capsys, "export", "alerts")
    assert code == 0 and f"to {first}\n" in err
    first_bytes = first.read_bytes()
    code, out, err = run(capsys, "export", "alerts", "--no-bom")
    second = tmp_path / "exports" / f"alerts-{day}-2.csv"
    assert code == 0 and f"to {second}\n" in err
    assert first.read_bytes() == first_bytes  # kept
    assert second.read_bytes() == first_bytes.removeprefix(BOM)  # the same CSV without the BOM
    code, out, err = run(capsys, "export", "alerts")
    assert f"to {tmp_path / 'exports' / f'alerts-{day}-3.csv'}\n" in err
    # a file the user names is theirs: replaced, like the shell's >
    code, out, err = run(capsys, "export", "alerts", "-o", "mine.csv")
    code, out, err = run(capsys, "export", "alerts", "-o", "mine.csv", "--no-bom")
    assert code == 0 and f"to {tmp_path / 'mine.csv'}\n" in err
    assert not (tmp_path / "mine-2.csv").exists() and not (tmp_path / "mine.csv").read_bytes().startswith(BOM)


def test_cli_export_into_the_demo_directory_says_it_vanishes(fleet, tmp_path, capsys):
    demo_dir = tmp_path / "tonertrack-demo-abc123"
    write_config(tmp_path, f'[export]\ndirectory = "{demo_dir / "exports"}"\n')
    code, out, err = run(capsys, "export", "alerts")
    assert code == 0 and "removes its temporary directory when it quits" in err
    code, out, err = run(capsys, "export", "alerts", "-o", str(tmp_path / "kept.csv"))
    assert code == 0 and "temporary" not in err


async def test_monthly_report_over_the_demo_fleet_adds_up(tmp_path):
    """Issue 16: the demo fleet polled for real (snmpsim), a month of history from its counters:
    printer rows add up to the totals, and mono + colour = pages wherever the printer splits them."""
    from tonertrack_tui.core.polling.poller import poll_one
    from tonertrack_tui.core.snmp.client import SnmpClient
    from tonertrack_tui.demo import DemoFleet

    store, history = Store(tmp_path / "data"), History(tmp_path / "data")
    printers, samples = [], []
    client = SnmpClient()
    try:
        with DemoFleet() as demo:
            for n, (demo_printer, address) in enumerate(p for p in demo.entries() if not p[0].offline):
                settings = demo_printer.snmp_settings().overridden({"timeout": 5.0, "retries": 2})
                result = await poll_one(client, address, settings)
                assert result.reachable, (demo_printer.key, result.reasons)
                printer = Printer.new(address, name=demo_printer.name, location=demo_printer.location)
                printers.append(printer)
                c = result.counters
                pages, mono, color = 100 * (n + 1), 70 * (n + 1), 30 * (n + 1)
                split = c.mono is not None and c.color is not None
                samples.append(Sample(printer.id, at("2026-03-01"), result.page_count - pages,
                                      mono=c.mono - mono if split else None, color=c.color - color if split else None))
                samples.append(Sample(printer.id, at("2026-03-20"), result.page_count,
                                      mono=c.mono if split else None, color=c.color if split else None))
    finally:
        client.close()
    store.transact(lambda existing: existing.extend(printers), audit=None)
    history.append(samples)
    rows = parse_csv(monthly_report(store.load(), history).csv_bytes())
    col = {name: rows[0].index(name) for name in ("pages", "mono_pages", "color_pages")}
    body = [r for r in rows[1:] if r[0] != "TOTAL"]
    assert len(body) == len(printers) >= 12
    split_rows = [r for r in body if r[col["mono_pages"]]]
    assert 1 <= len(split_rows) < len(body)  # the demo has printers with and without the vendor split
    for r in split_rows:
        assert int(r[col["mono_pages"]]) + int(r[col["color_pages"]]) == int(r[col["pages"]])
    fleet = next(r for r in rows if r[1] == "fleet total" and r[5] == "2026-03")
    assert int(fleet[col["pages"]]) == sum(int(r[col["pages"]]) for r in body)
    assert int(fleet[col["mono_pages"]]) == sum(int(r[col["mono_pages"]]) for r in split_rows)
    for location in {r[2] for r in body}:
        total = next(r for r in rows if r[1] == "location total" and r[2] == location and r[5] == "2026-03")
        assert int(total[col["pages"]]) == sum(int(r[col["pages"]]) for r in body if r[2] == location)
