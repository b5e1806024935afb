"""Plain-text rendering of poll results for the terminal (no colours needed, safe text only)."""

from __future__ import annotations

from ..core.printer.model import PollResult, Supply
from ..core.printer.words import level_text, note_text, pages_text, supply_name
from ..core.util.textsafe import safe_text


def gauge(pct: int | None, width: int = 10) -> str:
    if pct is None:
        return "[" + "·" * width + "]"
    filled = round(width * max(0, min(100, pct)) / 100)
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def supply_line(s: Supply, siblings: list[Supply]) -> str:
    """One supply: its name, a gauge (remaining, or how full a receptacle is) and its level in
    the words of core/printer/words.py ("78 %", "~78 %", "95 % full", "some left")."""
    label = safe_text(supply_name(s, siblings), limit=40)
    bar = gauge(s.full_pct if s.is_receptacle else s.remaining_pct)
    value = level_text(s)
    mark = {"error": "!!", "warning": "! ", "ok": "  ", "unknown": "? "}.get(s.severity, "  ")
    return f"  {mark}{label:<40} {bar} {value}"


def render_result(r: PollResult) -> str:
    ident = r.identity
    title = safe_text(ident.name or "", limit=60)
    lines = [f"{safe_text(r.target)}  {r.status}" + (f"  ({title})" if title else "")]
    for reason in r.reasons:
        lines.append(f"  - {safe_text(reason)}")
    if not r.reachable:
        return "\n".join(lines)
    facts = []
    if ident.model:
        facts.append(f"model {safe_text(ident.model, limit=60)}")
    if ident.serial:
        facts.append(f"serial {safe_text(ident.serial, limit=40)}")
    if r.page_count is not None:
        facts.append(f"pages {pages_text(r.page_count, r.counters)}")
    if ident.location:
        facts.append(f"location {safe_text(ident.location, limit=40)}")
    if facts:
        lines.append("  " + " · ".join(facts))
    if r.supplies:
        lines.append("  Supplies:")
        lines.extend(supply_line(s, r.supplies) for s in r.supplies)
    if r.trays:
        lines.append("  Trays:")
        for t in r.trays:
            name = safe_text(t.name or t.description or f"Tray {t.index}", limit=30)
            if t.remaining_pct is not None:
                value = f"{t.remaining_pct} %" + (f" ({t.level}/{t.max})" if t.max and t.max > 0 else "")
            else:
                value = note_text(t.level_note)
            media = f"  {safe_text(t.media, limit=30)}" if t.media else ""
            lines.append(f"    {name:<30} {value}{media}")
    if r.alerts:
        lines.append("  Alerts:")
        for a in r.alerts:
            lines.append(f"    {a.severity:<14} {safe_text(a.description, limit=100)}")
    lines.append(f"  polled {r.polled_at} in {r.duration_ms:g} ms, {r.requests} requests")
    return "\n".join(lines)
