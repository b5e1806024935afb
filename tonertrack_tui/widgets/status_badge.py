"""A printer status as coloured text that also reads without colour (NO_COLOR, 16 colours)."""

from __future__ import annotations

from rich.text import Text

STATUS_STYLE = {
    "OK": ("✔", "green"),
    "Warning": ("▲", "yellow"),
    "Error": ("✖", "bold red"),
    "Offline": ("○", "magenta"),
    "Unknown": ("?", "dim"),
}
SEVERITY_STYLE = {"ok": "green", "warning": "yellow", "error": "bold red", "unknown": "dim"}
WIDTH = 9  # "✖ Offline" — fixed so the column never jumps


def status_text(status: str, *, stale: bool = False) -> Text:
    symbol, style = STATUS_STYLE.get(status, ("?", "dim"))
    text = Text(f"{symbol} {status}", style=style)
    if stale:
        text.append("*", style="dim")
    return text
