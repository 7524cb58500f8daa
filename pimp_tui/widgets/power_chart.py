"""Live power trace, one line per device. The owner feeds it a decimated copy of its buffer
(`show`) at most a few times a second; the widget only draws."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.console import Group
from rich.text import Text
from textual.widget import Widget

from pimp_tui.widgets.plot import PALETTE, line_chart


class PowerChart(Widget):
    DEFAULT_CSS = "PowerChart { height: 8; }"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._series: dict[int, list[float]] = {}
        self._sensor = "no sensor"
        self._window_s = 0.0

    @property
    def points_wanted(self) -> int:
        """About two samples per terminal column of plot area (braille has 2 dots a cell)."""
        return max((self.size.width - 7) * 2, 8)

    def show(self, series: Mapping[int, Sequence[float]], sensor: str, window_s: float) -> None:
        self._series = {k: list(v) for k, v in series.items()}
        self._sensor, self._window_s = sensor, window_s
        self.refresh()

    def render(self) -> Group:
        head = Text()
        head.append(f"sensor: {self._sensor}", style="bold reverse")
        for k, (device, values) in enumerate(sorted(self._series.items())):
            now = values[-1] if values else 0.0
            head.append(f"  dev{device} ", style=PALETTE[k % len(PALETTE)])
            head.append(f"{now:6.1f} W")
        if self._window_s:
            head.append(f"  last {self._window_s:.0f} s", style="dim")
        height = max(self.size.height - 1, 1)
        if not any(self._series.values()):
            return Group(head, Text("waiting for power samples…", style="dim"))
        series = [v for _, v in sorted(self._series.items())]
        rows = line_chart(series, self.size.width, height, unit="")
        return Group(head, *rows)
