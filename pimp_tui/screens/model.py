"""Feature-model pane: browse and edit the tree and constraints, with a live count of valid
configurations, core and dead features, and an explanation when the model is inconsistent.

The pane's keys and the edits they make are here (each with an undo point); what it shows is
kept up to date by `screens.model_view`, and its files are read and written by
`screens.model_files`."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.binding import Binding
from textual.widgets import OptionList

from pimp_tui.errors import PimpError
from pimp_tui.screens.dialogs import PromptScreen
from pimp_tui.screens.model_files import ModelFiles
from pimp_tui.services import model_edit as edit
from pimp_tui.variability.model import FeatureModel, FeatureType
from pimp_tui.widgets.feature_tree import LEGEND, FeatureTree


class ModelScreen(ModelFiles):
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
