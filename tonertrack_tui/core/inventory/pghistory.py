"""The history on PostgreSQL (issue 19): one history for every site's daemons and every admin.

With `[storage] backend = "postgresql"` the daemons of many sites poll from many jump boxes;
a history kept in each box's data dir would split every printer's page counts between them and
a monthly report on any one box would miss the rest. So the history lives in the database
beside the inventory: the same lines and the same index as the files of core/inventory/history.py
(whose `History` computes everything; this class only says where it is kept):

    tt_history_lines (seq, printer_id, line)  one sample line: the same compact JSON text as a
                                              line of <printer id>.jsonl (text, not jsonb: the
                                              forecasts search it as bytes, time first)
    tt_history_index (printer_id, entry)      the printer's entry of index.json (jsonb)

A write is one transaction under a transaction-scoped advisory lock (what history.lock is to
the files): it reads the index entries of the printers it touches (not the whole index), adds
their lines, compacts at most `max_compactions_per_append` printers whose raw window has
passed, and writes back the entries it changed. A database out of reach raises PgStoreError
(a StoreError): the poller keeps the samples it could not write and writes them with the next
ones (core/polling/fleet.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .history import History, _dumps, check_id

if TYPE_CHECKING:  # pgstore makes its history from this module
    from .pgstore import PgStore

# pg_advisory_xact_lock key of history writes: "TTHI" (any constant no other lock uses)
LOCK_KEY = 0x54544849


class _PgWrite:
    """One write: a transaction holding the history lock; the `_FileWrite` methods on tables."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.loaded: dict[str, Any] = {}
        self.read_as: dict[str, str] = {}  # printer id -> its entry as read (what changed is written)
        self.pending: list[tuple[str, str]] = []  # lines appended, inserted in one statement
        self.reset = False

    def _load(self, rows: Iterable[tuple[str, Any]]) -> None:
        for pid, entry in rows:
            if pid not in self.loaded and isinstance(entry, dict):
                self.loaded[pid] = entry
                self.read_as[pid] = json.dumps(entry, sort_keys=True)

    def entries(self, ids: Iterable[str]) -> dict[str, Any]:
        wanted = [pid for pid in ids if pid not in self.loaded]
        if wanted:
            self._load(self.conn.execute(
                "SELECT printer_id, entry FROM tt_history_index WHERE printer_id = ANY(%s)", (wanted,)).fetchall())
        return self.loaded

    def due(self, cutoff: str, limit: int | None) -> list[str]:
        self._load(self.conn.execute(
            "SELECT printer_id, entry FROM tt_history_index WHERE COALESCE(entry->>'compacted', '') < %s "
            "ORDER BY printer_id LIMIT %s", (cutoff, limit)).fetchall())
        due = sorted(pid for pid, entry in self.loaded.items() if entry.get("compacted", "") < cutoff)
        return due if limit is None else due[:limit]

    def _flush(self) -> None:
        if self.pending:
            ids, lines = zip(*self.pending, strict=True)
            self.conn.execute("INSERT INTO tt_history_lines (printer_id, line) "
                              "SELECT * FROM unnest(%s::text[], %s::text[])", (list(ids), list(lines)))
            self.pending.clear()

    def lines(self, printer_id: str) -> list[dict[str, Any]]:
        self._flush()
        rows = self.conn.execute("SELECT line FROM tt_history_lines WHERE printer_id = %s ORDER BY seq",
                                 (printer_id,)).fetchall()
        return list(_parsed(row[0] for row in rows))

    def append(self, printer_id: str, lines: list[dict[str, Any]]) -> None:
        self.pending += [(printer_id, _dumps(line).decode()) for line in lines]

    def replace(self, printer_id: str, lines: list[dict[str, Any]]) -> None:
        self._flush()
        self.conn.execute("DELETE FROM tt_history_lines WHERE printer_id = %s", (printer_id,))
        self.append(printer_id, lines)

    def set_entries(self, entries: dict[str, Any]) -> None:
        self.reset = True
        self.loaded = dict(entries)
        self.read_as = {}

    def done(self) -> None:
        self._flush()
        if self.reset:
            self.conn.execute("DELETE FROM tt_history_index")
        changed = [(pid, json.dumps(entry)) for pid, entry in self.loaded.items()
                   if json.dumps(entry, sort_keys=True) != self.read_as.get(pid)]
        if changed:
            ids, entries = zip(*changed, strict=True)
            self.conn.execute("INSERT INTO tt_history_index (printer_id, entry) "
                              "SELECT * FROM unnest(%s::text[], %s::jsonb[]) "
                              "ON CONFLICT (printer_id) DO UPDATE SET entry = EXCLUDED.entry",
                              (list(ids), list(entries)))


class PgHistory(History):
    """The history in the inventory's database; `History`'s algorithm, the store's connection."""

    def __init__(self, store: PgStore, **kwargs: Any) -> None:
        super().__init__(store.data_dir, **kwargs)
        self.store = store

    @classmethod
    def for_store(cls, store: PgStore, config: Any) -> PgHistory:
        h = config.history
        return cls(store, sample_interval_s=h.sample_interval_s, raw_days=h.raw_days,
                   retention_days=h.retention_days)

    @property
    def location(self) -> str:
        return self.store.location

    @contextmanager
    def _writing(self) -> Iterator[Any]:
        with self.store._connect() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
            write = _PgWrite(conn)
            yield write
            write.done()

    def _texts(self, printer_id: str) -> list[str]:
        with self.store._connect() as conn:
            rows = conn.execute("SELECT line FROM tt_history_lines WHERE printer_id = %s ORDER BY seq",
                                (check_id(printer_id),)).fetchall()
        return [row[0] for row in rows]

    def _lines(self, printer_id: str) -> Iterator[dict[str, Any]]:
        yield from _parsed(self._texts(printer_id))

    def raw(self, printer_id: str) -> bytes:
        texts = self._texts(printer_id)
        return ("\n".join(texts) + "\n").encode() if texts else b""

    def printer_ids(self) -> list[str]:
        with self.store._connect() as conn:
            return [row[0] for row in conn.execute(
                "SELECT DISTINCT printer_id FROM tt_history_lines ORDER BY printer_id").fetchall()]

    def _entries_for_reading(self) -> dict[str, Any]:
        with self.store._connect() as conn:
            return {pid: entry for pid, entry in conn.execute(
                "SELECT printer_id, entry FROM tt_history_index").fetchall() if isinstance(entry, dict)}

    def _entry_for_reading(self, printer_id: str) -> dict[str, Any] | None:
        with self.store._connect() as conn:
            row = conn.execute("SELECT entry FROM tt_history_index WHERE printer_id = %s",
                               (printer_id,)).fetchone()
        return row[0] if row and isinstance(row[0], dict) else None


def _parsed(texts: Iterable[str]) -> Iterator[dict[str, Any]]:
    for text in texts:
        try:
            line = json.loads(text)
        except ValueError:
            continue
        if isinstance(line, dict):
            yield line
