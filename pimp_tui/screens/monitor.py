"""Measurement monitor pane."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Static

from pimp_tui.screens.base import PaneScreen


class MonitorScreen(PaneScreen):
    PANE = "monitor"
    TITLE = "Monitor"
    HELP = "Measurement monitor."
    BINDINGS = []

    def compose(self) -> ComposeResult:
        yield Static(self.pane_title(), classes="pane-title")
        yield Footer()
