"""80x24 snapshots of the panes in states with nothing random or timed on screen.
Regenerate with `pytest tests/tui/test_snapshots.py --snapshot-update` after a deliberate
change of layout, and look at the SVGs before committing them."""

from __future__ import annotations

from pathlib import Path

from tests.tui.conftest import make_app, settle


def test_model_pane(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(make_app(tmp_path), terminal_size=(80, 24), run_before=settle)


def test_model_help(snap_compare, tmp_path: Path) -> None:
    async def open_help(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("f1")

    assert snap_compare(make_app(tmp_path), terminal_size=(80, 24), run_before=open_help)


def test_constraint_dialog_reports_error(snap_compare, tmp_path: Path) -> None:
    async def typing(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("c", *"Greedy", "space", "equals_sign", "greater_than_sign")

    assert snap_compare(make_app(tmp_path), terminal_size=(80, 24), run_before=typing)


def test_sample_pane_after_two_wise(snap_compare, tmp_path: Path) -> None:
    async def generate(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("2", "g")
        await settle(pilot)

    assert snap_compare(make_app(tmp_path), terminal_size=(80, 24), run_before=generate)
