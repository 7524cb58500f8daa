"""Sampling pane."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Static

from pimp_tui.screens.base import PaneScreen


class SampleScreen(PaneScreen):
    PANE = "sample"
    TITLE = "Sample"
    HELP = "Sampling."
    BINDINGS = []

    def compose(self) -> ComposeResult:
        yield Static("Sample", classes="pane-title")
        yield Footer()
