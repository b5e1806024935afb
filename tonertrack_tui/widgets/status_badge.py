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
ATTRIBUTES = ("bold", "dim", "italic", "underline", "reverse")


def mono_safe(style: str, mono: bool) -> str:
    """Under NO_COLOR Textual greys colours by luminance, which makes red nearly invisible:
    keep only the attributes (bold, dim …) so the text stays readable; symbols carry the meaning."""
    if not mono:
        return style
    return " ".join(word for word in style.split() if word in ATTRIBUTES)


def status_text(status: str, *, stale: bool = False, mono: bool = False) -> Text:
    """"✖ Error" in its colour; `mono` (the app's `no_color`) keeps only bold/dim."""
    symbol, style = STATUS_STYLE.get(status, ("?", "dim"))
    text = Text(f"{symbol} {status}", style=mono_safe(style, mono))
    if stale:
        text.append("*", style="dim")
    return text
