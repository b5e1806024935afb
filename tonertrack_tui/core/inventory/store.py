"""The printer inventory: `printers.json`, written atomically under a lock, and its audit log.

## printers.json

    {"schema": 1, "printers": [record, ...]}        one record per line, ASCII-only JSON

A record (every key always present after `load()`; `new_record` builds one):

    id                  uuid4 hex: the stable key (an address can change when a queue moves;
                        history is keyed by id)
    address             canonical "10.1.2.3", "host", "host:1161", "[::1]:1161" (core.address)
    name                str; "" until the first good poll supplies sysName
    user_overridden     bool: the user named it; sync and sysName never change the name
    location            str (the "view": a print server's location group, or the user's)
    location_user_set   bool: the user set the location; sync never changes it
    model, serial       str | None (from polls)
    snmp                the printer's own SNMP settings: keys of SnmpSettings.to_json(); a key
                        left out (or "" / null) follows the config's [snmp] defaults, so a
                        printer added without SNMP options follows a later change of the
                        default community. Secrets in clear: this file is 0600
    thresholds          {"warning_pct": int|None, "error_pct": int|None, "kinds": {kind: {...}}}
    invert_receptacles  bool: the device counts waste boxes the other way round
    source              None | {"name": sync source name, "queue": queue name}
    not_on_server       bool: the sync source no longer lists it
    notes               str
    added_at            ISO 8601 UTC
    last_poll           PollResult.to_json() of the last *good* poll, or None
    status              OK | Warning | Error | Offline | Unknown
    consecutive_failures int: failed polls in a row (Offline at config polling.offline_after)
    last_poll_at        ISO time of the last poll attempt, good or not
    last_good_poll_at   ISO time of the last good poll
    stale               bool: the last poll failed, `last_poll` is older state

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
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, TypeVar

from ..address import AddressError, parse_address
from ..printer.model import PollResult
from ..snmp.credentials import SECRET_FIELDS, SnmpSettings, mask_secret
from ..util.fsutil import FileLock, append_lines, atomic_write_bytes, ensure_private_dir, os_user, stale_temps

SCHEMA = 1
PRINTERS_FILE = "printers.json"
LOCK_FILE = "printers.lock"
AUDIT_FILE = "printers_audit.log"

# Fields a poll rewrites every few minutes: not inventory changes, never audited.
VOLATILE_FIELDS = ("last_poll", "status", "consecutive_failures", "last_poll_at", "last_good_poll_at", "stale")
STATUSES = ("OK", "Warning", "Error", "Offline", "Unknown")
# what a fleet poll reads of each record (Store.load_for_polling)
POLL_FIELDS = ("id", "address", "name", "snmp", "thresholds", "invert_receptacles", "consecutive_failures",
               "last_good_poll_at")

T = TypeVar("T")
_SNMP_KEYS = set(SnmpSettings().to_json())


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


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def default_thresholds() -> dict[str, Any]:
    return {"warning_pct": None, "error_pct": None, "kinds": {}}


def new_record(
    address: str,
    *,
    name: str = "",
    location: str = "",
    snmp: SnmpSettings | dict | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A complete record for a new printer (address canonicalised; AddressError if invalid)."""
    if isinstance(snmp, SnmpSettings):
        snmp_json = snmp.to_json()
    else:
        snmp_json = {k: v for k, v in (snmp or {}).items() if k in _SNMP_KEYS}
    record = {
        "id": uuid.uuid4().hex,
        "address": str(parse_address(address)),
        "name": name,
        "user_overridden": bool(name),
        "location": location,
        "location_user_set": bool(location),
        "model": None,
        "serial": None,
        "snmp": snmp_json,
        "thresholds": default_thresholds(),
        "invert_receptacles": False,
        "source": None,
        "not_on_server": False,
        "notes": "",
        "added_at": utc_now(),
        "last_poll": None,
        "status": "Unknown",
        "consecutive_failures": 0,
        "last_poll_at": None,
        "last_good_poll_at": None,
        "stale": False,
    }
    unknown = set(fields) - set(record)
    if unknown:
        raise TypeError(f"unknown printer fields: {', '.join(sorted(unknown))}")
    record.update(fields)
    return record


