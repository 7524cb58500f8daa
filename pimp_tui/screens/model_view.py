"""What the feature-model pane shows: the tree, the constraints and the selected feature of the
workspace's model, and its analysis (count of valid configurations, core and dead features,
or why it is inconsistent), recomputed in the background after every edit.

The pane's keys and edits are in `screens.model`, its file commands in `screens.model_files`;
this base redraws the model whenever the workspace's revision moved."""

from __future__ import annotations

import copy
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Footer, OptionList, Static, Tree
from textual.widgets.option_list import Option

from pimp_tui.screens.base import PaneScreen, background
from pimp_tui.services import model_edit as edit
from pimp_tui.services.analysis import Analysis, count_text
from pimp_tui.services.model_history import EditHistory
from pimp_tui.variability.model import FeatureModel, FeatureType
from pimp_tui.widgets.feature_tree import FeatureTree


class ModelView(PaneScreen):
    """The model pane's view of the workspace's model and its analysis."""

    class Analysed(Message):
        def __init__(self, revision: int, analysis: Analysis) -> None:
            super().__init__()
            self.revision, self.analysis = revision, analysis

    def __init__(self) -> None:
        super().__init__()
        self.history = EditHistory()
        self._shown_revision = -1
        self._analysis: Analysis | None = None
        self._analysed_revision = -1
        self._debounce: Timer | None = None
        self._select_next: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(self.pane_title(), id="model-title", classes="pane-title")
        with Horizontal(id="model-body"):
            tree = FeatureTree(id="feature-tree")
            tree.border_title = "Features"
            yield tree
            with Vertical(id="model-side"):
                info = Static("", id="feature-info")
                info.border_title = "Feature"
                yield info
                constraints = OptionList(id="constraints")
                constraints.border_title = "Constraints"
                yield constraints
        yield Static("loading the model…", id="analysis")
        yield Footer(compact=True)

    # --- workspace sync ---------------------------------------------------------------------

    @property
    def model(self) -> FeatureModel | None:
        return self.pimp.workspace.model

    def sync(self) -> None:
        ws = self.pimp.workspace
        if ws.model is None and not ws.extra.get("loading", True):
            self.query_one("#analysis", Static).update(
                Text("no model: o opens a .uvl or .xml file, l a model from the store", "yellow")
            )
        if ws.model is None or ws.revision == self._shown_revision:
            return
        self._shown_revision = ws.revision
        self._redraw()
        if self._analysed_revision != ws.revision:
            self._schedule_analysis()

    def _redraw(self) -> None:
        model = self.model
        if model is None:
            return
        ws = self.pimp.workspace
        analysis = self._current_analysis()
        core = set(analysis.core) if analysis else set()
        dead = set(analysis.dead) if analysis else set()
        select, self._select_next = self._select_next, None
        self.query_one(FeatureTree).show_model(model, core, dead, select=select)
        constraints = self.query_one("#constraints", OptionList)
        keep = constraints.highlighted
        constraints.clear_options()
        constraints.add_options(
            [
                Option(Text.assemble((f"{i + 1} ", "bold"), c.text or "?"), id=str(i))
                for i, c in enumerate(model.constraints)
            ]
        )
        if keep is not None and model.constraints:
            constraints.highlighted = min(keep, len(model.constraints) - 1)
        constraints.border_title = f"Constraints ({len(model.constraints)})"
        where = Path(ws.path).name if ws.path else None
        where = where or (f"store #{ws.model_id}" if ws.model_id else "not saved")
        if not ws.extra.get("dirty"):
            self.history.mark_saved(model)  # as opened, loaded or saved: the reference
        dirty = " [modified]" if ws.extra.get("dirty") else ""
        title = f"{ws.model_name or model.root.name} · {where}{dirty}"
        self.query_one("#model-title", Static).update(self.pane_title(title))
        self._show_feature()

    def _current_analysis(self) -> Analysis | None:
        current = self._analysed_revision == self.pimp.workspace.revision
        return self._analysis if current else None

    @on(Tree.NodeHighlighted)
    def _highlighted(self) -> None:
        self._show_feature()

    def _show_feature(self) -> None:
        model, name = self.model, self.query_one(FeatureTree).selected_feature
        info = self.query_one("#feature-info", Static)
        if model is None or name is None:
            info.update("")
            return
        try:
            feature = model.feature(name)
        except KeyError:
            return
        group = edit.group_of(feature)
        lines = Text()
        lines.append(feature.name, style="bold")
        if feature.abstract:
            lines.append(" (abstract)", style="italic")
        lines.append("\n")
        lines.append(f"type    {edit.describe_domain(feature)}\n")
        if feature.type is not FeatureType.BOOLEAN:
            domain = feature.domain()
            shown = "unbounded" if domain is None else _short(domain)
            lines.append(f"domain  {shown}\n")
        if group is not None:
            lines.append(f"group   {group.kind.value} under {feature.parent.name}\n")  # type: ignore[union-attr]
        analysis = self._current_analysis()
        if analysis is not None:
            if name in analysis.core:
                lines.append("core: in every valid configuration\n", style="bold")
            if name in analysis.dead:
                lines.append("dead: in no valid configuration\n", style="red")
        extra = {
            k: v for k, v in feature.attributes.items() if k not in ("values", "min", "max", "step")
        }
        for key, value in list(extra.items())[:3]:
            lines.append(f"{key} = {value}\n", style="dim")
        lines.rstrip()
        info.update(lines)

    # --- analysis -------------------------------------------------------------------------

    def _schedule_analysis(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self.query_one("#analysis", Static).update(Text("counting valid configurations…", "dim"))
        model = self.model
        if model is None:
            return
        snapshot = copy.deepcopy(model)
        revision = self.pimp.workspace.revision
        self._debounce = self.set_timer(0.25, lambda: self.analyse(snapshot, revision))

    @background("analysis")
    def analyse(self, model: FeatureModel, revision: int) -> None:
        from pimp_tui.services.analysis import analyse_model

        self.post_message(self.Analysed(revision, analyse_model(model)))

    def on_model_view_analysed(self, message: Analysed) -> None:
        if message.revision != self.pimp.workspace.revision:
            return
        self._analysis, self._analysed_revision = message.analysis, message.revision
        self._redraw()
        self.query_one("#analysis", Static).update(_analysis_text(message.analysis))


def _analysis_text(analysis: Analysis) -> Text:
    if analysis.problem:
        return Text(f"cannot analyse: {analysis.problem}", style="yellow")
    if not analysis.satisfiable:
        text = Text("INCONSISTENT: no valid configuration. Clashing: ", style="bold red")
        text.append("; ".join(analysis.explanation) or "(no explanation)", style="red")
        return text
    text = Text()
    shown = count_text(analysis.count, grouped=True) if analysis.count is not None else "?"
    text.append(shown, style="bold green")
    text.append(" valid configurations · ")
    text.append(f"core {len(analysis.core)}", style="bold")
    text.append(" · ")
    text.append(f"dead {len(analysis.dead)}", style="red" if analysis.dead else "")
    if analysis.dead:
        text.append(": " + ", ".join(analysis.dead[:6]), style="red")
    return text


def _short(values: tuple[object, ...]) -> str:
    shown = ", ".join(str(v) for v in values[:6])
    return f"{shown}, … ({len(values)})" if len(values) > 6 else shown
