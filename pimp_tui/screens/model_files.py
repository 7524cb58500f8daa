"""The feature-model pane's file commands: open a .uvl or .xml file, load a model from the
store, save to the model's file or to a new one; each read or write runs in a worker."""

from __future__ import annotations

import copy
from pathlib import Path

from pimp_tui.screens.base import background
from pimp_tui.screens.dialogs import ChoiceScreen, PromptScreen
from pimp_tui.screens.model_view import ModelView
from pimp_tui.variability.model import FeatureModel


class ModelFiles(ModelView):
    """Opening, loading and saving the model shown (keys bound by `ModelScreen`)."""

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
