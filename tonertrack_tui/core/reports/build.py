"""CSV reports: usage (one printer), monthly (the fleet), supplies (the order list), alerts.

A report is built as rows (`Report`: columns + rows of plain values) and then written.
The builders only read: the inventory (`Printer`s), the history (core/history.py) and the
config. The CLI (`tonertrack export ...`) and the TUI export menu call the same functions.

## CSV

* UTF-8 **with a BOM** in files: Excel (Windows and Mac) reads a BOM-less CSV as the
  local ANSI code page and turns "Büro 3.OG" into "BÃ¼ro 3.OG"; with the BOM, Excel,
  LibreOffice and Numbers all read UTF-8, and Python's csv/pandas read it with
  encoding "utf-8-sig". Standard output (`-o -`) gets no BOM: it goes to pipes and
  other programs, where a BOM is a stray character in the first header.
* Comma-separated, CRLF line ends (RFC 4180), quoting only where needed.
* Every text cell goes through `textsafe.csv_cell`: a cell starting with = + - @ TAB CR is
  prefixed with ' so a spreadsheet shows it instead of running it; control characters and
  escape sequences are removed. Numbers stay numbers.
* Written atomically: a temp file in the destination directory, fsync, rename
  (`fsutil.atomic_write_bytes`). On any error — a directory that cannot be written, a full
  disk — the temp file is removed, nothing is left under the target name, and
  `ReportWriteError` names the file.

## Figures that are estimates

Monthly pages come from the lifetime counter (core/history.py): the increase since the
previous reading counts for the month (or day) of the later reading. So a month after
months without any reading also holds their pages, a counter reset loses the pages around
it, and the first month with readings only counts from its first reading. Every such
figure carries a note; months without readings between two months with readings are
listed with no page figure and the note "no readings".
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from ..analysis.forecast import Forecast, forecast_supplies
from ..inventory.history import NOTE_RESET, NOTE_V2, NOTE_WRAP, MonthlyPages, page_delta
from ..inventory.printer import Printer
from ..inventory.store import UnknownPrinter
from ..inventory.store import find_printer as find_in
from ..printer.status import Thresholds, supply_severity
from ..printer.words import level_text, part_number, supply_name
from ..util.fsutil import atomic_write_bytes, ensure_private_dir
from ..util.textsafe import csv_cell, safe_text
from ..views.fleet import problems

REPORTS = ("usage", "monthly", "supplies", "alerts")
PERIOD_REPORTS = ("usage", "monthly")
USAGE_DAYS = 60
BOM = b"\xef\xbb\xbf"
REPORT_FILE_MODE = 0o600  # page counts, serials and locations of a shared jump box's fleet: private by default

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")

NOTE_ESTIMATE_RESET = "estimate: counter reset, pages around it not counted"
NOTE_WRAPPED = "counter wrapped (bridged)"
NOTE_PARTIAL = "partial: counting starts at the first reading"
NOTE_NO_READINGS = "no readings"


class ReportError(Exception):
    """A report cannot be made or written; the message says why in one line."""


class BadMonth(ReportError, ValueError):
    def __init__(self, text: str, what: str = "month"):
        self.text = text
        super().__init__(f"bad {what} {text!r}: expected YYYY-MM, e.g. 2026-01")


class BadPeriod(ReportError, ValueError):
    pass


class ReportWriteError(ReportError):
    """Writing the file failed; nothing was left under its name."""

    def __init__(self, path: Path | str, error: OSError):
        self.path = Path(path)
        self.error = error
        reason = error.strerror or str(error)
        super().__init__(f"cannot write {path}: {reason} (nothing was written)")


@dataclass(slots=True)
class Report:
    kind: str
    columns: tuple[str, ...]
    rows: list[list[Any]] = field(default_factory=list)
    subject: str = ""  # the printer of a usage report, for the file name

    def csv_text(self) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow([_cell(v) for v in row])
        return buf.getvalue()

    def csv_bytes(self, *, bom: bool = True) -> bytes:
        data = self.csv_text().encode("utf-8", "replace")
        return BOM + data if bom else data


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return value
    return csv_cell(safe_text(value, limit=None))


# ---------------------------------------------------------------- months and periods


def parse_month(text: str, what: str = "month") -> str:
    """'2026-01' -> '2026-01'; BadMonth for 2026-13, 26-01, 2026-1, text."""
    m = _MONTH.match(text.strip()) if isinstance(text, str) else None
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1970:
        raise BadMonth(text, what)
    return text.strip()


def check_period(start: str | None, end: str | None) -> tuple[str | None, str | None]:
    start = parse_month(start, "--from month") if start else None
    end = parse_month(end, "--to month") if end else None
    if start and end and start > end:
        raise BadPeriod(f"the period is empty: --from {start} is after --to {end}")
    return start, end


def next_month(month: str) -> str:
    y, m = int(month[:4]), int(month[5:7])
    return f"{y + m // 12}-{m % 12 + 1:02d}"


def months_between(first: str, last: str) -> list[str]:
    out = []
    m = first
    while m <= last:
        out.append(m)
        m = next_month(m)
    return out


def period_label(start: str | None, end: str | None, months: Sequence[str]) -> str:
    first = start or (months[0] if months else "")
    last = end or (months[-1] if months else "")
    if not first:
        return "no data"
    return first if first == last else f"{first} to {last}"


# ---------------------------------------------------------------- the inventory


def find_printer(printers: Iterable[Printer], key: str) -> Printer:
    """The printer whose id or address is `key` (canonicalised); UnknownPrinter otherwise."""
    printer = find_in(printers, key)
    if printer is None:
        raise UnknownPrinter(key)
    return printer


def _identity(printer: Printer) -> list[Any]:
    ident = printer.last_poll.identity if printer.last_poll is not None else None
    return [
        printer.address,
        printer.name or (ident.name if ident else "") or "",
        printer.location,
        printer.model or (ident.model if ident else "") or "",
        printer.serial or (ident.serial if ident else "") or "",
    ]


def _printer_order(printer: Printer) -> tuple[bool, str, bool, str, str]:
    location = safe_text(printer.location).casefold()
    name = safe_text(printer.name).casefold()
    return (location == "", location, name == "", name, printer.address)


# ---------------------------------------------------------------- monthly figures


@dataclass(slots=True)
class MonthFigure:
    month: str
    pages: int | None  # None: no readings that month
    start_count: int | None
    end_count: int | None
    notes: list[str]
    mono: int | None = None  # the vendor's split where the printer publishes it (issue 16)
    color: int | None = None

    @property
    def note(self) -> str:
        return "; ".join(self.notes)

    @property
    def estimate(self) -> bool:
        return any(n.startswith(("estimate", "partial", NOTE_NO_READINGS)) for n in self.notes)


def _index_notes(note: str | None) -> list[str]:
    out = []
    for part in (note or "").split("; "):
        if not part:
            continue
        out.append({NOTE_RESET: NOTE_ESTIMATE_RESET, NOTE_WRAP: NOTE_WRAPPED}.get(part, part))
    return out


def month_figures(rows: Sequence[MonthlyPages]) -> list[MonthFigure]:
    """A printer's months from the history index, with the gaps between them filled in and noted.

    A month without readings between two months with readings gets no figure ("no
    readings"); the next month with readings holds those pages too and says so. The first
    month with readings counts from its first reading only ("partial") unless TonerTrack v2
    figures cover it.
    """
    if not rows:
        return []
    by_month = {r.month: r for r in rows}
    out: list[MonthFigure] = []
    seen_reading = False
    missing: list[str] = []
    for month in months_between(rows[0].month, rows[-1].month):
        r = by_month.get(month)
        if r is None:
            missing.append(month)
            continue
        notes = _index_notes(r.note)
        has_readings = r.start_count is not None
        has_v2 = NOTE_V2 in (r.note or "") or "includes TonerTrack v2" in (r.note or "")
        if has_readings:
            if missing and seen_reading:
                gap = missing[0] if len(missing) == 1 else f"{missing[0]} to {missing[-1]}"
                notes.insert(0, f"estimate: includes pages of {gap} (no readings then)")
                for m in missing:
                    out.append(MonthFigure(m, None, None, None, [f"{NOTE_NO_READINGS} (pages counted in {month})"]))
            elif missing:
                for m in missing:
                    out.append(MonthFigure(m, None, None, None, [NOTE_NO_READINGS]))
            if not seen_reading and not has_v2:
                notes.insert(0, NOTE_PARTIAL)
            seen_reading = True
        else:
            for m in missing:
                out.append(MonthFigure(m, None, None, None, [NOTE_NO_READINGS]))
        missing = []
        out.append(MonthFigure(month, r.pages, r.start_count, r.end_count, notes, r.mono_pages, r.color_pages))
    out.sort(key=lambda f: f.month)
    return out


def _in_period(month: str, start: str | None, end: str | None) -> bool:
    return (start is None or month >= start) and (end is None or month <= end)


# mono_pages / color_pages: the vendor's split (issue 16), empty where the printer publishes none; added
# at the end so that scripts reading columns by position keep working
MONTHLY_COLUMNS = ("address", "name", "location", "model", "serial", "month", "pages", "start_count",
                   "end_count", "note", "mono_pages", "color_pages")


def monthly_report(printers: Iterable[Printer], history: Any, *, start: str | None = None,
                   end: str | None = None) -> Report:
    """Every printer × month, then totals per location and for the fleet (per month and for the period).

    Reads only the history index (one file), so 1,000 printers × years stay fast. Printers
    deleted from the inventory are left out (their history stays on disk).
    """
    start, end = check_period(start, end)
    report = Report("monthly", MONTHLY_COLUMNS)
    all_months = history.monthly_pages_all()
    # location -> month -> [pages, printers, estimates, mono, color, printers with the split]
    by_location: dict[str, dict[str, list[int]]] = {}
    fleet: dict[str, list[int]] = {}
    months_seen: set[str] = set()
    for printer in sorted(printers, key=_printer_order):
        figures = [f for f in month_figures(all_months.get(printer.id, []))
                   if _in_period(f.month, start, end)]
        if not figures:
            continue
        ident = _identity(printer)
        location = ident[2]
        for f in figures:
            report.rows.append([*ident, f.month, f.pages, f.start_count, f.end_count, f.note, f.mono, f.color])
            months_seen.add(f.month)
            for bucket in (by_location.setdefault(location, {}).setdefault(f.month, [0] * 6),
                           fleet.setdefault(f.month, [0] * 6)):
                bucket[0] += f.pages or 0
                bucket[1] += 1
                bucket[2] += f.estimate
                if f.mono is not None and f.color is not None:
                    bucket[3] += f.mono
                    bucket[4] += f.color
                    bucket[5] += 1
    months = sorted(months_seen)
    label = period_label(start, end, months)

    def total_row(name: str, location: str, month: str, pages: int, printers: int, estimates: int,
                  mono: int = 0, color: int = 0, split: int = 0) -> list[Any]:
        note = f"{printers} printer{'s' if printers != 1 else ''}"
        if estimates:
            note += f"; includes {estimates} estimated figure{'s' if estimates != 1 else ''}"
        if split and split != printers:
            note += f"; mono/colour from the {split} figure{'s' if split != 1 else ''} with a split"
        return ["TOTAL", name, location, "", "", month, pages, None, None, note,
                mono if split else None, color if split else None]

    def period_total(buckets: dict[str, list[int]], printers: int) -> tuple[int, ...]:
        sums = [sum(b[i] for b in buckets.values()) for i in range(6)]
        return (sums[0], printers, sums[2], sums[3], sums[4], sums[5])

    location_printers: dict[str, set[str]] = {}
    for row in report.rows:
        location_printers.setdefault(row[2], set()).add(row[0])
    # A period of one month has no period total of its own: it would repeat the month's total row
    # and make the pages column add up to more than was printed (issue 15 #2).
    with_period_rows = not (len(months) == 1 and label == months[0])
    for location in sorted(by_location, key=lambda loc: (loc == "", loc.casefold())):
        shown = location or "(no location)"
        for month in sorted(by_location[location]):
            report.rows.append(total_row("location total", shown, month, *by_location[location][month]))
        if with_period_rows:
            report.rows.append(total_row("location total", shown, label,
                                         *period_total(by_location[location], len(location_printers[location]))))
    if fleet:
        for month in months:
            report.rows.append(total_row("fleet total", "", month, *fleet[month]))
        if with_period_rows:
            report.rows.append(total_row("fleet total", "", label,
                                         *period_total(fleet, sum(len(p) for p in location_printers.values()))))
    return report


# ---------------------------------------------------------------- usage (one printer)


USAGE_COLUMNS = ("address", "name", "location", "model", "serial", "unit", "period", "pages", "start_count",
                 "end_count", "note", "mono_pages", "color_pages")


def _utc_day(t: datetime) -> date:
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(UTC).date()


def _latest_reading(figures: Sequence[MonthFigure]) -> tuple[str, int] | None:
    """(month, count) of the printer's latest counter reading, as the history index has it."""
    for f in reversed(figures):
        if f.end_count is not None:
            return f.month, f.end_count
    return None


def daily_figures(history: Any, printer_id: str, first: date, last: date,
                  latest: tuple[str, int] | None = None) -> list[MonthFigure]:
    """Pages per UTC day from `first` to `last` (as MonthFigure rows with a day in `month`).

    Days before the printer's first reading are left out; a day without readings has no
    figure, and the next day with readings holds those pages and says so.

    The sample file keeps at most one reading an hour (and the first of each day), while
    the monthly index counts every poll. `latest` — (month, count) of the index's latest
    reading — brings the day of the last stored sample up to that count, so the day rows
    and the month rows agree (issue 15 #3). That reading is on the same day as the last
    stored sample: the first poll of every day is stored.
    """
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)
    days: dict[date, MonthFigure] = {}
    first_reading: date | None = None
    prev: tuple[date, int] | None = None
    for when, count in history.page_counts(printer_id, end=end):
        day = _utc_day(when)
        if first_reading is None:
            first_reading = day
        if day >= first:
            fig = days.get(day)
            if fig is None:
                fig = days[day] = MonthFigure(day.isoformat(), 0, prev[1] if prev else count, count, [])
                if prev is None:
                    fig.notes.append("first reading: counting starts here")
                elif prev[0] < day - timedelta(days=1):
                    fig.notes.append(f"estimate: includes pages since {prev[0].isoformat()} (no readings between)")
            if prev is not None:
                pages, note = page_delta(prev[1], count)
                fig.pages = (fig.pages or 0) + pages
                if note == NOTE_RESET and NOTE_ESTIMATE_RESET not in fig.notes:
                    fig.notes.append(NOTE_ESTIMATE_RESET)
                elif note == NOTE_WRAP and NOTE_WRAPPED not in fig.notes:
                    fig.notes.append(NOTE_WRAPPED)
            fig.end_count = count
        prev = (day, count)
    if first_reading is None:
        return []
    if latest is not None and prev is not None and prev[0] >= first and latest[0] == prev[0].isoformat()[:7] \
            and latest[1] != prev[1] and prev[0] in days:
        fig = days[prev[0]]
        pages, note = page_delta(prev[1], latest[1])
        fig.pages = (fig.pages or 0) + pages
        fig.end_count = latest[1]
        if note == NOTE_RESET and NOTE_ESTIMATE_RESET not in fig.notes:
            fig.notes.append(NOTE_ESTIMATE_RESET)
        elif note == NOTE_WRAP and NOTE_WRAPPED not in fig.notes:
            fig.notes.append(NOTE_WRAPPED)
    out = []
    day = max(first, first_reading)
    while day <= last:
        out.append(days.get(day) or MonthFigure(day.isoformat(), None, None, None, [NOTE_NO_READINGS]))
        day += timedelta(days=1)
    return out


