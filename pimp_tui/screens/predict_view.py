"""What the predictor explorer shows: the target and learner choices, the trained predictor's
scores, learning curve, importances and interactions, and the measured energy/accuracy Pareto
front, redrawn to the pane's size.

The pane's keys, training and queries are in `screens.predict`; this base loads the choices and
the measured front when the pane is shown and draws what it holds."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Input, Label, Select, Static, TabbedContent, TabPane

from pimp_tui.screens.base import PaneScreen, background
from pimp_tui.screens.predict_render import (
    curve_view,
    importance_table,
    interactions_table,
    pareto_view,
    scores_text,
)
from pimp_tui.screens.sweetspot import SweetSpotPanel


class PredictView(PaneScreen):
    """The predictor explorer's view of its choices, trained predictors and measured front."""

    class Options(Message):
        def __init__(self, targets: list[tuple[str, str]], learners: list[str]) -> None:
            super().__init__()
            self.targets, self.learners = targets, learners

    class ParetoData(Message):
        def __init__(self, data: Any) -> None:
            super().__init__()
            self.data = data

    def __init__(self) -> None:
        super().__init__()
        self.reports: dict[str, Any] = {}
        """Trained predictors by target (queries answer for every trained target)."""
        self._report: Any = None
        self._pareto: Any = None
        self._chosen: tuple[float, float, float, float] | None = None
        """The last recommendation's predicted (energy, accuracy) and half their 68%
        intervals, marked on the Pareto plot."""

    def compose(self) -> ComposeResult:
        yield Static(self.pane_title("predictors of measured runs"),
                     classes="pane-title")  # fmt: skip
        with Horizontal(id="predict-form"):
            yield Label("target")
            yield Select([("energy_j", "energy_j")], value="energy_j", allow_blank=False,
                         compact=True, id="target")  # fmt: skip
            yield Label("learner")
            yield Select([("auto", "auto")], value="auto", allow_blank=False, compact=True,
                         id="learner")  # fmt: skip
        yield Static(Text("no predictor yet: t trains one on the measured runs", "dim"),
                     id="scores")  # fmt: skip
        with TabbedContent(initial="curve"):
            with TabPane("Curve", id="curve"):
                yield Static("", id="curve-view", classes="view")
            with TabPane("Importance", id="importance"):
                with VerticalScroll(classes="view"):
                    yield Static("", id="importance-view")
            with TabPane("Interactions", id="interactions"):
                with VerticalScroll(classes="view"):
                    yield Static("", id="interactions-view")
            with TabPane("Pareto", id="pareto"):
                yield Static("", id="pareto-view", classes="view")
            with TabPane("Query", id="query"):
                with Vertical():
                    yield Input(placeholder="feature values: MultinomialSampling temperature=0.7 …",
                                id="query-input")  # fmt: skip
                    yield Input(placeholder="recommend under: accuracy >= 0.5 …",
                                id="recommend-input")  # fmt: skip
                    with VerticalScroll(id="query-result"):
                        yield Static("", id="query-view")
            with TabPane("Sweet spots", id="sweetspot"):
                yield SweetSpotPanel(id="sweetspot-view")
        yield Footer(compact=True)

    def sync(self) -> None:
        self.load_options()
        self.load_pareto()
        self.query_one(SweetSpotPanel).load(self.pimp.db_path)

    # --- options and data -------------------------------------------------------------------

    @background("predict-options")
    def load_options(self) -> None:
        from pimp_tui.services.predict import learner_names, prepare_learning, target_choices

        self.post_message(self.Options(target_choices(self.pimp.db_path), learner_names()))
        prepare_learning()

    def on_predict_view_options(self, message: Options) -> None:
        target = self.query_one("#target", Select)
        learner = self.query_one("#learner", Select)
        if message.targets:
            keep = target.value
            target.set_options([(label, key) for key, label in message.targets])
            keys = [k for k, _ in message.targets]
            target.value = keep if keep in keys else keys[0]
        if message.learners:
            keep = learner.value
            learner.set_options([(name, name) for name in message.learners])
            learner.value = keep if keep in message.learners else message.learners[0]
        if not message.targets and self._report is None:
            self.query_one("#scores", Static).update(
                Text("no measured runs yet: measure a sample in Monitor (3) first", "yellow")
            )

    @background("pareto")
    def load_pareto(self) -> None:
        from pimp_tui.services.predict import measured_pareto

        self.post_message(self.ParetoData(measured_pareto(self.pimp.db_path)))

    def on_predict_view_pareto_data(self, message: ParetoData) -> None:
        self._pareto = message.data
        self._draw_pareto()

    def on_resize(self) -> None:
        self._draw_all()

    # --- drawing ---------------------------------------------------------------------------

    def _draw_all(self) -> None:
        report = self._report
        if report is not None:
            self.query_one("#scores", Static).update(scores_text(report, self.reports))
            self._draw_curve()
            self.query_one("#importance-view", Static).update(
                importance_table(report, max(self.size.width - 40, 10))
            )
            self.query_one("#interactions-view", Static).update(interactions_table(report))
        self._draw_pareto()

    def _view_size(self, widget_id: str) -> tuple[int, int]:
        view = self.query_one(widget_id)
        width = view.size.width or (self.size.width - 4)
        height = view.size.height or max(self.size.height - 9, 4)
        return max(width, 20), max(height, 4)

    def _draw_curve(self) -> None:
        report = self._report
        if report is None or not report.curve:
            return
        width, height = self._view_size("#curve-view")
        self.query_one("#curve-view", Static).update(curve_view(report, width, height))

    def _draw_pareto(self) -> None:
        data = self._pareto
        view = self.query_one("#pareto-view", Static)
        if data is None or not data.points:
            view.update(Text("no measured configurations with both energy and accuracy yet", "dim"))
            return
        width, height = self._view_size("#pareto-view")
        view.update(pareto_view(data, self._chosen, width, height))
