"""The sweet-spot view: per configuration of a lengths campaign, the measured J per output
token as a coloured grid (each row's minimum starred), the analytical model's most efficient
output length per input length, and the held-out MAPEs of the analytical fit and a learned
predictor side by side. `load(db_path)` fetches the newest lengths campaign's report through
the sweet-spot service in a thread worker and renders it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from pimp_tui.errors import PimpError


def render_spots(spots: Sequence[Any], learner: str) -> Group | Text:
    """Rich renderables for a list of predict.sweetspot.SweetSpot."""
    from pimp_tui.predict.heatmap import heatmap_table

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

    def load(self, db_path: str) -> None:
        """Compute the newest lengths campaign's sweet spots in the background, then show them."""
        self.run_worker(
            lambda: self._fetch(db_path), thread=True, group="sweetspot", exclusive=True,
            exit_on_error=False,
        )  # fmt: skip

    def _fetch(self, db_path: str) -> None:
        from pimp_tui.services.sweetspot import VIEW_LEARNER, lengths_campaigns, sweetspot_report

        try:
            campaigns = lengths_campaigns(db_path)
            if not campaigns:
                self.app.call_from_thread(self.show, [], VIEW_LEARNER)
                return
            campaign_id, label = campaigns[0]
            spots = sweetspot_report(db_path, campaign_id)
        except PimpError as exc:
            self.app.call_from_thread(self.show_message, str(exc))
            return
        self.app.call_from_thread(self.show, spots, VIEW_LEARNER, label)