def usage_report(printers: Iterable[Printer], history: Any, printer: str, *, start: str | None = None,
                 end: str | None = None, today: date | None = None, days: int = USAGE_DAYS) -> Report:
    """One printer: pages per month in the period (and their total), then per day for the last `days` days."""
    start, end = check_period(start, end)
    found = find_printer(printers, printer)
    today = today or datetime.now(UTC).date()
    ident = _identity(found)
    report = Report("usage", USAGE_COLUMNS, subject=found.address)
    figures_all = month_figures(history.monthly_pages(found.id))
    figures = [f for f in figures_all if _in_period(f.month, start, end)]
    for f in figures:
        report.rows.append([*ident, "month", f.month, f.pages, f.start_count, f.end_count, f.note, f.mono, f.color])
    if len(figures) > 1:  # the total of one month would only repeat it
        estimates = sum(f.estimate for f in figures)
        note = f"includes {estimates} estimated month{'s' if estimates != 1 else ''}" if estimates else ""
        first_count = next((f.start_count for f in figures if f.start_count is not None), None)
        last_count = next((f.end_count for f in reversed(figures) if f.end_count is not None), None)
        split = [f for f in figures if f.mono is not None and f.color is not None]
        report.rows.append([*ident, "total", period_label(start, end, [f.month for f in figures]),
                            sum(f.pages or 0 for f in figures), first_count, last_count, note,
                            sum(f.mono or 0 for f in split) if split else None,
                            sum(f.color or 0 for f in split) if split else None])
    first = today - timedelta(days=days - 1)
    last = today
    if start:
        first = max(first, date(int(start[:4]), int(start[5:7]), 1))
    if end:
        last = min(last, date.fromisoformat(next_month(end) + "-01") - timedelta(days=1))
    if first <= last:
        for f in daily_figures(history, found.id, first, last, latest=_latest_reading(figures_all)):
            report.rows.append([*ident, "day", f.month, f.pages, f.start_count, f.end_count, f.note, None, None])
    return report


