"""Predictor explorer: train a learner on the measured runs, read its cross-validated scores,
learning curve, importances and interactions, see the energy/accuracy Pareto front, and ask
what-if questions (predicted metrics with uncertainty, or a recommendation under constraints)."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Input, Label, Select, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState, get_current_worker

from pimp_tui.screens.base import PaneScreen, background
from pimp_tui.screens.sweetspot import SweetSpotPanel
from pimp_tui.widgets.plot import bar, line_chart, scatter


class PredictScreen(PaneScreen):
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
    PredictScreen #scores { height: 3; padding: 0 1; }
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

    class Options(Message):
        def __init__(self, targets: list[tuple[str, str]], learners: list[str]) -> None:
            super().__init__()
            self.targets, self.learners = targets, learners

    class Stopped(Message):
        """A learning action ended early: cancelled by the user."""

        def __init__(self, what: str) -> None:
            super().__init__()
            self.what = what

    class Answer(Message):
        def __init__(self, renderable: Any, chosen: Any = None) -> None:
            super().__init__()
            self.renderable, self.chosen = renderable, chosen

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
        yield Static(self.pane_title("predictors learnt from the measured runs"),
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
        from pimp_tui.services.predict import learner_names, target_choices

        self.post_message(self.Options(target_choices(self.pimp.db_path), learner_names()))

    def on_predict_screen_options(self, message: Options) -> None:
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

    def on_predict_screen_pareto_data(self, message: ParetoData) -> None:
        self._pareto = message.data
        self._draw_pareto()

    def on_resize(self) -> None:
        self._draw_all()

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

    def _draw_all(self) -> None:
        report = self._report
        if report is not None:
            self.query_one("#scores", Static).update(_scores_text(report, self.reports))
            self._draw_curve()
            self.query_one("#importance-view", Static).update(self._importance_table(report))
            self.query_one("#interactions-view", Static).update(_interactions_table(report))
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
        sizes = [n for n, _ in report.curve]
        scores = [s for _, s in report.curve]
        from pimp_tui.services.predict import UNITS

        percent = report.curve_metric.upper().startswith("MAPE")
        rows = line_chart([scores], width, height - 2, unit="%" if percent else "")
        unit = "%" if percent else f" {UNITS.get(report.target, '')}".rstrip()
        captions = [
            f"x: training configurations {sizes[0]} … {sizes[-1]}",
            f"y: held-out {report.curve_metric.split()[0]} · last {scores[-1]:.3g}{unit}",
        ]
        self.query_one("#curve-view", Static).update(Group(*rows, *_fitted(captions, width)))

    def _importance_table(self, report: Any) -> Table | Group:
        table = Table.grid(padding=(0, 1))
        table.add_column(no_wrap=True, max_width=24)
        table.add_column(no_wrap=True)
        table.add_column(justify="right")
        top = report.importance[:30]
        biggest = max((v for _, v in top), default=0.0)
        width = max(self.size.width - 40, 10)
        for name, value in top:
            table.add_row(name, Text(bar(value, biggest, width), style="green"), f"{value:.3g}")
        caption = Text(f"error increase ({report.curve_metric}) when the feature is shuffled",
                       style="dim")  # fmt: skip
        if report.distrust:
            return Group(Text(f"{report.target}: {report.distrust}", style="bold red"), table,
                         caption)  # fmt: skip
        return Group(table, caption)

    def _draw_pareto(self) -> None:
        data = self._pareto
        view = self.query_one("#pareto-view", Static)
        if data is None or not data.points:
            view.update(Text("no measured configurations with both energy and accuracy yet", "dim"))
            return
        width, height = self._view_size("#pareto-view")
        rows, x_range, _ = scatter(
            data.points, width, height - 3, highlight=data.front, chosen=self._chosen
        )
        captions = [
            f"x: energy {x_range[0]:.3g} … {x_range[1]:.3g} J · y: {data.y_label}",
            f"{len(data.points) - len(data.front)} dominated (dots) · ● {len(data.front)} on "
            "the front" + (" · ★ recommended, bars: 68% intervals" if self._chosen else ""),
        ]
        lines = _fitted(captions, width)
        best = Text("front: " + "  ".join(data.front_labels[:4]), style="yellow",
                    no_wrap=True, overflow="ellipsis")  # fmt: skip
        best.truncate(width, overflow="ellipsis")
        view.update(Group(*rows, *lines, best))

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
            self.Answer(_prediction_table(predict_partial(reports, text, self.pimp.db_path)))
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
        self.post_message(self.Answer(_recommendation(answer), chosen))

    def on_predict_screen_answer(self, message: Answer) -> None:
        self.query_one("#query-view", Static).update(message.renderable)
        if message.chosen is not None:
            self._chosen = message.chosen
            self._draw_pareto()


def _fitted(lines: list[str], width: int) -> list[Text]:
    """Caption lines cut to the view's width: a caption never runs into the next line."""
    out = []
    for line in lines:
        text = Text(line, style="dim", no_wrap=True, overflow="ellipsis")
        text.truncate(width, overflow="ellipsis")
        out.append(text)
    return out


def _scores_text(report: Any, reports: dict[str, Any]) -> Text:
    text = Text()
    if report.distrust:
        text.append(report.distrust.upper() + "\n", style="bold red")
    text.append(f"{report.target}", style="bold")
    text.append(f" · {report.learner} · {report.n} configurations · {report.folds}-fold CV: ")
    text.append(report.headline, style="bold red" if report.distrust else "bold green")
    text.append(f"\n{report.calibration}", style="dim")
    others = [t for t in reports if t != report.target]
    if others:
        text.append(" · also trained: " + ", ".join(others), style="dim")
    return text


def _warnings(warnings: list[str]) -> list[Text]:
    return [Text(w, style="bold red") for w in warnings]


def _interactions_table(report: Any) -> Table | Text:
    if not report.interactions:
        return Text("no pairwise interactions found", style="dim")
    table = Table("feature", "with", "H²", box=None, padding=(0, 1), header_style="bold")
    for a, b, value in report.interactions[:20]:
        table.add_row(a, b, f"{value:.3f}")
    return table


def _prediction_table(answer: Any) -> Group:
    table = Table("metric", "predicted", "±", "learner", box=None, padding=(0, 1),
                  header_style="bold")  # fmt: skip
    for metric, mean, std, learner in answer.rows:
        table.add_row(metric, f"{mean:.4g}", "-" if std is None else f"{std:.3g}", learner)
    config = Text("configuration: " + answer.config_text, style="dim")
    return Group(*_warnings(answer.warnings), table, config)


def _recommendation(answer: Any) -> Group | Text:
    if not answer.rows:
        message = Text(answer.message or "no configuration satisfies the constraints", "yellow")
        return Group(*_warnings(answer.warnings), message)
    table = Table("metric", "predicted", "±", "measured within", box=None, padding=(0, 1),
                  header_style="bold")  # fmt: skip
    for metric, mean, std, within in answer.rows:
        table.add_row(metric, f"{mean:.4g}", f"{std:.3g}", str(within))
    head = Text(answer.message or "recommended", style="bold green")
    return Group(*_warnings(answer.warnings), head, Text(answer.config_text), table)
