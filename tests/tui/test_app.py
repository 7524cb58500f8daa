"""The shell: panes as modes, the command palette lists every pane's actions, failures are
notifications."""

from __future__ import annotations

from pathlib import Path

import pytest

from pimp_tui.app import PaneCommands, PimpApp
from tests.tui.conftest import make_app, settle, type_text

pytestmark = pytest.mark.anyio


async def test_palette_lists_actions_of_every_pane(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        names = [name for name, _, _ in PaneCommands(app.screen)._commands()]
        for expected in ("Go to Monitor", "Sample: Generate", "Monitor: New",
                         "Predict: Train", "Model: Constraint"):  # fmt: skip
            assert expected in names


async def test_palette_runs_an_action_of_another_pane(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "Go to Monitor")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot)
        assert app.current_mode == "monitor"


async def test_unusable_store_is_a_notification_not_a_crash(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-db.db"
    bad.write_text("this is not SQLite " * 100)
    app = PimpApp(db=bad, sensor="estimate")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert any("not a pimp store" in n.message for n in app._notifications)
        await pilot.press("2")
        await pilot.pause()
        assert app.current_mode == "sample"
        await pilot.press("g")  # no model: a warning, still running
        await settle(pilot)
        assert app.is_running


async def test_theme_cycles_from_the_keyboard(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        first = app.theme
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert app.theme != first