# ---------------------------------------------------------------- supplies (the order list)

SUPPLIES_COLUMNS = ("printer", "address", "location", "model", "supply", "kind", "colour", "remaining_pct",
                    "level", "days_left", "part_number", "why", "forecast")
_SEVERITY_RANK = {"error": 0, "warning": 1}


def supplies_report(printers: Iterable[Printer], history: Any, config: Any = None, *,
                    now: datetime | None = None, horizon_days: int | None = None,
                    base_thresholds: Thresholds | None = None) -> Report:
    """Every supply below its warning threshold or forecast to run out (fill up) within the horizon.

    Thresholds are the printer's own, per kind, over the config's (as the poller judges
    them). Most urgent first: errors, then warnings, each by days left.
    """
    now = now or datetime.now(UTC)
    if horizon_days is None:
        horizon_days = config.export.forecast_horizon_days if config is not None else 30
    base = base_thresholds or (config.base_thresholds() if config is not None else Thresholds())
    report = Report("supplies", SUPPLIES_COLUMNS)
    # (sort key: severity rank, days left, remaining %, name, supply index; the row)
    items: list[tuple[tuple[int, float, int, str, str], list[Any]]] = []
    for printer in printers:
        result = printer.last_poll
        if result is None or not result.supplies:
            continue
        thresholds = printer.thresholds.over(base)
        forecasts = forecast_supplies(history, printer.id, result.supplies, now=now)
        address, name, location, model, _serial = _identity(printer)
        for supply in result.supplies:
            severity = supply_severity(supply, thresholds)
            fc: Forecast = forecasts[supply.index]
            days_left = fc.whole_days  # None exactly when the forecast is not known
            soon = days_left is not None and days_left <= horizon_days
            if severity not in ("warning", "error") and not soon:
                continue
            why = []
            if severity in ("warning", "error"):
                warning, error = thresholds.for_kind(supply.kind)
                limit = error if severity == "error" else warning
                what = "space left" if supply.is_receptacle else "remaining"
                why.append(f"{what} below the {severity} threshold ({limit} %)")
            if soon:
                why.append(f"forecast: {fc.short()}")
            forecast_text = fc.basis if fc.known else f"unknown: {fc.reason}"
            row = [name or address, address, location, model, supply_name(supply, result.supplies),
                   supply.kind, supply.color or "", supply.remaining_pct, level_text(supply), days_left,
                   part_number(supply.description) or "", "; ".join(why), forecast_text]
            key = (_SEVERITY_RANK.get(severity, 2), fc.days_left if fc.days_left is not None else float("inf"),
                   supply.remaining_pct if supply.remaining_pct is not None else 101,
                   safe_text(name or address).casefold(), supply.index)
            items.append((key, row))
    items.sort(key=lambda item: item[0])
    report.rows = [row for _, row in items]
    return report


