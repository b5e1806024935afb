"""`tonertrack storage init|migrate|status|copy`: the PostgreSQL backend (issue 19).

The JSON store stays the default. `init` and `migrate` apply the numbered migrations (one
transaction each; running them twice does nothing); `status` says which backend is in use,
where, and whether its schema is current; `copy --from json --to postgresql` (or back) moves
the inventory with its last state, the audit log and the history without loss: every record
goes over as the same JSON object, every audit entry as it was, every history line as the same
text with its index (the data dir's history/ files, core/inventory/history.py, and the
database's tables, core/inventory/pghistory.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

from ..core.config import Config, StorageConfig
from ..core.inventory.audit import AUDIT_FILE, read_entries
from ..core.inventory.backend import open_store
from ..core.inventory.pgstore import LATEST, PgStore, read_password
from ..core.inventory.printer import Printer
from ..core.inventory.store import Store, StoreError
from ..core.util.fsutil import append_lines
from ..core.util.textsafe import safe_text
from .common import UsageError, config_from_args, handle_errors

DESCRIPTION = """\
The PostgreSQL backend. Configure it first ([storage] backend = "postgresql", dsn =
"postgresql://USER@HOST:PORT/DB", the password in TONERTRACK_DB_PASSWORD or a 0600
password_file), then:

  tonertrack storage init                                create the tables (= migrate)
  tonertrack storage status                              backend, database, schema version, sites and
                                                         the daemons claiming their printers
  tonertrack storage copy --from json --to postgresql    move an inventory in (and back)

`copy` reads the JSON side from the data dir (--data-dir / TONERTRACK_DATA_DIR) and refuses
to copy into a store that already holds printers unless --replace is given. The target's
history is replaced by the source's.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("storage", help="the PostgreSQL backend: init, migrate, status, copy",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = p.add_subparsers(dest="storage_action", metavar="ACTION", required=True)
    for name, text in (("init", "create the database tables"), ("migrate", "apply migrations not applied yet"),
                       ("status", "which backend, which database, which schema version")):
        a = actions.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        a.set_defaults(func=run_status if name == "status" else run_migrate)
    c = actions.add_parser("copy", help="copy inventory, last state and audit between backends",
                           description="Copy the inventory, each printer's last state and the audit log from "
                                       "one backend to the other.")
    c.add_argument("--from", dest="source", choices=("json", "postgresql"), required=True)
    c.add_argument("--to", dest="target", choices=("json", "postgresql"), required=True)
    c.add_argument("--replace", action="store_true", help="replace printers already in the target")
    c.set_defaults(func=run_copy)


def _pg_store(config: Config, data_dir: object) -> PgStore:
    if not config.storage.dsn:
        raise UsageError("no database configured: set [storage] dsn = \"postgresql://USER@HOST:PORT/DB\"")
    return PgStore(str(data_dir), config.storage.dsn, read_password(config.storage.password_file))


@handle_errors
def run_migrate(args: argparse.Namespace) -> int:
    paths, config = config_from_args(args)
    store = _pg_store(config, paths.data_dir)
    done = store.migrate()
    for line in done:
        print(f"applied migration {line}")
    print(f"schema version {store.schema_version()}: up to date" if not done else
          f"schema version {store.schema_version()}")
    return 0


@handle_errors
def run_status(args: argparse.Namespace) -> int:
    paths, config = config_from_args(args)
    print(f"backend: {config.storage.backend}")
    if config.storage.backend == "json":
        print(f"inventory: {paths.data_dir / 'printers.json'}")
        if not config.storage.dsn:
            return 0
    store = _pg_store(config, paths.data_dir)
    version = store.schema_version()
    print(f"database: {store.location}")
    state = "current" if version == LATEST else ("not initialised: run `tonertrack storage init`" if version == 0
                                                 else f"behind ({LATEST} is current): run `tonertrack storage migrate`")
    print(f"schema version: {version} ({state})")
    if version:
        print(f"printers: {len(store.load())}")
    if version == LATEST:
        for site, count, holders in store.sites():
            shared = ", ".join(f"{safe_text(holder, limit=80)} ({_ago(age)})" for holder, age in holders[:8])
            more = f" and {len(holders) - 8} more" if len(holders) > 8 else ""
            print(f"site {safe_text(site, limit=64)}: {count} printer{'s' if count != 1 else ''}"
                  + (f"; claimed by {shared}{more}" if shared else "; no daemon has claimed any (daemon --site)"))
    return 0 if version == LATEST else 1


def _ago(seconds: float) -> str:
    """How long ago a daemon last claimed printers of a site."""
    if seconds < 120:
        return f"last claim {seconds:.0f} s ago"
    if seconds < 7200:
        return f"last claim {seconds / 60:.0f} min ago"
    return f"last claim {seconds / 3600:.0f} h ago"


@handle_errors
def run_copy(args: argparse.Namespace) -> int:
    if args.source == args.target:
        raise UsageError("--from and --to name the same backend")
    paths, config = config_from_args(args)
    json_store = open_store(replace(config, storage=StorageConfig()), paths.data_dir)
    pg = _pg_store(config, paths.data_dir)
    if pg.schema_version() == 0:
        raise UsageError("the database has no TonerTrack tables: run `tonertrack storage init` first")
    source: Store = json_store if args.source == "json" else pg
    target: Store = pg if args.source == "json" else json_store
    printers = source.load()
    existing = target.load()
    if existing and not args.replace:
        raise UsageError(f"the {args.target} store already holds {len(existing)} printers: "
                         "add --replace to replace them")

    def put(records: list[Printer]) -> None:
        records[:] = [p.copy() for p in printers]

    target.transact(put, audit=None)
    if args.target == "postgresql":
        entries = read_entries(paths.data_dir / AUDIT_FILE)
        pg.add_audit(entries)
    else:
        entries = pg.audit_entries()
        try:
            append_lines(paths.data_dir / AUDIT_FILE,
                         [json.dumps(e, ensure_ascii=True).encode("ascii") for e in entries])
        except OSError as exc:
            raise StoreError(f"cannot write the audit log: {exc.strerror or exc}") from None
    history_from, history_to = json_store.history(config), pg.history(config)
    if args.source != "json":
        history_from, history_to = history_to, history_from
    with_history, lines = history_to.copy_from(history_from)
    where = pg.location if args.target == "postgresql" else paths.data_dir / "printers.json"
    print(f"Copied {len(printers)} printers, {len(entries)} audit entries and the history of {with_history} "
          f"printers ({lines} lines) to {where}.", file=sys.stderr)
    return 0
