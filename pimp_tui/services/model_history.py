"""Undo and redo of the model editor's edits: each edit runs on the model with a copy taken
before it; an edit that fails leaves the model as it was, and a new edit clears what could be
redone. The editor keeps one history per model it opens."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

from pimp_tui.errors import PimpError
from pimp_tui.variability.model import FeatureModel

UNDO_DEPTH = 200
"""Edits kept for undo."""


@dataclass(frozen=True)
class Edited:
    """The outcome of one edit: the model now current, what to tell the user (the edit's own
    message, or why it failed)."""

    model: FeatureModel
    message: str | None = None
    error: str | None = None


class EditHistory:
    def __init__(self, depth: int = UNDO_DEPTH) -> None:
        self.depth = depth
        self._undo: list[FeatureModel] = []
        self._redo: list[FeatureModel] = []
        self._saved: str | None = None

    def apply(self, model: FeatureModel, edit: Callable[[FeatureModel], object]) -> Edited:
        """Run `edit` on `model` in place; on failure the model before it comes back."""
        before = copy.deepcopy(model)
        try:
            result = edit(model)
            model.link_parents()
        except (PimpError, KeyError, ValueError) as exc:
            before.link_parents()
            return Edited(before, error=str(exc))
        self._undo.append(before)
        del self._undo[: -self.depth]
        self._redo.clear()
        return Edited(model, message=result if isinstance(result, str) and result else None)

    def undo(self, current: FeatureModel) -> FeatureModel | None:
        """The model before the last edit (None: nothing to undo)."""
        return self._step(self._undo, self._redo, current)

    def redo(self, current: FeatureModel) -> FeatureModel | None:
        """The model after the last undone edit (None: nothing to redo)."""
        return self._step(self._redo, self._undo, current)

    def clear(self) -> None:
        self._undo.clear()
        self._redo.clear()

    def mark_saved(self, model: FeatureModel) -> None:
        """`model` is as opened, loaded or saved: what `modified` compares with."""
        self._saved = _text(model)

    def modified(self, model: FeatureModel) -> bool:
        """Whether `model` differs from the one last marked saved (after undoing every edit,
        it does not)."""
        return self._saved != _text(model)

    @staticmethod
    def _step(
        source: list[FeatureModel], target: list[FeatureModel], current: FeatureModel
    ) -> FeatureModel | None:
        if not source:
            return None
        target.append(current)
        return source.pop()


def _text(model: FeatureModel) -> str:
    from pimp_tui.variability.io import write_uvl

    return write_uvl(model)
