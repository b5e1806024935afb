"""The inventory on PostgreSQL (issue 19): the same Store, its records in a database.

`PgStore` is a `Store` (add, update, remove, record_poll, find… are the JSON store's own
code, written on `transact`); what differs is where a transaction reads and writes:

* `transact(fn)` is ONE database transaction: it takes the inventory's write lock
  (`LOCK TABLE … SHARE ROW EXCLUSIVE`: writers queue, readers read on), reads every record,
  runs `fn` on them, writes only the records whose JSON changed (each with `version + 1`),
  deletes the removed ones, adds the audit rows (secrets masked, the same entries as the
  JSON audit log) and bumps the inventory's revision, then commits — all or nothing, the
  audit included (the JSON store can only append its audit line after the rename).
* `mtime_token()` is that revision: a TUI asks it every few seconds (one tiny query) and
  reloads when another admin or a daemon changed something, as it does for printers.json.
* The record is the printers.json object (`Printer.to_json`) in a jsonb column, so every
  field, present and future, round-trips; `address` is a column of its own, unique.

The password never sits in the config: `TONERTRACK_DB_PASSWORD`, or `storage.password_file`
(refused unless only its owner may read it). Migrations are numbered and applied in order
(`tonertrack storage init|migrate|status`). The history of page counts and levels is in the
database too (core/inventory/pghistory.py: `history()`), so every site's polls count.
"""

from __future__ import annotations

import json
import os
import stat
import threading
import weakref
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from .audit import change_entries, stamped
from .history import History
from .printer import Printer
from .store import Store, StoreError, Token, _check_unique, _line

T = TypeVar("T")

# (version, what it does, SQL). Applied in order, each in its own transaction.
MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (1, "printers, audit and the inventory revision", """
        CREATE TABLE tt_printers (
            id text PRIMARY KEY,
            address text NOT NULL,
            position bigserial NOT NULL,
            version bigint NOT NULL DEFAULT 1,
            record jsonb NOT NULL,
            CONSTRAINT tt_printers_address_key UNIQUE (address) DEFERRABLE INITIALLY DEFERRED
        );
        CREATE TABLE tt_audit (
            seq bigserial PRIMARY KEY,
            at timestamptz NOT NULL DEFAULT now(),
            entry jsonb NOT NULL
        );
        CREATE TABLE tt_revision (
            one int PRIMARY KEY DEFAULT 1 CHECK (one = 1),
            n bigint NOT NULL
        );
        INSERT INTO tt_revision (one, n) VALUES (1, 0);
    """),
    (2, "sites, and the claims that let several daemons of a site share a round", """
        ALTER TABLE tt_printers ADD COLUMN site text NOT NULL DEFAULT 'default';
        ALTER TABLE tt_printers ADD COLUMN claimed_at timestamptz;
        ALTER TABLE tt_printers ADD COLUMN claimed_by text;
        CREATE INDEX tt_printers_site ON tt_printers (site, claimed_at);
        UPDATE tt_printers SET site = COALESCE(record->>'site', 'default');
    """),
    (3, "the history of page counts and supply levels (core/inventory/pghistory.py)", """
        CREATE TABLE tt_history_lines (
            seq bigserial PRIMARY KEY,
            printer_id text NOT NULL,
            line text NOT NULL
        );
        CREATE INDEX tt_history_lines_printer ON tt_history_lines (printer_id, seq);
        CREATE TABLE tt_history_index (
            printer_id text PRIMARY KEY,
            entry jsonb NOT NULL
        );
    """),
    (4, "the notified state, shared by the daemons of a site (core/notify/notifier.py)", """
        CREATE TABLE tt_notify_state (
            scope text PRIMARY KEY,
            state jsonb NOT NULL
        );
    """),
)
LATEST = MIGRATIONS[-1][0]
MAX_IDLE = 4  # connections a store keeps between operations (one per thread that uses it at once)
NOTIFY_CHANNEL = "tonertrack_inventory"


class PgStoreError(StoreError):
    """The database cannot be used (unreachable, not initialised, a bad password file…)."""


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise PgStoreError("the postgresql backend needs psycopg: pip install 'tonertrack-tui[postgresql]'") from None
    return psycopg


