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


async def test_a_failed_worker_shows_its_error_as_written_brackets_and_all(
    tmp_path: Path,
) -> None:
    from textual.widgets._toast import Toast

    from pimp_tui.errors import PimpError
    from pimp_tui.screens.base import background

    app = make_app(tmp_path)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await settle(pilot)
        screen = app.screen

        @background("test")
        def fail(self) -> None:  # type: ignore[no-untyped-def]
            raise PimpError("the plots need matplotlib: pip install 'pimp-tui[report]'")

        fail(screen)
        await settle(pilot)
        await pilot.pause(0.3)
        shown = " ".join(str(toast.render()) for toast in app.screen.query(Toast))
        assert "pip install 'pimp-tui[report]'" in shown