_DEFAULTS = new_record("0.0.0.0")
_DEFAULTS.pop("id")
_DEFAULTS.pop("address")


def normalise_record(record: dict[str, Any]) -> dict[str, Any]:
    """Fill keys a record from an older or hand-edited file lacks (in place)."""
    for key, value in _DEFAULTS.items():
        if key not in record:
            record[key] = json.loads(json.dumps(value)) if isinstance(value, (dict, list)) else value
    if not isinstance(record.get("snmp"), dict):
        record["snmp"] = {}
    return record


def _poll_view(record: dict[str, Any]) -> dict[str, Any]:
    """The POLL_FIELDS of a record, with the defaults normalise_record fills in."""
    full = normalise_record(dict(record))
    return {key: full[key] for key in POLL_FIELDS}


def masked_record(record: dict[str, Any], *, with_last_poll: bool = True) -> dict[str, Any]:
    """A record fit to show, print or log: SNMP secrets masked."""
    out = {k: v for k, v in record.items() if with_last_poll or k != "last_poll"}
    snmp = dict(record.get("snmp") or {})
    for key in SECRET_FIELDS:
        if key in snmp:
            snmp[key] = mask_secret(snmp[key])
    out["snmp"] = snmp
    return out


def _audit_view(record: dict[str, Any]) -> dict[str, Any]:
    """The audited fields of a record, flattened one level, secrets masked."""
    view: dict[str, Any] = {}
    for key, value in record.items():
        if key in VOLATILE_FIELDS or key == "id":
            continue
        if key == "snmp" and isinstance(value, dict):
            for sk, sv in value.items():
                view[f"snmp.{sk}"] = mask_secret(sv) if sk in SECRET_FIELDS else sv
        else:
            view[key] = value
    return view


def _diff(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, list[Any]]:
    a = _audit_view(old) if old else {}
    b = _audit_view(new) if new else {}
    changes = {}
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            changes[key] = [a.get(key), b.get(key)]
    if old and new:
        # a changed secret whose mask is the same still shows up, masked
        for sk in SECRET_FIELDS:
            if (old.get("snmp") or {}).get(sk) != (new.get("snmp") or {}).get(sk):
                changes.setdefault(f"snmp.{sk}", [a.get(f"snmp.{sk}"), b.get(f"snmp.{sk}")])
    return changes


def _kind_action(kind: str, action: str) -> str:
    return kind if action in ("add", "edit", "delete") else action