def read_password(password_file: str = "") -> str | None:
    """TONERTRACK_DB_PASSWORD, else the password file (refused unless mode 0600 or stricter)."""
    if password_file:
        path = Path(password_file).expanduser()
        try:
            st = path.stat()
        except OSError as exc:
            raise PgStoreError(f"storage.password_file {path}: {exc.strerror or exc}") from None
        if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise PgStoreError(f"storage.password_file {path} may be read by others (mode "
                               f"{stat.S_IMODE(st.st_mode):04o}): chmod 600 it")
        return path.read_text(encoding="utf-8").strip("\r\n")
    return os.environ.get("TONERTRACK_DB_PASSWORD")


class PgStore(Store):
    """The inventory in PostgreSQL; `data_dir` still holds history, caches and local locks."""

    def __init__(self, data_dir: Path | str, dsn: str, password: str | None = None):
        super().__init__(data_dir)
        if not dsn:
            raise PgStoreError("storage.backend is postgresql but storage.dsn is empty")
        self.dsn = dsn
        self._password = password
        self.path = Path(f"postgresql:{_safe_dsn(dsn)}")  # what messages name instead of a file
        self.location = _safe_dsn(dsn)  # the DSN as shown (a Path would fold its `//`)
        self._histories: dict[Any, History] = {}
        self._idle: list[Any] = []  # connections kept for the next operation (_connect)
        self._idle_lock = threading.Lock()
        weakref.finalize(self, _close_all, self._idle)

    # ------------------------------------------------------------ the connection

    def _open(self, *, autocommit: bool = False) -> Any:
        psycopg = _psycopg()
        # A network cut (not a refused connection) must not hang a daemon: TCP keepalives find a
        # silent peer in ~25 s (10 s idle, then 3 probes 5 s apart) and tcp_user_timeout fails a
        # write nobody acknowledges after 20 s; the operation then fails like a stopped server
        # (results held, see core/polling/fleet.py). Not drilled here: this box has no iptables.
        kwargs: dict[str, Any] = {"connect_timeout": 10, "application_name": "tonertrack", "autocommit": autocommit,
                                  "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5,
                                  "keepalives_count": 3, "tcp_user_timeout": 20000}
        if self._password is not None:
            kwargs["password"] = self._password
        try:
            return psycopg.connect(self.dsn, **kwargs)
        except psycopg.OperationalError as exc:
            raise PgStoreError(f"cannot reach the database {_safe_dsn(self.dsn)}: {_first_line(exc)}") from None

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """The database's failures as one clear PgStoreError."""
        psycopg = _psycopg()
        try:
            yield
        except psycopg.errors.UndefinedTable:
            raise PgStoreError(f"the database {_safe_dsn(self.dsn)} has no TonerTrack tables: "
                               "run `tonertrack storage init`") from None
        except psycopg.OperationalError as exc:
            raise PgStoreError(f"the database {_safe_dsn(self.dsn)} failed: {_first_line(exc)}") from None

    @contextmanager
    def _connect(self) -> Iterator[Any]:
        """A connection for one operation. Connections are kept for the next (at most MAX_IDLE):
        a new one costs ~9 ms (a backend started, SCRAM authentication) where a transaction on a
        kept one costs ~0.3 ms, and a daemon of a shared site does five operations per claimed batch
        (benchmarks/pg_scale.py). A kept connection is checked with an empty query first: after a
        database restart it is replaced, never failed on. What an operation left open is rolled back."""
        conn = self._kept()
        ok = False
        try:
            with self._errors():
                yield conn
            ok = True
        finally:
            if ok and not conn.closed and not conn.broken:
                if conn.info.transaction_status != _psycopg().pq.TransactionStatus.IDLE:
                    conn.rollback()
                with self._idle_lock:
                    if len(self._idle) < MAX_IDLE:
                        self._idle.append(conn)
                        conn = None
            if conn is not None:
                conn.close()

    def _kept(self) -> Any:
        while True:
            with self._idle_lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                return self._open()
            try:
                conn.autocommit = True
                conn.execute("")
                conn.autocommit = False
                return conn
            except Exception:  # gone with a restart, a network cut…: the next one, or a new one
                conn.close()

    # ------------------------------------------------------------ migrations

    def schema_version(self) -> int:
        """0 when the database has no TonerTrack schema yet."""
        with self._connect() as conn:
            exists = conn.execute("SELECT to_regclass('tt_schema') IS NOT NULL").fetchone()[0]
            if not exists:
                return 0
            row = conn.execute("SELECT max(version) FROM tt_schema").fetchone()
            return int(row[0] or 0)

    def migrate(self) -> list[str]:
        """Apply every migration not applied yet; the ones applied now, in words."""
        done = []
        with self._connect() as conn:
            with conn.transaction():
                conn.execute("CREATE TABLE IF NOT EXISTS tt_schema (version int PRIMARY KEY, "
                              "applied_at timestamptz NOT NULL DEFAULT now())")
            for version, what, sql in MIGRATIONS:
                with conn.transaction():
                    conn.execute("LOCK TABLE tt_schema IN EXCLUSIVE MODE")  # two `migrate` at once: one wins
                    if conn.execute("SELECT 1 FROM tt_schema WHERE version = %s", (version,)).fetchone():
                        continue
                    conn.execute(sql)
                    conn.execute("INSERT INTO tt_schema (version) VALUES (%s)", (version,))
                    done.append(f"{version}: {what}")
        return done

    # ------------------------------------------------------------ reading

    def _rows(self, conn: Any, *, with_last_poll: bool = True) -> list[Printer]:
        column = "record" if with_last_poll else "record - 'last_poll'"
        rows = conn.execute(f"SELECT {column} FROM tt_printers ORDER BY position").fetchall()
        return [Printer.from_json(r[0], with_last_poll=with_last_poll) for r in rows]

    def _revision(self, conn: Any) -> Token:
        return (int(conn.execute("SELECT n FROM tt_revision").fetchone()[0]),)

    def load(self) -> list[Printer]:
        with self._thread_lock, self._connect() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            printers = self._rows(conn)
            self.token = self._revision(conn)
            self.external_change = False
            return printers

    def sites(self) -> list[tuple[str, int, list[tuple[str, float]]]]:
        """(site, printers, [(daemon, seconds since its last claim)]) per site, for `storage status`:
        which daemons share each site's rounds, and whether they still do."""
        with self._connect() as conn:
            counts = conn.execute("SELECT site, count(*) FROM tt_printers GROUP BY site ORDER BY site").fetchall()
            claims = conn.execute(
                "SELECT site, claimed_by, extract(epoch FROM now() - max(claimed_at)) FROM tt_printers "
                "WHERE claimed_by IS NOT NULL GROUP BY site, claimed_by ORDER BY 3").fetchall()
        holders: dict[str, list[tuple[str, float]]] = {}
        for site, holder, age in claims:
            holders.setdefault(site, []).append((holder, float(age)))
        return [(site, int(n), holders.get(site, [])) for site, n in counts]

    def with_notify_state(self, scope: str, fn: Callable[[dict[str, Any]], T]) -> T:
        """Run `fn` on the notified state of `scope` (a site, or "" for the whole inventory) and
        save what it leaves, in one transaction holding the state's row: the daemons of a shared
        site compare each round with the same state, so a change is notified once, by one of them."""
        with self._connect() as conn, conn.transaction():
            conn.execute("INSERT INTO tt_notify_state (scope, state) VALUES (%s, %s::jsonb) "
                         "ON CONFLICT (scope) DO NOTHING", (scope, json.dumps({"version": 1, "printers": {}})))
            state = conn.execute("SELECT state FROM tt_notify_state WHERE scope = %s FOR UPDATE",
                                 (scope,)).fetchone()[0]
            if not isinstance(state, dict) or not isinstance(state.get("printers"), dict):
                state = {"version": 1, "printers": {}}
            before = json.dumps(state, sort_keys=True)
            result = fn(state)
            if json.dumps(state, sort_keys=True) != before:
                conn.execute("UPDATE tt_notify_state SET state = %s::jsonb WHERE scope = %s",
                             (json.dumps(state), scope))
            return result

    def load_changes(self, known: Mapping[str, int]) -> tuple[set[str], dict[str, Printer], dict[str, int]]:
        """What changed since the versions `known` (printer id -> version): every id there is,
        the printers whose version moved (or new ones), read again, and every version. A TUI on
        10,000 printers rereads the rows the daemons saved, not the table, at each change."""
        with self._thread_lock, self._connect() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            versions = {pid: int(v) for pid, v in conn.execute("SELECT id, version FROM tt_printers").fetchall()}
            moved = [pid for pid, v in versions.items() if known.get(pid) != v]
            changed: dict[str, Printer] = {}
            if moved:
                rows = conn.execute("SELECT record FROM tt_printers WHERE id = ANY(%s) ORDER BY position",
                                    (moved,)).fetchall()
                changed = {p.id: p for p in (Printer.from_json(r[0]) for r in rows)}
            self.token = self._revision(conn)
            self.external_change = False
            return set(versions), changed, versions

    def load_for_polling(self, only: Collection[str] | None = None) -> list[Printer]:
        """`Store.load_for_polling`; with `only`, just those rows (a daemon's claimed batch
        reads its rows, not the whole table)."""
        with self._thread_lock, self._connect() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            if only is None:
                printers = self._rows(conn, with_last_poll=False)
            else:
                rows = conn.execute("SELECT record - 'last_poll' FROM tt_printers WHERE id = ANY(%s) ORDER BY position",
                                    (list(only),)).fetchall()
                return [Printer.from_json(r[0], with_last_poll=False) for r in rows]
            self.token = self._revision(conn)
            return printers

    def mtime_token(self) -> Token | None:
        try:
            with self._connect() as conn:
                return self._revision(conn)
        except StoreError:
            return None

    # ------------------------------------------------------------ writing

    def transact(self, fn: Callable[[list[Printer]], T], *, audit: str | None = "edit",
                 audit_entries: Callable[[T], list[dict[str, Any]]] | None = None) -> T:
        """`Store.transact` in one database transaction, the audit rows included."""
        jsonb = _psycopg().types.json.Jsonb
        with self._thread_lock, self._connect() as conn, conn.transaction():
            conn.execute("LOCK TABLE tt_printers IN SHARE ROW EXCLUSIVE MODE")
            printers = self._rows(conn)
            self._note_read(self._revision(conn))
            old_lines = {p.id: _line(p) for p in printers}
            order_before = [p.id for p in printers]
            result = fn(printers)
            _check_unique(printers)
            captured = getattr(self._capture, "saved", None)
            if captured is not None:
                captured.printers = printers
            new_lines = {p.id: _line(p) for p in printers}
            removed = [pid for pid in order_before if pid not in new_lines]
            changed = [p for p in printers if old_lines.get(p.id) != new_lines[p.id]]
            if not removed and not changed:
                self.token = self._revision(conn)
                return result
            if removed:
                conn.execute("DELETE FROM tt_printers WHERE id = ANY(%s)", (removed,))
            for p in changed:
                conn.execute(
                    "INSERT INTO tt_printers (id, address, site, record) VALUES (%s, %s, %s, %s) "
                    "ON CONFLICT (id) DO UPDATE SET address = EXCLUDED.address, site = EXCLUDED.site, "
                    "record = EXCLUDED.record, version = tt_printers.version + 1",
                    (p.id, p.address, p.site, jsonb(json.loads(new_lines[p.id]))))
            if audit_entries is not None:
                entries = audit_entries(result)
            elif audit:
                before = [Printer.from_json(json.loads(old_lines[p.id])) for p in changed if p.id in old_lines]
                before += [Printer.from_json(json.loads(old_lines[pid])) for pid in removed]
                entries = change_entries(before, changed, audit)
            else:
                entries = []
            for entry in stamped(entries):
                conn.execute("INSERT INTO tt_audit (entry) VALUES (%s)", (jsonb(entry),))
            conn.execute("UPDATE tt_revision SET n = n + 1")
            conn.execute(f"NOTIFY {NOTIFY_CHANNEL}")
            revision = self._revision(conn)
        self.token = revision
        return result

    def claim(self, site: str, holder: str, round_s: float, limit: int, exclude: Collection[str] = ()) -> list[str]:
        """Up to `limit` printers of `site` that no daemon has claimed in the last `round_s` seconds,
        now claimed by `holder` (ids), never one in `exclude` (what the caller polled this round:
        a round longer than `round_s` must not poll its own first printers again). Daemons of one
        site call this in turn until it returns nothing: `FOR UPDATE SKIP LOCKED` hands each
        printer to one of them, so none is polled twice in a round, and a daemon that dies leaves
        its claims to expire within one round. Unclaimed printers first, then the oldest claims."""
        with self._connect() as conn, conn.transaction():
            rows = conn.execute(
                "UPDATE tt_printers SET claimed_at = now(), claimed_by = %(holder)s WHERE id IN ("
                " SELECT id FROM tt_printers WHERE site = %(site)s AND (claimed_at IS NULL"
                "  OR claimed_at < now() - make_interval(secs => %(round)s)) AND NOT (id = ANY(%(exclude)s))"
                " ORDER BY claimed_at NULLS FIRST, position LIMIT %(limit)s FOR UPDATE SKIP LOCKED) RETURNING id",
                {"holder": holder, "site": site, "round": round_s, "limit": limit,
                 "exclude": list(exclude)}).fetchall()
        return [r[0] for r in rows]

    def _record_poll_by_lines(self, items: list[Any], offline_after: int) -> list[Printer] | None:
        """record_poll in one transaction that reads and writes only the polled rows (FOR UPDATE),
        never the whole table: a flush of 200 results costs the same with 100 printers or 10,000
        (through transact() a 10,000-printer round read the table once per flush: 390 s).

        A result older than the poll already saved for a printer is skipped: a daemon that held
        its results through a partition and writes them when the database is back must not
        replace what another daemon of the site saved meanwhile."""
        jsonb = _psycopg().types.json.Jsonb
        ids = list(dict.fromkeys(pid for pid, _ in items))
        with self._thread_lock, self._connect() as conn, conn.transaction():
            rows = conn.execute("SELECT id, record FROM tt_printers WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                                (ids,)).fetchall()
            docs = {r[0]: r[1] for r in rows}
            before: list[Printer] = []
            now: dict[str, Printer] = {}
            for pid, result in items:
                doc = docs.get(pid)
                if doc is None:
                    continue  # removed meanwhile
                printer = now.get(pid)
                if printer is None:
                    printer = Printer.from_json(doc)
                    if printer.predates_saved_poll(result):
                        continue
                    before.append(Printer.from_json(doc, with_last_poll=False))
                    now[pid] = printer
                printer.apply_poll(result, offline_after)
            if now:
                with conn.cursor() as cur:
                    cur.executemany("UPDATE tt_printers SET record = %s, version = version + 1 WHERE id = %s",
                                    [(jsonb(json.loads(_line(p))), p.id) for p in now.values()])
                    cur.executemany("INSERT INTO tt_audit (entry) VALUES (%s)",
                                    [(jsonb(e),) for e in stamped(change_entries(before, list(now.values()),
                                                                                 "poll"))])
                conn.execute("UPDATE tt_revision SET n = n + 1")
                conn.execute(f"NOTIFY {NOTIFY_CHANNEL}")
            self.token = self._revision(conn)
        return list(now.values())

    def history(self, config: Any = None) -> History:
        """The history in this database (every site's polls in one place): one per store and
        [history] settings, so its reading connection is kept (core/inventory/pghistory.py)."""
        from .pghistory import PgHistory

        key = (config.history.sample_interval_s, config.history.raw_days,
               config.history.retention_days) if config is not None else None
        history = self._histories.get(key)
        if history is None:
            history = PgHistory.for_store(self, config) if config is not None else PgHistory(self)
            self._histories[key] = history
        return history

    def quarantine(self) -> Path:
        raise PgStoreError("a database is never moved aside: its records are checked one by one")

    # ------------------------------------------------------------ the audit, for copies and tests

    def audit_entries(self) -> list[dict[str, Any]]:
        with self._connect() as conn:
            return [r[0] for r in conn.execute("SELECT entry FROM tt_audit ORDER BY seq").fetchall()]

    def add_audit(self, entries: list[dict[str, Any]]) -> None:
        jsonb = _psycopg().types.json.Jsonb
        with self._connect() as conn, conn.transaction():
            for entry in entries:
                conn.execute("INSERT INTO tt_audit (entry) VALUES (%s)", (jsonb(entry),))

    def record_versions(self) -> dict[str, int]:
        with self._connect() as conn:
            return {r[0]: int(r[1]) for r in conn.execute("SELECT id, version FROM tt_printers").fetchall()}


def _close_all(connections: list[Any]) -> None:
    for conn in connections:
        conn.close()
    connections.clear()


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _safe_dsn(dsn: str) -> str:
    """The DSN as it may be shown: any password in it masked (the config refuses one anyway)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    netloc = parts.netloc.replace(f":{parts.password}@", ":•••@")
    return urlunsplit(parts._replace(netloc=netloc))
