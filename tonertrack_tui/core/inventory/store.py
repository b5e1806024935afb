"""The printer inventory: `printers.json`, written atomically under a lock, and its audit log.

## printers.json

    {"schema": 1, "printers": [record, ...]}        one record per line, ASCII-only JSON

Each record is `Printer.to_json()` (core/inventory/printer.py: the fields and their rules).

## Transactions

Every change goes through `Store.transact(fn)`: take an exclusive `fcntl.flock` on
`printers.lock`, re-read printers.json from disk, apply `fn(records)`, write the whole file
atomically (temp file in the same directory, fsync, `os.replace`, fsync the directory), append
the audit lines, release the lock. Two processes on one data dir therefore never lose each
other's changes, and a `kill -9` at any moment leaves either the old or the new file.

A printers.json that cannot be read or parsed raises `StoreCorrupt` and is never written over:
every transaction re-reads it and refuses while it is still bad. The user fixes or moves it
(`quarantine()` renames it to printers.json.corrupt-<time> when asked to).

## printers_audit.log

JSON lines, appended with one `os.write` per line on an O_APPEND descriptor, then fsync:
`{"time", "user", "pid", "action", "printer", "id", "changes": {field: [old, new]}}`.
Actions: add, edit, delete, import, sync, poll (only when a poll changed the inventory,
e.g. took the sysName as name). Secrets are masked (`credentials.mask_secret`).
"""

from __future__ import annotations

import json
import os
import re
import stat
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from ..address import AddressError, parse_address
from ..printer.model import PollResult
from ..util.fsutil import FileLock, atomic_write_bytes, ensure_private_dir, file_token, stale_temps
from .audit import AUDIT_FILE, append_entries, change_entries
from .history import History
from .printer import EDITABLE_FIELDS, Printer, matches_query

SCHEMA = 1
PRINTERS_FILE = "printers.json"
LOCK_FILE = "printers.lock"

T = TypeVar("T")
Token = tuple[int, ...]  # printers.json: (mtime_ns, size, inode); a database: (its revision,)


class StoreError(Exception):
    """Base of the errors the inventory raises."""