# ---------------------------------------------------------------- alerts


# detail: the device's own words for the problem (its alert table, core/printer/problems.py); at the end so
# that scripts reading columns by position keep working. since: when the problem was first seen
# (Printer.problems_since, kept across polls and restarts), not the time of the last poll.
ALERTS_COLUMNS = ("severity", "printer", "address", "location", "model", "problem", "since", "detail")


def alerts_report(printers: Iterable[Printer]) -> Report:
    """Active problems across the fleet, worst first (the alerts screen's list, one row per physical problem)."""
    printers = list(printers)
    by_id = {p.id: p for p in printers}
    report = Report("alerts", ALERTS_COLUMNS)
    for item in problems(printers):
        printer = by_id.get(item.printer_id)
        since = item.since
        report.rows.append([item.severity, item.printer, item.address,
                            printer.location if printer else "", (printer.model or "") if printer else "",
                            item.problem,
                            since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if since else "",
                            item.detail])
    return report


INVENTORY_COLUMNS = ("address", "name", "location", "model", "serial", "status", "last_poll_at", "page_count")


def inventory_report(printers: Iterable[Printer]) -> Report:
    """The inventory as a table: no SNMP settings (the JSON backup holds those, mode 0600)."""
    report = Report("inventory", INVENTORY_COLUMNS)
    for p in printers:
        page_count = p.last_poll.page_count if p.last_poll is not None else None
        report.rows.append([p.address, p.name, p.location, p.model, p.serial, p.status, p.last_poll_at, page_count])
    return report


