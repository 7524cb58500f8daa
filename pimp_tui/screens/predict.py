"""Predictor explorer: train a learner on the measured runs, read its cross-validated scores,
learning curve, importances and interactions, see the energy/accuracy Pareto front, and ask
what-if questions (predicted metrics with uncertainty, or a recommendation under constraints).

Here are the pane's keys, training and queries; what it shows is drawn by
`screens.predict_view`."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input, Select, Static, TabbedContent
from textual.worker import Worker, WorkerState, get_current_worker

from pimp_tui.screens.base import background
from pimp_tui.screens.predict_render import prediction_table, recommendation
from pimp_tui.screens.predict_view import PredictView


class PredictScreen(PredictView):
    PANE = "predict"
    TITLE = "Predict"
    HELP = """
[b]Predictor explorer[/b] — learn what a configuration will cost from the measured runs.

Choose the target metric and the learner on the top line (tab, then enter or the arrows), then
train (t); the line under it shows the stage and the time left, and c cancels. Repetitions of
a configuration are averaged. The scores are 5-fold cross-validated: R², MAE in the target's
unit, MAPE only for a positive target that is not a proportion (accuracy is predicted inside
0..1), and how often a measured value fell inside its stated 68% and 95% intervals (well
calibrated: about 68% and 95%). A predictor with a cross-validated R² at or below 0, or fitted on
fewer configurations than options, is marked [b]not trustworthy[/b], and every answer built on
it says so first. The learning curve shows the held-out error (MAPE, or MAE) as the number of
training configurations grows; importance bars say how much that error grows when a feature is
shuffled; interactions list the strongest pairs by Friedman's H² (0: the effects add up, 1: all
interaction). The Pareto view plots the measured configurations, energy against accuracy, the
non-dominated ones joined and marked ●.

