"""The predictor pane's sweet-spot view: the newest lengths campaign's J/output-token grid and
the held-out MAPEs of the analytical fit and the learned predictor, computed in a worker."""

from __future__ import annotations

import pytest

from pimp_tui.app import PimpApp
from tests.tui.conftest import anyio_backend, settle, shown

pytestmark = pytest.mark.anyio
__all__ = ["anyio_backend"]


async def test_sweet_spot_view_shows_grid_and_both_mapes(lengths_db) -> None:
    path, _ = lengths_db
    app = PimpApp(db=path, seed=False, sensor="estimate")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        text = shown(app.screen.query_one("#sweetspot-body"))
        assert "Precision=Float32: J per output token" in text
        assert "analytical" in text and "learned (rf)" in text and "%" in text
        assert "sweet spot n_out*" in text


async def test_sweet_spot_view_without_a_lengths_campaign(tmp_path) -> None:
    app = PimpApp(db=tmp_path / "pimp.db", seed=False, sensor="estimate")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        assert "no lengths campaign" in shown(app.screen.query_one("#sweetspot-body"))
