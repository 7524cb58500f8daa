"""One finished run, opened from the Monitor: effective settings, metrics with units, sensor and
caveats, its power trace, what it generated per prompt, and the error with its traceback."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from pimp_tui.services.runs import RunView
from pimp_tui.widgets.plot import decimate
from pimp_tui.widgets.power_chart import PowerChart


def _pairs(title: str, rows: list[tuple[str, str]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for key, value in rows:
        table.add_row(key, value)
    table.title, table.title_justify, table.title_style = title, "left", "bold underline"
    return table


class RunScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    RunScreen { align: center middle; }
    RunScreen > VerticalScroll { width: 100%; height: 100%; border: round $accent;
        background: $surface; padding: 0 1; }
    RunScreen PowerChart { height: 8; }
    """
    BINDINGS = [Binding("escape,q", "close", "Close")]

    def __init__(self, view: RunView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        view = self.view
        with VerticalScroll() as box:
            box.border_title = view.title
            box.border_subtitle = "↑↓ scroll · esc closes"
            facts = [*view.facts, *view.sensor]
            yield Static(Group(_pairs("run", facts), *self._caveats()), id="run-facts")
            if view.error:
                error = Text(f"error: {view.error}", style="bold red")
                if view.traceback:
                    error.append("\n" + view.traceback.rstrip(), style="red")
                yield Static(error, id="run-error")
            yield Static(_pairs("metrics", view.metrics), id="run-metrics")
            yield PowerChart(id="run-trace")
            yield Static(_pairs("settings (effective)", view.settings), id="run-settings")
            yield Static(self._outputs(), id="run-outputs")

    def on_mount(self) -> None:
        chart = self.query_one("#run-trace", PowerChart)
        trace = self.view.trace
        if not trace:
            chart.show_message(self.view.sensor[0][1], "no power samples stored for this run")
            return
        times = [t for points in trace.values() for t, _ in points]
        series = {d: decimate([w for _, w in p], chart.points_wanted) for d, p in trace.items()}
        chart.show(series, f"{self.view.sensor[0][1]} · this run", (min(times), max(times)),
                   relative_to_now=False)  # fmt: skip

    def _caveats(self) -> list[Text]:
        return [Text(f"⚠ {note}", style="yellow") for note in self.view.caveats]

    def _outputs(self) -> Group | Text:
        if not self.view.outputs:
            return Text("no generated texts stored for this run", style="dim")
        table = Table(title="outputs", title_justify="left", title_style="bold underline",
                      expand=True, show_lines=False)  # fmt: skip
        for name, ratio in (("#", 1), ("prompt", 4), ("output", 4), ("expected", 2), ("ok", 1)):
            table.add_column(name, ratio=ratio, overflow="fold")
        marks = {True: Text("✓", style="green"), False: Text("✗", style="red"), None: Text("-")}
        for number, item in enumerate(self.view.outputs, 1):
            table.add_row(
                str(number), str(item.get("prompt", "")), repr(item.get("output", "")),
                str(item.get("answer", "")), marks[item.get("correct")],
            )  # fmt: skip
        return table  # type: ignore[return-value]

    def action_close(self) -> None:
        self.dismiss(None)
