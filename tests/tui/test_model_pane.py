"""The feature-model pane: edits, live count, inconsistency explanation, undo, files."""

from __future__ import annotations

from pathlib import Path

import pytest

from pimp_tui.screens.model import ModelScreen
from pimp_tui.variability.io import load_model
from pimp_tui.widgets.feature_tree import FeatureTree
from tests.tui.conftest import settle, type_text

pytestmark = pytest.mark.anyio


def status(app) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one("#analysis").render())


async def test_model_pane_counts_valid_configurations(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ModelScreen)
        assert status(app).startswith("14 valid configurations")
        assert "core 2" in status(app)


async def add_constraint(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type a constraint into the Model pane's constraint box and confirm it."""
    await settle(pilot)
    await pilot.press("c")
    await type_text(pilot, text)
    await pilot.press("enter")
    await settle(pilot)


async def test_constraint_added_changes_the_count_and_undo_restores_it(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await add_constraint(pilot, "Greedy => Cache")
        assert [c.text for c in app.workspace.model.constraints] == [
            "Sampling => Cache",
            "Greedy => Cache",
        ]
        assert status(app).startswith("13 valid configurations")
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert status(app).startswith("14 valid configurations")
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert status(app).startswith("13 valid configurations")


async def test_invalid_constraint_is_refused_while_typing(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await type_text(pilot, "Greedy => Nope")
        await pilot.pause()
        assert "unknown feature" in str(app.screen.query_one("#prompt-status").render())
        await pilot.press("enter")  # refused: the dialog stays open
        await pilot.pause()
        assert app.screen.query("#prompt-input")
        await pilot.press("escape")
        await pilot.pause()
        assert len(app.workspace.model.constraints) == 1


async def test_inconsistent_model_is_explained(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await type_text(pilot, "!Cache")
        await pilot.press("enter")
        await pilot.press("c")
        await type_text(pilot, "Greedy => Cache")
        await pilot.press("enter")
        await settle(pilot)
        text = status(app)
        assert text.startswith("INCONSISTENT")
        assert "!Cache" in text and "Greedy => Cache" in text and "Sampling => Cache" in text


async def test_tree_edits_add_rename_remove_and_group_kinds(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        tree = app.screen.query_one(FeatureTree)
        assert tree.selected_feature == "Gen"
        await pilot.press("a")
        await type_text(pilot, "Quant")
        await pilot.press("enter")
        await settle(pilot)
        model = app.workspace.model
        assert "Quant" in model.feature_names()
        assert status(app).startswith("28 valid configurations")
        assert tree.selected_feature == "Quant"
        await pilot.press("m")  # optional -> mandatory
        await settle(pilot)
        assert status(app).startswith("14 valid configurations")
        await pilot.press("r", "ctrl+u")
        await type_text(pilot, "Quantised")
        await pilot.press("enter")
        await settle(pilot)
        assert "Quantised" in app.workspace.model.feature_names()
        await pilot.press("x")
        await settle(pilot)
        assert "Quantised" not in app.workspace.model.feature_names()
        assert status(app).startswith("14 valid configurations")


async def test_rename_rewrites_constraints(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        tree = app.screen.query_one(FeatureTree)
        while tree.selected_feature != "Cache":
            await pilot.press("down")
        await pilot.press("r", "ctrl+u")
        await type_text(pilot, "KVCache")
        await pilot.press("enter")
        await settle(pilot)
        assert [c.text for c in app.workspace.model.constraints] == ["Sampling => KVCache"]
        assert status(app).startswith("14 valid configurations")


async def test_numeric_domain_and_group_kind(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        tree = app.screen.query_one(FeatureTree)
        while tree.selected_feature != "top_k":
            await pilot.press("down")
        await pilot.press("n", "ctrl+u")
        await type_text(pilot, "Integer values 1, 2, 4, 8")
        await pilot.press("enter")
        await settle(pilot)
        assert app.workspace.model.feature("top_k").domain() == (1, 2, 4, 8)
        # Sampling (forces Cache): top_k off or 4 values x temperature off or 3 values = 20,
        # Greedy: with or without Cache = 2.
        assert status(app).startswith("22 valid configurations")
        await pilot.press("g")  # the optional group under Sampling becomes mandatory: 4 x 3 + 2
        await settle(pilot)
        assert status(app).startswith("14 valid configurations")


async def test_save_and_open_round_trip(app, tmp_path: Path) -> None:
    target = tmp_path / "saved.xml"
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("w", "ctrl+u")
        await type_text(pilot, str(target))
        await pilot.press("enter")
        await settle(pilot)
        assert load_model(target) == app.workspace.model
        await pilot.press("o")
        await type_text(pilot, str(target))
        await pilot.press("enter")
        await settle(pilot)
        assert app.workspace.path == str(target)
        assert status(app).startswith("14 valid configurations")


async def test_help_and_palette_are_reachable(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ModelScreen)
        for key, mode in (("2", "sample"), ("3", "monitor"), ("4", "predict"), ("1", "model")):
            await pilot.press(key)
            await pilot.pause()
            assert app.current_mode == mode


async def test_quitting_with_unsaved_edits_asks_first(app, tmp_path: Path) -> None:
    from textual.widgets import Static

    from pimp_tui.screens.dialogs import ConfirmScreen
    from tests.tui.conftest import make_app

    (tmp_path / "other").mkdir()
    untouched = make_app(tmp_path / "other")
    async with untouched.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+q")  # nothing to lose: quits at once
        await settle(pilot)
        assert not untouched.is_running
    async with app.run_test(size=(80, 24)) as pilot:
        await add_constraint(pilot, "Greedy => Cache")
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "has edits not saved to a file" in str(app.screen.query_one(Static).render())
        await pilot.press("n")
        await settle(pilot)
        assert app.is_running and len(app.workspace.model.constraints) == 2
