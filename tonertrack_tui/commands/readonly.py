"""`tonertrack --read-only`: which sub-commands would change something.

The TUI refuses changes in the App (core/role.py); headless, the commands that write the
inventory, the audit log, the history or the settings are refused here, before they run.
Commands that only read (list, show, poll TARGET, export, metrics, check, --dry-run) run as usual.
"""

from __future__ import annotations

import argparse

READ_ONLY_HELP = "look, never change: no add/edit/delete, sync, import, discover --add, poll --all, daemon " \
                 "(env TONERTRACK_READ_ONLY=1)"


def refusal(args: argparse.Namespace) -> str | None:
    """Why the command of `args` may not run in a read-only role (None: it only reads)."""
    command = getattr(args, "command", None)
    if command == "printers" and getattr(args, "printers_command", None) in {"add", "edit", "remove"}:
        what = f"`printers {args.printers_command}` changes the inventory"
    elif command in {"import", "sync"} and not getattr(args, "dry_run", False):
        what = f"`{command}` changes the inventory (--dry-run only shows the plan)"
    elif command == "discover" and getattr(args, "add", False):
        what = "`discover --add` changes the inventory (without --add it only lists)"
    elif command == "poll" and getattr(args, "all", False):
        what = "`poll --all` saves the results and the history (`poll TARGET` changes nothing)"
    elif command == "daemon":
        what = "`daemon` polls and saves"
    elif command == "storage" and getattr(args, "storage_action", None) in {"init", "migrate", "copy"}:
        what = f"`storage {args.storage_action}` changes the database"
    else:
        return None
    return f"read-only: {what}"