class Store:
    """printers.json in `data_dir`. Synchronous and thread-safe; cheap to create."""

    def __init__(self, data_dir: Path | str):
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / PRINTERS_FILE
        self.lock_path = self.data_dir / LOCK_FILE
        self.audit_path = self.data_dir / AUDIT_FILE
        self.token: tuple[int, int, int] | None = None  # mtime token of the last file read or written
        self._thread_lock = threading.RLock()

    # ------------------------------------------------------------ reading

    def _read(self) -> tuple[list[dict[str, Any]], tuple[int, int, int] | None, bytes]:
        raw, token = self._read_raw()
        if token is None:
            return [], None, b""
        return _parse(self.path, raw), token, raw

    def _read_raw(self) -> tuple[bytes, tuple[int, int, int] | None]:
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
            if not _is_regular(st.st_mode):
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

    def load(self) -> list[dict[str, Any]]:
        """All records (a fresh list of dicts). StoreCorrupt if the file is unreadable."""
        with self._thread_lock:
            records, token, _ = self._read()
            self.token = token
            return records

    def load_for_polling(self) -> list[dict[str, Any]]:
        """What a fleet poll needs of each printer (POLL_FIELDS), read one record at a time.

        The full records of 1,000 printers, each with its last poll, are ~30 MB of Python
        objects that a poll-all held for its whole run (and the TUI holds its own copy)."""
        with self._thread_lock:
            raw, token = self._read_raw()
            if token is None:
                return []
            n = raw.count(b"\n") - 2
            lines = _record_lines(raw, n) if n > 0 else None
            slim: list[dict[str, Any]] | None = [] if lines is not None else None
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
                slim.append(_poll_view(record))
            if slim is None:
                slim = [_poll_view(r) for r in _parse(self.path, raw)]
            self.token = token
            return slim

    def mtime_token(self) -> tuple[int, int, int] | None:
        """Cheap fingerprint of printers.json (mtime, size, inode); None when absent."""
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def changed_since(self, token: tuple[int, int, int] | None) -> bool:
        """True when printers.json is not the file that `token` describes (another process saved)."""
        return self.mtime_token() != token

    def get(self, key: str) -> dict[str, Any] | None:
        return _find_record(self.load(), key)

    def find(self, text: str | None = None, *, status: str | None = None, location: str | None = None) -> list[dict]:
        """Records whose address, name, location, model or serial contain `text` (case-insensitive)."""
        needle = (text or "").casefold()
        out = []
        for r in self.load():
            if status is not None and r.get("status") != status:
                continue
            if location is not None and r.get("location") != location:
                continue
            if needle:
                hay = " ".join(str(r.get(k) or "") for k in ("address", "name", "location", "model", "serial"))
                if needle not in hay.casefold():
                    continue
            out.append(r)
        return out

    # ------------------------------------------------------------ writing

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

    def transact(self, fn: Callable[[list[dict[str, Any]]], T], *, audit: str | None = "edit") -> T:
        """Run `fn(records)` on a fresh copy read under the lock, then save all or nothing.

        `fn` mutates the list (append, remove, edit dicts) and may return a value, which
        transact returns. If `fn` raises, nothing is written. `audit` is the audit action for
        changed records (additions are "add" and removals "delete" when it is add/edit/delete);
        None writes no audit lines. Do not call other Store methods from inside `fn`.
        """
        with self._locked():
            records, _, raw = self._read()
            ids_before = [r["id"] for r in records]
            old_lines = _record_lines(raw, len(records))
            if old_lines is None:  # hand-formatted file: keep a parsed copy to diff against
                old_lines = [_line(r) for r in _parse(self.path, raw)] if raw else []
            result = fn(records)
            _check_unique(records)
            new_lines = [_line(r) for r in records]
            if new_lines == old_lines and (raw or not records):
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
            if audit:
                old_by_id = dict(zip(ids_before, old_lines))
                changed_before, changed_after = [], []
                for record, line in zip(records, new_lines):
                    old_line = old_by_id.pop(record["id"], None)
                    if old_line != line:  # only changed records are parsed and diffed
                        changed_after.append(record)
                        if old_line is not None:
                            changed_before.append(normalise_record(json.loads(old_line)))
                changed_before.extend(normalise_record(json.loads(x)) for x in old_by_id.values())
                self._audit(changed_before, changed_after, audit)
            return result

    def _audit(self, before: list[dict], after: list[dict], action: str) -> None:
        old = {r["id"]: r for r in before}
        new = {r["id"]: r for r in after}
        entries = []
        for rid in list(old) + [i for i in new if i not in old]:
            o, n = old.get(rid), new.get(rid)
            if o is None:
                kind = "add"
            elif n is None:
                kind = "delete"
            else:
                kind = "edit"
            changes = _diff(o, n)
            if not changes:
                continue
            entries.append({"action": _kind_action(kind, action), "printer": (n or o)["address"],
                            "id": rid, "changes": changes})
        self.append_audit(entries)

    def append_audit(self, entries: list[dict[str, Any]], *, what: str = "the change itself") -> None:
        """Audit lines (JSON, secrets already masked by the caller): time, OS user and pid first."""
        now, user, pid = utc_now(), os_user(), os.getpid()
        lines = [json.dumps({"time": now, "user": user, "pid": pid, **entry}, ensure_ascii=True).encode("ascii")
                 for entry in entries]
        try:
            append_lines(self.audit_path, lines)
        except OSError as exc:
            # the inventory is saved; a lost audit line must not undo that, but must be said
            raise StoreWriteError(self.audit_path, exc, f"{what} was saved") from exc

    def add(self, record: dict[str, Any], *, audit: str = "add") -> dict[str, Any]:
        """Add a record (see new_record). DuplicatePrinter if its address or id is taken."""
        record = normalise_record(dict(record))
        record["address"] = str(parse_address(record["address"]))
        record.setdefault("id", uuid.uuid4().hex)

        def apply(records: list[dict]) -> dict:
            for r in records:
                if r["address"] == record["address"] or r["id"] == record["id"]:
                    raise DuplicatePrinter(record["address"])
            records.append(record)
            return record

        return self.transact(apply, audit=audit)

    def update(self, key: str, *, audit: str = "edit", **fields: Any) -> dict[str, Any]:
        """Set fields of the printer with id or address `key`; returns the new record."""
        unknown = set(fields) - set(_DEFAULTS) - {"address"}
        if unknown:
            raise TypeError(f"unknown printer fields: {', '.join(sorted(unknown))}")
        if "address" in fields:
            fields["address"] = str(parse_address(fields["address"]))

        def apply(records: list[dict]) -> dict:
            record = _find_record(records, key)
            if record is None:
                raise UnknownPrinter(key)
            if "address" in fields and fields["address"] != record["address"]:
                if any(r["address"] == fields["address"] for r in records):
                    raise DuplicatePrinter(fields["address"])
            record.update(fields)
            return dict(record)

        return self.transact(apply, audit=audit)

    def remove(self, key: str, *, audit: str = "delete") -> dict[str, Any]:
        def apply(records: list[dict]) -> dict:
            record = _find_record(records, key)
            if record is None:
                raise UnknownPrinter(key)
            records.remove(record)
            return record

        return self.transact(apply, audit=audit)

    def record_poll(self, results: Iterable[Any], *, offline_after: int = 3) -> list[dict[str, Any]]:
        """Apply many poll outcomes in ONE transaction; returns the updated records.

        Each item is a PollResult (matched by address = result.target), a PollResult JSON dict,
        or a (printer_id, PollResult) pair (use this form: it survives an address change).
        Results for printers no longer in the inventory are ignored.
        """
        items: list[tuple[str | None, PollResult]] = []
        for item in results:
            pid = None
            if isinstance(item, tuple):
                pid, item = item
            if isinstance(item, dict):
                item = PollResult.from_json(item)
            items.append((pid, item))

        if items and all(pid for pid, _ in items):
            updated = self._record_poll_by_lines(items, offline_after)
            if updated is not None:
                return updated

        def apply(records: list[dict]) -> list[dict]:
            by_id = {r["id"]: r for r in records}
            by_address = {r["address"]: r for r in records}
            updated = []
            for pid, result in items:
                record = by_id.get(pid) if pid else by_address.get(result.target)
                if record is None:
                    continue
                _apply_poll(record, result, offline_after)
                updated.append(dict(record))
            return updated

        return self.transact(apply, audit="poll")

    def _record_poll_by_lines(self, items: list[tuple[str | None, PollResult]],
                              offline_after: int) -> list[dict[str, Any]] | None:
        """record_poll on a file in our own one-record-per-line layout, parsing only the
        lines of the polled printers: a flush during a 1,000-printer poll otherwise parses
        and re-encodes 4 MB while holding the GIL (a 100+ ms stall in a TUI beside it).
        None when the file is not in that layout (the caller then uses transact)."""
        with self._locked():
            raw, token = self._read_raw()
            if token is None:
                return None
            n = raw.count(b"\n") - 2
            lines = _record_lines(raw, n) if n > 0 else None
            if lines is None:
                return None
            where: dict[str, int] = {}
            for i, line in enumerate(lines):
                m = _LINE_ID.match(line)
                if m is None:
                    return None
                where[m.group(1)] = i
            before, after = [], []
            for pid, result in items:
                i = where.get(pid)
                if i is None:
                    continue  # removed meanwhile
                try:
                    record = normalise_record(json.loads(lines[i]))
                except ValueError:
                    return None  # let the full parse report it
                before.append(dict(record))  # _apply_poll only replaces top-level fields
                _apply_poll(record, result, offline_after)
                lines[i] = _line(record)
                after.append(record)
            if after:
                try:
                    atomic_write_bytes(self.path, _serialise(lines))
                except OSError as exc:
                    raise StoreWriteError(self.path, exc) from exc
            self.token = self.mtime_token()
            self._audit(before, after, "poll")
            return [dict(r) for r in after]

    def quarantine(self) -> Path:
        """Rename a corrupt printers.json to printers.json.corrupt-<UTC time> (only when asked)."""
        with self._thread_lock, FileLock(self.lock_path):
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            target = self.path.with_name(f"{PRINTERS_FILE}.corrupt-{stamp}")
            n = 1
            while target.exists():
                n += 1
                target = self.path.with_name(f"{PRINTERS_FILE}.corrupt-{stamp}-{n}")
            os.rename(self.path, target)
            return target


