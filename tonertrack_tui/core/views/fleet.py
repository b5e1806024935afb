"""What the fleet list shows, computed without any UI: rows, filter, sort, summary, ages.

Screens and widgets render these values; the decisions (which supply is the most
urgent, what a filter matches, how "3 min ago" is worded) live here and are unit-tested.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

from ..printer.model import PollResult, Supply
from ..printer.status import STATUS_RANK, STATUSES, reason_items, supply_label, worst_supply
from ..util.textsafe import safe_text

SORT_COLUMNS = ("status", "name", "address", "location", "model", "supply", "pages", "age")

LEVEL_NOTE_WORDS = {
    "some_remaining": "some left",
    "unknown": "unknown",
    "unrestricted": "no limit",
    "max_unknown": "max unknown",
}


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
    address_key: tuple = field(compare=False)
    name_key: tuple = field(compare=False)
    text: str = field(compare=False)  # what a filter searches, casefolded


def no_reply_text(record: dict[str, Any]) -> str:
    """Why a printer is Offline (or stale), in words."""
    n = int(record.get("consecutive_failures") or 0)
    return "no reply to the last poll" if n == 1 else f"no reply to the last {n} polls"


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def supply_view(supply: Supply, siblings: Sequence[Supply]) -> SupplyView:
    label = safe_text(supply_label(supply, siblings), limit=40)
    if supply.remaining_pct is None:
        text = LEVEL_NOTE_WORDS.get(supply.level_note or "unknown", "unknown")
        return SupplyView(label, None, text, supply.severity, supply.is_receptacle)
    if supply.is_receptacle:
        return SupplyView(label, supply.full_pct, f"{supply.full_pct} % full", supply.severity, True)
    suffix = "~" if supply.estimated else ""
    return SupplyView(label, supply.remaining_pct, f"{suffix}{supply.remaining_pct} %", supply.severity, False)


def last_result(record: dict[str, Any]) -> PollResult | None:
    snap = record.get("last_poll")
    if not isinstance(snap, dict):
        return None
    try:
        return PollResult.from_json(snap)
    except (TypeError, ValueError, KeyError):
        return None


def row_for(record: dict[str, Any], result: PollResult | None = None) -> PrinterRow:
    result = result if result is not None else last_result(record)
    supply = None
    reasons: tuple[str, ...] = ()
    if result is not None:
        worst = worst_supply(result.supplies)
        if worst is not None:
            supply = supply_view(worst, result.supplies)
        reasons = tuple(safe_text(r, limit=200) for r in result.reasons)
    status = record.get("status") or "Unknown"
    if status not in STATUSES:
        status = "Unknown"
    if status in ("Offline", "Unknown") and not reasons and record.get("consecutive_failures"):
        reasons = (no_reply_text(record),)
    name = safe_text(record.get("name") or (result.identity.name if result else "") or "", limit=80)
    address = safe_text(record.get("address"), limit=80)
    location = safe_text(record.get("location") or "", limit=60)
    model = safe_text(record.get("model") or (result.identity.model if result else "") or "", limit=60)
    serial = safe_text(record.get("serial") or "", limit=40)
    address_key = _address_key(address)
    return PrinterRow(
        id=str(record.get("id")),
        status=status,
        stale=bool(record.get("stale")),
        name=name,
        address=address,
        location=location,
        model=model,
        serial=serial,
        supply=supply,
        pages=result.page_count if result else None,
        last_poll_at=parse_time(record.get("last_poll_at")),
        reasons=reasons,
        address_key=address_key,
        name_key=((name or address).casefold(), address_key),
        text=" ".join((name, address, location, model, serial)).casefold(),
    )


def matches(row: PrinterRow, query: str) -> bool:
    """Every word of the query appears in name, address, location, model or serial."""
    return _matches(row, query.casefold().split())


def _matches(row: PrinterRow, words: list[str]) -> bool:
    return all(word in row.text for word in words)


def _address_key(address: str) -> tuple:
    host, _, port = address.rpartition(":") if address.count(":") == 1 else (address, "", "")
    parts = host.split(".")
    if all(p.isdigit() for p in parts) and len(parts) == 4:
        return (0, tuple(int(p) for p in parts), int(port or 161))
    return (1, address.casefold(), 0)


def sort_key(column: str):
    keys = {
        "status": lambda r: (STATUS_RANK.get(r.status, 9), r.name_key),
        "name": lambda r: r.name_key,
        "address": lambda r: r.address_key,
        "location": lambda r: (r.location.casefold() or "\uffff", r.name_key),
        "model": lambda r: (r.model.casefold() or "\uffff", r.name_key),
        "supply": lambda r: (r.supply.pct if r.supply and r.supply.pct is not None and not r.supply.receptacle
                             else (100 - r.supply.pct) if r.supply and r.supply.pct is not None else 101,
                             r.name_key),
        "pages": lambda r: (r.pages if r.pages is not None else -1, r.name_key),
        "age": lambda r: (r.last_poll_at.timestamp() if r.last_poll_at else 0.0, r.name_key),
    }
    return keys[column]


def select_rows(rows: Iterable[PrinterRow], *, query: str = "", statuses: frozenset[str] | None = None,
                sort: str = "status", reverse: bool = False) -> list[PrinterRow]:
    words = query.casefold().split()
    chosen = [r for r in rows if (not statuses or r.status in statuses) and _matches(r, words)]
    chosen.sort(key=sort_key(sort), reverse=reverse)
    return chosen


def summarize(rows: Iterable[PrinterRow]) -> dict[str, int]:
    counts = {s: 0 for s in ("OK", "Warning", "Error", "Offline", "Unknown")}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    return counts


def age_text(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "—"  # never polled
    seconds = max(0, int((now - when).total_seconds()))
    if seconds < 60:
        # not "17s": a column of seconds ticking on every freshly polled row is noise (and a
        # redraw of each of those rows every second) for a fleet polled every few minutes
        return "now"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def ago_text(when: datetime, now: datetime) -> str:
    """An age in a sentence: "just now", "5m ago"."""
    age = age_text(when, now)
    return "just now" if age == "now" else f"{age} ago"


def age_changes_at(when: datetime | None, now: datetime) -> datetime:
    """When `age_text(when, …)` will next read differently from what it reads at `now`."""
    if when is None:
        return datetime.max.replace(tzinfo=timezone.utc)
    seconds = max(0, int((now - when).total_seconds()))
    step = 60 if seconds < 3600 else 3600 if seconds < 86400 else 86400
    return when + timedelta(seconds=(seconds // step + 1) * step)


def problems(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every active problem across the fleet, worst first: alerts and status reasons."""
    order = {"critical": 0, "Error": 0, "Offline": 1, "warning": 2, "warning_binary": 2, "Warning": 2}
    items = []
    for record in records:
        result = last_result(record)
        status = record.get("status") or "Unknown"
        since = parse_time((result.polled_at if result else None) or record.get("last_poll_at"))
        name = safe_text(record.get("name") or record.get("address"), limit=60)
        if status == "Offline":
            items.append({"severity": "Offline", "printer_id": record.get("id"), "printer": name,
                          "address": record.get("address"), "problem": f"Offline: {no_reply_text(record)}",
                          "since": parse_time(record.get("last_good_poll_at"))})
            continue
        if result is None:
            continue
        for severity, reason in reason_items(result):
            items.append({"severity": "Error" if severity == "error" else "Warning",
                          "printer_id": record.get("id"), "printer": name, "address": record.get("address"),
                          "problem": safe_text(reason, limit=200), "since": since})
    items.sort(key=lambda i: (order.get(i["severity"], 3), i["printer"].casefold()))
    return items
