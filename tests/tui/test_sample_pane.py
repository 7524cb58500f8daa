"""The sampling pane: generate in the background, coverage, save to the store, CSV, reopen."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from pimp_tui.sampling.csvio import write_configs
from pimp_tui.screens.sample import SampleScreen
from pimp_tui.widgets.rows_table import RowsTable
from tests.tui.conftest import make_app, settle, type_text

pytestmark = pytest.mark.anyio


def status(app) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one("#sample-status").render())


async def test_two_wise_sample_with_full_coverage_saved_and_exported(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.screen, SampleScreen)
        await pilot.press("g")
        await settle(pilot)
        screen = app.screen
        rows = screen.query_one(RowsTable).row_count
        assert rows == len(screen.view.configs) > 0
        assert "2-wise coverage 100.0%" in status(app)
        bound = screen.view.lower_bound
        assert 1 <= bound <= rows and f"configurations, lower bound {bound} ·" in status(app)
        # save it to the store
        await pilot.press("s", "ctrl+u")
        await type_text(pilot, "pairs")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.view.sample_id is not None
        assert app.workspace.sample_id == screen.view.sample_id
        assert "stored #" in status(app)
        # export as CSV
        target = tmp_path / "pairs.csv"
        await pilot.press("x", "ctrl+u")
        await type_text(pilot, str(target))
        await pilot.press("enter")
        await settle(pilot)
        with target.open() as handle:
            table = list(csv.reader(handle))
        assert len(table) == rows + 1
        # The one CSV format: what `pimp sample --out` writes for the same configurations.
        written = io.StringIO()
        write_configs(app.workspace.model, screen.view.configs, written)
        assert target.read_text() == written.getvalue()
        assert table[0] == app.workspace.model.feature_names()


async def uniform_sample(pilot, app, size: int):  # type: ignore[no-untyped-def]
    """The Sample pane after generating a uniform sample of `size`."""
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    screen = app.screen
    screen.query_one("#algorithm").value = "uniform"
    screen.query_one("#size").value = str(size)
    await pilot.press("g")
    await settle(pilot)
    return screen


async def test_uniform_sample_has_the_size_asked_for(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await uniform_sample(pilot, app, 9)
        assert screen.query_one(RowsTable).row_count == 9
        assert status(app).startswith("9 configurations · uniform")


async def test_the_constraints_the_host_added_are_in_view_at_80_columns(tmp_path: Path) -> None:
    from pimp_tui.paths import HF_GENERATION_MODEL

    app = make_app(tmp_path, HF_GENERATION_MODEL)  # a model with a Device part
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await uniform_sample(pilot, app, 5)
        assert "fixed by the host: !CUDA (no CUDA GPU visible" in status(app)  # no GPU here
        shown = screen.query_one("#sample-status")
        lines = shown.render_lines(shown.region.reset_offset)
        assert any("fixed by the host" in line.text for line in lines)  # drawn, not cut off


async def test_a_refused_sampler_says_so_in_the_status(tmp_path: Path) -> None:
    from pimp_tui.paths import HF_GENERATION_MODEL

    app = make_app(tmp_path, HF_GENERATION_MODEL)  # billions of valid configurations
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        app.screen.query_one("#algorithm").value = "all"
        await pilot.press("g")
        await settle(pilot)
        assert status(app).startswith("not generated: ")
        assert "more than the limit" in status(app)


async def test_optional_fields_left_empty_are_not_marked_invalid(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        for wid in ("size", "budget"):
            field = app.screen.query_one(f"#{wid}")
            field.focus()
            await settle(pilot)
            app.screen.query_one("#seed").focus()  # leaving it empty
            await settle(pilot)
            assert field.value == "" and not field.has_class("-invalid")


async def test_stored_sample_reopens(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2", "g")
        await settle(pilot)
        await pilot.press("s", "enter")
        await settle(pilot)
        stored = app.screen.view
        app.screen.view = None
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        reopened = app.screen.view
        assert reopened is not None and reopened.sample_id == stored.sample_id
        assert reopened.configs == stored.configs
        assert reopened.lower_bound == stored.lower_bound is not None