def _is_regular(mode: int) -> bool:
    return stat.S_ISREG(mode)


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
        normalise_record(r)
    return printers


_LINE_ID = re.compile(r'\{"id":"([^"\\]+)"')  # records are written with "id" first
_ENCODER = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"))  # ASCII: a lone surrogate never fails a save


def _line(record: dict[str, Any]) -> str:
    return _ENCODER.encode(record)


_HEADER = f'{{"schema": {SCHEMA}, "printers": ['


def _serialise(lines: list[str]) -> bytes:
    # one record per line: greppable, diffable, and cheap to compare in the next transaction
    body = ",\n".join(lines)
    return f"{_HEADER}\n{body}\n]}}\n".encode("ascii")


def _record_lines(raw: bytes, n: int) -> list[str] | None:
    """The record lines of a file in our own layout (None for any other layout)."""
    if not raw:
        return []
    parts = raw.decode("utf-8", "replace").split("\n")
    if len(parts) != n + 3 or parts[0] != _HEADER or parts[-2] != "]}" or parts[-1] != "":
        return None
    lines = parts[1:-2]
    if n == 0:
        return None
    return [x[:-1] if i < n - 1 else x for i, x in enumerate(lines)]


def _check_unique(records: list[dict[str, Any]]) -> None:
    ids, addresses = set(), set()
    for r in records:
        if not isinstance(r, dict) or not r.get("id") or not r.get("address"):
            raise ValueError("every printer record needs an id and an address")
        if r["address"] in addresses:
            raise DuplicatePrinter(r["address"])
        if r["id"] in ids:
            raise ValueError(f"duplicate printer id {r['id']}")
        ids.add(r["id"])
        addresses.add(r["address"])


