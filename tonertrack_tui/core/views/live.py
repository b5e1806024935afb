"""The fleet a monitor holds in memory: every printer, its list row, and what changed since the last redraw.

The TUI's App owns one `LiveFleet`. Poll results are applied with the inventory's own rule
(`Printer.apply_poll`), so what the screen shows is what the store saves; a printer whose
row is asked for again after a change gets a new row, the others keep theirs (the table
redraws by diff). Nothing here knows about Textual.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable, Mapping

from ..inventory.printer import Printer
from ..printer.model import PollResult
from .fleet import PrinterRow, row_for


class LiveFleet:
    def __init__(self, printers: Iterable[Printer] = ()) -> None:
        self.printers: dict[str, Printer] = {p.id: p for p in printers}
        self._rows: dict[str, PrinterRow] = {}
        self._all_rows: list[PrinterRow] | None = None
        self._dirty: set[str] = set()
        self._all_dirty = False

    def __len__(self) -> int:
        return len(self.printers)

    def __contains__(self, printer_id: object) -> bool:
        return printer_id in self.printers

    def get(self, printer_id: str) -> Printer | None:
        return self.printers.get(printer_id)

    def snapshot(self) -> list[Printer]:
        """The printers as they are now, for work in another thread (polls go on meanwhile: a
        poll replaces a printer's fields, it never changes the objects they hold)."""
        return [copy.copy(p) for p in self.printers.values()]

    def row(self, printer_id: str) -> PrinterRow | None:
        row = self._rows.get(printer_id)
        if row is None and printer_id in self.printers:
            row = self._rows[printer_id] = row_for(self.printers[printer_id])
        return row

    def all_rows(self) -> list[PrinterRow]:
        """Every printer's row (the same list until a printer changes: callers don't modify it)."""
        if self._all_rows is None:
            self._all_rows = [r for r in (self.row(pid) for pid in self.printers) if r is not None]
        return self._all_rows

    def _changed(self, printer_id: str) -> None:
        self._all_rows = None
        self._dirty.add(printer_id)
        self._rows.pop(printer_id, None)

    # ------------------------------------------------------------------ changes

    def apply_result(self, printer_id: str, result: PollResult, offline_after: int) -> bool:
        """A poll result, applied as the store applies it. False for a printer no longer here."""
        printer = self.printers.get(printer_id)
        if printer is None:
            return False
        printer.apply_poll(result, offline_after)
        self._changed(printer_id)
        return True

    def put(self, printer: Printer) -> None:
        """A printer added or changed by the user (as saved)."""
        self.printers[printer.id] = printer
        self._changed(printer.id)

    def remove(self, printer_id: str) -> None:
        if self.printers.pop(printer_id, None) is not None:
            self._changed(printer_id)

    def replace_all(self, printers: Iterable[Printer]) -> None:
        """The inventory as another process (or a bulk change) left it. A printer that reads the
        same keeps its row; where this copy holds a newer poll than the one read (results not
        yet saved by a poll in progress), the newer poll state is kept."""
        fresh = {p.id: p for p in printers}
        self.apply(fresh, fresh)

    def apply(self, ids: Collection[str], changed: Mapping[str, Printer]) -> None:
        """`replace_all` when only what changed was read: `ids` every printer there is now,
        `changed` the ones read again (the postgresql backend reads the rows whose version moved)."""
        for pid in [pid for pid in self.printers if pid not in ids]:
            self.remove(pid)
        for pid, new in changed.items():
            old = self.printers.get(pid)
            if old is not None and (old.last_poll_at or "") > (new.last_poll_at or ""):
                _keep_poll_state(new, old)
            if old is not None and old == new:
                continue
            self.put(new)

    def take_changes(self) -> set[str] | None:
        """What changed since the last call: printer ids, None for "everything", or an empty set."""
        if self._all_dirty:
            self._all_dirty = False
            self._dirty.clear()
            return None
        dirty, self._dirty = self._dirty, set()
        return dirty


_POLL_STATE = ("last_poll", "status", "consecutive_failures", "last_poll_at", "last_good_poll_at", "stale",
               "problems_since", "name", "model", "serial")


def _keep_poll_state(target: Printer, newer: Printer) -> None:
    for name in _POLL_STATE:
        if name == "name" and target.user_overridden:
            continue
        setattr(target, name, getattr(newer, name))
