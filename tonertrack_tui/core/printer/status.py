"""Snapshot + thresholds → per-supply severity, printer status and reasons a person understands.

Status (DESIGN.md "Status"): Error for a critical alert, a supply below the error
threshold, or noToner/noPaper/jammed/doorOpen/offline; Warning for warning alerts,
supplies below the warning threshold and the milder error-state flags; OK otherwise.
A supply is "below" a threshold when its remaining percentage is strictly less than it.
For a receptacle (waste toner box) the percentage is the space left, so a box with 5 %
space left is "95 % full" and is judged on those 5 %.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from . import mib
from .model import PollResult, Supply

OK, WARNING, ERROR, OFFLINE, UNKNOWN = "OK", "Warning", "Error", "Offline", "Unknown"
STATUSES = (OK, WARNING, ERROR, OFFLINE, UNKNOWN)
# For sorting "worst first"
STATUS_RANK = {ERROR: 0, OFFLINE: 1, WARNING: 2, UNKNOWN: 3, OK: 4}


@dataclass(frozen=True, slots=True)
class Thresholds:
    warning_pct: int = 20
    error_pct: int = 10
    kinds: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)  # kind -> (warning, error)

    def for_kind(self, kind: str) -> tuple[int, int]:
        warning, error = self.kinds.get(kind, (None, None))
        return (self.warning_pct if warning is None else warning, self.error_pct if error is None else error)

    def overridden(self, warning_pct: int | None = None, error_pct: int | None = None,
                   kinds: dict[str, tuple[int | None, int | None]] | None = None) -> Thresholds:
        merged = dict(self.kinds)
        merged.update(kinds or {})
        return Thresholds(
            self.warning_pct if warning_pct is None else warning_pct,
            self.error_pct if error_pct is None else error_pct,
            merged,
        )


ERROR_FLAGS = {
    "noToner": "Out of toner",
    "noPaper": "Out of paper",
    "jammed": "Paper jam",
    "doorOpen": "Door open",
    "offline": "Printer offline",
}
WARNING_FLAGS = {
    "lowToner": "Toner low",
    "lowPaper": "Paper low",
    "serviceRequested": "Service requested",
    "overduePreventMaint": "Maintenance overdue",
    "inputTrayMissing": "Input tray missing",
    "outputTrayMissing": "Output tray missing",
    "markerSupplyMissing": "A supply is missing",
    "outputNearFull": "Output tray nearly full",
    "outputFull": "Output tray full",
    "inputTrayEmpty": "Input tray empty",
}

_LABELLED_KINDS = {"toner": "toner", "ink": "ink", "drum": "drum", "developer": "developer"}


_pair_counts_cache: tuple[object, int, Counter] | None = None


def _pair_counts(siblings: Sequence[Supply]) -> Counter:
    """(colour, kind) counts of a supply list; labelling every supply of a list asks for the
    same list over and over (a hostile device has 2,048 rows), so the last answer is kept."""
    global _pair_counts_cache
    cached = _pair_counts_cache
    if cached is not None and cached[0] is siblings and cached[1] == len(siblings):
        return cached[2]
    counts = Counter((s.color, s.kind) for s in siblings)
    _pair_counts_cache = (siblings, len(siblings), counts)
    return counts


def supply_label(supply: Supply, siblings: Sequence[Supply] | None = None) -> str:
    """ "Cyan toner" when colour and kind say it all and are unique, else the description."""
    if supply.color and supply.kind in _LABELLED_KINDS:
        label = f"{supply.color.capitalize()} {_LABELLED_KINDS[supply.kind]}"
        if siblings is None or _pair_counts(siblings)[(supply.color, supply.kind)] == 1:
            return label
    return supply.description or f"Supply {supply.index}"


def supply_severity(supply: Supply, thresholds: Thresholds) -> str:
    if supply.remaining_pct is None:
        if supply.level_note in ("some_remaining", "unrestricted"):
            return "ok"
        return "unknown"
    warning, error = thresholds.for_kind(supply.kind)
    if supply.remaining_pct < error:
        return "error"
    if supply.remaining_pct < warning:
        return "warning"
    return "ok"


def supply_reason(supply: Supply, siblings: list[Supply]) -> str:
    label = supply_label(supply, siblings)
    if supply.is_receptacle and supply.remaining_pct is not None:
        return f"{label} {supply.full_pct} % full"
    suffix = " (estimate)" if supply.estimated else ""
    return f"{label} {supply.remaining_pct} %{suffix}"


def reason_items(result: PollResult) -> list[tuple[str, str]]:
    """[("error"|"warning", reason)], worst first, from supplies whose severity is already set."""
    errors: list[str] = []
    warnings: list[str] = []
    worst_supplies = sorted(
        (s for s in result.supplies if s.severity in ("error", "warning")),
        key=lambda s: (s.severity != "error", s.remaining_pct if s.remaining_pct is not None else 101),
    )
    for supply in worst_supplies:
        (errors if supply.severity == "error" else warnings).append(supply_reason(supply, result.supplies))
    toner_low = any(s.kind in ("toner", "ink") for s in worst_supplies)
    toner_out = any(s.kind in ("toner", "ink") and s.severity == "error" for s in worst_supplies)

    for flag in result.error_state:
        if (flag == "lowToner" and toner_low) or (flag == "noToner" and toner_out):
            continue  # "Cyan toner 8 %" already says it, better
        if flag in ERROR_FLAGS:
            errors.append(ERROR_FLAGS[flag])
        elif flag in WARNING_FLAGS:
            warnings.append(WARNING_FLAGS[flag])

    for alert in result.alerts:
        if alert.code in mib.ALERT_CODES_NOT_A_PROBLEM or alert.severity == "other":
            continue
        if alert.severity == "critical":
            errors.append(f"{alert.description} (critical alert)")
        else:
            warnings.append(alert.description)

    if result.device_status == "down" and not errors:
        errors.append("Printer reports it is down")
    elif result.device_status == "warning" and not errors and not warnings:
        warnings.append("Printer reports a warning")
    items = [("error", e) for e in errors] + [("warning", w) for w in warnings]
    seen: set[str] = set()
    out = []
    for severity, text in items:
        key = text.casefold()
        if key not in seen:
            seen.add(key)
            out.append((severity, text))
    return out


def evaluate(result: PollResult, thresholds: Thresholds | None = None) -> PollResult:
    """Set supply severities, `status` and `reasons` on a reachable result (in place)."""
    thresholds = thresholds or Thresholds()
    for supply in result.supplies:
        supply.severity = supply_severity(supply, thresholds)
    items = reason_items(result)
    reasons = [text for _, text in items]
    if not result.is_printer:
        result.status = UNKNOWN
        reasons.insert(0, NOT_A_PRINTER)
    elif any(severity == "error" for severity, _ in items):
        result.status = ERROR
    elif items:
        result.status = WARNING
    else:
        result.status = OK
    result.reasons = reasons
    return result


NOT_A_PRINTER = "Answers SNMP but reports no printer (no Printer-MIB supplies or printer device)"


def worst_supply(supplies: list[Supply]) -> Supply | None:
    """The supply a person should look at first (lowest remaining, errors first)."""
    rank = {"error": 0, "warning": 1, "ok": 2, "unknown": 3}
    known = [s for s in supplies if s.remaining_pct is not None or s.level_note]
    if not known:
        return None
    return min(known, key=lambda s: (rank.get(s.severity, 4), s.remaining_pct if s.remaining_pct is not None else 101))