def _find_record(records: list[dict[str, Any]], key: str) -> dict[str, Any] | None:
    for r in records:
        if r["id"] == key:
            return r
    try:
        address = str(parse_address(key))
    except AddressError:
        address = key
    for r in records:
        if r["address"] == address:
            return r
    return None


def _apply_poll(record: dict[str, Any], result: PollResult, offline_after: int) -> None:
    polled_at = result.polled_at or utc_now()
    record["last_poll_at"] = polled_at
    if result.reachable:
        record["consecutive_failures"] = 0
        record["last_poll"] = result.to_json()
        record["status"] = result.status if result.status in STATUSES else "Unknown"
        record["last_good_poll_at"] = polled_at
        record["stale"] = False
        ident = result.identity
        if ident.name and not record.get("user_overridden") and not record.get("name"):
            record["name"] = ident.name
        if ident.model:
            record["model"] = ident.model
        if ident.serial:
            record["serial"] = ident.serial
        return
    failures = int(record.get("consecutive_failures") or 0) + 1
    record["consecutive_failures"] = failures
    record["stale"] = record.get("last_poll") is not None
    if failures >= offline_after:
        record["status"] = "Offline"
    elif record.get("last_poll") is None:
        record["status"] = "Unknown"
    # else: keep the last good status until the offline threshold (marked stale)



# Public: the TUI applies a poll to its in-memory record exactly as the store does.
apply_poll = _apply_poll
