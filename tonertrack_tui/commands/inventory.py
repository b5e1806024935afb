"""`tonertrack import FILE` and `tonertrack export inventory`: bring printers in, back them up."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.inventory import validate
from ..core.inventory.importers import FORMATS, ImportFileError, apply_import, backup_bytes, plan_import, read_import
from ..core.reports.build import inventory_report
from ..core.util.fsutil import atomic_write_bytes
from ..core.util.textsafe import safe_text
from .common import handle_errors, open_inventory, write_stdout_bytes

IMPORT_DESCRIPTION = """\
Add the printers of FILE to the inventory, all or nothing: every row is checked
first, and one bad row means nothing is imported (each problem is listed with its
line or entry).

formats:
  v2    TonerTrack v2's data/printers.json: names, locations, communities,
        user_overridden and the monthly pages history (pages_history), which
        then shows in the monthly reports. Toner levels come with the first poll.
  csv   a header line with at least address,name; optional columns location,
        community, snmp_version, notes. SNMP settings left out follow the config.
  json  a backup written by `tonertrack export inventory --json`: restores the
        records as they were (ids, settings, secrets, last state).
Without --format it is guessed from the content, whatever the file's name: JSON
(a TonerTrack backup, else v2) when it starts with { or [, else CSV; when the file
does not fit, the error says which format was assumed and why.

Printers already in the inventory (same address) are skipped and listed, so an
import can be run twice; --update takes their settings from the file instead.
"""
IMPORT_EPILOG = """\
exit status: 0 imported (or nothing to do), 1 the inventory cannot be saved,
2 the file cannot be imported (nothing was changed).
"""

EXPORT_DESCRIPTION = """\
Write the inventory: a CSV (address, name, location, model, serial, status,
last poll; no SNMP secrets) or, with --json, a complete backup that
`tonertrack import FILE --format json` restores.

The JSON backup CONTAINS THE SNMP COMMUNITIES AND SNMPv3 KEYS in clear (it is
a backup): -o FILE is created with mode 0600; keep it private.
"""


@handle_errors
def run_import(args: argparse.Namespace) -> int:
    config, store = open_inventory(args)
    try:
        fmt, rows, warnings = read_import(args.file, args.format, default_snmp=config.default_snmp())
    except ImportFileError as exc:
        print(f"tonertrack: error: {exc}", file=sys.stderr)
        return 2
    plan = plan_import(fmt, str(args.file), rows, store.load(), update=args.update, warnings=warnings)
    # the same printer under another address (localhost vs 127.0.0.1): warned about, still imported
    same = validate.same_printer_warnings_for([row.address for row in plan.add], store.load())
    plan.warnings.extend(w for row in plan.add for w in same.get(row.address, []))
    for warning in plan.warnings:
        print(f"tonertrack: warning: {safe_text(warning, limit=None)}", file=sys.stderr)
    for line in plan.describe():
        print(safe_text(line, limit=None))
    counts = f"{len(plan.add)} to add, {len(plan.update)} to update, {len(plan.skip)} skipped"
    if args.dry_run:
        print(f"Dry run ({fmt}): {counts}; nothing was written.")
        return 0
    if not plan.add and not plan.update:
        print(f"Nothing to import: {counts}.")
        return 0
    history = store.history(config)
    result = apply_import(plan, store, history)
    print(f"Imported from {args.file} ({fmt}): {result['added']} added, {result['updated']} updated, "
          f"{result['skipped']} skipped.")
    return 0


@handle_errors
def run_export_inventory(args: argparse.Namespace) -> int:
    _, store = open_inventory(args)
    printers = store.load()
    data = backup_bytes(printers) if args.json else inventory_report(printers).csv_bytes(bom=False)
    if args.output and args.output != "-":
        path = Path(args.output).expanduser()
        try:
            atomic_write_bytes(path, data)  # 0600: a JSON backup holds SNMP secrets
        except OSError as exc:
            print(f"tonertrack: error: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        what = "a backup with SNMP secrets, mode 0600" if args.json else "CSV"
        print(f"Wrote {len(printers)} printers to {path} ({what}).", file=sys.stderr)
    else:
        if args.json and sys.stdout.isatty():
            print("tonertrack: warning: the backup contains SNMP secrets", file=sys.stderr)
        write_stdout_bytes(data)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser("import", help="bring printers in (TonerTrack v2 printers.json, CSV, JSON backup)",
                       description=IMPORT_DESCRIPTION, epilog=IMPORT_EPILOG, formatter_class=fmt)
    p.add_argument("file", metavar="FILE", type=Path, help="the file to import")
    p.add_argument("--format", choices=FORMATS, help="v2, csv or json (default: guessed from the file)")
    p.add_argument("--dry-run", action="store_true", help="print what would happen; write nothing")
    p.add_argument("--update", action="store_true",
                   help="printers already in the inventory take their settings from the file (default: skip them)")
    p.set_defaults(func=run_import)


def add_export_parser(reports: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`export inventory` (commands/export.py builds `export` from its table)."""
    fmt = argparse.RawDescriptionHelpFormatter
    p = reports.add_parser("inventory", help="the inventory as CSV, or a JSON backup with --json",
                           description=EXPORT_DESCRIPTION, formatter_class=fmt)
    p.add_argument("--json", action="store_true",
                   help="a complete backup for `import --format json` (includes SNMP secrets)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (mode 0600) instead of standard output")
    p.set_defaults(func=run_export_inventory)


__all__ = ["register", "add_export_parser"]
