"""`tonertrack export usage|monthly|supplies|alerts`: the CSV reports (core/reports.py)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from ..core.inventory.store import UnknownPrinter
from ..core.reports.build import (
    REPORTS,
    BadMonth,
    ReportError,
    ReportWriteError,
    build_report,
    default_path,
    parse_month,
    vanishing_note,
    write_report,
)
from .common import UsageError, handle_errors, open_inventory, write_stdout_bytes

CSV_NOTE = """\
The file is CSV in UTF-8 with a byte-order mark, so Excel and LibreOffice show
non-ASCII names correctly (--no-bom leaves it out, for cut, awk and scripts;
standard output, -o -, never gets one). A cell that starts with = + - @ TAB or
CR is prefixed with ' so a spreadsheet never runs it. Without -o the file goes
to the export directory of the config ([export] directory; default
~/Documents/TonerTrack, else <data dir>/exports) with a dated name such as
monthly-2026-11-26.csv; a second export that day becomes monthly-2026-11-26-2.csv
(the first is kept). The full path of the file written is printed. Files are
written atomically: on an error nothing is left behind.
"""
EPILOG = """\
exit status: 0 written, 1 the file cannot be written (e.g. no space left),
2 usage error (bad month, unknown printer).
"""

DESCRIPTIONS = {
    "usage": """\
Pages printed by one printer: per month over the period, their total, and per
day for the last 60 days (within the period). Start and end counter readings
are given; a note marks every figure that is an estimate (a counter reset, days
or months without readings) or partial (the first month with readings).
""",
    "monthly": """\
Pages per month for every printer (address, name, location, model, serial,
month, pages, start and end counter readings, note), then totals per location
and for the fleet, per month and for the whole period. Months imported from
TonerTrack v2 (pages_history) are included and noted.
""",
    "supplies": """\
The order list: every supply below its warning threshold (the printer's own
thresholds per supply kind, else the config's) or forecast to run out — a waste
box to fill up — within the horizon ([export] forecast_horizon_days, default
30). With the part number when the supply's description carries one. Forecasts
come from the level history since the last replacement; "unknown" when there is
not enough of it.
""",
    "alerts": """\
Active problems across the fleet, worst first: errors, offline printers,
warnings — with the printer, the problem and since when.
""",
}
HELP = {
    "usage": "one printer's pages per month and per day",
    "monthly": "every printer's pages per month, with totals",
    "supplies": "the order list: supplies low or running out soon",
    "alerts": "active problems across the fleet, worst first",
}


def _month_arg(text: str) -> str:
    try:
        return parse_month(text)
    except BadMonth as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month: expected YYYY-MM, e.g. 2026-01") from exc


@handle_errors
def run_report(args: argparse.Namespace) -> int:
    config, store = open_inventory(args)
    printers = store.load()
    history = store.history(config)
    now = datetime.now(UTC)
    try:
        report = build_report(args.report, printers, history, config, printer=getattr(args, "address", None),
                              start=getattr(args, "start", None), end=getattr(args, "end", None), now=now)
    except (ReportError, UnknownPrinter) as exc:  # a bad month or period, an unknown printer
        raise UsageError(str(exc)) from None
    if args.output == "-":
        write_stdout_bytes(report.csv_bytes(bom=False))
        return 0
    if args.output:  # a file the user named: replaced, as the shell's > would
        path, create_dir, dated = args.output, False, False
    else:  # the dated default: an earlier export of the same day is kept (name-2.csv, …)
        path, create_dir, dated = default_path(config, report.kind, datetime.now().date(), report.subject), True, True
    try:
        written = write_report(report, path, create_dir=create_dir, bom=not args.no_bom, keep_existing=dated)
    except ReportWriteError as exc:
        print(f"tonertrack: error: {exc}", file=sys.stderr)
        return 1
    rows = len(report.rows)
    print(f"Wrote the {report.kind} report ({rows} row{'s' if rows != 1 else ''}) to {written}", file=sys.stderr)
    if note := vanishing_note(written):
        print(f"Note: {note}", file=sys.stderr)
    return 0


def add_export_parsers(reports: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`export usage|monthly|supplies|alerts` (commands/export.py builds `export` from its table)."""
    fmt = argparse.RawDescriptionHelpFormatter
    for kind in REPORTS:
        p = reports.add_parser(kind, help=HELP[kind], description=DESCRIPTIONS[kind] + "\n" + CSV_NOTE,
                               epilog=EPILOG, formatter_class=fmt)
        if kind == "usage":
            p.add_argument("address", metavar="ADDRESS", help="the printer's address (or id)")
        if kind in ("usage", "monthly"):
            p.add_argument("--from", dest="start", metavar="YYYY-MM", type=_month_arg,
                           help="first month of the period (default: the first with data)")
            p.add_argument("--to", dest="end", metavar="YYYY-MM", type=_month_arg,
                           help="last month of the period (default: the last with data)")
        p.add_argument("-o", "--output", metavar="FILE",
                       help="write to FILE ('-' = standard output); default: the export directory, dated name "
                            "(name-2.csv, … when an export of the same day is there already)")
        p.add_argument("--no-bom", action="store_true",
                       help="no UTF-8 byte-order mark (it is there for Excel; leave it out for cut, awk, scripts)")
        p.set_defaults(func=run_report, report=kind)


__all__ = ["add_export_parsers"]