Query (q): write feature values, e.g. [i]MultinomialSampling temperature=0.7 batch_size=4[/i]
(a name alone selects a feature, [i]!name[/i] deselects it; [i]name=true|false|yes|no|1|0[/i]
too; commas or spaces between); the reasoner completes them to a
valid configuration, and every trained predictor answers with its uncertainty (± half its
central 68% interval). Recommend (R, or tab to the second field): write constraints such as
[i]accuracy >= 0.5, latency_s <= 2[/i], optionally with feature values, and get the valid
configuration predicted to use the least energy under them (the constrained metrics need a
trained predictor), each prediction with ± half its 68% interval and how many measured
configurations lie within it. Esc leaves a field.
Views: l curve · i importance · x interactions · f Pareto front · q query.
"""
    BINDINGS = [
        Binding("t", "train", "Train", tooltip="Train the learner on the target (background)"),
        Binding("c", "cancel", "Cancel", tooltip="Stop the running training or search"),
        Binding("q", "view('query')", "Query", tooltip="Ask the predictors a question"),
        Binding(
            "R",
            "recommend",
            "Recommend",
            show=False,
            tooltip="Recommend a configuration under the constraints",
        ),  # fmt: skip
        Binding("l", "view('curve')", "Learning curve", show=False),
        Binding("i", "view('importance')", "Importance", show=False),
        Binding("x", "view('interactions')", "Interactions", show=False),
        Binding("f", "view('pareto')", "Pareto", tooltip="Energy vs accuracy Pareto front"),
        Binding("w", "view('sweetspot')", "Sweet spots", show=False),
        Binding(
            "g",
            "choose('target')",
            "Choose target",
            show=False,
            tooltip="Pick the metric to predict (the target)",
        ),  # fmt: skip
        Binding(
            "n",
            "choose('learner')",
            "Choose learner",
            show=False,
            tooltip="Pick the learner (rf, auto, gp, ...)",
        ),  # fmt: skip
        Binding("escape", "leave_input", "Leave field", tooltip="Back from a field to the keys"),
    ]
    DEFAULT_CSS = """
    PredictScreen #predict-form { height: 1; padding: 0 1; }
    PredictScreen #predict-form Label { padding: 0 1 0 0; }
    PredictScreen #target { width: 26; margin: 0 2 0 0; }
    PredictScreen #learner { width: 24; margin: 0 2 0 0; }
    PredictScreen #scores { height: auto; max-height: 5; padding: 0 1; }
    PredictScreen TabbedContent { height: 1fr; }
    PredictScreen TabPane { padding: 0 1; }
    PredictScreen .view { height: 1fr; }
    PredictScreen #query-input, PredictScreen #recommend-input { margin: 0 0 0 0; }
    PredictScreen #query-result { height: 1fr; }
    """

    class Trained(Message):
        def __init__(self, report: Any) -> None:
            super().__init__()
            self.report = report

    class Stopped(Message):
        """A learning action ended early: cancelled by the user."""

        def __init__(self, what: str) -> None:
            super().__init__()
            self.what = what

    class Answer(Message):
        def __init__(self, renderable: Any, chosen: Any = None) -> None:
            super().__init__()
            self.renderable, self.chosen = renderable, chosen

    # --- training ---------------------------------------------------------------------------

    def action_train(self) -> None:
        target = self.query_one("#target", Select).value
        learner = self.query_one("#learner", Select).value
        if target is Select.BLANK or learner is Select.BLANK:
            self.notify("no target to train on yet", severity="warning")
            return
        self.query_one("#scores", Static).update(
            Text(f"training {learner} on {target} (cross-validating)…", "dim")
        )
        self.train(str(target), str(learner))

    @background("train")
    def train(self, target: str, learner: str) -> None:
        from pimp_tui.services.predict import Cancelled, train_report

        worker = get_current_worker()
        try:
            report = train_report(
                self.pimp.db_path, target, learner,
                progress=self._shower("#scores", f"{target} · {learner}: "),
                cancelled=lambda: worker.is_cancelled,
            )  # fmt: skip
        except Cancelled:
            self.post_message(self.Stopped(f"training {learner} on {target}"))
            return
        self.post_message(self.Trained(report))

    def _shower(self, selector: str, prefix: str) -> Any:
        """A progress callback (called in a worker thread) that shows the stage and the ETA."""

        def show(progress: Any) -> None:
            line = Text(f"{prefix}{progress} · c cancels", "dim")
            self.app.call_from_thread(self.query_one(selector, Static).update, line)

        return show

    def action_cancel(self) -> None:
        running = [w for w in self.workers if w.group in ("train", "query") and not w.is_finished]
        if not running:
            self.notify("nothing is running", timeout=2)
            return
        for worker in running:
            worker.cancel()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed training or search says so where it said it was working, and stays so."""
        super().on_worker_state_changed(event)
        if event.state is not WorkerState.ERROR:
            return
        error = str(event.worker.error) or type(event.worker.error).__name__
        where = {"query": "#query-view", "train": "#scores"}.get(event.worker.group or "")
        if where is not None:
            self.query_one(where, Static).update(Text(f"failed: {error}", "bold red"))

    def action_choose(self, which: str) -> None:
        select = self.query_one(f"#{which}", Select)
        select.focus()
        select.expanded = True

    def on_predict_screen_stopped(self, message: Stopped) -> None:
        if self._report is not None:
            self._draw_all()
        else:
            self.query_one("#scores", Static).update(Text("no predictor yet", "dim"))
        self.notify(f"{message.what}: cancelled", timeout=3)

    def on_predict_screen_trained(self, message: Trained) -> None:
        report = message.report
        self.reports[report.target] = report
        self._report = report
        self._draw_all()
        self.notify(f"{report.learner} on {report.target}: {report.headline}", timeout=4)

    # --- views and queries --------------------------------------------------------------------

    def action_view(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        if tab == "query":
            self.query_one("#query-input", Input).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The leave-field key shows (and works) only while a field has the focus."""
        if action == "leave_input":
            return isinstance(self.focused, Input)
        return True

    def action_leave_input(self) -> None:
        self.query_one(TabbedContent).query_one("Tabs").focus()

    def action_recommend(self) -> None:
        self.action_view("query")
        self.query_one("#recommend-input", Input).focus()

    @on(Input.Submitted, "#query-input")
    def _query(self, event: Input.Submitted) -> None:
        if not self.reports:
            self.notify("train a predictor first (t)", severity="warning")
            return
        self.query_one("#query-view", Static).update(Text("predicting…", "dim"))
        self.ask(event.value, dict(self.reports))

    @on(Input.Submitted, "#recommend-input")
    def _recommend(self, event: Input.Submitted) -> None:
        if not self.reports:
            self.notify("train a predictor first (t)", severity="warning")
            return
        self.query_one("#query-view", Static).update(Text("searching valid configurations…", "dim"))
        self.advise(event.value, dict(self.reports))

    @background("query")
    def ask(self, text: str, reports: dict[str, Any]) -> None:
        from pimp_tui.services.predict import predict_partial

        self.post_message(
            self.Answer(prediction_table(predict_partial(reports, text, self.pimp.db_path)))
        )

    @background("query")
    def advise(self, text: str, reports: dict[str, Any]) -> None:
        from pimp_tui.services.predict import Cancelled, recommend_under

        worker = get_current_worker()
        try:
            answer = recommend_under(
                reports, text, self.pimp.db_path,
                progress=self._shower("#query-view", "recommend: "),
                cancelled=lambda: worker.is_cancelled,
            )  # fmt: skip
        except Cancelled:
            self.post_message(self.Answer(Text("recommendation cancelled", "yellow")))
            return
        rows = {target: (mean, spread) for target, mean, spread, _ in answer.rows}
        chosen = None
        if "energy_j" in rows and "accuracy" in rows:
            chosen = (*(v for v, _ in (rows["energy_j"], rows["accuracy"])),
                      rows["energy_j"][1], rows["accuracy"][1])  # fmt: skip
        self.post_message(self.Answer(recommendation(answer), chosen))

    def on_predict_screen_answer(self, message: Answer) -> None:
        self.query_one("#query-view", Static).update(message.renderable)
        if message.chosen is not None:
            self._chosen = message.chosen
            self._draw_pareto()
