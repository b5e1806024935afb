"""A history sparkline drawn with block characters: one cell per day, a gap where a day has no data.

Textual's own Sparkline has no notion of a missing value and resamples to the widget
width; a day-per-cell strip with visible gaps reads better over SSH and without colour.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

TICKS = "▁▂▃▄▅▆▇█"
GAP = "·"


def sparkline_text(values: Sequence[int | float | None], *, maximum: float | None = None,
                   style: str = "", gap_style: str = "dim") -> Text:
    """One character per value, scaled 0..`maximum` (default: the largest value)."""
    text = Text(no_wrap=True, overflow="crop")
    numbers = [v for v in values if v is not None]
    top = maximum if maximum is not None else max(numbers, default=0)
    for value in values:
        if value is None:
            text.append(GAP, style=gap_style)
            continue
        if top <= 0:
            tick = TICKS[0]
        else:
            ratio = max(0.0, min(1.0, value / top))
            tick = TICKS[min(len(TICKS) - 1, int(ratio * (len(TICKS) - 1) + 0.5))]
        text.append(tick, style=style)
    return text


class HistorySparkline(Widget):
    """A one-line sparkline widget; the newest value is drawn at the right edge."""

    DEFAULT_CSS = """
    HistorySparkline {
        height: 1;
        width: auto;
        color: $accent;
    }
    """

    def __init__(self, values: Sequence[int | float | None] = (), *, maximum: float | None = None,
                 name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._values = list(values)
        self._maximum = maximum

    def set_values(self, values: Sequence[int | float | None], *, maximum: float | None = None) -> None:
        self._values = list(values)
        self._maximum = maximum
        self.refresh(layout=True)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return max(1, len(self._values))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return 1

    def render(self) -> Text:
        width = self.size.width or len(self._values)
        return sparkline_text(self._values[-width:] if width else self._values, maximum=self._maximum)
