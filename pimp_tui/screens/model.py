"""Feature-model pane: browse and edit the tree and constraints, with a live count of valid
configurations, core and dead features, and an explanation when the model is inconsistent."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Footer, OptionList, Static, Tree
from textual.widgets.option_list import Option

from pimp_tui.errors import PimpError
from pimp_tui.screens.base import PaneScreen, background
from pimp_tui.screens.dialogs import ChoiceScreen, PromptScreen
from pimp_tui.services import model_edit as edit
from pimp_tui.services.analysis import Analysis, count_text
from pimp_tui.services.model_history import EditHistory
from pimp_tui.variability.model import FeatureModel, FeatureType
from pimp_tui.widgets.feature_tree import LEGEND, FeatureTree


class ModelScreen(PaneScreen):
    PANE = "model"
    TITLE = "Model"
    HELP = f"""
[b]Feature model[/b] — the configuration space of the inference settings.

The tree shows every feature; the mark before a name is the kind of group it sits in:
{LEGEND}. [b]Bold[/b] features are core (in every valid configuration), [red strike]struck[/]
ones are dead (in none). The bottom line counts the valid configurations exactly; it is
recomputed in the background after every edit. When no configuration is valid, it names the
constraints and tree relations that clash.

Edits: add a child (a), remove (x / delete), rename (r), cycle the kind of the group the
feature sits in (g), toggle mandatory/optional (m), set the type and domain (n), e.g.
[i]Integer values 1, 2, 4[/i] or [i]Real min 0.2 max 1.4 step 0.4[/i].
Constraints (tab to the list): add (c), edit (e / enter), remove (x); they are checked as you
type. Every edit can be undone (ctrl+z) and redone (ctrl+y).
Files: open (o) and save (ctrl+s, w for save-as) UVL (.uvl) or FeatureIDE XML (.xml).
"""
    BINDINGS = [
        Binding("a", "add", "Add", tooltip="Add an optional child feature"),
        Binding("x,delete", "remove", "Remove", tooltip="Remove the feature or constraint"),
        Binding(
            "r", "rename", "Rename", show=False, tooltip="Rename the feature (constraints follow)"
        ),
        Binding(
            "g",
            "group_kind",
            "Group kind",
            show=False,
            tooltip="Cycle the kind of the feature's group",
        ),
        Binding("m", "mandatory", "Mandatory", show=False, tooltip="Toggle mandatory / optional"),
        Binding("n", "domain", "Domain", show=False, tooltip="Set the type and value domain"),
        Binding("c", "add_constraint", "Constraint", tooltip="Add a cross-tree constraint"),
        Binding("e", "edit_constraint", "Edit constraint", show=False),
        Binding("ctrl+z", "undo", "Undo"),
        Binding("ctrl+y", "redo", "Redo", show=False),
        Binding("o", "open", "Open model file", show=False, tooltip="Open a .uvl or .xml file"),
        Binding("l", "load_stored", "Load stored model", show=False),
        Binding("ctrl+s", "save", "Save", tooltip="Save to the model's file (UVL or XML)"),
        Binding("w", "save_as", "Save as", show=False, tooltip="Save to a new .uvl/.xml file"),
    ]
    DEFAULT_CSS = """
    ModelScreen #model-body { height: 1fr; }
    ModelScreen FeatureTree { width: 3fr; border: round $primary-darken-2; }
    ModelScreen FeatureTree:focus { border: round $accent; }
    ModelScreen #model-side { width: 2fr; }
    ModelScreen #feature-info { height: auto; max-height: 9; border: round $primary-darken-2;
        padding: 0 1; }
    ModelScreen #constraints { height: 1fr; border: round $primary-darken-2; }
    ModelScreen #constraints:focus { border: round $accent; }
    ModelScreen #analysis { height: auto; max-height: 4; padding: 0 1; }
    """

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

    def on_model_screen_analysed(self, message: Analysed) -> None:
        if message.revision != self.pimp.workspace.revision:
            return
        self._analysis, self._analysed_revision = message.analysis, message.revision
        self._redraw()
        self.query_one("#analysis", Static).update(_analysis_text(message.analysis))

    # --- edits ----------------------------------------------------------------------------

    def _selected(self) -> str | None:
        name = self.query_one(FeatureTree).selected_feature
        if name is None or self.model is None:
            self.notify("no feature selected", severity="warning")
            return None
        return name

    def _apply(self, change: str, fn) -> bool:
        """Run one edit against the model with an undo point; errors become notifications."""
        model = self.model
        if model is None:
            return False
        edited = self.history.apply(model, fn)
        if edited.error is not None:
            self.pimp.workspace.model = edited.model
            self.notify(edited.error, title=f"Cannot {change}", severity="error")
            self._shown_revision = -1
            self.sync()
            return False
        self._changed()
        if edited.message:
            self.notify(edited.message, timeout=4)
        return True

    def _changed(self) -> None:
        ws = self.pimp.workspace
        ws.extra["dirty"] = ws.model is None or self.history.modified(ws.model)
        self.pimp.set_model(ws.model, model_id=None)  # type: ignore[arg-type]

    def action_add(self) -> None:
        parent = self._selected()
        if parent is None:
            return

        def done(name: str | None) -> None:
            if name:
                self._select_next = name.strip()
                self._apply("add", lambda m: edit.add_feature(m, parent, name) and None)

        self.app.push_screen(
            PromptScreen(
                f"New feature under {parent}",
                hint="An optional Boolean child; set its type with n, its group with g/m.",
                validate=self._name_error,
            ),
            done,
        )

    def _name_error(self, text: str) -> str | None:
        return edit.check_new_name(self.model, text) if self.model else "no model"

    def action_remove(self) -> None:
        if self.focused is self.query_one("#constraints"):
            self._remove_constraint()
            return
        name = self._selected()
        if name is None:
            return

        def run(m: FeatureModel) -> str:
            dropped = edit.remove_feature(m, name)
            if not dropped:
                return ""
            return f"also removed {len(dropped)} constraint(s): " + "; ".join(dropped)

        self._apply("remove", run)

    def action_rename(self) -> None:
        name = self._selected()
        if name is None:
            return

        def done(new: str | None) -> None:
            if new and new.strip() != name:
                self._select_next = new.strip()
                self._apply(
                    "rename", lambda m: edit.rename_feature(m, name, new, edit.parse_constraint)
                )

        self.app.push_screen(
            PromptScreen(
                f"Rename {name}",
                value=name,
                hint="Constraints that mention it are rewritten.",
                validate=lambda t: None if t.strip() == name else self._name_error(t),
            ),
            done,
        )

    def action_group_kind(self) -> None:
        name = self._selected()
        if name is None or self.model is None:
            return
        group = edit.group_of(self.model.feature(name))
        if group is None:
            self.notify("the root feature is in no group", severity="warning")
            return
        kind = edit.next_group_kind(group.kind)
        if self._apply("change the group", lambda m: edit.set_group_kind(m, name, kind)):
            self.notify(f"group of {name}: {kind.value}", timeout=2)

    def action_mandatory(self) -> None:
        name = self._selected()
        if name is not None:
            self._apply("toggle", lambda m: f"{name}: {edit.toggle_mandatory(m, name).value}")

    def action_domain(self) -> None:
        name = self._selected()
        if name is None or self.model is None:
            return
        feature = self.model.feature(name)

        def check(spec: str) -> str | None:
            try:
                ftype, attrs = edit.parse_domain(spec)
            except PimpError as exc:
                return str(exc)
            return None if ftype is FeatureType.BOOLEAN else None

        def done(spec: str | None) -> None:
            if spec is not None:
                self._apply("set the domain", lambda m: edit.set_domain(m, name, spec))

        self.app.push_screen(
            PromptScreen(
                f"Type and domain of {name}",
                value=edit.describe_domain(feature),
                hint="Boolean | Integer values 1, 2, 4 | Real min 0.2 max 1.4 step 0.4 | "
                "String values a, b",
                validate=check,
            ),
            done,
        )

    # --- constraints --------------------------------------------------------------------------

    def _constraint_prompt(self, title: str, value: str, index: int | None) -> None:
        def check(text: str) -> str | None:
            if self.model is None:
                return "no model"
            try:
                edit.parse_constraint(self.model, text)
            except PimpError as exc:
                return str(exc)
            return None

        def done(text: str | None) -> None:
            if text is None:
                return

            def run(m: FeatureModel) -> None:
                constraint = edit.parse_constraint(m, text)
                if index is None:
                    m.constraints.append(constraint)
                else:
                    m.constraints[index] = constraint

            self._apply("set the constraint", run)

        self.app.push_screen(
            PromptScreen(
                title,
                value=value,
                hint="UVL syntax, e.g. A => B | !C, (A & B) <=> C, n > 2 => A",
                validate=check,
            ),
            done,
        )

    def action_add_constraint(self) -> None:
        self._constraint_prompt("New constraint", "", None)

    def action_edit_constraint(self) -> None:
        constraints = self.query_one("#constraints", OptionList)
        index = constraints.highlighted
        if self.model is None or index is None or index >= len(self.model.constraints):
            self.notify("no constraint selected (tab to the list)", severity="warning")
            return
        self._constraint_prompt("Edit constraint", self.model.constraints[index].text, index)

    @on(OptionList.OptionSelected, "#constraints")
    def _constraint_selected(self) -> None:
        self.action_edit_constraint()

    def _remove_constraint(self) -> None:
        index = self.query_one("#constraints", OptionList).highlighted
        if self.model is None or index is None or index >= len(self.model.constraints):
            return
        self._apply("remove the constraint", lambda m: m.constraints.pop(index) and None)

    # --- undo -----------------------------------------------------------------------------

    def action_undo(self) -> None:
        self._step(self.history.undo, "undo")

    def action_redo(self) -> None:
        self._step(self.history.redo, "redo")

    def _step(self, step: Callable[[FeatureModel], FeatureModel | None], what: str) -> None:
        model = None if self.model is None else step(self.model)
        if model is None:
            self.notify(f"nothing to {what}", severity="warning", timeout=2)
            return
        self.pimp.workspace.model = model
        self._changed()

    # --- files ------------------------------------------------------------------------------

    def action_open(self) -> None:
        def check(text: str) -> str | None:
            path = Path(text.strip()).expanduser()
            if not text.strip():
                return "a .uvl or .xml path"
            if path.suffix.lower() not in (".uvl", ".xml"):
                return "the file must end in .uvl or .xml"
            return None if path.is_file() else "no such file"

        def done(text: str | None) -> None:
            if text:
                self.open_file(str(Path(text.strip()).expanduser()))

        self.app.push_screen(PromptScreen("Open a model file", validate=check), done)

    @background("model-file")
    def open_file(self, path: str) -> None:
        from pimp_tui.services.workspace import open_model_file

        model = open_model_file(path)
        self.app.call_from_thread(self._opened, model, path)

    def _opened(self, model: FeatureModel, path: str) -> None:
        self.history.clear()
        self.pimp.workspace.extra["dirty"] = False
        self.history.mark_saved(model)
        self.pimp.set_model(model, model_id=None, name=Path(path).stem, path=path)
        self.notify(f"opened {path}", timeout=3)

    def action_load_stored(self) -> None:
        self.list_stored()

    @background("model-file")
    def list_stored(self) -> None:
        from pimp_tui.services.workspace import list_models

        rows = list_models(self.pimp.db_path)
        options = [(str(r["id"]), f"#{r['id']} {r['name']}  {r['created_at'][:16]}") for r in rows]
        self.app.call_from_thread(
            self.app.push_screen, ChoiceScreen("Stored models", options), self._load_stored
        )

    def _load_stored(self, key: str | None) -> None:
        if key is not None:
            self.load_stored(int(key))

    @background("model-file")
    def load_stored(self, model_id: int) -> None:
        from pimp_tui.services.workspace import load_stored_model

        model, name = load_stored_model(self.pimp.db_path, model_id)
        self.app.call_from_thread(self._loaded_stored, model, model_id, name)

    def _loaded_stored(self, model: FeatureModel, model_id: int, name: str) -> None:
        self.history.clear()
        self.pimp.workspace.extra["dirty"] = False
        self.history.mark_saved(model)
        self.pimp.workspace.path = None
        self.pimp.set_model(model, model_id=model_id, name=name)

    def action_save(self) -> None:
        path = self.pimp.workspace.path
        from pimp_tui.paths import SAMPLE_MODELS

        if path is None or Path(path).resolve().is_relative_to(SAMPLE_MODELS):
            self.action_save_as()
        else:
            self.save_file(path)

    def action_save_as(self) -> None:
        def check(text: str) -> str | None:
            if Path(text.strip()).suffix.lower() not in (".uvl", ".xml"):
                return "end the name in .uvl (UVL) or .xml (FeatureIDE)"
            parent = Path(text.strip()).expanduser().parent
            return None if parent.is_dir() else f"no directory {parent}"

        def done(text: str | None) -> None:
            if text:
                self.save_file(str(Path(text.strip()).expanduser()))

        name = self.pimp.workspace.model_name or "model"
        self.app.push_screen(
            PromptScreen("Save the model as", value=f"{name}.uvl", validate=check), done
        )

    @background("model-file")
    def save_file(self, path: str) -> None:
        from pimp_tui.services.workspace import save_model_file

        if self.model is None:
            return
        save_model_file(copy.deepcopy(self.model), path)
        self.app.call_from_thread(self._saved, path)

    def _saved(self, path: str) -> None:
        ws = self.pimp.workspace
        ws.path, ws.extra["dirty"] = path, False
        if self.model is not None:
            self.history.mark_saved(self.model)
        self._shown_revision = -1
        self.sync()
        self.notify(f"saved {path}", timeout=3)


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
