"""What the fleet list shows, computed without any UI: rows, filter, sort, summary, ages.

Screens and widgets render these values; the decisions (which supply is the most
urgent, what a filter matches, how "3 min ago" is worded) live here and are unit-tested.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ..inventory.printer import DEFAULT_SITE, OFFLINE_PROBLEM, Printer, query_words, search_text, words_match
from ..printer.model import Supply
from ..printer.problems import find_problems
from ..printer.status import STATUS_RANK, worst_supply
from ..printer.words import level_text, supply_name
from ..util.textsafe import safe_text
from ..util.timeutil import parse_time

SORT_COLUMNS = ("status", "name", "address", "location", "model", "supply", "pages", "age")

# how an address sorts: dotted IPv4 numerically (0, octets, port), anything else by its text (1, text, 0)
AddressKey = tuple[int, tuple[int, ...] | str, int]


@dataclass(frozen=True, slots=True)
class SupplyView:
    label: str
    pct: int | None  # what the gauge fills: remaining %, or "% full" for a receptacle
    text: str  # "8 %", "95 % full", "some left"
    severity: str
    receptacle: bool


@dataclass(frozen=True, slots=True)
class PrinterRow:
    id: str
    status: str
    stale: bool
    name: str
    address: str
    location: str
    model: str
    serial: str
    supply: SupplyView | None
    pages: int | None
    last_poll_at: datetime | None
    reasons: tuple[str, ...]
    # sort keys, worked out once per row rather than at every re-sort of the whole fleet
    address_key: AddressKey = field(compare=False)
    name_key: tuple[str, AddressKey] = field(compare=False)
    text: str = field(compare=False)  # what a filter searches, casefolded
    # when it last answered a poll (None: never): the list's Age. An Offline printer's last poll is
    # "now" but its news is as old as its last answer; a never-answered printer has no age.
    last_answer_at: datetime | None = None
    source: str = ""  # the print server it came from (sync), "" when added by hand
    site: str = DEFAULT_SITE  # which daemons poll it (issue 19)


def supply_view(supply: Supply, siblings: Sequence[Supply]) -> SupplyView:
    label = safe_text(supply_name(supply, siblings), limit=40)
    pct = supply.full_pct if supply.is_receptacle else supply.remaining_pct
    return SupplyView(label, pct, level_text(supply), supply.severity, supply.is_receptacle)


def row_for(printer: Printer) -> PrinterRow:
    """The list row of a printer (every text made safe to show)."""
    result = printer.last_poll
    supply = None
    reasons: tuple[str, ...] = ()
    if result is not None:
        worst = worst_supply(result.supplies)
        if worst is not None:
            supply = supply_view(worst, result.supplies)
        reasons = tuple(safe_text(r, limit=200) for r in result.reasons)
    status = printer.status
    if status in ("Offline", "Unknown") and not reasons and printer.consecutive_failures:
        reasons = (printer.no_reply_text,)
    name = safe_text(printer.name or (result.identity.name if result else "") or "", limit=80)
    address = safe_text(printer.address, limit=80)
    location = safe_text(printer.location, limit=60)
    model = safe_text(printer.model or (result.identity.model if result else "") or "", limit=60)
    serial = safe_text(printer.serial or "", limit=40)
    site = safe_text(printer.site, limit=40) or DEFAULT_SITE
    address_key = _address_key(address)
    return PrinterRow(
        id=printer.id,
        status=status,
        stale=printer.stale,
        name=name,
        address=address,
        location=location,
        model=model,
        serial=serial,
        supply=supply,
        pages=result.page_count if result else None,
        last_poll_at=parse_time(printer.last_poll_at),
        reasons=reasons,
        last_answer_at=parse_time(printer.last_good_poll_at),
        source=safe_text(printer.source.name, limit=60) if printer.source else "",
        site=site,
        address_key=address_key,
        name_key=((name or address).casefold(), address_key),
        text=search_text(name, address, location, model, serial, site if site != DEFAULT_SITE else ""),
    )


def matches(row: PrinterRow, query: str) -> bool:
    """The search rule of the inventory (core.inventory.printer.words_match) on a row."""
    return words_match(row.text, query_words(query))


def _address_key(address: str) -> AddressKey:
    host, _, port = address.rpartition(":") if address.count(":") == 1 else (address, "", "")
    parts = host.split(".")
    if all(p.isdigit() for p in parts) and len(parts) == 4:
        return (0, tuple(int(p) for p in parts), int(port or 161))
    return (1, address.casefold(), 0)


def sort_key(column: str) -> Callable[[PrinterRow], tuple[object, ...]]:
    keys: dict[str, Callable[[PrinterRow], tuple[object, ...]]] = {
        "status": lambda r: (STATUS_RANK.get(r.status, 9), r.name_key),
        "name": lambda r: r.name_key,
        "address": lambda r: r.address_key,
        "location": lambda r: (r.location.casefold() or "\uffff", r.name_key),
        "model": lambda r: (r.model.casefold() or "\uffff", r.name_key),
        "supply": lambda r: (r.supply.pct if r.supply and r.supply.pct is not None and not r.supply.receptacle
                             else (100 - r.supply.pct) if r.supply and r.supply.pct is not None else 101,
                             r.name_key),
        "pages": lambda r: (r.pages if r.pages is not None else -1, r.name_key),
        "age": lambda r: (r.last_answer_at.timestamp() if r.last_answer_at else 0.0, r.name_key),
    }
    return keys[column]


def select_rows(rows: Iterable[PrinterRow], *, query: str = "", statuses: frozenset[str] | None = None,
                sort: str = "status", reverse: bool = False, view: View | None = None) -> list[PrinterRow]:
    words = query_words(query)
    chosen = [r for r in rows if (not statuses or r.status in statuses) and words_match(r.text, words)
              and (view is None or view.shows(r))]
    chosen.sort(key=sort_key(sort), reverse=reverse)
    return chosen


# ---------------------------------------------------------------- views: one location, one print server

NO_LOCATION = "(no location)"
BY_HAND = "(added by hand)"


@dataclass(frozen=True, slots=True)
class View:
    """A part of the fleet: one site, one location, or the printers one print server brought
    (TonerTrack v2's location views per print server). `value` is what the rows carry ("" = none)."""

    kind: str  # "site" | "location" | "source"
    value: str

    def shows(self, row: PrinterRow) -> bool:
        value: str = row.site if self.kind == "site" else row.location if self.kind == "location" else row.source
        return value == self.value

    @property
    def label(self) -> str:
        if self.kind == "site":
            return f"site {self.value}"
        if self.kind == "location":
            return f"location {self.value or NO_LOCATION}"
        return f"print server {self.value}" if self.value else f"printers {BY_HAND[1:-1]}"


def views(rows: Iterable[PrinterRow]) -> list[View]:
    """Every view the fleet has: its sites (when it has more than one), its locations (casefolded
    order, no location last), then its print servers (when any printer came from one; printers
    added by hand last)."""
    rows = list(rows)
    sites = {r.site for r in rows}
    locations = {r.location for r in rows}
    sources = {r.source for r in rows}
    out = [View("site", site) for site in sorted(sites, key=lambda v: (v.casefold(), v))] if len(sites) > 1 else []
    out += [View("location", loc) for loc in sorted(locations, key=lambda v: (v == "", v.casefold(), v))]
    if sources - {""}:
        out += [View("source", src) for src in sorted(sources, key=lambda v: (v == "", v.casefold(), v))]
    return out


def next_view(current: View | None, rows: Iterable[PrinterRow], *, backwards: bool = False) -> View | None:
    """The view after `current` in `views(rows)`, None (the whole fleet) after the last one."""
    cycle: list[View | None] = [None, *views(rows)]
    try:
        i = cycle.index(current)
    except ValueError:  # its printers are gone: back to the whole fleet
        return None
    return cycle[(i + (-1 if backwards else 1)) % len(cycle)]


def empty_text(total: int, *, query: str = "", statuses: Iterable[str] = (), view: View | None = None) -> str:
    """What an empty list says: how to add printers, or what hid them all ("" when rows show)."""
    if total == 0:
        return ("No printers yet.\n\nPress a to add one, D to discover printers on a network, or Y to sync "
                "them from a print server.\nFrom a file: tonertrack import printers.csv (or a TonerTrack v2 "
                "printers.json).")
    hidden = []
    if query:
        hidden.append(f"the filter \u201c{safe_text(query, limit=40)}\u201d")
    if statuses:
        hidden.append("only " + " and ".join(sorted(statuses, key=lambda st: STATUS_RANK.get(st, 9))))
    if view is not None:
        hidden.append(view.label)
    what = " and ".join(hidden) or "the filter"
    return (f"Nothing to show with {what} ({total} printer{'s' if total != 1 else ''} in all)."
            f"\n\nEsc clears {'them' if len(hidden) > 1 else 'it'}.")


def summarize(rows: Iterable[PrinterRow]) -> dict[str, int]:
    counts = {s: 0 for s in ("OK", "Warning", "Error", "Offline", "Unknown")}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    return counts


@dataclass(frozen=True, slots=True)
class FleetProblem:
    """One problem of one printer, for the Alerts screen and the alerts report."""

    severity: str  # Error | Offline | Warning
    printer_id: str
    printer: str  # its name (or address), safe to show
    address: str
    problem: str  # our words, safe to show: "Paper jam", "No reply to the last 3 polls"
    # (an Offline row: its severity says Offline, the problem does not say it again)
    detail: str  # the device's own words for it, safe to show ("" when it said nothing more)
    since: datetime | None  # when it was first seen


_PROBLEM_ORDER = {"Error": 0, "Offline": 1, "Warning": 2}


def problems(printers: Iterable[Printer]) -> list[FleetProblem]:
    """Every active problem across the fleet (one per physical problem), worst first."""
    items = []
    for printer in printers:
        result = printer.last_poll
        name = safe_text(printer.name or printer.address, limit=60)
        address = safe_text(printer.address, limit=80)
        if printer.status == "Offline":
            since = printer.problems_since.get(OFFLINE_PROBLEM) or printer.last_good_poll_at
            items.append(FleetProblem("Offline", printer.id, name, address, printer.no_reply_text.capitalize(), "",
                                      parse_time(since)))
            continue
        if result is None:
            continue
        for p in find_problems(result):
            since = printer.problems_since.get(p.key) or result.polled_at or printer.last_poll_at
            items.append(FleetProblem("Error" if p.severity == "error" else "Warning", printer.id, name, address,
                                      safe_text(p.text, limit=200), safe_text("; ".join(p.details), limit=300),
                                      parse_time(since)))
    items.sort(key=lambda i: (_PROBLEM_ORDER.get(i.severity, 3), i.printer.casefold()))
    return items
