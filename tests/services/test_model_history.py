"""The model editor's undo engine: edits undo and redo in order, a failed edit changes nothing,
a new edit drops what could be redone, and only the newest edits are kept."""

from __future__ import annotations

from pimp_tui.errors import PimpError
from pimp_tui.services import model_edit as edit
from pimp_tui.services.model_history import EditHistory
from pimp_tui.variability.io import parse_uvl

UVL = "features\n\tRoot\n\t\toptional\n\t\t\tA\n"


def model():
    return parse_uvl(UVL, "<test>")


def test_edits_undo_and_redo_in_order() -> None:
    history = EditHistory()
    current = model()
    current = history.apply(current, lambda m: edit.add_feature(m, "Root", "B")).model
    current = history.apply(current, lambda m: edit.add_feature(m, "Root", "C")).model
    assert {"B", "C"} <= set(current.feature_names())
    current = history.undo(current)
    assert "C" not in current.feature_names() and "B" in current.feature_names()
    current = history.undo(current)
    assert "B" not in current.feature_names()
    assert history.undo(current) is None
    current = history.redo(current)
    assert "B" in current.feature_names() and "C" not in current.feature_names()


def test_a_failed_edit_leaves_the_model_as_it_was_and_no_undo_point() -> None:
    history = EditHistory()

    def bad(m):
        edit.add_feature(m, "Root", "D")
        raise PimpError("refused")

    edited = history.apply(model(), bad)
    assert edited.error == "refused"
    assert "D" not in edited.model.feature_names()
    assert history.undo(edited.model) is None


def test_an_edit_message_is_returned() -> None:
    edited = EditHistory().apply(model(), lambda m: "done it")
    assert edited.message == "done it" and edited.error is None


def test_a_new_edit_drops_the_redo_and_depth_bounds_the_undo() -> None:
    history = EditHistory(depth=2)
    current = model()
    for name in ("B", "C", "D"):
        current = history.apply(current, lambda m, n=name: edit.add_feature(m, "Root", n)).model
    current = history.undo(history.undo(current))
    assert history.undo(current) is None  # only two edits kept
    assert "B" in current.feature_names() and "C" not in current.feature_names()
    current = history.apply(current, lambda m: edit.add_feature(m, "Root", "E")).model
    assert history.redo(current) is None
