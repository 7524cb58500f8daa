"""The Predict pane's sweet-spot tab: fetches the newest lengths campaign's report through the
workload use cases in a thread worker and hands it to the (rendering-only) sweet-spot widget by
message."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from pimp_tui.errors import PimpError
from pimp_tui.screens.base import background
from pimp_tui.widgets.sweetspot import SweetSpotView

if TYPE_CHECKING:
    from pimp_tui.services.workloads import SweetSpotReport


class SweetSpotPanel(SweetSpotView):
    """The sweet-spot view with its loader."""

    class Loaded(Message):
        def __init__(self, report: SweetSpotReport) -> None:
            super().__init__()
            self.report = report

    class Failed(Message):
        def __init__(self, message: str) -> None:
            super().__init__()
            self.message = message

    def load(self, db_path: str) -> None:
        """Compute the newest lengths campaign's sweet spots in the background, then show them."""
        self._fetch(db_path)

    @background("sweetspot")
    def _fetch(self, db_path: str) -> None:
        from pimp_tui.services.workloads import newest_sweetspots

        try:
            self.post_message(self.Loaded(newest_sweetspots(db_path)))
        except PimpError as exc:
            self.post_message(self.Failed(str(exc)))

    def on_sweet_spot_panel_loaded(self, message: Loaded) -> None:
        report = message.report
        self.show(report.spots, report.learner, report.title)

    def on_sweet_spot_panel_failed(self, message: Failed) -> None:
        self.show_message(message.message)
