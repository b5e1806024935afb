"""Snapshot + thresholds → per-supply severity, printer status and reasons a person understands.

Status (DESIGN.md "Status"): Error for a critical alert, a supply below the error
threshold, or noToner/noPaper/jammed/doorOpen/offline; Warning for warning alerts,
supplies below the warning threshold and the milder error-state flags; OK otherwise.
A supply is "below" a threshold when its remaining percentage is strictly less than it.
For a receptacle (waste toner box) the percentage is the space left, so a box with 5 %
space left is "95 % full" and is judged on those 5 %.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import PollResult, Supply
from .problems import find_problems

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


def evaluate(result: PollResult, thresholds: Thresholds | None = None) -> PollResult:
    """Set supply severities, `status` and `reasons` on a reachable result (in place)."""
    thresholds = thresholds or Thresholds()
    for supply in result.supplies:
        supply.severity = supply_severity(supply, thresholds)
    problems = find_problems(result)
    reasons = [p.reason for p in problems]
    if not result.is_printer:
        result.status = UNKNOWN
        reasons.insert(0, NOT_A_PRINTER)
    elif any(p.severity == "error" for p in problems):
        result.status = ERROR
    elif problems:
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
