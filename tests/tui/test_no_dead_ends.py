"""What a new user ran into, replayed: an action that fails says so and stays failed, forms
start on enter from any field, the modified mark follows undo, one count of interactions,
plots with units and no negative energy, captions that fit 80 columns, a visible focus in
every theme, the palette finds actions by the words users type, F1 lists every pane's keys."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.widgets import Input, Select

from pimp_tui.screens.campaign_form import CampaignForm
from pimp_tui.screens.help import HelpScreen
from pimp_tui.screens.predict import PredictScreen
from pimp_tui.widgets.plot import scatter
from tests.tui.conftest import SMALL_MODEL, make_app, settle, shown, type_text
from tests.tui.seed_data import measured_store

pytestmark = pytest.mark.anyio


def text_of(app, selector: str) -> str:  # type: ignore[no-untyped-def]
    return shown(app.screen.query_one(selector))


async def test_recommend_without_an_accuracy_predictor_fails_and_stays_failed(tmp_path):
    from pimp_tui.services.predict import train_report

    app = make_app(tmp_path)
    measured_store(Path(app.db_path), SMALL_MODEL)
    report = train_report(app.db_path, "energy_j", "cart")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PredictScreen)
        screen.reports["energy_j"] = report
        await pilot.press("R")
        await type_text(pilot, "accuracy >= 0.5")
        await pilot.press("enter")
        await settle(pilot)
        answer = text_of(app, "#query-view")
        assert "failed: train a predictor for accuracy first" in answer
        assert "searching" not in answer
        await pilot.pause(0.5)
        assert "failed: train a predictor for accuracy first" in text_of(app, "#query-view")


async def test_the_campaign_form_starts_on_enter_from_any_field_and_on_ctrl_s(tmp_path):
    app = make_app(tmp_path)
    samples = [("1", "#1 pairs (4)"), ("2", "#2 random (8)")]
    async with app.run_test(size=(80, 24)) as pilot:
        results: list = []
        app.push_screen(CampaignForm(samples, {}), results.append)
        await pilot.pause()
        assert isinstance(app.focused, Select)  # the sample drop-down
        await pilot.press("enter")
        await pilot.pause()
        assert results and results[-1]["sample"] == "1" and results[-1]["cpu_watts"] == 15.0

        app.push_screen(CampaignForm(samples, {}), results.append)
        await pilot.pause()
        await pilot.press("space")  # space opens the list; enter then picks, not starts
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert len(results) == 1 and isinstance(app.screen, CampaignForm)
        assert app.screen.query_one("#f-sample", Select).value == "2"
        app.screen.query_one("#f-cpu-watts", Input).focus()
        await pilot.press("ctrl+u")
        await type_text(pilot, "30")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert results[-1]["sample"] == "2" and results[-1]["cpu_watts"] == 30.0
        assert results[-1]["executor"] == "local" and results[-1]["gpus_per_run"] is None

        app.push_screen(CampaignForm(samples, {}), results.append)
        await pilot.pause()
        app.screen.query_one("#f-task", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert len(results) == 3 and not isinstance(app.screen, CampaignForm)


async def test_the_modified_mark_follows_undo_and_redo(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        title = lambda: text_of(app, "#model-title")  # noqa: E731
        assert "[modified]" not in title()
        await pilot.press("a")
        await type_text(pilot, "Quant")
        await pilot.press("enter")
        await settle(pilot)
        assert "[modified]" in title()
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert "Quant" not in app.workspace.model.feature_names()
        assert "[modified]" not in title()
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert "[modified]" in title()


def test_sampling_progress_and_result_give_one_count_of_interactions():
    from pimp_tui.services.sampling import coverage_of, run_sampler
    from pimp_tui.variability.io import load_model

    model = load_model(SMALL_MODEL)
    said: list[str] = []
    drawn = run_sampler(
        model, "twise", {"t": 2}, lambda *a, **k: said.append(" ".join(map(str, a)))
    )
    counted = [m for m in said if re.search(r"\d[\d,]*\s+valid\s+\d-wise interactions", m)]
    assert said and counted == []  # the only count is the coverage's
    cov = coverage_of(model, drawn.configs, 2)
    assert cov["covered"] == cov["valid"] > 0


async def test_pareto_view_at_80x24_energy_from_zero_captions_fit(tmp_path):
    app = make_app(tmp_path)
    measured_store(Path(app.db_path), SMALL_MODEL)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        screen = app.screen
        screen._chosen = (8.0, 0.8, 1.5, 0.05)  # a recommendation's prediction and intervals
        screen._draw_pareto()
        await pilot.pause()
        view = screen.query_one("#pareto-view")
        lines = text_of(app, "#pareto-view").rstrip("\n").splitlines()
        assert len(lines) <= view.size.height
        assert all(len(line.rstrip()) <= view.size.width for line in lines)
        axis = next(line for line in lines if line.startswith("x: energy"))
        low = float(re.search(r"x: energy (-?[\d.]+)", axis).group(1))
        assert low >= 0 and axis.rstrip().endswith("J · y: accuracy")
        assert any("on the front" in line and "★ recommended" in line for line in lines)
        assert any("★" in line and "recommended" in line for line in lines[:-3])  # on the plot


def test_scatter_never_gives_positive_values_a_negative_axis_and_draws_intervals():
    points = [(0.5, 0.2), (10.0, 0.9), (4.0, 0.5)]
    rows, x_range, y_range = scatter(points, 60, 12, highlight=[(0.5, 0.2), (10.0, 0.9)],
                                     chosen=(1.0, 0.4, 2.0, 0.3))  # fmt: skip
    assert x_range[0] >= 0 and y_range[0] >= 0
    text = "\n".join(r.plain for r in rows)
    assert "★" in text and "recommended" in text


async def test_focus_is_visible_in_every_theme(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
        field = app.screen.query_one("#query-input", Input)
        other = app.screen.query_one("#recommend-input", Input)
        for theme in ("textual-dark", "textual-light", "nord", "gruvbox", "monokai"):
            app.theme = theme
            field.focus()
            await pilot.pause()
            focused = field.visual_style.background
            other.focus()
            await pilot.pause()
            blurred = field.visual_style.background
            distance = sum(abs(a - b) for a, b in zip(focused.rgb, blurred.rgb, strict=True))
            assert distance >= 60, f"{theme}: focus barely visible ({focused} vs {blurred})"


@pytest.mark.parametrize(
    ("word", "expected"),
    [("train", "Predict: Train"), ("target", "Predict: Choose target"),
     ("learner", "Predict: Choose learner"), ("recommend", "Predict: Recommend"),
     ("export", "Monitor: Report"), ("pause", "Monitor: Pause"),
     ("cancel", "Monitor: Cancel")],
)  # fmt: skip
async def test_the_palette_finds_actions_by_the_words_users_type(tmp_path, word, expected):
    from textual.command import CommandList

    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, word)
        await pilot.pause(0.6)
        found = app.screen.query_one(CommandList)
        names = [str(found.get_option_at_index(i).prompt) for i in range(found.option_count)]
        assert any(expected in name for name in names), names


async def test_f1_lists_the_keys_of_every_pane(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = "\n".join(shown(s) for s in app.screen.query("Static"))
        for heading in ("Predict keys", "every pane keys", "Model keys", "Sample keys",
                        "Monitor keys"):  # fmt: skip
            assert heading in text
        assert text.index("Predict keys") < text.index("Model keys")
        assert "Export the campaign as an HTML report" in text


async def test_the_monitor_writes_the_campaign_report_where_asked(tmp_path, monkeypatch):
    """e in the Monitor asks where (beside the store by default) and writes the report of the
    campaign shown through the same use case as `pimp report` (stubbed here: the report itself
    is tested in tests/report)."""
    from pimp_tui.services import report

    calls: list = []

    def write_report(db_path, campaign_id, out, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append((Path(db_path), campaign_id, Path(out)))
        Path(out).write_text("<!DOCTYPE html>")
        return report.Written(Path(out), 15)

    monkeypatch.setattr(report, "write_report", write_report)
    app = make_app(tmp_path)
    campaign_id = measured_store(Path(app.db_path), SMALL_MODEL)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        field = app.screen.query_one("#prompt-input", Input)
        assert field.value == str(tmp_path / "pimp-report-1.html")
        await pilot.press("enter")
        await settle(pilot)
    assert calls == [(tmp_path / "pimp.db", campaign_id, tmp_path / "pimp-report-1.html")]
    assert (tmp_path / "pimp-report-1.html").exists()


async def test_the_campaign_form_chooses_a_ray_cluster_and_refuses_ray_fields_for_local(tmp_path):
    app = make_app(tmp_path)
    samples = [("1", "#1 pairs (4)")]
    async with app.run_test(size=(80, 24)) as pilot:
        results: list = []
        app.push_screen(CampaignForm(samples, {}), results.append)
        await pilot.pause()
        form = app.screen
        form.query_one("#f-address", Input).value = "10.0.0.1:6379"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not results and "need runs on: ray" in text_of(app, "#form-error")
        form.query_one("#f-executor", Select).value = "ray"
        form.query_one("#f-gpus", Input).value = "2"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert results[-1]["executor"] == "ray" and results[-1]["gpus_per_run"] == 2
        assert results[-1]["address"] == "10.0.0.1:6379"
