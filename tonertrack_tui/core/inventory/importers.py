"""Bring printers in: TonerTrack v2's printers.json, a CSV, or our own JSON backup.

Import is all or nothing. `read_import` parses and validates the whole file first (every
bad row is reported, with its line or entry, and nothing is written); `plan_import` compares
it with the inventory; `apply_import` writes it in ONE store transaction, one audit line per
printer (action "import").

Printers already in the inventory (same address; for a JSON backup also the same id) are
**skipped** and listed, so running an import twice is harmless. With `update=True` their
settings are taken from the file instead (name, location, SNMP; a backup replaces the whole
record). Two rows with the same address in one file are an error: which one is meant?

## TonerTrack v2 printers.json

v2 keeps a JSON object keyed by IP (`{"10.1.2.3": {...}}`); a list, or `{"printers": ...}`
holding either, is read too. Per printer: `ip`/`address`/`host` (else the key), `name`,
`community`, `snmp_version`, `location` (or `view`), `user_overridden`, `model`, `serial`
("N/A" = unknown), `pages_history` ({"YYYY-MM": pages} or a list of {"month", "pages"}
or of {"date", "count"} counter readings), `last_total_pages`/`total_pages`/`last_page_count`
with `timestamp`/`last_updated`. Toner levels and status are not imported: the first poll
fills them. Odd values ("N/A" page counts, strings for numbers, nulls) give warnings.

## CSV

A header line is required: `address,name` and optionally `location,community,snmp_version,notes`
(`ip`/`host` are taken for `address`). A UTF-8 BOM is fine; blank lines and lines starting with
`#` are skipped. SNMP settings not in the file come from the config's [snmp] defaults.

## JSON backup

What `tonertrack export inventory --json` writes: `{"format": "tonertrack-inventory",
"schema": 1, "exported_at": ..., "printers": [Printer.to_json(), ...]}` with the SNMP secrets (it is a
backup: the file is written 0600). A copy of printers.json itself is accepted too.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..address import AddressError, parse_address
from ..snmp.credentials import SnmpSettings
from ..util.timeutil import utc_now_iso
from . import validate
from .printer import Printer
from .store import SCHEMA, DuplicatePrinter, Store, UnknownPrinter

FORMATS = ("v2", "csv", "json")
BACKUP_FORMAT = "tonertrack-inventory"
MAX_REPORTED_ERRORS = 25
CSV_COLUMNS = ("address", "name", "location", "community", "snmp_version", "notes")
_CSV_ALIASES = {"ip": "address", "host": "address", "ip_address": "address", "version": "snmp_version",
                "view": "location"}
_ID = re.compile(r"^[0-9a-f]{32}$")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class ImportFileError(ValueError):
    """The file cannot be imported; the message names the file and every bad row."""


@dataclass(slots=True)
class ImportRow:
    address: str  # canonical
    origin: str  # "line 7", "entry '10.1.2.3'"
    position: int = 0  # line or entry number: problems are listed in file order
    fields: dict[str, Any] = field(default_factory=dict)  # printer fields taken from the file
    record: Printer | None = None  # a JSON backup's complete printer
    pages_history: dict[str, int] = field(default_factory=dict)  # v2 month totals
    counter_samples: list[tuple[str, int]] = field(default_factory=list)  # (ISO time, lifetime count)


@dataclass(slots=True)
class ImportPlan:
    fmt: str
    source: str
    add: list[ImportRow] = field(default_factory=list)
    update: list[tuple[ImportRow, Printer]] = field(default_factory=list)
    skip: list[tuple[ImportRow, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def describe(self) -> list[str]:
        """What the import does (or would do), one line per printer, for people."""
        lines = []
        for row in self.add:
            name = row.record.name if row.record is not None else row.fields.get("name") or ""
            lines.append(f"add     {row.address}" + (f"  {name}" if name else ""))
        for row, _existing in self.update:
            lines.append(f"update  {row.address}  (already in the inventory: settings taken from the file)")
        for row, reason in self.skip:
            lines.append(f"skip    {row.address}  ({reason})")
        return lines


# ---------------------------------------------------------------- reading


def guess_format(path: Path, data: bytes) -> tuple[str, str]:
    """(format, why) from the content, whatever the file is called: JSON starts with { or [."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"{", b"["):
        try:
            doc = json.loads(data.decode("utf-8-sig"))
        except (ValueError, UnicodeDecodeError):
            first = head[:1].decode()
            return "v2", f"the file starts with {first!r} like JSON; a TonerTrack backup or v2's printers.json"
        if isinstance(doc, dict) and (doc.get("format") == BACKUP_FORMAT
                                      or ("schema" in doc and isinstance(doc.get("printers"), list))):
            return "json", "the file is a TonerTrack backup (format tonertrack-inventory)"
        return "v2", "the file is JSON but not a TonerTrack backup"
    named = f" (although its name ends in {path.suffix})" if path.suffix.lower() == ".json" else ""
    return "csv", f"the file does not start with '{{' or '[' like JSON{named}"


def detect_format(path: Path, data: bytes) -> str:
    return guess_format(path, data)[0]


def read_import(
    path: Path | str, fmt: str | None = None, *, default_snmp: SnmpSettings | None = None
) -> tuple[str, list[ImportRow], list[str]]:
    """(format, rows, warnings) of a whole file, or ImportFileError listing every problem (and,
    when the format was guessed, which one was assumed and why)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise ImportFileError(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    why = ""
    if not fmt:
        fmt, why = guess_format(path, data)
    if fmt not in FORMATS:
        raise ImportFileError(f"unknown import format {fmt!r} (use {', '.join(FORMATS)})")
    base = default_snmp or SnmpSettings()
    reader = {"v2": _parse_v2, "csv": _parse_csv, "json": _parse_backup}[fmt]
    try:  # the file as a whole (not its rows) does not fit the format: say which one was assumed
        rows, warnings, errors = reader(data, str(path), base)
        if not rows and not errors:
            raise ImportFileError(f"{path}: no printers found")
    except ImportFileError as exc:
        if not why:
            raise
        raise ImportFileError(f"{exc}\n(read as {_FORMAT_NAMES[fmt]}: {why}; "
                              f"give --format {'|'.join(FORMATS)} to choose)") from None
    return fmt, _finish(str(path), rows, errors), warnings


_FORMAT_NAMES = {"v2": "TonerTrack v2 printers.json", "csv": "CSV", "json": "a TonerTrack JSON backup"}
Errors = list[tuple[int, str]]  # (line or entry number, "line 7: ...")


def _finish(source: str, rows: list[ImportRow], errors: Errors) -> list[ImportRow]:
    """Every problem at once: the rows' own, and the same address given twice in the file."""
    seen: dict[str, str] = {}
    errors = list(errors)
    for row in rows:
        if row.address in seen:
            errors.append((row.position, f"{row.origin}: address {row.address} already given at {seen[row.address]}"))
        else:
            seen[row.address] = row.origin
    if errors:
        raise _fail(source, [message for _, message in sorted(errors, key=lambda e: e[0])])
    return rows


def _fail(source: str, errors: list[str]) -> ImportFileError:
    shown = errors[:MAX_REPORTED_ERRORS]
    more = len(errors) - len(shown)
    head = f"{source}: {len(errors)} problem{'s' if len(errors) != 1 else ''}, nothing imported:"
    body = "\n".join(f"  {e}" for e in shown)
    tail = f"\n  ... and {more} more" if more else ""
    return ImportFileError(f"{head}\n{body}{tail}")


def _decode_json(data: bytes, source: str) -> Any:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"{source}: not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise ImportFileError(f"{source}: the file is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(f"{source}: not JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}") from None


def _to_int(value: Any) -> int | None:
    """123, "123", "1,234", 123.0 -> int; None for null/"N/A"/garbage; raises nothing."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("_", "")
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        if re.fullmatch(r"[+-]?\d+\.0*", text):
            return int(float(text))
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip()


_UNKNOWN_WORDS = ("", "N/A", "NA", "NONE", "UNKNOWN", "NEVER", "-")


def _unknown_marker(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().upper() in _UNKNOWN_WORDS)


def _norm_version(value: Any) -> str | None:
    if value is None or value == "":
        return None
    text = str(value).strip().lower().removeprefix("v")
    return {"1": "1", "2": "2c", "2c": "2c", "3": "3"}.get(text, text)


def _month_key(value: Any) -> str | None:
    m = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-\d{1,2})?", _text(value))
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    return f"{m.group(1)}-{int(m.group(2)):02d}"


def _v2_time(value: Any) -> str | None:
    """v2 timestamps: "%Y-%m-%d %H:%M:%S" in the server's local time, or ISO 8601."""
    if _unknown_marker(value) or not isinstance(value, str):
        return None
    try:
        t = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.astimezone()  # naive = the v2 server's local time
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _snmp(own: dict[str, Any], default_snmp: SnmpSettings, where: str, position: int,
          errors: Errors) -> dict[str, Any]:
    """A printer's own SNMP settings, checked over the defaults; every problem goes to `errors`."""
    problems = validate.snmp_problems(own, default_snmp)
    errors.extend((position, f"{where}: {p.message}") for p in problems)
    return {} if problems else validate.clean_snmp(own, default_snmp)


def _texts(fields: dict[str, Any], where: str, position: int, errors: Errors,
           names: Iterable[str] = ("name", "location", "notes")) -> None:
    for key in names:
        problem = validate.check_text(key, fields.get(key) or "")
        if problem:
            errors.append((position, f"{where}: {problem}"))


def parse_v2(data: bytes, source: str, default_snmp: SnmpSettings) -> tuple[list[ImportRow], list[str]]:
    rows, warnings, errors = _parse_v2(data, source, default_snmp)
    return _finish(source, rows, errors), warnings


def _parse_v2(data: bytes, source: str, default_snmp: SnmpSettings) -> tuple[list[ImportRow], list[str], Errors]:
    doc = _decode_json(data, source)
    if isinstance(doc, dict) and "printers" in doc and isinstance(doc["printers"], (dict, list)):
        doc = doc["printers"]
    entries: list[tuple[str | None, Any]]
    if isinstance(doc, dict):
        entries = list(doc.items())
    elif isinstance(doc, list):
        entries = [(None, e) for e in doc]
    else:
        raise ImportFileError(f"{source}: not a TonerTrack v2 printers.json (expected an object or a list of printers)")
    if not entries:
        raise ImportFileError(f"{source}: no printers found")
    rows: list[ImportRow] = []
    warnings: list[str] = []
    errors: Errors = []
    for i, (key, entry) in enumerate(entries, 1):
        label = f"entry {key!r}" if key is not None else f"entry #{i}"
        if not isinstance(entry, dict):
            errors.append((i, f"{label}: not an object"))
            continue
        raw_address = next((entry[k] for k in ("ip", "address", "host") if _text(entry.get(k))), key)
        if not _text(raw_address):
            errors.append((i, f"{label}: no ip/address"))
            continue
        try:
            address = str(parse_address(_text(raw_address)))
        except AddressError as exc:
            errors.append((i, f"{label}: {exc}"))
            continue
        def warn(msg: str, address: str = address) -> None:
            warnings.append(f"{address}: {msg}")

        name = _text(entry.get("name"))
        location = _text(entry.get("location") if entry.get("location") is not None else entry.get("view"))
        overridden = entry.get("user_overridden", False)
        if not isinstance(overridden, bool):
            warn(f"user_overridden {overridden!r} is not true/false (taken as {bool(overridden)})")
            overridden = bool(overridden)
        problem = validate.check_name(name)
        if problem and not overridden:  # v2 took it from the device: the first poll names it again
            warn(f"{problem}; the name is left out (the first poll names it)")
            name = ""
        own: dict[str, Any] = {}
        if _text(entry.get("community")):
            own["community"] = _text(entry["community"])
        version = _norm_version(entry.get("snmp_version"))
        if version:
            own["version"] = version
        fields: dict[str, Any] = {
            "name": name,
            "user_overridden": overridden and bool(name),
            "location": location,
            "location_user_set": False,
            "snmp": _snmp(own, default_snmp, label, i, errors),
        }
        for key_name in ("model", "serial"):
            if not _unknown_marker(entry.get(key_name)):
                fields[key_name] = _text(entry[key_name])
        if _text(entry.get("notes")):
            fields["notes"] = _text(entry["notes"])
        _texts(fields, label, i, errors)
        row = ImportRow(address=address, origin=label, position=i, fields=fields)
        _v2_pages(entry, row, warn)
        rows.append(row)
    return rows, warnings, errors


def _v2_pages(entry: dict[str, Any], row: ImportRow, warn: Callable[[str], None]) -> None:
    hist = entry.get("pages_history")
    if isinstance(hist, dict):
        items = list(hist.items())
        for month, pages in items:
            _v2_month(row, month, pages, warn)
    elif isinstance(hist, list):
        for item in hist:
            if not isinstance(item, dict):
                warn(f"pages_history entry {item!r} is not an object (ignored)")
            elif "month" in item:
                _v2_month(row, item.get("month"), item.get("pages"), warn)
            elif "date" in item and "count" in item:
                day = _text(item["date"])
                t = _v2_time(day if len(day) > 10 else f"{day}T00:00:00")
                count = _to_int(item["count"])
                if t is None or count is None or count < 0:
                    warn(f"pages_history reading {item!r} is not a date and a count (ignored)")
                else:
                    row.counter_samples.append((t, count))
            else:
                warn(f"pages_history entry {item!r} has neither month/pages nor date/count (ignored)")
    elif hist not in (None, ""):
        warn(f"pages_history {hist!r} is neither an object nor a list (ignored)")
    for key in ("last_total_pages", "total_pages", "last_page_count", "page_count"):
        if key not in entry:
            continue
        value = entry[key]
        count = _to_int(value)
        if count is None or count < 0:
            if not _unknown_marker(value):
                warn(f"{key} {value!r} is not a page count (ignored)")
            elif isinstance(value, str) and value.strip():
                warn(f"{key} is {value.strip()!r}: no page count (ignored)")
            continue
        times = (_v2_time(entry.get(k)) for k in ("timestamp", "last_updated", "last_poll"))
        t = next((value for value in times if value), None)
        if t is not None:
            row.counter_samples.append((t, count))
        else:
            warn(f"{key} {count} has no usable timestamp (not added to history)")
        break


def _v2_month(row: ImportRow, month: Any, pages: Any, warn: Callable[[str], None]) -> None:
    key = _month_key(month)
    count = _to_int(pages)
    if key is None:
        warn(f"pages_history month {month!r} is not YYYY-MM (ignored)")
    elif count is None or count < 0:
        warn(f"pages_history {key}: {pages!r} is not a page count (ignored)")
    else:
        row.pages_history[key] = row.pages_history.get(key, 0) + count


def parse_csv(data: bytes, source: str, default_snmp: SnmpSettings) -> tuple[list[ImportRow], list[str]]:
    rows, warnings, errors = _parse_csv(data, source, default_snmp)
    return _finish(source, rows, errors), warnings


def _parse_csv(data: bytes, source: str, default_snmp: SnmpSettings) -> tuple[list[ImportRow], list[str], Errors]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"{source}: not UTF-8 text (byte {exc.start}); save the CSV as UTF-8") from None
    numbered = enumerate(_LINE_BREAK.split(text.removesuffix("\n")), 1)  # not U+0085: that is data
    lines = [(n, line) for n, line in numbered if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise ImportFileError(f"{source}: the file is empty (a header line address,name is required)")
    try:
        parsed = list(csv.reader(io.StringIO("\n".join(line for _, line in lines))))
    except csv.Error as exc:
        raise ImportFileError(f"{source}: not a CSV file: {exc}") from None
    header_line = lines[0][0]
    header = [_CSV_ALIASES.get(h.strip().lower(), h.strip().lower()) for h in parsed[0]]
    missing = [c for c in ("address", "name") if c not in header]
    if missing:
        raise ImportFileError(
            f"{source}: line {header_line}: missing column {missing[0]!r} "
            f"(the header must name at least address,name; it has: {','.join(parsed[0])})"
        )
    dup = sorted({h for h in header if header.count(h) > 1})
    if dup:
        raise ImportFileError(f"{source}: line {header_line}: column {dup[0]!r} appears twice")
    warnings = [f"{source}: column {h!r} is not used (ignored)" for h in header if h not in CSV_COLUMNS]
    rows: list[ImportRow] = []
    errors: Errors = []
    for (lineno, _), values in zip(lines[1:], parsed[1:], strict=False):
        where = f"line {lineno}"
        if len(values) != len(header):
            errors.append((lineno, f"{where}: expected {len(header)} fields ({','.join(header)}), got {len(values)}"))
            continue
        cell = dict(zip(header, (v.strip() for v in values), strict=False))
        try:
            address = str(parse_address(cell["address"]))
        except AddressError as exc:
            errors.append((lineno, f"{where}: {exc}"))
            address = ""
        own: dict[str, Any] = {}
        if cell.get("community"):
            own["community"] = cell["community"]
        if cell.get("snmp_version"):
            own["version"] = _norm_version(cell["snmp_version"])
        fields = {
            "name": cell["name"],
            "user_overridden": bool(cell["name"]),
            "location": cell.get("location", ""),
            "location_user_set": bool(cell.get("location")),
            "snmp": _snmp(own, default_snmp, where, lineno, errors),
        }
        if cell.get("notes"):
            fields["notes"] = cell["notes"]
        _texts(fields, where, lineno, errors)
        if address:
            rows.append(ImportRow(address=address, origin=where, position=lineno, fields=fields))
    return rows, warnings, errors


def parse_backup(data: bytes, source: str, default_snmp: SnmpSettings) -> tuple[list[ImportRow], list[str]]:
    rows, warnings, errors = _parse_backup(data, source, default_snmp)
    return _finish(source, rows, errors), warnings


def _parse_backup(data: bytes, source: str, default_snmp: SnmpSettings) -> tuple[list[ImportRow], list[str], Errors]:
    doc = _decode_json(data, source)
    if not isinstance(doc, dict) or not isinstance(doc.get("printers"), list):
        raise ImportFileError(f"{source}: not a TonerTrack backup (expected an object with a 'printers' list)")
    if doc.get("format", BACKUP_FORMAT) != BACKUP_FORMAT:
        raise ImportFileError(f"{source}: format {doc.get('format')!r} is not {BACKUP_FORMAT!r}")
    schema = doc.get("schema", SCHEMA)
    if not isinstance(schema, int) or schema > SCHEMA:
        raise ImportFileError(f"{source}: schema {schema!r} is newer than this TonerTrack reads ({SCHEMA})")
    rows: list[ImportRow] = []
    errors: Errors = []
    ids: set[str] = set()
    for i, record in enumerate(doc["printers"], 1):
        label = f"printer #{i}"
        if not isinstance(record, dict) or not isinstance(record.get("address"), str):
            errors.append((i, f"{label}: no address"))
            continue
        try:
            address = str(parse_address(record["address"]))
        except AddressError as exc:
            errors.append((i, f"{label}: {exc}"))
            continue
        where = f"{label} ({address})"
        rid = record.get("id")
        if not isinstance(rid, str) or not _ID.match(rid):
            errors.append((i, f"{where}: id {rid!r} is not a 32-digit hex id"))
            continue
        if rid in ids:
            errors.append((i, f"{where}: id {rid} appears twice"))
            continue
        ids.add(rid)
        snmp = record.get("snmp") if record.get("snmp") is not None else {}
        if isinstance(snmp, dict):
            errors.extend((i, f"{where}: {p.message}") for p in validate.snmp_problems(snmp, default_snmp))
        else:
            errors.append((i, f"{where}: snmp must be an object"))
        # what the user typed follows the typed rules; a name or location from the device or a
        # print server is data, kept as it came (shown through safe_text)
        typed = ["notes"]
        if record.get("user_overridden"):
            typed.append("name")
        if record.get("location_user_set"):
            typed.append("location")
        _texts({k: record.get(k) if isinstance(record.get(k), str) else "" for k in typed}, where, i, errors, typed)
        errors.extend((i, f"{where}: {p.message}") for p in validate.threshold_problems(record.get("thresholds")))
        full = Printer.from_json(record)
        full.address = address
        rows.append(ImportRow(address=address, origin=where, position=i, record=full))
    return rows, [], errors


# ---------------------------------------------------------------- planning and applying


def plan_import(
    fmt: str, source: str, rows: Iterable[ImportRow], existing: list[Printer], *,
    update: bool = False, warnings: Iterable[str] = (),
) -> ImportPlan:
    plan = ImportPlan(fmt=fmt, source=source, warnings=list(warnings))
    by_address = {p.address: p for p in existing}
    by_id = {p.id: p for p in existing}
    for row in rows:
        current = by_address.get(row.address)
        if current is None and row.record is not None:
            current = by_id.get(row.record.id)
        if current is None:
            plan.add.append(row)
        elif update:
            plan.update.append((row, current))
        else:
            why = "already in the inventory"
            if current.address != row.address:
                why = f"already in the inventory as {current.address}"
            plan.skip.append((row, why + "; skipped"))
    return plan


def _build_printer(row: ImportRow) -> Printer:
    if row.record is not None:
        return row.record.copy()
    fields = dict(row.fields)
    snmp = fields.pop("snmp", None)
    printer = Printer.new(row.address, snmp=snmp, **{k: v for k, v in fields.items()
                                                     if k not in ("user_overridden", "location_user_set")})
    printer.user_overridden = bool(fields.get("user_overridden"))
    printer.location_user_set = bool(fields.get("location_user_set"))
    return printer


def apply_import(plan: ImportPlan, store: Store, history: Any | None = None) -> dict[str, int]:
    """Write the plan: history first (orphan-safe), then ONE inventory transaction."""
    new_printers = [(row, _build_printer(row)) for row in plan.add]
    if history is not None:
        from .history import Sample  # avoid a cycle at import time

        for row, printer in new_printers:
            if row.pages_history:
                history.import_months(printer.id, row.pages_history)
            if row.counter_samples:
                history.append([Sample(printer.id, t, c) for t, c in sorted(row.counter_samples)])

    def apply(printers: list[Printer]) -> dict[str, int]:
        addresses = {p.address for p in printers}
        ids = {p.id for p in printers}
        for _row, printer in new_printers:
            if printer.address in addresses or printer.id in ids:
                raise DuplicatePrinter(printer.address)  # added by another process meanwhile
            printers.append(printer)
            addresses.add(printer.address)
            ids.add(printer.id)
        for row, existing in plan.update:
            i = next((i for i, p in enumerate(printers) if p.id == existing.id), None)
            if i is None:
                raise UnknownPrinter(existing.address)
            target = printers[i]
            if row.record is not None:
                target = row.record.copy()  # the backup's printer, under the id it has here
                target.id = printers[i].id
                printers[i] = target
            else:
                for key, value in row.fields.items():
                    if key in ("model", "serial") and getattr(target, key):
                        continue
                    setattr(target, key, value)
            if target.address != row.address:
                if row.address in {p.address for p in printers if p is not target}:
                    raise DuplicatePrinter(row.address)
                target.address = row.address
        return {"added": len(new_printers), "updated": len(plan.update), "skipped": len(plan.skip)}

    return store.transact(apply, audit="import")


def backup_document(printers: Iterable[Printer]) -> dict[str, Any]:
    """The JSON backup `export inventory --json` writes (secrets included)."""
    return {
        "format": BACKUP_FORMAT,
        "schema": SCHEMA,
        "exported_at": utc_now_iso(),
        "printers": [p.to_json() for p in printers],
    }


def backup_bytes(printers: Iterable[Printer]) -> bytes:
    return (json.dumps(backup_document(printers), indent=1, ensure_ascii=True) + "\n").encode("ascii")


