"""`tonertrack export REPORT`: the inventory (CSV, or a JSON backup) and the CSV reports.

The REPORTs come from one explicit table (no walking of argparse's internals): each entry
adds its own sub-parsers, written beside the code that runs them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from . import inventory, reports

HELP = "write reports and the inventory (CSV; JSON backup)"

# In the order of `tonertrack export --help`.
REPORT_PARSERS: tuple[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None], ...] = (
    inventory.add_export_parser,  # export inventory
    reports.add_export_parsers,  # export usage | monthly | supplies | alerts
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("export", help=HELP, description="Write reports (CSV) and the inventory.",
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(func=lambda args: _usage(parser))
    report_sub = parser.add_subparsers(dest="export_command", metavar="REPORT", parser_class=type(parser))
    for add in REPORT_PARSERS:
        add(report_sub)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_usage(sys.stderr)
    print("tonertrack: error: export needs a REPORT (e.g. inventory)", file=sys.stderr)
    return 2
