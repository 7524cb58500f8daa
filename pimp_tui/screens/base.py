"""What every pane shares: a title line, F1 help text, and workers whose failures become
notifications instead of crashing the app."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from textual import work
from textual.screen import Screen
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from pimp_tui.app import PimpApp

F = TypeVar("F", bound=Callable[..., Any])


def background(group: str, exclusive: bool = True) -> Callable[[F], F]:
    """A thread worker that never takes the app down: errors surface as notifications."""
    return work(thread=True, group=group, exclusive=exclusive, exit_on_error=False)  # type: ignore[return-value]


class PaneScreen(Screen[None]):
    """One of the four panes (a Textual mode)."""

    PANE = ""
    """Mode name, also the first word of the pane's command-palette entries."""
    HELP = ""
    """Rich-markup help shown by F1, above the generated key list."""

    @property
    def pimp(self) -> PimpApp:
        return self.app  # type: ignore[return-value]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            self.notify(str(error) or type(error).__name__, title="Failed", severity="error")
        elif event.state is WorkerState.CANCELLED:
            self.worker_cancelled(event.worker)

    def worker_cancelled(self, worker: Worker[Any]) -> None:
        """Hook: a worker of this pane was cancelled."""

    def on_screen_resume(self) -> None:
        self.sync()

    def sync(self) -> None:
        """Hook: bring the pane up to date with the workspace (called when shown)."""