# ---------------------------------------------------------------- building and writing


def build_report(kind: str, printers: Iterable[Printer], history: Any, config: Any = None, *,
                 printer: str | None = None, start: str | None = None, end: str | None = None,
                 now: datetime | None = None) -> Report:
    """One report by name: what the CLI and the TUI export menu both call."""
    now = now or datetime.now(UTC)
    printers = list(printers)
    if kind == "usage":
        if not printer:
            raise ReportError("the usage report needs a printer (its address)")
        return usage_report(printers, history, printer, start=start, end=end, today=_utc_day(now))
    if kind == "monthly":
        return monthly_report(printers, history, start=start, end=end)
    if kind == "supplies":
        return supplies_report(printers, history, config, now=now)
    if kind == "alerts":
        return alerts_report(printers)
    if kind == "inventory":
        return inventory_report(printers)
    raise ReportError(f"unknown report {kind!r} (one of {', '.join(REPORTS)})")


def default_file_name(kind: str, day: date, subject: str = "", suffix: str = ".csv") -> str:
    """'monthly-2026-11-26.csv'; 'usage-10.1.2.3-2026-11-26.csv' (the address made file-safe)."""
    tag = re.sub(r"[^A-Za-z0-9._-]+", "_", subject).strip("._") if subject else ""
    return f"{kind}-{tag + '-' if tag else ''}{day.isoformat()}{suffix}"


