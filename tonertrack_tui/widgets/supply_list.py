"""Every supply (and input tray) of a printer as a gauge line.

The numbers come from core (fleetview.supply_view: the gauge fill, "% full" for
receptacles; status: severities and labels); this widget only lays them out.
Level states are words, never a fake 0 % or 50 %.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from ..core.printer.model import Supply, Tray
from ..core.printer.words import note_text
from ..core.util.textsafe import safe_text
from ..core.views.fleet import supply_view
from .status_badge import SEVERITY_STYLE, mono_safe
from .supply_gauge import bar_text

# Read without colour too (NO_COLOR, 16 colours)
SEVERITY_MARK = {"error": "✖", "warning": "▲", "ok": " ", "unknown": "?"}
WIDE = 100  # from this width on, raw level/max and unit are shown too


def _raw(level: int | None, maximum: int | None, unit: str | None) -> str:
    if level is None or level < 0:
        return ""
    cap = f"/{maximum}" if maximum is not None and maximum > 0 else ""
    return f"{level}{cap} {unit or ''}".rstrip()


def _layout(width: int) -> tuple[int, int]:
    """(label width, bar width) for the available width."""
    if width >= WIDE:
        return 26, 16
    return max(12, min(22, width - 52)), 10


def supply_line(supply: Supply, siblings: Sequence[Supply], width: int, *, mono: bool = False) -> Text:
    view = supply_view(supply, siblings)
    style = mono_safe(SEVERITY_STYLE.get(view.severity, ""), mono)
    label_w, bar_w = _layout(width)
    value = view.text
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(SEVERITY_MARK.get(view.severity, " ") + " ", style=style)
    label = view.label if len(view.label) <= label_w else view.label[: label_w - 1] + "…"
    line.append(label.ljust(label_w) + " ")
    line.append("▕", style="dim")
    line.append_text(bar_text(view.pct, bar_w, style, mono=mono))
    line.append("▏", style="dim")
    line.append(f" {value:<17}", style=style)
    details = [safe_text(supply.kind, limit=20)]
    if supply.color:
        details.append(safe_text(supply.color, limit=20))
    kind = " · ".join(details)
    if width >= WIDE:
        line.append(f"{kind:<20}", style="dim")
        raw = _raw(supply.level, supply.max, supply.unit)
        if raw:
            line.append(f" level {safe_text(raw, limit=40)}", style="dim")
    else:
        line.append(kind, style="dim")
    return line


def tray_line(tray: Tray, width: int, *, mono: bool = False) -> Text:
    label_w, bar_w = _layout(width)
    name = safe_text(tray.name or tray.description or f"Tray {tray.index}", limit=60)
    label = name if len(name) <= label_w else name[: label_w - 1] + "…"
    value = note_text(tray.level_note) if tray.remaining_pct is None else f"{tray.remaining_pct} %"
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append("  " + label.ljust(label_w) + " ")
    line.append("▕", style="dim")
    line.append_text(bar_text(tray.remaining_pct, bar_w, mono=mono))
    line.append("▏", style="dim")
    line.append(f" {value:<17}")
    media = safe_text(tray.media, limit=30) if tray.media else ""
    if width >= WIDE:
        line.append(f"{media:<20}", style="dim")
        raw = _raw(tray.level, tray.max, None)
        if raw:
            line.append(f" level {raw}", style="dim")
    else:
        line.append(media, style="dim")
    return line


class SupplyList(Widget):
    """`set_supplies(supplies)` / `set_trays(trays)`: one gauge line each, re-laid out on resize."""

    DEFAULT_CSS = """
    SupplyList {
        height: auto;
    }
    """

    def __init__(self, *, empty: str = "No supplies reported.", name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._supplies: list[Supply] = []
        self._trays: list[Tray] = []
        self._empty = empty

    def set_supplies(self, supplies: Sequence[Supply]) -> None:
        self._supplies, self._trays = list(supplies), []
        self.refresh(layout=True)

    def set_trays(self, trays: Sequence[Tray]) -> None:
        self._supplies, self._trays = [], list(trays)
        self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return max(1, len(self._supplies) + len(self._trays))

    def render(self) -> Text:
        width = self.size.width or 80
        mono = bool(getattr(self.app, "no_color", False))
        lines = [supply_line(s, self._supplies, width, mono=mono) for s in self._supplies]
        lines += [tray_line(t, width, mono=mono) for t in self._trays]
        if not lines:
            return Text("  " + self._empty, style="dim")
        return Text("\n", no_wrap=True).join(lines)
