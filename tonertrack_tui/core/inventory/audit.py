"""printers_audit.log: who changed what in the inventory, one JSON line per change.

    {"time", "user", "pid", "action", "printer", "id", "changes": {field: [old, new]}}

Actions: add, edit, delete, import, sync, poll (only when a poll changed the inventory,
e.g. took the sysName as name). Secrets are masked before a line is written
(`Printer.audit_view`). Lines are appended whole with one `os.write` each on an O_APPEND
descriptor (core/util/fsutil.append_lines), so concurrent writers never interleave.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..util.fsutil import append_lines, os_user
from ..util.timeutil import utc_now_iso
from .printer import Printer, audit_changes

AUDIT_FILE = "printers_audit.log"


def change_entries(before: list[Printer], after: list[Printer], action: str) -> list[dict[str, Any]]:
    """The audit entries of a transaction: `before`/`after` hold the changed printers only.
    For action add/edit/delete, each printer's own kind is used (an added one is "add")."""
    old = {p.id: p for p in before}
    new = {p.id: p for p in after}
    entries = []
    for pid in list(old) + [i for i in new if i not in old]:
        o, n = old.get(pid), new.get(pid)
        changes = audit_changes(o, n)
        if not changes:
            continue
        kind = "add" if o is None else "delete" if n is None else "edit"
        entries.append({"action": kind if action in ("add", "edit", "delete") else action,
                        "printer": (n or o).address, "id": pid, "changes": changes})  # type: ignore[union-attr]
    return entries


def stamped(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries stamped with time, OS user and pid (what every audit store keeps)."""
    now, user, pid = utc_now_iso(), os_user(), os.getpid()
    return [{"time": now, "user": user, "pid": pid, **entry} for entry in entries]


def append_entries(path: Path, entries: list[dict[str, Any]]) -> None:
    """Append entries (secrets already masked), each stamped with time, OS user and pid."""
    append_lines(path, [json.dumps(e, ensure_ascii=True).encode("ascii") for e in stamped(entries)])


def read_entries(path: Path) -> list[dict[str, Any]]:
    """Every entry of an audit log file (a line that is not JSON is kept as {"unreadable": line})."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    out: list[dict[str, Any]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            entry = {"unreadable": line}
        out.append(entry if isinstance(entry, dict) else {"unreadable": line})
    return out