def default_path(config: Any, kind: str, day: date, subject: str = "", suffix: str = ".csv") -> Path:
    """The configured export directory and the dated name."""
    return Path(config.export_dir) / default_file_name(kind, day, subject, suffix)


def free_path(path: Path) -> Path:
    """`path` if nothing is there, else the first free 'name-2.csv', 'name-3.csv', …

    For the dated default names: a second export on the same day keeps the first one
    rather than replacing it without a word."""
    if not path.exists():
        return path
    n = 2
    while True:
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        if not candidate.exists():
            return candidate
        n += 1


def write_report(report: Report, path: Path | str, *, create_dir: bool = False, bom: bool = True,
                 keep_existing: bool = False) -> Path:
    """Write the CSV to `path` atomically; returns the absolute path written. ReportWriteError if anything fails.

    `create_dir` makes the directory (0700) first: for the configured export directory,
    not for a path the user typed (a typo there should be an error, not a new directory).
    `keep_existing` writes beside a file already there (`free_path`) instead of replacing it:
    for the dated default names. `bom`: the UTF-8 byte-order mark Excel needs (module notes);
    without it for `cut`, `awk` and scripts.
    """
    return write_file(report.csv_bytes(bom=bom), path, create_dir=create_dir, keep_existing=keep_existing)


def write_file(data: bytes, path: Path | str, *, create_dir: bool = False, keep_existing: bool = False) -> Path:
    """Write `data` to `path` atomically, mode 0600 (write_report's rules); returns the absolute path written."""
    path = Path(path).expanduser().absolute()
    try:
        if create_dir:
            ensure_private_dir(path.parent)
        if path.is_dir():
            raise IsADirectoryError(21, "is a directory")
        if keep_existing:
            path = free_path(path)
        atomic_write_bytes(path, data, mode=REPORT_FILE_MODE)
    except OSError as exc:
        raise ReportWriteError(path, exc) from exc
    return path


DEMO_DIR_PREFIX = "tonertrack-demo-"  # commands/demo.py's throwaway directory (tempfile.mkdtemp prefix)


def vanishing_note(path: Path | str) -> str:
    """A warning when `path` lies in the demo's throwaway directory (removed when the demo quits); "" otherwise."""
    parts = Path(path).expanduser().absolute().parent.parts
    if any(part.startswith(DEMO_DIR_PREFIX) for part in parts):
        return "the demo removes its temporary directory when it quits: copy the file to keep it"
    return ""
