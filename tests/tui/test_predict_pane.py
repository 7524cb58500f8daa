"""The predictor explorer: train in the background, scores and views, Pareto, queries."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from pimp_tui.screens.predict import PredictScreen
from pimp_tui.store.db import open_store
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


async def test_training_shows_its_stage_and_eta_and_cancels(tmp_path: Path, monkeypatch) -> None:
    def endless_cross_validation(x, y, learner, folds, seed, bounds, tracker):  # type: ignore[no-untyped-def]
        tracker.plan(10_000)
        while True:  # only cancelling ends it
            time.sleep(0.01)
            tracker.step()

    monkeypatch.setattr("pimp_tui.predict.evaluation.cross_validate", endless_cross_validation)
    app = make_app(tmp_path)
    measured_store(Path(app.db_path), SMALL_MODEL)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("t")
        for _ in range(100):
            await pilot.pause(0.05)
            if "ETA" in text_of(app, "#scores"):
                break
        shown_line = text_of(app, "#scores")
        assert "cross-validating" in shown_line and "ETA" in shown_line and "%" in shown_line
        await pilot.press("c")
        await settle(pilot)
        assert "energy_j" not in app.screen.reports
        assert any("cancelled" in n.message for n in app._notifications)
        assert app.is_running


async def test_a_predictor_of_noise_is_flagged_and_recommend_warns(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    measured_store(Path(app.db_path), SMALL_MODEL)
    noise = random.Random(5)
    db = open_store(Path(app.db_path))
    with db.conn:
        for (run_id,) in db.conn.execute("SELECT id FROM runs").fetchall():
            db.conn.execute("UPDATE runs SET energy_j = ? WHERE id = ?",
                            [noise.uniform(1.0, 2.0), run_id])  # fmt: skip
    db.close()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        scores = text_of(app, "#scores")
        assert "NOT TRUSTWORTHY" in scores and "MAE" in scores and "68% interval" in scores
        shown = app.screen.query_one("#scores")
        drawn = " ".join(line.text for line in shown.render_lines(shown.region.reset_offset))
        assert "68% interval" in drawn  # at 80 columns too, under the warning
        await pilot.press("i")
        await pilot.pause()
        assert "not trustworthy" in text_of(app, "#importance-view")
        await pilot.press("R")
        await type_text(pilot, "Sampling")
        await pilot.press("enter")
        await settle(pilot)
        answer = text_of(app, "#query-view")
        assert "not trustworthy" in answer and "measured within" in answer
        assert answer.index("not trustworthy") < answer.index("least predicted")
