"""A text gauge for a supply level: works in 16 colours and without colour."""

from __future__ import annotations

from rich.text import Text

from ..core.fleetview import SupplyView
from .status_badge import SEVERITY_STYLE

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


def gauge_text(view: SupplyView | None, *, width: int = 6, label_width: int = 18, with_label: bool = True) -> Text:
    if view is None:
        return Text("—", style="dim")
    style = SEVERITY_STYLE.get(view.severity, "")
    text = Text()
    if with_label:
        label = view.label if len(view.label) <= label_width else view.label[: label_width - 1] + "…"
        text.append(label.ljust(label_width) + " ")
    text.append(bar(view.pct, width), style=f"{style} on grey23" if style else "on grey23")
    text.append(f" {view.text}", style=style)
    return text