class StoreCorrupt(StoreError):
    """printers.json cannot be read or parsed; it is kept untouched and never saved over."""

    def __init__(self, path: Path | str, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(
            f"{path} is unreadable or corrupt ({reason}); it was not changed and nothing will be "
            f"saved over it: fix it, move it away, or restore a backup"
        )


class StoreWriteError(StoreError):
    """Saving failed (disk full, permissions...): the previous file is intact."""

    def __init__(self, path: Path | str, error: OSError, note: str = "the previous file is unchanged"):
        self.path = Path(path)
        self.error = error
        super().__init__(f"cannot save {path}: {error.strerror or error} ({note})")


class DuplicatePrinter(StoreError, ValueError):
    def __init__(self, address: str):
        self.address = address
        super().__init__(f"a printer with address {address} is already in the inventory")


class UnknownPrinter(StoreError, KeyError):
    def __init__(self, key: str):
        self.key = key
        super().__init__(key)

    def __str__(self) -> str:
        return f"no printer {self.key!r} in the inventory"


class Captured:
    """What the last transaction in a `Store.capturing()` block saved (None: no transaction ran)."""

    printers: list[Printer] | None = None


class Store:
    """printers.json in `data_dir`. Synchronous and thread-safe; cheap to create."""

    def __init__(self, data_dir: Path | str):
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / PRINTERS_FILE
        self.lock_path = self.data_dir / LOCK_FILE
        self.audit_path = self.data_dir / AUDIT_FILE
        self.token: Token | None = None  # fingerprint of the file as this Store last read or wrote it
        # True once a transaction found the file changed by someone else since this Store last
        # read or wrote it (a reader of this Store's own writes need not reload; of others', must)
        self.external_change = False
        self._thread_lock = threading.RLock()
        self._capture = threading.local()

    # ------------------------------------------------------------ reading

    def _read(self) -> tuple[list[Printer], Token | None, bytes]:
        raw, token = self._read_raw()
        if token is None:
            return [], None, b""
        return [Printer.from_json(d) for d in _parse(self.path, raw)], token, raw

    def _read_raw(self) -> tuple[bytes, Token | None]:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return b"", None
        except IsADirectoryError:
            raise StoreCorrupt(self.path, "it is a directory, not a file") from None
        except OSError as exc:
            raise StoreCorrupt(self.path, exc.strerror or str(exc)) from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise StoreCorrupt(self.path, "not a regular file")
            chunks = []
            while chunk := os.read(fd, 1 << 20):
                chunks.append(chunk)
        except IsADirectoryError:
            raise StoreCorrupt(self.path, "it is a directory, not a file") from None
        except OSError as exc:
            raise StoreCorrupt(self.path, exc.strerror or str(exc)) from None
        finally:
            os.close(fd)
        return b"".join(chunks), (st.st_mtime_ns, st.st_size, st.st_ino)

    def _note_read(self, token: Token | None) -> None:
        """A transaction read the file: was it the one this Store last saw?"""
        if token != self.token:
            self.external_change = True

    def load(self) -> list[Printer]:
        """Every printer. StoreCorrupt if the file is unreadable."""
        with self._thread_lock:
            printers, token, _ = self._read()
            self.token = token
            self.external_change = False
            return printers

    def load_for_polling(self, only: Collection[str] | None = None) -> list[Printer]:
        """Every printer (or those whose ids are in `only`) without its last poll, read one
        record at a time: what a poll-all needs.

        The full records of 1,000 printers, each with its last poll, are ~30 MB of Python
        objects that a poll-all would hold for its whole run (and the TUI holds its own copy).
        Never save what this returns: it lacks `last_poll`."""
        with self._thread_lock:
            raw, token = self._read_raw()
            if token is None:
                return []
            lines = _record_lines(raw)
            slim: list[Printer] | None = [] if lines is not None else None
            ids, addresses = set(), set()
            for line in lines or ():
                try:
                    record = json.loads(line)
                except ValueError:
                    slim = None
                    break
                if not isinstance(record, dict) or not isinstance(record.get("id"), str) \
                        or not isinstance(record.get("address"), str) or record["id"] in ids \
                        or record["address"] in addresses:
                    slim = None  # the full parse says what is wrong
                    break
                ids.add(record["id"])
                addresses.add(record["address"])
                slim.append(Printer.from_json(record, with_last_poll=False))  # type: ignore[union-attr]
            if slim is None:
                slim = [Printer.from_json(d, with_last_poll=False) for d in _parse(self.path, raw)]
            self.token = token
            if only is not None:
                wanted = set(only)
                slim = [p for p in slim if p.id in wanted]
            return slim

    def mtime_token(self) -> Token | None:
        """Cheap fingerprint of printers.json (mtime, size, inode); None when absent."""
        return file_token(self.path)

    def changed_since(self, token: Token | None) -> bool:
        """True when printers.json is not the file that `token` describes (another process saved)."""
        return self.mtime_token() != token

    def get(self, key: str) -> Printer | None:
        """The printer with this id or address (any spelling of the address)."""
        return find_printer(self.load(), key)

    def find(self, text: str | None = None, *, status: str | None = None,
             location: str | None = None) -> list[Printer]:
        """Printers matching every word of `text` (name, address, location, model, serial; the
        TUI's filter rule), at `status`, in `location`."""
        out = []
        for p in self.load():
            if status is not None and p.status != status:
                continue
            if location is not None and p.location != location:
                continue
            if text and not matches_query(p, text):
                continue
            out.append(p)
        return out

    # ------------------------------------------------------------ writing

    @contextmanager
    def capturing(self) -> Iterator[Captured]:
        """In this block (this thread), each transaction leaves the whole inventory it saved in
        the object yielded: a caller that holds the fleet in memory takes it from its own write
        instead of reading the file back."""
        captured = Captured()
        self._capture.saved = captured
        try:
            yield captured
        finally:
            self._capture.saved = None

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """This thread and the exclusive file lock (other processes) for one transaction."""
        with self._thread_lock:
            lock = FileLock(self.lock_path)
            try:
                ensure_private_dir(self.data_dir)
                lock.acquire()
            except OSError as exc:
                raise StoreWriteError(self.path, exc, "nothing was changed") from exc
            try:
                yield
            finally:
                lock.release()

    def transact(self, fn: Callable[[list[Printer]], T], *, audit: str | None = "edit",
                 audit_entries: Callable[[T], list[dict[str, Any]]] | None = None) -> T:
        """Run `fn(printers)` on a fresh copy read under the lock, then save all or nothing.

        `fn` changes the list (append, remove, change printers) and may return a value, which
        transact returns. If `fn` raises, nothing is written. `audit` is the audit action of the
        changed printers (with add/edit/delete, an added one is "add" and a removed one
        "delete"); `audit_entries(result)`, when given, writes its own entries instead (sync).
        Do not call other Store methods from inside `fn`.
        """
        with self._locked():
            printers, token, raw = self._read()
            self._note_read(token)
            ids_before = [p.id for p in printers]
            old_lines = _record_lines(raw)
            if old_lines is None or len(old_lines) != len(printers):  # hand-formatted: diff a parsed copy
                old_lines = [_line(p) for p in printers]
            result = fn(printers)
            _check_unique(printers)
            captured = getattr(self._capture, "saved", None)
            if captured is not None:
                captured.printers = printers
            new_lines = [_line(p) for p in printers]
            if new_lines == old_lines and (raw or not printers):
                self.token = self.mtime_token()
                return result
            for tmp in stale_temps(self.path):  # left by a writer killed mid-save; we hold the lock
                try:
                    tmp.unlink()
                except OSError:
                    pass
            try:
                atomic_write_bytes(self.path, _serialise(new_lines))
            except OSError as exc:
                raise StoreWriteError(self.path, exc) from exc
            self.token = self.mtime_token()
            if audit_entries is not None:
                self._append_audit(audit_entries(result), "the change itself")
            elif audit:
                old_by_id = dict(zip(ids_before, old_lines, strict=True))
                changed_before, changed_after = [], []
                for printer, line in zip(printers, new_lines, strict=True):
                    old_line = old_by_id.pop(printer.id, None)
                    if old_line != line:  # only changed printers are parsed and diffed
                        changed_after.append(printer)
                        if old_line is not None:
                            changed_before.append(Printer.from_json(json.loads(old_line)))
                changed_before.extend(Printer.from_json(json.loads(x)) for x in old_by_id.values())
                self._append_audit(change_entries(changed_before, changed_after, audit), "the change itself")
            return result

    def _append_audit(self, entries: list[dict[str, Any]], what: str) -> None:
        if not entries:
            return
        try:
            append_entries(self.audit_path, entries)
        except OSError as exc:
            # the inventory is saved; a lost audit line must not undo that, but must be said
            raise StoreWriteError(self.audit_path, exc, f"{what} was saved") from exc

    def add(self, printer: Printer, *, audit: str = "add") -> Printer:
        """Add a printer (see Printer.new). DuplicatePrinter if its address or id is taken."""
        printer = printer.copy()
        printer.address = str(parse_address(printer.address))

        def apply(printers: list[Printer]) -> Printer:
            for p in printers:
                if p.address == printer.address or p.id == printer.id:
                    raise DuplicatePrinter(printer.address)
            printers.append(printer)
            return printer.copy()

        return self.transact(apply, audit=audit)

    def update(self, key: str, *, audit: str = "edit", **fields: Any) -> Printer:
        """Set fields of the printer with id or address `key`; returns the changed printer."""
        unknown = set(fields) - EDITABLE_FIELDS - {"address"}
        if unknown:
            raise TypeError(f"unknown printer fields: {', '.join(sorted(unknown))}")
        if "address" in fields:
            fields["address"] = str(parse_address(fields["address"]))

        def apply(printers: list[Printer]) -> Printer:
            printer = find_printer(printers, key)
            if printer is None:
                raise UnknownPrinter(key)
            if "address" in fields and fields["address"] != printer.address:
                if any(p.address == fields["address"] for p in printers):
                    raise DuplicatePrinter(fields["address"])
            for name, value in fields.items():
                setattr(printer, name, value)
            return printer.copy()

        return self.transact(apply, audit=audit)

    def remove(self, key: str, *, audit: str = "delete") -> Printer:
        def apply(printers: list[Printer]) -> Printer:
            printer = find_printer(printers, key)
            if printer is None:
                raise UnknownPrinter(key)
            printers.remove(printer)
            return printer

        return self.transact(apply, audit=audit)

    def record_poll(self, results: Iterable[tuple[str, PollResult]], *, offline_after: int = 3) -> list[Printer]:
        """Apply many poll outcomes — (printer id, result) — in ONE transaction; returns the
        changed printers. Results of printers removed meanwhile are ignored."""
        items = list(results)
        updated = self._record_poll_by_lines(items, offline_after)
        if updated is not None:
            return updated

        def apply(printers: list[Printer]) -> list[Printer]:
            by_id = {p.id: p for p in printers}
            changed = []
            for pid, result in items:
                printer = by_id.get(pid)
                if printer is None or printer.predates_saved_poll(result):
                    continue
                printer.apply_poll(result, offline_after)
                changed.append(printer.copy())
            return changed

        return self.transact(apply, audit="poll")

    def _record_poll_by_lines(self, items: list[tuple[str, PollResult]],
                              offline_after: int) -> list[Printer] | None:
        """record_poll on a file in our own one-record-per-line layout, parsing only the
        lines of the polled printers: a flush during a 1,000-printer poll otherwise parses
        and re-encodes 4 MB while holding the GIL (a 100+ ms stall in a TUI beside it).
        None when the file is not in that layout (the caller then uses transact)."""
        with self._locked():
            raw, token = self._read_raw()
            if token is None:
                return None
            lines = _record_lines(raw)
            if not lines:
                return None
            where: dict[str, int] = {}
            for i, line in enumerate(lines):
                m = _LINE_ID.match(line)
                if m is None:
                    return None
                where[m.group(1)] = i
            self._note_read(token)
            before, after = [], []
            for pid, result in items:
                at = where.get(pid)
                if at is None:
                    continue  # removed meanwhile
                try:
                    doc = json.loads(lines[at])
                except ValueError:
                    return None  # let the full parse report it
                printer = Printer.from_json(doc)
                if printer.predates_saved_poll(result):
                    continue
                before.append(Printer.from_json(doc, with_last_poll=False))
                printer.apply_poll(result, offline_after)
                lines[at] = _line(printer)
                after.append(printer)
            if after:
                try:
                    atomic_write_bytes(self.path, _serialise(lines))
                except OSError as exc:
                    raise StoreWriteError(self.path, exc) from exc
            self.token = self.mtime_token()
            self._append_audit(change_entries(before, after, "poll"), "the poll")
            return [p.copy() for p in after]

    def load_changes(self, known: Mapping[str, int]) -> tuple[set[str], dict[str, Printer], dict[str, int]]:
        """Every printer id, the printers changed since the record versions `known`, and the
        versions now. printers.json has no versions: every printer reads as changed (a reader
        compares them, LiveFleet.apply); the postgresql store reads only the rows that moved."""
        printers = self.load()
        return {p.id for p in printers}, {p.id: p for p in printers}, {}

    def history(self, config: Any = None) -> History:
        """The page-count and level history of this inventory: the data dir's history/ files
        (the config's [history] bounds, the defaults without one)."""
        return History.from_config(self.data_dir, config) if config is not None else History(self.data_dir)

    def quarantine(self) -> Path:
        """Rename a corrupt printers.json to printers.json.corrupt-<UTC time> (only when asked)."""
        with self._thread_lock, FileLock(self.lock_path):
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            target = self.path.with_name(f"{PRINTERS_FILE}.corrupt-{stamp}")
            n = 1
            while target.exists():
                n += 1
                target = self.path.with_name(f"{PRINTERS_FILE}.corrupt-{stamp}-{n}")
            os.rename(self.path, target)
            return target


def _parse(path: Path, raw: bytes) -> list[dict[str, Any]]:
    if not raw.strip():
        raise StoreCorrupt(path, "the file is empty")
    try:
        doc = json.loads(raw)
    except UnicodeDecodeError:
        raise StoreCorrupt(path, "not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise StoreCorrupt(path, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    if not isinstance(doc, dict) or "printers" not in doc or "schema" not in doc:
        raise StoreCorrupt(path, "not a TonerTrack inventory (expected an object with 'schema' and 'printers')")
    schema = doc["schema"]
    if not isinstance(schema, int) or isinstance(schema, bool):
        raise StoreCorrupt(path, f"bad schema version {schema!r}")
    if schema > SCHEMA:
        raise StoreCorrupt(path, f"written by a newer TonerTrack (schema {schema}; this one reads {SCHEMA})")
    printers = doc["printers"]
    if not isinstance(printers, list):
        raise StoreCorrupt(path, "'printers' is not a list")
    ids: set[str] = set()
    addresses: set[str] = set()
    for i, r in enumerate(printers):
        if not isinstance(r, dict) or not isinstance(r.get("id"), str) or not isinstance(r.get("address"), str) \
                or not r["id"] or not r["address"]:
            raise StoreCorrupt(path, f"printer #{i + 1} has no id or address")
        # found here, not by the next save: every transaction would fail on them
        if r["id"] in ids:
            raise StoreCorrupt(path, f"printer #{i + 1} repeats the id {r['id'][:40]!r}")
        if r["address"] in addresses:
            raise StoreCorrupt(path, f"printer #{i + 1} repeats the address {r['address'][:80]!r}")
        ids.add(r["id"])
        addresses.add(r["address"])
    return printers


_LINE_ID = re.compile(r'\{"id":"([^"\\]+)"')  # records are written with "id" first
_ENCODER = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"))  # ASCII: a lone surrogate never fails a save


def _line(printer: Printer) -> str:
    return _ENCODER.encode(printer.to_json())


_HEADER = f'{{"schema": {SCHEMA}, "printers": ['


def _serialise(lines: list[str]) -> bytes:
    # one record per line: greppable, diffable, and cheap to compare in the next transaction
    body = ",\n".join(lines)
    return f"{_HEADER}\n{body}\n]}}\n".encode("ascii")


def _record_lines(raw: bytes) -> list[str] | None:
    """The record lines of a file in our own layout ([] for no file; None for any other layout)."""
    if not raw:
        return []
    parts = raw.decode("utf-8", "replace").split("\n")
    n = len(parts) - 3
    if n <= 0 or parts[0] != _HEADER or parts[-2] != "]}" or parts[-1] != "":
        return None
    lines = parts[1:-2]
    return [x[:-1] if i < n - 1 else x for i, x in enumerate(lines)]


def _check_unique(printers: list[Printer]) -> None:
    ids, addresses = set(), set()
    for p in printers:
        if not isinstance(p, Printer) or not p.id or not p.address:
            raise ValueError("every printer needs an id and an address")
        if p.address in addresses:
            raise DuplicatePrinter(p.address)
        if p.id in ids:
            raise ValueError(f"duplicate printer id {p.id}")
        ids.add(p.id)
        addresses.add(p.address)


def find_printer(printers: Iterable[Printer], key: str) -> Printer | None:
    """The printer whose id is `key`, else whose address is `key` in any spelling."""
    printers = list(printers)
    for p in printers:
        if p.id == key:
            return p
    try:
        address = str(parse_address(key))
    except AddressError:
        address = key
    for p in printers:
        if p.address == address:
            return p
    return None
