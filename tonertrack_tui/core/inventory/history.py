"""Page-count and supply-level history, for monthly reports and forecasts.

Layout under `<data dir>/history/` (directory 0700, files 0600):

    <printer id>.jsonl   the samples of one printer (keyed by id: a moved address keeps its history)
    index.json           per printer: monthly page totals and what was stored last (derived data)
    history.lock         flock serialising writers (a cron poll beside an open TUI)

A sample line, in time order:

    {"t": "2025-01-05T10:00:00Z", "c": 123456, "cm": 100000, "cc": 23456,   # cm/cc: mono/colour
     "s": {"1.1": [level, max, remaining_pct], ...},      # only when changed, or first of the day
     "m": {"1.1": ["Black Toner", "toner"], ...}}         # only when descriptions/kinds changed
    {"t": ..., "v2": {"2024-11": 1520, ...}}              # month totals imported from TonerTrack v2

Each line is one `os.write` on an O_APPEND descriptor; a torn last line (kill -9 mid-write)
is skipped by readers and fenced off with a newline by the next writer, never fatal.

## Monthly pages

`index.json` keeps, per printer and month, [pages, start_count, end_count, note], updated on
every `append` (every poll, not only the stored samples) from prtMarkerLifeCount the way
TonerTrack v2's `pages_history` did: the increase since the previous sample goes to the
month of the later sample; a drop from above 2^32 - 10^6 to below 10^6 is a Counter32 wrap
(pages = new + 2^32 - old, note "counter wrapped"); any other drop is a reset (the pages
before it are unknowable: counting restarts from the new value, note "counter reset").
A monthly report reads only index.json: 1,000 printers × 10 years is 120,000 small entries,
a few milliseconds. `rebuild_index()` recomputes it from the sample files if it is lost.
Months are UTC calendar months. The mono and colour counts (the vendor counters of
core/printer/counters.py, when a printer publishes them) are counted the same way, each on its
own (`months_mono`, `months_color`): a reset of one does not touch the others, and a month
without them has no split (None), never a guessed one.

## The bound (defaults: sample_interval_s 3600, raw_days 31, retention_days 0 = forever)

At most one stored sample per printer per `sample_interval_s` (polls in between only update
the monthly totals), plus the first poll of each UTC day and a counter drop: ≤ 26 lines per
printer per day. A line is ~40 bytes with only a page count and ~220 bytes with 8 supplies
(supplies are written only when they changed or on the first line of a day; descriptions
only when they change). Samples older than `raw_days` are compacted to one line per day
(the day's last count and supply state), daily lines older than `retention_days` dropped.

    raw window  31 days × 26 lines × 220 B (worst case, every line with supplies) ≈ 177 KB/printer
    daily       365 lines × 220 B                                                 ≈  80 KB/printer/year
    1,000 printers: ≤ 177 MB for the raw window (typically ~40 MB: most lines carry only a count)
                    + ≤ 80 MB per year of daily data; index.json ≈ 0.5 MB per year.

So a year at a 5-minute poll interval is ≤ 257 MB worst case for 1,000 printers instead of
1,000 × 105,120 × 220 B ≈ 23 GB if every poll were kept.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from ..util.fsutil import FileLock, append_lines, atomic_write_bytes, ensure_private_dir, file_token

COUNTER32 = 2**32
WRAP_MARGIN = 10**6
INDEX_VERSION = 1
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

NOTE_RESET = "counter reset"
NOTE_WRAP = "counter wrapped"
NOTE_V2 = "imported from TonerTrack v2"


class MonthlyPages(NamedTuple):
    month: str  # "YYYY-MM"
    pages: int
    start_count: int | None
    end_count: int | None
    note: str | None
    mono_pages: int | None = None  # None: the printer published no mono count that month
    color_pages: int | None = None


class SupplySample(NamedTuple):
    time: datetime
    level: int | None
    max: int | None
    remaining_pct: int | None
    description: str
    kind: str


@dataclass(slots=True)
class Sample:
    printer_id: str
    time: datetime | str
    page_count: int | None = None
    # supply index -> {"level", "max", "remaining_pct", "description", "kind"}
    supplies: dict[str, dict[str, Any]] = field(default_factory=dict)
    mono: int | None = None  # vendor mono / colour lifetime counts (PollResult.counters)
    color: int | None = None


def sample_from_poll(printer_id: str, result: Any) -> Sample:
    """A Sample from a good PollResult (core.model)."""
    return Sample(
        printer_id=printer_id,
        time=result.polled_at or _iso(datetime.now(UTC)),
        page_count=result.page_count,
        mono=result.counters.mono,
        color=result.counters.color,
        supplies={
            s.index: {"level": s.level, "max": s.max, "remaining_pct": s.remaining_pct,
                      "description": s.description, "kind": s.kind}
            for s in result.supplies
        },
    )


def _iso(t: datetime) -> str:
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _as_iso(t: datetime | str) -> str:
    if isinstance(t, datetime):
        return _iso(t)
    return _iso(datetime.fromisoformat(t))


def _parse_t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _digest(value: Any) -> str:
    return hashlib.blake2b(json.dumps(value, sort_keys=True).encode(), digest_size=8).hexdigest()


def _int_or_none(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _count_or_none(v: Any) -> int | None:
    count = _int_or_none(v)
    return count if count is not None and count >= 0 else None


# the three page series: "" the total (keys kept from before the split: months, prev_c, prev_t),
# "m" mono and "c" colour
_MONTHS_KEY = {"": "months", "m": "months_mono", "c": "months_color"}


def _count_pages(entry: dict[str, Any], series: str, t: str, count: int) -> bool:
    """Add the pages since the previous reading of one series to the month of `t`.
    Returns True when the counter dropped (a reset or wrap: worth a stored sample)."""
    prev_t = entry.get("prev_t" + series)
    if prev_t is not None and t <= prev_t:
        return False  # older than what was counted already (a slower concurrent poller)
    prev_c = entry.get("prev_c" + series)
    months = entry.setdefault(_MONTHS_KEY[series], {})
    row = months.get(t[:7])
    if row is None:
        row = months[t[:7]] = [0, prev_c if prev_c is not None else count, count, None]
    dropped = False
    if prev_c is not None:
        pages, note = page_delta(prev_c, count)
        dropped = count < prev_c
        row[0] += pages
        row[3] = _add_note(row[3], note)
    row[2] = count
    entry["prev_c" + series] = count
    entry["prev_t" + series] = t
    return dropped


def page_delta(old: int, new: int) -> tuple[int, str | None]:
    """Pages printed between two lifetime-counter readings, and a note for a wrap or reset."""
    if new >= old:
        return new - old, None
    if old > COUNTER32 - WRAP_MARGIN and new < WRAP_MARGIN:
        return new + COUNTER32 - old, NOTE_WRAP
    return 0, NOTE_RESET


def _add_note(current: str | None, note: str | None) -> str | None:
    if not note:
        return current
    if not current:
        return note
    parts = current.split("; ")
    return current if note in parts else f"{current}; {note}"


class _FileWrite:
    """One write of the file history: under history.lock, index.json read once and written at
    the end. The PostgreSQL history (core/inventory/pghistory.py) has the same five methods."""

    def __init__(self, history: History) -> None:
        self.history = history
        self.index = history._read_index()

    def entries(self, ids: Iterable[str]) -> dict[str, Any]:
        return self.index["printers"]  # type: ignore[no-any-return]

    def due(self, cutoff: str, limit: int | None) -> list[str]:
        due = [pid for pid, entry in self.index["printers"].items() if entry.get("compacted", "") < cutoff]
        return due if limit is None else due[:limit]

    def lines(self, printer_id: str) -> list[dict[str, Any]]:
        return list(_read_lines(self.history.file_of(printer_id)))

    def append(self, printer_id: str, lines: list[dict[str, Any]]) -> None:
        # one write per line; a torn line of a killed writer is fenced off (fsutil.append_lines)
        append_lines(self.history.file_of(printer_id), [_dumps(line) for line in lines], fsync=False, mode=0o600)

    def replace(self, printer_id: str, lines: list[dict[str, Any]]) -> None:
        path = self.history.file_of(printer_id)
        if lines:
            atomic_write_bytes(path, b"".join(_dumps(x) + b"\n" for x in lines))
        else:
            path.unlink(missing_ok=True)

    def set_entries(self, entries: dict[str, Any]) -> None:
        self.index = {"version": INDEX_VERSION, "printers": entries}

    def done(self) -> None:
        self.history._write_index(self.index)


class History:
    """The history in the data dir's history/ files. What it stores and computes is here; where
    it is stored is `_writing()` (a write: `_FileWrite`'s methods) and the reading methods
    `_lines`, `raw`, `_entries_for_reading`, `_entry_for_reading` and `printer_ids`, which
    core/inventory/pghistory.py overrides to keep the same history in PostgreSQL."""

    def __init__(
        self,
        data_dir: Path | str,
        *,
        sample_interval_s: int = 3600,
        raw_days: int = 31,
        retention_days: int = 0,
        max_compactions_per_append: int = 25,
    ):
        self.dir = Path(data_dir) / "history"
        self.index_path = self.dir / "index.json"
        self.lock_path = self.dir / "history.lock"
        self.sample_interval_s = sample_interval_s
        self.raw_days = raw_days
        self.retention_days = retention_days
        self.max_compactions_per_append = max_compactions_per_append
        self._cache: dict[str, Any] = {}
        self._cache_token: tuple[int, int, int] | None = None

    @classmethod
    def from_config(cls, data_dir: Path | str, config: Any) -> History:
        h = config.history
        return cls(data_dir, sample_interval_s=h.sample_interval_s, raw_days=h.raw_days,
                   retention_days=h.retention_days)

    @property
    def location(self) -> str:
        """Where the history is, for messages."""
        return str(self.dir)

    def file_of(self, printer_id: str) -> Path:
        return self.dir / f"{check_id(printer_id)}.jsonl"

    # ------------------------------------------------------------ index

    def _read_index(self) -> dict[str, Any]:
        try:
            doc = json.loads(self.index_path.read_bytes())
            if isinstance(doc, dict) and doc.get("version") == INDEX_VERSION and isinstance(doc.get("printers"), dict):
                return doc
        except (OSError, ValueError):
            pass
        # lost or damaged: it is derived data, the sample files are the truth
        return {"version": INDEX_VERSION, "printers": self._rebuilt_entries()}

    def _write_index(self, index: dict[str, Any]) -> None:
        atomic_write_bytes(self.index_path, json.dumps(index, separators=(",", ":")).encode())

    @contextmanager
    def _writing(self) -> Iterator[Any]:
        ensure_private_dir(self.dir)
        with FileLock(self.lock_path):
            write = _FileWrite(self)
            yield write
            write.done()

    # ------------------------------------------------------------ writing

    def append(self, samples: Iterable[Sample | dict[str, Any]], *, today: date | None = None) -> int:
        """Record poll samples; returns how many lines were stored (the rest only count pages)."""
        items = [s if isinstance(s, Sample) else Sample(**s) for s in samples]
        if not items:
            return 0
        ids = {check_id(s.printer_id) for s in items}  # every id valid before anything is written
        today = today or datetime.now(UTC).date()
        stored = 0
        with self._writing() as write:
            entries = write.entries(ids)
            lines: dict[str, list[dict[str, Any]]] = {}
            for sample in sorted(items, key=lambda s: _as_iso(s.time)):
                entry = self._entry(entries, sample.printer_id, today)
                line = self._accumulate(entry, sample)
                if line is not None:
                    lines.setdefault(sample.printer_id, []).append(line)
            for pid, plines in lines.items():
                write.append(pid, plines)
                stored += len(plines)
            self._compact_due(write, entries, today, self.max_compactions_per_append)
        return stored

    def _entry(self, entries: dict[str, Any], printer_id: str, today: date) -> dict[str, Any]:
        entry: dict[str, Any] | None = entries.get(printer_id)
        if entry is None:
            # a new printer has nothing old enough to compact yet
            entry = entries[printer_id] = {
                "months": {}, "compacted": (today - timedelta(days=self.raw_days)).isoformat()}
        return entry

    def _accumulate(self, entry: dict[str, Any], sample: Sample) -> dict[str, Any] | None:
        t = _as_iso(sample.time)
        counts = {series: _count_or_none(value) for series, value in
                  (("", sample.page_count), ("m", sample.mono), ("c", sample.color))}
        count = counts[""]
        dropped = False
        for series, value in counts.items():
            if value is not None:
                dropped = _count_pages(entry, series, t, value) or dropped

        # what goes into the sample file
        last_t = entry.get("last_t")
        if last_t is not None and t <= last_t:
            return None  # an older sample than one already stored (a slower concurrent poller)
        first_of_day = last_t is None or t[:10] != last_t[:10]
        due = last_t is None or (_parse_t(t) - _parse_t(last_t)).total_seconds() >= self.sample_interval_s * 0.95
        if not (due or first_of_day or dropped):
            return None
        line: dict[str, Any] = {"t": t}
        if count is not None:
            line["c"] = count
        for series in ("m", "c"):
            if counts[series] is not None:
                line["c" + series] = counts[series]
        if sample.supplies:
            state = {
                str(idx): [_int_or_none(s.get(key)) for key in ("level", "max", "remaining_pct")]
                for idx, s in sample.supplies.items()
            }
            meta = {str(idx): [str(s.get("description") or ""), str(s.get("kind") or "other")]
                    for idx, s in sample.supplies.items()}
            sd, md = _digest(state), _digest(meta)
            if md != entry.get("md"):
                line["m"] = meta
                entry["md"] = md
            if sd != entry.get("sd") or first_of_day or "m" in line:
                line["s"] = state
                entry["sd"] = sd
        entry["last_t"] = t
        return line

    def import_months(
        self,
        printer_id: str,
        months: dict[str, int],
        *,
        last_count: int | None = None,
        last_time: datetime | str | None = None,
        imported_at: datetime | None = None,
    ) -> None:
        """Store month totals from TonerTrack v2 (and its last counter reading as a sample)."""
        clean = {m: int(p) for m, p in months.items() if _MONTH.match(m) and isinstance(p, int) and p >= 0}
        check_id(printer_id)
        with self._writing() as write:
            entry = self._entry(write.entries({printer_id}), printer_id, datetime.now(UTC).date())
            if clean:
                stamp = _iso(imported_at or datetime.now(UTC))
                write.append(printer_id, [{"t": stamp, "v2": clean}])
                v2 = entry.setdefault("v2", {})
                v2.update(clean)
        if last_count is not None and last_time is not None:
            self.append([Sample(printer_id, last_time, last_count)])

    def copy_from(self, source: History) -> tuple[int, int]:
        """Replace this history with `source`'s (`storage copy`): every printer's lines as they
        are, and its index. Returns (printers, lines)."""
        ids = source.printer_ids()
        copied = [(pid, list(source._lines(pid))) for pid in ids]
        entries = source._entries_for_reading()
        with self._writing() as write:
            for pid in set(self.printer_ids()) - set(ids):
                write.replace(pid, [])
            for pid, lines in copied:
                write.replace(pid, lines)
            write.set_entries(entries)
        return len(copied), sum(len(lines) for _, lines in copied)

    # ------------------------------------------------------------ compaction

    def _compact_due(self, write: Any, entries: dict[str, Any], today: date, limit: int | None) -> int:
        cutoff = (today - timedelta(days=self.raw_days)).isoformat()
        due = write.due(cutoff, limit)
        for pid in due:
            lines = write.lines(pid)
            if lines:
                write.replace(pid, compacted(lines, today, self.raw_days, self.retention_days))
            entries[pid]["compacted"] = cutoff
        return len(due)

    def compact(self, *, today: date | None = None) -> int:
        """Compact every printer's samples older than raw_days now; returns printers rewritten."""
        today = today or datetime.now(UTC).date()
        with self._writing() as write:
            return self._compact_due(write, write.entries(()), today, None)

    # ------------------------------------------------------------ reading

    def _lines(self, printer_id: str) -> Iterator[dict[str, Any]]:
        yield from _read_lines(self.file_of(printer_id))

    def raw(self, printer_id: str) -> bytes:
        """A printer's sample lines as stored: compact JSON, one per line, time first, in time
        order (the forecasts search them as bytes: core/analysis/forecast.py). b"" when none."""
        try:
            return self.file_of(printer_id).read_bytes()
        except FileNotFoundError:
            return b""

    def printer_ids(self) -> list[str]:
        """The printers with sample lines."""
        if not self.dir.is_dir():
            return []
        return sorted(path.stem for path in self.dir.glob("*.jsonl") if _ID.match(path.stem))

    def page_counts(
        self, printer_id: str, start: datetime | None = None, end: datetime | None = None
    ) -> Iterator[tuple[datetime, int]]:
        """(time, lifetime page count) of stored samples with start <= time < end."""
        lo = _iso(start) if start else ""
        hi = _iso(end) if end else "~"
        for line in self._lines(printer_id):
            t, c = line.get("t", ""), line.get("c")
            if isinstance(c, int) and lo <= t < hi:
                yield _parse_t(t), c

    def supply_levels(
        self, printer_id: str, supply_index: str, start: datetime | None = None, end: datetime | None = None
    ) -> Iterator[SupplySample]:
        """Stored levels of one supply (written when they change and at least daily)."""
        lo = _iso(start) if start else ""
        hi = _iso(end) if end else "~"
        description, kind = "", "other"
        for line in self._lines(printer_id):
            m = line.get("m")
            if isinstance(m, dict) and isinstance(m.get(supply_index), list) and len(m[supply_index]) == 2:
                description, kind = m[supply_index]
            s = line.get("s")
            t = line.get("t", "")
            if not isinstance(s, dict) or not lo <= t < hi:
                continue
            v = s.get(supply_index)
            if isinstance(v, list) and len(v) == 3:
                yield SupplySample(_parse_t(t), v[0], v[1], v[2], description, kind)

    def _entries_for_reading(self) -> dict[str, Any]:
        """index.json's printers, parsed again only when another write changed it (details
        screens call often)."""
        token = file_token(self.index_path)
        if token is None or token != self._cache_token:
            self._cache = self._read_index()
            self._cache_token = token
        return self._cache["printers"]  # type: ignore[no-any-return]

    def _entry_for_reading(self, printer_id: str) -> dict[str, Any] | None:
        return self._entries_for_reading().get(printer_id)

    def monthly_pages(self, printer_id: str) -> list[MonthlyPages]:
        entry = self._entry_for_reading(printer_id)
        return _monthly_rows(entry) if entry else []

    def monthly_pages_all(self) -> dict[str, list[MonthlyPages]]:
        """Every printer's monthly pages from one read of the index (for fleet reports)."""
        return {pid: _monthly_rows(e) for pid, e in self._entries_for_reading().items()}

    # ------------------------------------------------------------ recovery

    def _rebuilt_entries(self) -> dict[str, Any]:
        """The index recomputed from the sample lines."""
        entries: dict[str, Any] = {}
        counter = History(self.dir.parent, sample_interval_s=0)  # _accumulate only: every line counts
        for pid in self.printer_ids():
            entry: dict[str, Any] = {"months": {}}
            for line in self._lines(pid):
                if "v2" in line and isinstance(line["v2"], dict):
                    entry.setdefault("v2", {}).update(line["v2"])
                    continue
                if "t" in line:
                    sample = Sample(pid, line["t"], line.get("c"), mono=line.get("cm"), color=line.get("cc"))
                    counter._accumulate(entry, sample)
            entry.pop("sd", None)
            entry.pop("md", None)
            entries[pid] = entry
        return entries

    def rebuild_index(self) -> None:
        entries = self._rebuilt_entries()
        with self._writing() as write:
            write.set_entries(entries)


def check_id(printer_id: str) -> str:
    if not isinstance(printer_id, str) or not _ID.match(printer_id):
        raise ValueError(f"not a printer id: {printer_id!r}")
    return printer_id


def _dumps(line: dict[str, Any]) -> bytes:
    return json.dumps(line, separators=(",", ":")).encode()


def compacted(lines: list[dict[str, Any]], today: date, raw_days: int, retention_days: int) -> list[dict[str, Any]]:
    """A printer's lines with the days older than raw_days kept as one line each (the day's
    last count and supply state) and those older than retention_days (0: never) dropped."""
    cutoff = (today - timedelta(days=raw_days)).isoformat()
    keep_from = (today - timedelta(days=retention_days)).isoformat() if retention_days else ""
    old_days: dict[str, dict[str, Any]] = {}  # day -> materialised last state of that day
    v2_lines, recent = [], []
    state: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    for line in lines:
        t = line.get("t", "")
        if "v2" in line:
            v2_lines.append(line)
            continue
        if t[:10] >= cutoff:
            recent.append(line)
            continue
        if "m" in line:
            meta = line["m"]
        if "s" in line:
            state = line["s"]
        day = old_days.setdefault(t[:10], {})
        day["t"] = t
        for key in ("c", "cm", "cc"):
            if key in line:
                day[key] = line[key]
        day["s"], day["m"] = state, meta
    out: list[dict[str, Any]] = list(v2_lines)
    last_meta = None
    for day_key in sorted(old_days):
        if day_key < keep_from:
            continue
        d = old_days[day_key]
        kept = {"t": d["t"]}
        for key in ("c", "cm", "cc"):
            if key in d:
                kept[key] = d[key]
        if d["m"] and d["m"] != last_meta:
            kept["m"] = d["m"]
            last_meta = d["m"]
        if d["s"]:
            kept["s"] = d["s"]
        out.append(kept)
    if recent and meta and "m" not in recent[0] and meta != last_meta:
        recent[0] = {**recent[0], "m": meta}  # readers need the descriptions in force at the cutoff
    out.extend(recent)
    return out


def _monthly_rows(entry: dict[str, Any]) -> list[MonthlyPages]:
    months = entry.get("months") or {}
    mono = entry.get("months_mono") or {}
    color = entry.get("months_color") or {}
    v2 = entry.get("v2") or {}
    rows = []
    for month in sorted(set(months) | set(v2)):
        own = months.get(month)
        imported = v2.get(month)
        if own is None:
            rows.append(MonthlyPages(month, int(imported or 0), None, None, NOTE_V2))
            continue
        pages, start, end, note = own
        mono_pages = mono[month][0] if month in mono else None
        color_pages = color[month][0] if month in color else None
        if imported is not None:
            pages += int(imported)
            note = _add_note(note, "includes " + NOTE_V2.removeprefix("imported from "))
            mono_pages = color_pages = None  # v2 kept totals only: the month's split is not known
        rows.append(MonthlyPages(month, pages, start, end, note, mono_pages, color_pages))
    return rows


def _read_lines(path: Path) -> Iterator[dict[str, Any]]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return
    for raw in data.split(b"\n"):
        if not raw:
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            continue  # a torn line from a writer killed mid-write
        if isinstance(line, dict):
            yield line
