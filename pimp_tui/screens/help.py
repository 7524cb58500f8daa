"""F1: what the current pane is for and every key it answers to."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 76; max-width: 100%; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    """
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close")]

    def __init__(self, title: str, text: str, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self._title, self._text, self._keys = title, text, keys

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for key, description in self._keys:
            if key.startswith("[") and not description:  # a pane's heading
                table.add_row(Text(key.strip("[]") + " keys", style="bold underline"), "")
            else:
                table.add_row(key, description)
        with VerticalScroll() as scroll:
            scroll.border_title = f"Help · {self._title}"
            scroll.border_subtitle = "esc closes"
            yield Static(Text.from_markup(reflow(self._text)))
            yield Static("")
            yield Static(table)

    def action_dismiss(self, result: None = None) -> None:  # type: ignore[override]
        self.dismiss(result)


def reflow(text: str) -> str:
    """Join the lines of each paragraph, so the text wraps to the dialog's width."""
    paragraphs = [" ".join(p.split()) for p in text.strip().split("\n\n")]
    return "\n\n".join(paragraphs)
