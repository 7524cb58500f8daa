"""Feature model pane."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Static

from pimp_tui.screens.base import PaneScreen


class ModelScreen(PaneScreen):
    PANE = "model"
    TITLE = "Model"
    HELP = "Feature model."
    BINDINGS = []

    def compose(self) -> ComposeResult:
        yield Static("Model", classes="pane-title")
        yield Footer()
