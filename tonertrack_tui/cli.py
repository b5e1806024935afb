"""`tonertrack`: the TUI by default, sub-commands for headless work.

Exit codes: 0 success, 1 the work found problems (e.g. `--fail-on`), 2 usage error.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import Any, NoReturn

from . import __version__
from .commands.common import UsageError, fail_usage
from .commands.readonly import READ_ONLY_HELP
from .commands.readonly import refusal as read_only_refusal
from .core.role import Role

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
    "serve",
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
  TONERTRACK_READ_ONLY  1: the read-only role (same as --read-only)

exit status: 0 success, 1 the work found problems (--fail-on), 2 usage error.
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2, as the style guide asks
        self.exit(2, f"{self.prog}: error: {message}\n")


class _SubParser(_Parser):
    """Every sub-command (and theirs: they make theirs with type(parser)) also takes --read-only
    after its name, as `tonertrack printers add --read-only …`; unset there, the global one counts."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_argument("--read-only", action="store_true", default=argparse.SUPPRESS, help=READ_ONLY_HELP)


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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_SubParser)
    parser.add_argument("--read-only", action="store_true", help=READ_ONLY_HELP)
    parser.add_argument("--viewer", action="store_true",
                        help="TUI: never poll; show what the daemon or another TonerTrack stores "
                             "(what `tonertrack serve` sessions run)")
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
    args.role = Role.from_env(read_only=args.read_only, viewer=args.viewer)
    if args.role.read_only and (why := read_only_refusal(args)) is not None:
        print(f"tonertrack: {why}", file=sys.stderr)
        return 2
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
