"""What every pane shares: a title line, F1 help text, and workers whose failures become
notifications instead of crashing the app."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel

    from pimp_tui.app import PimpApp

F = TypeVar("F", bound=Callable[..., Any])


def background(group: str, exclusive: bool = True) -> Callable[[F], F]:
    """A thread worker that never takes the app down: errors surface as notifications."""
    return work(thread=True, group=group, exclusive=exclusive, exit_on_error=False)  # type: ignore[return-value]


PANES_GROUP = Binding.Group("Panes", compact=True)
PANE_TITLES = (
    ("1", "model", "Model"),
    ("2", "sample", "Sample"),
    ("3", "monitor", "Monitor"),
    ("4", "predict", "Predict"),
)


class PaneScreen(Screen[None]):
    """One of the four panes (a Textual mode). The pane keys live here so that the footer
    shows them first, before the pane's own keys."""

    BINDINGS = [
        Binding(
            "1,f2",
            "app.switch_mode('model')",
            "Model",
            group=PANES_GROUP,
            tooltip="Feature-model editor",
        ),
        Binding(
            "2,f3", "app.switch_mode('sample')", "Sample", group=PANES_GROUP, tooltip="Sampling"
        ),
        Binding(
            "3,f4",
            "app.switch_mode('monitor')",
            "Monitor",
            group=PANES_GROUP,
            tooltip="Measurement campaigns",
        ),
        Binding(
            "4,f5",
            "app.switch_mode('predict')",
            "Predict",
            group=PANES_GROUP,
            tooltip="Predictor explorer",
        ),
        Binding("f1", "app.help", "Help", tooltip="Help for the current pane"),
    ]

    PANE = ""
    """Mode name, also the first word of the pane's command-palette entries."""
    HELP = ""
    """Rich-markup help shown by F1, above the generated key list."""

    @property
    def pimp(self) -> PimpApp:
        return self.app  # type: ignore[return-value]

    def pane_title(self, info: str | Text = "") -> Text:
        """The top line: the pane tabs with their keys, then what the pane shows."""
        text = Text(no_wrap=True, overflow="ellipsis")
        for key, mode, title in PANE_TITLES:
            style = "bold reverse" if mode == self.PANE else "dim"
            text.append(f" {key} {title} ", style=style)
        text.append(" ")
        text.append_text(info if isinstance(info, Text) else Text(info))
        return text

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """A toast shown as written: messages carry errors, paths and names whose brackets
        (`pip install 'pimp-tui[report]'`) markup would swallow."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            self.notify(str(error) or type(error).__name__, title="Failed", severity="error")

    def on_screen_resume(self) -> None:
        self.sync()

    def sync(self) -> None:
        """Hook: bring the pane up to date with the workspace (called when shown)."""
