"""The predictor explorer: train in the background, scores and views, Pareto, queries."""

from __future__ import annotations

from pathlib import Path

import pytest

from pimp_tui.screens.predict import PredictScreen
from tests.tui.conftest import SMALL_MODEL, make_app, settle, shown, type_text
from tests.tui.seed_data import measured_store

pytestmark = pytest.mark.anyio


def text_of(app, selector: str) -> str:  # type: ignore[no-untyped-def]
    return shown(app.screen.query_one(selector))


async def test_train_shows_scores_curve_importance_and_pareto(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    measured_store(Path(app.db_path), SMALL_MODEL)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PredictScreen)
        assert screen.query_one("#target").value == "energy_j"
        await pilot.press("t")
        await settle(pilot)
        report = screen.reports["energy_j"]
        assert report.n == 14
        assert "R²" in text_of(app, "#scores") and "14 configurations" in text_of(app, "#scores")
        # the formula's main effects rank first
        assert {name for name, _ in report.importance[:2]} <= {"Sampling", "Greedy", "Cache"}
        await pilot.press("f")
        await pilot.pause()
        assert "on the front" in text_of(app, "#pareto-view")


async def test_query_and_recommend(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    measured_store(Path(app.db_path), SMALL_MODEL)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("q")
        await type_text(pilot, "Greedy Cache")
        await pilot.press("enter")
        await settle(pilot)
        answer = text_of(app, "#query-view")
        assert "energy_j" in answer and "Greedy" in answer
        await pilot.press("tab")
        await type_text(pilot, "Sampling")
        await pilot.press("enter")
        await settle(pilot)
        answer = text_of(app, "#query-view")
        assert "least predicted energy_j" in answer and "Sampling" in answer


async def test_too_few_runs_is_a_message(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        assert "no measured runs yet" in text_of(app, "#scores")
        await pilot.press("t")
        await settle(pilot)
        assert app.is_running
        assert any("measured configuration" in n.message for n in app._notifications)
