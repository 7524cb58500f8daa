"""A power trace, one line per device, under a label that names its sensor, over a time axis in
seconds. The owner feeds it (`show`, or `show_message` when there is nothing to draw); the
widget repaints only when what it is given changes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.console import Group
from rich.text import Text
from textual.widget import Widget

from pimp_tui.widgets.plot import PALETTE, line_chart

Y_LABEL_WIDTH = 6


def time_axis(width: int, start_s: float, end_s: float, relative_to_now: bool) -> Text:
    """The x axis under a chart: its two ends in seconds (ago, or since the window opened)."""
    if relative_to_now:
        left, right = f"-{end_s - start_s:.0f} s", "now"
    else:
        left, right = f"{start_s:.1f} s", f"{end_s:.1f} s"
    plot = max(width - Y_LABEL_WIDTH - 1, len(left) + len(right) + 1)
    return Text(" " * (Y_LABEL_WIDTH + 1) + left + right.rjust(plot - len(left)), style="dim")


class PowerChart(Widget):
    DEFAULT_CSS = "PowerChart { height: 8; }"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._series: dict[int, list[float]] = {}
        self._label = "no sensor"
        self._span: tuple[float, float] = (0.0, 0.0)
        self._relative = True
        self._message = ""
        self._shown: object = None

    @property
    def points_wanted(self) -> int:
        """About two samples per terminal column of plot area (braille has 2 dots a cell)."""
        return max((self.size.width - Y_LABEL_WIDTH - 1) * 2, 8)

    def show(
        self,
        series: Mapping[int, Sequence[float]],
        label: str,
        span_s: tuple[float, float],
        relative_to_now: bool = True,
    ) -> None:
        """Watts per device, evenly spread over `span_s` (seconds: ago when `relative_to_now`,
        else since the window opened)."""
        shown = (tuple((k, tuple(v)) for k, v in sorted(series.items())), label, span_s,
                 relative_to_now)  # fmt: skip
        if shown == self._shown:
            return
        self._shown = shown
        self._series = {k: list(v) for k, v in series.items()}
        self._label, self._span, self._relative, self._message = (
            label, span_s, relative_to_now, "",
        )  # fmt: skip
        self.refresh()

    def show_message(self, label: str, message: str) -> None:
        """Nothing to draw: say why (no campaign running, no samples yet)."""
        if (label, message) == self._shown:
            return
        self._shown = (label, message)
        self._series, self._label, self._message = {}, label, message
        self.refresh()

    def render(self) -> Group:
        head = Text(no_wrap=True, overflow="ellipsis")
        head.append(f"sensor: {self._label}", style="bold reverse")
        for k, (device, values) in enumerate(sorted(self._series.items())):
            now = values[-1] if values else 0.0
            head.append(f"  dev{device} ", style=PALETTE[k % len(PALETTE)])
            head.append(f"{now:6.1f} W")
        if self._message or not any(self._series.values()):
            return Group(head, Text(self._message or "waiting for power samples…", style="dim"))
        height = max(self.size.height - 2, 1)
        series = [v for _, v in sorted(self._series.items())]
        rows = line_chart(series, self.size.width, height, unit="W")
        axis = time_axis(self.size.width, *self._span, self._relative)
        return Group(head, *rows, axis)
