"""The sweet-spot view: per configuration of a lengths campaign, the measured J per output
token as a coloured grid (each row's minimum starred), the analytical model's most efficient
output length per input length, and the held-out MAPEs of the analytical fit and a learned
predictor side by side. The widget renders what it is given (`show`); the screen fetches it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static


def render_spots(spots: Sequence[Any], learner: str) -> Group | Text:
    """Rich renderables for a list of workload.sweetspot.SweetSpot."""
    from pimp_tui.widgets.heatmap import heatmap_table

    if not spots:
        return Text("no lengths campaign measured yet: run one with --task lengths", "dim")
    parts: list[Any] = []
    for spot in spots:
        parts.append(heatmap_table(
            spot.measured, spot.inputs, spot.outputs,
            title=f"{spot.group.label}: J per output token (measured)",
        ))  # fmt: skip
        best = "  ".join(
            f"{n_in}→{'-' if value is None else f'{value:.0f}'}"
            for n_in, value in spot.best_output.items()
        )
        parts.append(Text(f"sweet spot n_out* per input length: {best}"))
        parts.append(Text.assemble(
            "held-out MAPE (energy/request, ", str(spot.held_out), " points): ",
            ("analytical " + _pct(spot.mape_analytical), "bold green"), "  ",
            (f"learned ({learner}) " + _pct(spot.mape_learned), "bold cyan"),
        ))  # fmt: skip
        parts.append(Text(""))
    return Group(*parts)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}%"


class SweetSpotView(VerticalScroll):
    """A scrollable sweet-spot report."""

    DEFAULT_CSS = """
    SweetSpotView { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Static(Text("sweet spots of the newest lengths campaign: loading…", "dim"),
                     id="sweetspot-body")  # fmt: skip

    def show(self, spots: Sequence[Any], learner: str, title: str = "") -> None:
        body = render_spots(spots, learner)
        if title and spots:
            body = Group(Text(title, "bold"), body)
        self.query_one("#sweetspot-body", Static).update(body)

    def show_message(self, message: str) -> None:
        self.query_one("#sweetspot-body", Static).update(Text(message, "yellow"))
