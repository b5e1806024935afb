"""A text gauge for a supply level: works in 16 colours and without colour."""

from __future__ import annotations

from rich.text import Text

from ..core.views.fleet import SupplyView
from .status_badge import SEVERITY_STYLE, mono_safe

BLOCKS = " ▏▎▍▌▋▊▉█"


def bar(pct: int | None, width: int) -> str:
    """Eighth-block bar of `width` cells; '·' cells when there is no number."""
    if pct is None:
        return "·" * width
    eighths = round(max(0, min(100, pct)) * width * 8 / 100)
    full, rest = divmod(eighths, 8)
    out = "█" * full
    if full < width:
        out += BLOCKS[rest] if rest else " "
        out += " " * (width - full - 1)
    return out


def bar_text(pct: int | None, width: int, style: str = "", *, mono: bool = False) -> Text:
    """The bar on its grey trough; `mono` (the app's `no_color`, where a red bar greyed by
    luminance disappears on its grey trough): the bar in the text colour on a light shade."""
    if not mono:
        return Text(bar(pct, width), style=f"{style} on grey23".strip())
    body = bar(pct, width).rstrip(" ")
    text = Text(body, style=style)
    text.append("░" * (width - len(body)), style="dim")
    return text


def gauge_text(view: SupplyView | None, *, width: int = 6, label_width: int = 18, with_label: bool = True,
               mono: bool = False) -> Text:
    """Label, bar and value of the most urgent supply; `mono`: readable without colours."""
    if view is None:
        return Text("—", style="dim")
    style = mono_safe(SEVERITY_STYLE.get(view.severity, ""), mono)
    text = Text()
    if with_label:
        label = view.label if len(view.label) <= label_width else view.label[: label_width - 1] + "…"
        text.append(label.ljust(label_width) + " ")
    text.append_text(bar_text(view.pct, width, style, mono=mono))
    text.append(f" {view.text}", style=style)
    return text
