"""Textual screens, one per pane, plus modal dialogs."""
