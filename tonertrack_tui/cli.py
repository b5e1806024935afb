"""`tonertrack`: the TUI by default, sub-commands for headless work.

Exit codes: 0 success, 1 the work found problems (e.g. `--fail-on`), 2 usage error.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import NoReturn

from . import __version__
from .commands.common import UsageError, fail_usage

# Each module has register(subparsers); order is the order of `tonertrack --help`.
# (inventory registers `import`; export builds `export` from its own table.)
COMMAND_MODULES = [
    "demo",
    "poll",
    "printers",
    "inventory",
    "export",
    "sync",
    "discover",
    "metrics",
    "check",
    "daemon",
    "storage",
]

DESCRIPTION = """\
A terminal monitor for office printer fleets over SNMP (Printer-MIB, RFC 3805).

Without a sub-command it opens the full-screen monitor on your inventory.
"""

EPILOG = """\
environment:
  TONERTRACK_CONFIG     the config file (same as --config)
  TONERTRACK_DATA_DIR   where printers.json, the audit log and history live (--data-dir)

exit status: 0 success, 1 the work found problems (--fail-on), 2 usage error.
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2, as the style guide asks
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tonertrack",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tonertrack {__version__}")
    parser.add_argument("--config", metavar="PATH", help="config file (env TONERTRACK_CONFIG)")
    parser.add_argument("--data-dir", metavar="PATH", help="data directory (env TONERTRACK_DATA_DIR)")
    parser.add_argument("--no-mouse", action="store_true", help="TUI: leave mouse tracking off (for SSH)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(f".commands.{name}", __package__).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.config and not Path(args.config).expanduser().is_file():
        # a file named on the command line must exist (the default one may be absent)
        what = "is not a file" if Path(args.config).expanduser().exists() else "does not exist"
        return fail_usage(f"--config {args.config}: {what}")
    func = getattr(args, "func", None)
    if func is None:
        try:
            from .commands import tui  # the full-screen app (imports Textual)
        except ImportError:
            parser.print_help()
            return 0
        func = tui.run
    try:
        return int(func(args) or 0)
    except UsageError as exc:
        return fail_usage(str(exc))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
